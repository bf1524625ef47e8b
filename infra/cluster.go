package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// clusterResources are the ECS cluster and the log groups its tasks write to.
type clusterResources struct {
	cluster      *ecs.Cluster
	logGroup     *cloudwatch.LogGroup
	execLogGroup *cloudwatch.LogGroup // nil unless enableExecuteCommand
	// capacity is the cluster's capacity providers (nil without Fargate Spot):
	// a service whose strategy names FARGATE_SPOT must wait for them.
	capacity pulumi.Resource
}

// cluster declares the log groups and the cluster.
//
// The log groups and the cluster have fixed names, the tutorial's, and a change
// of name replaces them: DeleteBeforeReplace removes the old one first, since
// AWS refuses a second one of the same name. (The service, which a new cluster
// also replaces, is deleted first as a dependent.)
func (s *stack) cluster() (*clusterResources, error) {
	c := s.cfg
	key, err := s.logsKey()
	if err != nil {
		return nil, err
	}
	// Each log group has a fixed name, kept logRetentionDays and encrypted
	// with the logs key (when there is one).
	logGroup := func(resource, name string) (*cloudwatch.LogGroup, error) {
		return cloudwatch.NewLogGroup(s.ctx, resource, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(name),
			RetentionInDays: pulumi.Int(c.LogRetentionDays),
			KmsKeyId:        key,
			Tags:            s.tags(name),
		}, pulumi.DeleteBeforeReplace(true))
	}
	logs, err := logGroup(s.names.LogGroupResource, s.names.LogGroup)
	if err != nil {
		return nil, err
	}
	out := &clusterResources{logGroup: logs}

	// Container Insights writes the cluster's performance log events to a log
	// group ECS names after the cluster, and creates it, with no retention and
	// no owner, when it is not there: it would outlive `pulumi destroy` and
	// keep every event for ever. Made here, before the cluster (which waits
	// for it), it is the stack's, with logRetentionDays and the logs key.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-view-metrics.html
	// Its name follows the cluster's, and a new name replaces it: deleted
	// first (DeleteBeforeReplace), like the other fixed names.
	insights, err := logGroup(s.names.InsightsLogResource, s.names.InsightsLogGroup)
	if err != nil {
		return nil, err
	}

	args := &ecs.ClusterArgs{
		Name: pulumi.String(s.names.Cluster),
		Settings: ecs.ClusterSettingArray{
			ecs.ClusterSettingArgs{Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled")},
		},
		Tags: s.tags(s.names.Cluster),
	}
	if c.EnableExecuteCommand {
		// ECS Exec sessions are logged to their own group, so that who ran what in a
		// container is kept with the same retention as the container's logs.
		out.execLogGroup, err = logGroup(s.names.ExecLogGroupResource, s.names.ExecLogGroup)
		if err != nil {
			return nil, err
		}
		args.Configuration = &ecs.ClusterConfigurationArgs{
			ExecuteCommandConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationArgs{
				Logging: pulumi.String("OVERRIDE"),
				LogConfiguration: &ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs{
					CloudWatchLogGroupName: out.execLogGroup.Name,
				},
			},
		}
	}
	out.cluster, err = ecs.NewCluster(s.ctx, s.names.Cluster, args, pulumi.DeleteBeforeReplace(true), pulumi.DependsOn([]pulumi.Resource{insights}))
	if err != nil {
		return nil, err
	}
	if c.FargateSpotPercent > 0 {
		// A capacity provider strategy on the service needs the providers on the cluster.
		out.capacity, err = ecs.NewClusterCapacityProviders(s.ctx, s.names.ClusterCapacity, &ecs.ClusterCapacityProvidersArgs{
			ClusterName:       out.cluster.Name,
			CapacityProviders: pulumi.ToStringArray([]string{"FARGATE", "FARGATE_SPOT"}),
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
