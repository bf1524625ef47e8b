package fakeaws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// BlueGreenStack is a service on CodeDeploy's controller and its deployment
// group, as the stack declares them with a blue/green strategy: what a test
// of the release, the doctor or this account starts from.
type BlueGreenStack struct {
	Cluster, Service, Container, TaskDefinition string
	// BlueTargetGroup is the ARN of the target group the service starts on.
	BlueTargetGroup string
	SecurityGroups  []string
	App, Group      string
	// Config is the deployment configuration's name.
	Config string
	// TargetGroupNames are the pair's names, the production one first.
	TargetGroupNames           [2]string
	ProdListener, TestListener string
	Ready                      cdtypes.DeploymentReadyOption
	// Alarm is the alarm the group watches ("" for none).
	Alarm string
}

// CreateBlueGreenStack creates s through the AWS API at the clients'
// endpoint: the service (Fargate, two tasks, port 5050), the CodeDeploy
// application and the group with automatic rollback, the termination wait
// of five minutes, and s.Alarm.
func CreateBlueGreenStack(ctx context.Context, services *ecs.Client, cd *codedeploy.Client, s BlueGreenStack) error {
	_, err := services.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(s.Cluster), ServiceName: aws.String(s.Service), TaskDefinition: aws.String(s.TaskDefinition), DesiredCount: aws.Int32(2),
		LaunchType: ecstypes.LaunchTypeFargate, HealthCheckGracePeriodSeconds: aws.Int32(30),
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy},
		LoadBalancers:        []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(s.BlueTargetGroup), ContainerName: aws.String(s.Container), ContainerPort: aws.Int32(5050)}},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-0a1b2c3d4e5f60001"}, SecurityGroups: s.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIpEnabled}},
	})
	if err != nil {
		return err
	}
	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(s.App), ComputePlatform: cdtypes.ComputePlatformEcs}); err != nil {
		return err
	}
	in := &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String(s.App), DeploymentGroupName: aws.String(s.Group), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/alba-digi-codedeploy-role"),
		DeploymentConfigName: aws.String(s.Config),
		DeploymentStyle:      &cdtypes.DeploymentStyle{DeploymentType: cdtypes.DeploymentTypeBlueGreen, DeploymentOption: cdtypes.DeploymentOptionWithTrafficControl},
		BlueGreenDeploymentConfiguration: &cdtypes.BlueGreenDeploymentConfiguration{
			DeploymentReadyOption:                     &s.Ready,
			TerminateBlueInstancesOnDeploymentSuccess: &cdtypes.BlueInstanceTerminationOption{Action: cdtypes.InstanceActionTerminate, TerminationWaitTimeInMinutes: 5},
		},
		EcsServices: []cdtypes.ECSService{{ClusterName: aws.String(s.Cluster), ServiceName: aws.String(s.Service)}},
		LoadBalancerInfo: &cdtypes.LoadBalancerInfo{TargetGroupPairInfoList: []cdtypes.TargetGroupPairInfo{{
			TargetGroups:     []cdtypes.TargetGroupInfo{{Name: aws.String(s.TargetGroupNames[0])}, {Name: aws.String(s.TargetGroupNames[1])}},
			ProdTrafficRoute: &cdtypes.TrafficRoute{ListenerArns: []string{s.ProdListener}},
			TestTrafficRoute: &cdtypes.TrafficRoute{ListenerArns: []string{s.TestListener}},
		}}},
		AutoRollbackConfiguration: &cdtypes.AutoRollbackConfiguration{Enabled: true, Events: []cdtypes.AutoRollbackEvent{cdtypes.AutoRollbackEventDeploymentFailure, cdtypes.AutoRollbackEventDeploymentStopOnAlarm}},
	}
	if s.Alarm != "" {
		in.AlarmConfiguration = &cdtypes.AlarmConfiguration{Enabled: true, Alarms: []cdtypes.Alarm{{Name: aws.String(s.Alarm)}}}
	}
	_, err = cd.CreateDeploymentGroup(ctx, in)
	return err
}
