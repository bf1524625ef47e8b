package release

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Clients are the AWS APIs the check reads, and STS to tell whose account
// it reads.
type Clients struct {
	ECS  *ecs.Client
	ELB  *elb.Client
	Logs *cloudwatchlogs.Client
	STS  *sts.Client
}

// NewClients builds the clients from an AWS config.
func NewClients(cfg aws.Config) Clients {
	return Clients{ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg)}
}

// ErrNoCredentials is returned by LoadClients when no credentials are found.
var ErrNoCredentials = fmt.Errorf("no AWS credentials (set AWS_PROFILE, run aws configure, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")

// LoadClients loads the SDK's default configuration (credential chain,
// AWS_REGION, AWS_ENDPOINT_URL, shared config files), with region when it is
// not empty, and checks that credentials can be had: Load with the region
// alone, for a run that knows no provider settings.
func LoadClients(ctx context.Context, region string) (Clients, error) {
	return Load(ctx, Settings{Region: region})
}
