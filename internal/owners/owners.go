// Package owners reads, in one AWS account and region, whether resources of
// given fixed names exist and whose they are: the project and stack tags the
// program puts on every resource it makes. Two stacks that plan the same
// fixed name would otherwise share or fight over it: ECS's CreateCluster
// returns an existing cluster of the name as if it made it
// (hashicorp/terraform-provider-aws#38875), CloudWatch Logs refuses a second
// log group of the name. It calls AWS with the AWS SDK for Go v2.
package owners

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Kind is a kind of resource with a fixed name.
type Kind string

// The kinds read.
const (
	Cluster  Kind = "cluster"
	LogGroup Kind = "log group"
)

// Planned is a resource of a fixed name a stack plans.
type Planned struct {
	Kind Kind
	Name string
}

// Found is a planned name that exists in the account, with the resource's
// ARN and tags (empty when it has none).
type Found struct {
	Planned
	ARN  string
	Tags map[string]string
}

// Clients are the APIs read.
type Clients struct {
	ECS  *ecs.Client
	Logs *cloudwatchlogs.Client
}

// Read returns the planned resources that exist, in the order planned.
// An ECS cluster that was deleted (INACTIVE, which DescribeClusters still
// lists for a while) does not exist: CreateCluster makes a new one.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeClusters.html
func Read(ctx context.Context, c Clients, planned []Planned) ([]Found, error) {
	var out []Found
	for _, p := range planned {
		var (
			f   *Found
			err error
		)
		switch p.Kind {
		case Cluster:
			f, err = cluster(ctx, c.ECS, p)
		case LogGroup:
			f, err = logGroup(ctx, c.Logs, p)
		default:
			err = fmt.Errorf("unknown kind %q", p.Kind)
		}
		if err != nil {
			return out, fmt.Errorf("%s %s: %w", p.Kind, p.Name, err)
		}
		if f != nil {
			out = append(out, *f)
		}
	}
	return out, nil
}

func cluster(ctx context.Context, client *ecs.Client, p Planned) (*Found, error) {
	out, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{
		Clusters: []string{p.Name},
		Include:  []ecstypes.ClusterField{ecstypes.ClusterFieldTags},
	})
	if err != nil {
		return nil, err
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.ClusterName) != p.Name || aws.ToString(c.Status) == "INACTIVE" {
			continue
		}
		tags := map[string]string{}
		for _, t := range c.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return &Found{Planned: p, ARN: aws.ToString(c.ClusterArn), Tags: tags}, nil
	}
	return nil, nil
}

// logGroup finds the log group by its name among those whose names start
// with it (page after page), then reads its tags.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_ListTagsForResource.html
func logGroup(ctx context.Context, client *cloudwatchlogs.Client, p Planned) (*Found, error) {
	pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(p.Name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) != p.Name {
				continue
			}
			arn := aws.ToString(g.LogGroupArn)
			tags, err := client.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil {
				return nil, err
			}
			if tags.Tags == nil {
				tags.Tags = map[string]string{}
			}
			return &Found{Planned: p, ARN: arn, Tags: tags.Tags}, nil
		}
	}
	return nil, nil
}
