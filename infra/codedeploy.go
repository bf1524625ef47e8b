package infra

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codedeploy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// codeDeployResources are what a blue/green release needs of CodeDeploy.
type codeDeployResources struct {
	app   *codedeploy.Application
	group *codedeploy.DeploymentGroup
	// productionListeners are the listeners production traffic goes through.
	productionListeners pulumi.StringArray
}

// codeDeployTrust lets CodeDeploy assume its role.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/codedeploy_IAM_role.html
func codeDeployTrust(region string) policyDocument {
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
		Effect:    "Allow",
		Principal: map[string]string{"Service": codeDeployPrincipal(region)},
		Action:    []string{"sts:AssumeRole"},
	}}}
}

// codeDeployPrincipal is CodeDeploy's service principal: regional in the
// China partition (codedeploy.cn-north-1.amazonaws.com.cn), global elsewhere,
// as AWS CDK's region-info lists it (packages/aws-cdk-lib/region-info/lib/default.ts:
// "CodeDeploy is regional+partitional in CN").
func codeDeployPrincipal(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "codedeploy." + region + "." + dnsSuffix(region)
	}
	return "codedeploy." + dnsSuffix(region)
}

// codeDeploy declares, for a blue/green, canary or linear release, the
// CodeDeploy application, the role CodeDeploy acts as (or codeDeployRoleArn),
// the stack's own deployment configuration when no predefined one fits, and
// the deployment group that ties the service, the target group pair and the
// listeners together. `pulumi up` then releases through it (release.go).
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-bluegreen.html
//
// The application's and group's names are fixed (the program names the group
// in each CreateDeployment). A name change updates them in place
// (terraform-provider-aws renames them with UpdateApplication and
// UpdateDeploymentGroup; only the application's compute platform forces a
// new one, and CodeDeploy accepts a second application of another name
// beside the first, so the default create-before-delete works).
func (s *stack) codeDeploy(service *ecs.Service, front *frontEnd, watch *alarms) (*codeDeployResources, error) {
	c := s.cfg
	shift := c.TrafficShift()
	app, err := codedeploy.NewApplication(s.ctx, s.names.CodeDeployApp, &codedeploy.ApplicationArgs{
		Name:            pulumi.String(s.names.CodeDeployApp),
		ComputePlatform: pulumi.String("ECS"),
		Tags:            s.tags(s.names.CodeDeployApp),
	})
	if err != nil {
		return nil, err
	}
	roleArn := pulumi.String(c.CodeDeployRoleArn).ToStringOutput()
	var dependsOn []pulumi.Resource
	if c.CodeDeployRoleArn == "" {
		role, err := iam.NewRole(s.ctx, s.names.CodeDeployRole, &iam.RoleArgs{
			Description:      pulumi.String("CodeDeploy's role for the blue/green releases of " + c.Name),
			AssumeRolePolicy: s.region.ApplyT(func(r string) string { return codeDeployTrust(r).String() }).(pulumi.StringOutput),
			Tags:             s.tags(s.names.CodeDeployRole),
		})
		if err != nil {
			return nil, err
		}
		attachment, err := iam.NewRolePolicyAttachment(s.ctx, s.names.CodeDeployRolePolicy, &iam.RolePolicyAttachmentArgs{
			Role: role.Name,
			PolicyArn: s.region.ApplyT(func(r string) string {
				return "arn:" + partition(r) + ":iam::aws:policy/AWSCodeDeployRoleForECS"
			}).(pulumi.StringOutput),
		})
		if err != nil {
			return nil, err
		}
		roleArn, dependsOn = role.Arn, []pulumi.Resource{attachment}
	}
	configName := pulumi.String(shift.Config).ToStringOutput()
	if shift.Custom {
		routing := &codedeploy.DeploymentConfigTrafficRoutingConfigArgs{Type: pulumi.String(shift.Type)}
		if shift.Type == "TimeBasedCanary" {
			routing.TimeBasedCanary = &codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedCanaryArgs{
				Percentage: pulumi.Int(shift.Percent), Interval: pulumi.Int(shift.Minutes),
			}
		} else {
			routing.TimeBasedLinear = &codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedLinearArgs{
				Percentage: pulumi.Int(shift.Percent), Interval: pulumi.Int(shift.Minutes),
			}
		}
		// Every argument of a deployment configuration forces a new one, and
		// CodeDeploy refuses to delete one its group still names: the shape
		// is in the name (customShiftName), so the replacement is created
		// first, the group moves to it, and the old one goes last.
		config, err := codedeploy.NewDeploymentConfig(s.ctx, s.names.DeploymentConfig, &codedeploy.DeploymentConfigArgs{
			DeploymentConfigName: pulumi.String(shift.Config),
			ComputePlatform:      pulumi.String("ECS"),
			TrafficRoutingConfig: routing,
		})
		if err != nil {
			return nil, err
		}
		configName = config.DeploymentConfigName
	}
	var prodListeners pulumi.StringArray
	for _, l := range front.production {
		prodListeners = append(prodListeners, l.Arn)
	}
	args := &codedeploy.DeploymentGroupArgs{
		AppName:              app.Name,
		DeploymentGroupName:  pulumi.String(s.names.DeploymentGroup),
		ServiceRoleArn:       roleArn,
		DeploymentConfigName: configName,
		DeploymentStyle: &codedeploy.DeploymentGroupDeploymentStyleArgs{
			DeploymentOption: pulumi.String("WITH_TRAFFIC_CONTROL"),
			DeploymentType:   pulumi.String("BLUE_GREEN"),
		},
		BlueGreenDeploymentConfig: &codedeploy.DeploymentGroupBlueGreenDeploymentConfigArgs{
			// Production traffic moves only once the new task set is healthy on
			// the test route. CodeDeploy alone does not wait for that: an
			// all-at-once release whose tasks fail their health checks
			// succeeds ("Even though my deployment succeeded, the replacement
			// task set fails the Elastic Load Balancing health checks",
			// https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-ecs.html).
			// So the release stops after test traffic (status Ready) and
			// `pulumi up` continues it (ContinueDeployment) when it has seen
			// every new task healthy behind the test listener; if no `up` does
			// within rolloutTimeoutMinutes (an interrupted one), CodeDeploy
			// stops the release before any production traffic moved.
			// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentReadyOption.html
			DeploymentReadyOption: &codedeploy.DeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOptionArgs{
				ActionOnTimeout: pulumi.String("STOP_DEPLOYMENT"),
				// The wait covers the new tasks becoming healthy, never two
				// days (the termination wait's limit) of a long shift.
				WaitTimeInMinutes: pulumi.Int(min(c.RolloutTimeout(), maxCodeDeployMinutes)),
			},
			TerminateBlueInstancesOnDeploymentSuccess: &codedeploy.DeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccessArgs{
				Action:                       pulumi.String("TERMINATE"),
				TerminationWaitTimeInMinutes: pulumi.Int(c.BlueGreenTerminationMinutes),
			},
		},
		EcsService: &codedeploy.DeploymentGroupEcsServiceArgs{
			ClusterName: pulumi.String(s.names.Cluster),
			ServiceName: service.Name,
		},
		LoadBalancerInfo: &codedeploy.DeploymentGroupLoadBalancerInfoArgs{
			TargetGroupPairInfo: &codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoArgs{
				ProdTrafficRoute: &codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRouteArgs{ListenerArns: prodListeners},
				TestTrafficRoute: &codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRouteArgs{ListenerArns: pulumi.StringArray{front.test.Arn}},
				TargetGroups: codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroupArray{
					codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroupArgs{Name: front.targetGroup.Name},
					codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroupArgs{Name: front.greenTargetGroup.Name},
				},
			},
		},
		// A release that fails (its tasks never healthy, a lifecycle event
		// failing) or that trips a watched alarm moves traffic back to the
		// previous task set, which is still running.
		AutoRollbackConfiguration: &codedeploy.DeploymentGroupAutoRollbackConfigurationArgs{
			Enabled: pulumi.Bool(true),
			Events:  pulumi.ToStringArray(rollbackEvents(watch != nil && c.RollbackOnAlarm)),
		},
		Tags: s.tags(s.names.DeploymentGroup),
	}
	if watch != nil && c.RollbackOnAlarm {
		// The deployment alarm of the rolling strategy, watched by CodeDeploy
		// through the shift and the termination wait.
		args.AlarmConfiguration = &codedeploy.DeploymentGroupAlarmConfigurationArgs{
			Alarms:  pulumi.StringArray{watch.deployment.Name},
			Enabled: pulumi.Bool(true),
		}
	}
	group, err := codedeploy.NewDeploymentGroup(s.ctx, s.names.DeploymentGroup, args, pulumi.DependsOn(dependsOn))
	if err != nil {
		return nil, err
	}
	return &codeDeployResources{app: app, group: group, productionListeners: prodListeners}, nil
}
