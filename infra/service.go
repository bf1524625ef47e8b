package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// controllerCodeDeploy is ECS's deployment controller type of a service
// CodeDeploy releases.
const controllerCodeDeploy = "CODE_DEPLOY"

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
//   - The release (release.go), not the provider's waitForSteadyState,
//     decides when `pulumi up` may end: when ECS runs the declared task
//     definition as its one deployment with every task healthy, or with a
//     diagnosis. The service's before-update hook notes its deployments, so
//     that the release follows the one the update starts.
//   - ForceDelete: `pulumi destroy` deletes the service without first waiting for
//     its tasks to scale to zero, so it never hangs on a draining service.
//   - IgnoreChanges desiredCount with autoscaling: the scaler owns the count after
//     creation, and `pulumi up` must not reset it.
func (s *stack) service(net *network, groups *securityGroups, cluster *clusterResources, roles *taskRoles, task *ecs.TaskDefinition, front *frontEnd, watch *alarms) (*ecs.Service, *ecs.ServiceArgs, error) {
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
		HealthCheckGracePeriodSeconds:   pulumi.Int(c.HealthCheckGracePeriodSeconds),
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
		ForceDelete:          pulumi.Bool(true),
		Tags:                 s.tags(s.names.Service),
	}
	if c.CodeDeploy() {
		// CodeDeploy releases the service: a new task set beside the old, then
		// the traffic, then the old one's end (codedeploy.go). The circuit
		// breaker and the deployment alarm are the rolling update's; CodeDeploy's
		// automatic rollback on a failed release and on the alarms replaces them.
		// The controller forces a new service (terraform-provider-aws:
		// deployment_controller is ForceNew): replacement.go refuses the switch
		// unless acceptServiceReplacement.
		args.DeploymentController = &ecs.ServiceDeploymentControllerArgs{Type: pulumi.String(controllerCodeDeploy)}
	} else {
		args.DeploymentCircuitBreaker = &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		}
	}
	if watch != nil && c.RollbackOnAlarm && !c.CodeDeploy() {
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
	if s.live.strategyChangesInPlace(c) && !c.CodeDeploy() {
		// The provider replaces the service for a change of its capacity
		// provider strategy unless forceNewDeployment is on and neither the
		// old nor the new strategy is empty (terraform-provider-aws
		// capacityProviderStrategyCustomizeDiff); ECS deploys for a new
		// strategy anyway. So the flag is on for this one update only: the
		// next run turns it off again (an update that starts no deployment),
		// and no later update of the count or the grace period rolls the
		// tasks. A change from no strategy to one, or back, replaces the
		// service whatever the flag (and launchType forces it too): the
		// config refuses it unless acceptServiceReplacement (replacement.go).
		args.ForceNewDeployment = pulumi.Bool(true)
	}
	dependsOn := append(append(append([]pulumi.Resource{}, front.listeners...), groups.rules...), roles.policies...)
	if cluster.capacity != nil {
		dependsOn = append(dependsOn, cluster.capacity)
	}
	hooks, err := s.serviceHooks()
	if err != nil {
		return nil, nil, err
	}
	opts := []pulumi.ResourceOption{
		pulumi.DependsOn(dependsOn),
		pulumi.DeleteBeforeReplace(true),
		hooks,
	}
	var ignore []string
	if c.Autoscaling() {
		ignore = append(ignore, "desiredCount")
	}
	if c.CodeDeploy() {
		// Under CodeDeploy, UpdateService may not change these: a new task
		// definition, network, platform version, load balancer or capacity
		// providers go out as a CodeDeploy deployment (release.go), and
		// CodeDeploy points the service at the other target group on each
		// release. The service's own inputs keep what it was created with.
		// The launch type goes with the capacity providers: a Spot share
		// turned on or off reaches the next task set through the release's
		// AppSpec, and launchType forces a new service in the provider
		// (terraform-provider-aws internal/service/ecs/service.go), which a
		// service created with a capacity provider strategy reads back empty.
		// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
		ignore = append(ignore, "taskDefinition", "networkConfiguration", "platformVersion", "loadBalancers", "capacityProviderStrategies", "launchType")
	}
	if len(ignore) > 0 {
		opts = append(opts, pulumi.IgnoreChanges(ignore))
	}
	service, err := ecs.NewService(s.ctx, s.names.Service, args, opts...)
	return service, args, err
}
