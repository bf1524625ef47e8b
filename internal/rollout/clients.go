// Package rollout tells whether an ECS service's rollout worked, and why not:
// it waits for the deployment of a task definition (the check `pulumi up` runs
// after creating or updating the service), and diagnoses a service from the four
// places AWS keeps the reasons: service events, stopped tasks, target health and
// the container's log stream. It calls AWS with the AWS SDK for Go v2, honouring
// the SDK's standard settings (credential chain, AWS_REGION, AWS_ENDPOINT_URL),
// so the same code runs against AWS or a local stand-in.
package rollout

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Clients are the three AWS APIs the check reads.
type Clients struct {
	ECS  *ecs.Client
	ELB  *elb.Client
	Logs *cloudwatchlogs.Client
}

// NewClients builds the clients from an AWS config.
func NewClients(cfg aws.Config) Clients {
	return Clients{ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// ErrNoCredentials is returned by LoadClients when no credentials are found.
var ErrNoCredentials = fmt.Errorf("no AWS credentials (set AWS_PROFILE, run aws configure, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")

// LoadClients loads the SDK's default configuration (credential chain,
// AWS_REGION, AWS_ENDPOINT_URL, shared config files), with region when it is
// not empty, and checks that credentials can be had.
func LoadClients(ctx context.Context, region string) (Clients, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Clients{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return Clients{}, fmt.Errorf("no AWS region: set aws:region in the stack file, or AWS_REGION")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return Clients{}, fmt.Errorf("%w: %v", ErrNoCredentials, err)
	}
	return NewClients(cfg), nil
}
