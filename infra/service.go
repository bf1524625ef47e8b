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
//     balancer"), and nothing in the service's inputs says so. Also on the
//     security-group rules and the roles' policies, which its first tasks need
//     to pull the image, read secrets and pass health checks, and on the
//     cluster's capacity providers when the strategy names FARGATE_SPOT.
//   - DeleteBeforeReplace: the service has the tutorial's fixed name, and its
//     name, cluster and launch type force replacement; ECS refuses a second active
//     service of the same name, so the old one goes first (a brief outage, which
//     the plan diff flags).
//   - The rollout check (rolloutcheck.go), not the provider's
//     waitForSteadyState, decides when `pulumi up` may end: after the new
//     deployment completed and the targets are healthy, or with a diagnosis.
//   - ForceDelete: `pulumi destroy` deletes the service without first waiting for
//     its tasks to scale to zero, so it never hangs on a draining service.
//   - IgnoreChanges desiredCount with autoscaling: the scaler owns the count after
//     creation, and `pulumi up` must not reset it.
func (s *stack) service(net *network, groups *securityGroups, cluster *clusterResources, roles *taskRoles, task *ecs.TaskDefinition, front *frontEnd, watch *alarms) (*ecs.Service, error) {
	c := s.cfg
	triggers := s.deploymentTriggers(task.Arn)
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
		WaitForSteadyState:   pulumi.Bool(false),
		// Triggers (redeploy, or a failed rollout to retry: see redeploy.go)
		// change in place; with forceNewDeployment ECS then deploys again.
		// forceNewDeployment is set only with triggers: the provider passes it
		// on to UpdateService, so left on it may roll the tasks on a later
		// update that needs no deployment (a new count). Neither input forces
		// a replacement.
		Triggers:           triggers,
		ForceNewDeployment: forceNewDeployment(triggers),
		ForceDelete:        pulumi.Bool(true),
		Tags:               s.tags(s.names.Service),
	}
	if watch != nil && c.RollbackOnAlarm {
		// The deployment alarm: a release whose tasks answer /alive but fail real
		// requests trips the 5xx alarm while it rolls out, and ECS rolls it back,
		// as the circuit breaker does for tasks that never become healthy. ECS
		// keeps watching for a bake time it derives from the alarm before the
		// deployment completes, which the rollout check's timeout allows for.
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
		args.Alarms = &ecs.ServiceAlarmsArgs{
			AlarmNames: pulumi.StringArray{watch.deployment.Name},
			Enable:     pulumi.Bool(true),
			Rollback:   pulumi.Bool(true),
		}
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
	dependsOn := append(append(append([]pulumi.Resource{}, front.listeners...), groups.rules...), roles.policies...)
	if cluster.capacity != nil {
		dependsOn = append(dependsOn, cluster.capacity)
	}
	check, err := s.rolloutCheck()
	if err != nil {
		return nil, err
	}
	opts := []pulumi.ResourceOption{
		pulumi.DependsOn(dependsOn),
		pulumi.DeleteBeforeReplace(true),
		check,
	}
	if c.Autoscaling() {
		opts = append(opts, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}
	return ecs.NewService(s.ctx, s.names.Service, args, opts...)
}
