package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// service declares the ECS service that keeps desiredCount tasks running behind
// the target group, with a rolling update that never drops below
// deploymentMinimumHealthyPercent and a circuit breaker that rolls back a
// deployment whose tasks never become healthy.
//
// Options, and why:
//   - DependsOn the listeners: AWS refuses a service whose target group no
//     listener uses yet ("The target group ... does not have an associated load
//     balancer"), and nothing in the service's inputs says so.
//   - DeleteBeforeReplace: the service has the tutorial's fixed name, and its
//     name, cluster and launch type force replacement; ECS refuses a second active
//     service of the same name, so the old one goes first (a brief outage, which
//     the plan diff flags).
//   - WaitForSteadyState: `pulumi up` ends only when the tasks are healthy behind
//     the load balancer.
//   - ForceDelete: `pulumi destroy` deletes the service without first waiting for
//     its tasks to scale to zero, so it never hangs on a draining service.
//   - IgnoreChanges desiredCount with autoscaling: the scaler owns the count after
//     creation, and `pulumi up` must not reset it.
func (s *stack) service(net *network, groups *securityGroups, cluster *clusterResources, task *ecs.TaskDefinition, front *frontEnd) (*ecs.Service, error) {
	c := s.cfg
	args := &ecs.ServiceArgs{
		Name:                            pulumi.String(s.names.Service),
		Cluster:                         cluster.cluster.Arn,
		TaskDefinition:                  task.Arn,
		DesiredCount:                    pulumi.Int(c.DesiredCount),
		PlatformVersion:                 pulumi.String("LATEST"),
		DeploymentMinimumHealthyPercent: pulumi.Int(c.DeploymentMinimumHealthyPercent),
		DeploymentMaximumPercent:        pulumi.Int(c.DeploymentMaximumPercent),
		DeploymentController:            &ecs.ServiceDeploymentControllerArgs{Type: pulumi.String("ECS")},
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		HealthCheckGracePeriodSeconds: pulumi.Int(c.HealthCheckGracePeriodSeconds),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        net.taskSubnets,
			SecurityGroups: pulumi.StringArray{groups.tasks.ID()},
			AssignPublicIp: pulumi.Bool(c.AssignPublicIP),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: front.targetGroup.Arn,
			ContainerName:  pulumi.String(c.ContainerName),
			ContainerPort:  pulumi.Int(c.ContainerPort),
		}},
		EnableExecuteCommand: pulumi.Bool(c.EnableExecuteCommand),
		EnableEcsManagedTags: pulumi.Bool(true),
		PropagateTags:        pulumi.String("SERVICE"),
		WaitForSteadyState:   pulumi.Bool(true),
		ForceDelete:          pulumi.Bool(true),
		Tags:                 s.tags(s.names.Service),
	}
	if c.FargateSpotPercent > 0 {
		// A capacity provider strategy replaces the launch type. One task always
		// runs on regular Fargate so that a Spot reclaim never takes all of them.
		args.CapacityProviderStrategies = ecs.ServiceCapacityProviderStrategyArray{
			ecs.ServiceCapacityProviderStrategyArgs{CapacityProvider: pulumi.String("FARGATE"), Base: pulumi.Int(1), Weight: pulumi.Int(100 - c.FargateSpotPercent)},
			ecs.ServiceCapacityProviderStrategyArgs{CapacityProvider: pulumi.String("FARGATE_SPOT"), Weight: pulumi.Int(c.FargateSpotPercent)},
		}
	} else {
		args.LaunchType = pulumi.String("FARGATE")
	}
	opts := []pulumi.ResourceOption{
		pulumi.DependsOn(front.listeners),
		pulumi.DeleteBeforeReplace(true),
	}
	if c.Autoscaling() {
		opts = append(opts, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}
	return ecs.NewService(s.ctx, s.names.Service, args, opts...)
}
