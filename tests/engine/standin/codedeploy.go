package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"alba-digi/internal/mockaws"
)

// The release pieces of a blue/green stack as the real provider handles
// them, against the local AWS stand-in: pulumi-aws v6 bridges
// terraform-provider-aws v5, whose resources call AWS as this file does.
//   - aws_lb_listener (internal/service/elbv2/listener.go): CreateListener,
//     ModifyListener with what changed, DeleteListener; its read of the
//     default action after a forward (flattenLbForwardActionOneOf) keeps the
//     shape the configuration or the state has: a forward block when it has
//     one, else target_group_arn = the action's TargetGroupArn, which is
//     empty once CodeDeploy made the forward weighted. A refresh reads
//     the listener as CodeDeploy left it.
//   - aws_codedeploy_app (internal/service/codedeploy/app.go): id
//     "<applicationId>:<name>"; a new name is UpdateApplication,
//     compute_platform forces a new application.
//   - aws_codedeploy_deployment_config: no update; every argument forces a
//     new config. id is the name.
//   - aws_codedeploy_deployment_group: id is the deployment group id;
//     app_name forces a new group, the rest is UpdateDeploymentGroup.

const (
	listenerType         = "aws:lb/listener:Listener"
	applicationType      = "aws:codedeploy/application:Application"
	deploymentConfigType = "aws:codedeploy/deploymentConfig:DeploymentConfig"
	deploymentGroupType  = "aws:codedeploy/deploymentGroup:DeploymentGroup"
)

// forceNew are the properties whose change replaces a CodeDeploy resource
// (the Terraform schemas' ForceNew).
var forceNew = map[string]map[string]bool{
	applicationType:      {"computePlatform": true},
	deploymentConfigType: {"deploymentConfigName": true, "computePlatform": true, "trafficRoutingConfig": true, "minimumHealthyHosts": true, "zonalConfig": true},
	deploymentGroupType:  {"appName": true},
}

func (p *server) awsConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithRegion(p.mocks.Region))
}

// checkApplication names an application the program left unnamed, as the
// provider auto-names it (name plus seven random characters, kept on update).
func checkApplication(urn string, olds, news resource.PropertyMap) {
	if str(news, "name") != "" {
		return
	}
	if n := str(olds, "name"); n != "" {
		news["name"] = resource.NewStringProperty(n)
		return
	}
	name := mockaws.URNName(urn)
	sum := sha256.Sum256([]byte(name))
	news["name"] = resource.NewStringProperty(name + "-" + hex.EncodeToString(sum[:])[:7])
}

// createRelease creates a listener or a CodeDeploy resource in the account
// and returns its id; handled is false for other types.
func (p *server) createRelease(ctx context.Context, typ string, out resource.PropertyMap) (id string, handled bool, err error) {
	switch typ {
	case listenerType:
		id, err = p.createListener(ctx, out)
	case applicationType:
		id, err = p.createApplication(ctx, out)
	case deploymentConfigType:
		id, err = p.createDeploymentConfig(ctx, out)
	case deploymentGroupType:
		id, err = p.createDeploymentGroup(ctx, out)
	default:
		return "", false, nil
	}
	return id, true, err
}

// updateRelease updates a listener or a CodeDeploy resource; false for
// other types.
func (p *server) updateRelease(ctx context.Context, typ string, olds, news resource.PropertyMap) (bool, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return true, err
	}
	changed := func(k resource.PropertyKey) bool { return !value(olds, k).DeepEquals(value(news, k)) }
	switch typ {
	case listenerType:
		in := &elb.ModifyListenerInput{ListenerArn: aws.String(str(olds, "arn"))}
		if changed("port") {
			in.Port = aws.Int32(int32(number(news, "port")))
		}
		if changed("protocol") {
			in.Protocol = elbtypes.ProtocolEnum(str(news, "protocol"))
		}
		if changed("sslPolicy") {
			in.SslPolicy = optional(str(news, "sslPolicy"))
		}
		if changed("certificateArn") {
			in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(str(news, "certificateArn"))}}
		}
		if changed("defaultActions") {
			in.DefaultActions = listenerActions(news)
		}
		if _, err := elb.NewFromConfig(cfg).ModifyListener(ctx, in); err != nil {
			return true, fmt.Errorf("modifying ELBv2 Listener (%s): %w", str(olds, "arn"), err)
		}
		news["arn"] = olds["arn"]
		_, err = p.readListener(ctx, news, news)
		return true, err
	case applicationType:
		if changed("name") {
			_, err := codedeploy.NewFromConfig(cfg).UpdateApplication(ctx, &codedeploy.UpdateApplicationInput{ApplicationName: aws.String(str(olds, "name")), NewApplicationName: aws.String(str(news, "name"))})
			if err != nil {
				return true, fmt.Errorf("updating CodeDeploy Application (%s) name: %w", str(olds, "name"), err)
			}
		}
		p.applicationOutputs(news, str(olds, "applicationId"))
		return true, nil
	case deploymentGroupType:
		in := groupInput(news)
		_, err := codedeploy.NewFromConfig(cfg).UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{
			ApplicationName: in.ApplicationName, CurrentDeploymentGroupName: aws.String(str(olds, "deploymentGroupName")), NewDeploymentGroupName: in.DeploymentGroupName,
			DeploymentConfigName: in.DeploymentConfigName, ServiceRoleArn: in.ServiceRoleArn, DeploymentStyle: in.DeploymentStyle,
			BlueGreenDeploymentConfiguration: in.BlueGreenDeploymentConfiguration, EcsServices: in.EcsServices, LoadBalancerInfo: in.LoadBalancerInfo,
			AutoRollbackConfiguration: in.AutoRollbackConfiguration, AlarmConfiguration: in.AlarmConfiguration,
		})
		if err != nil {
			return true, fmt.Errorf("updating CodeDeploy deployment group (%s): %w", str(olds, "deploymentGroupName"), err)
		}
		for _, k := range []resource.PropertyKey{"arn", "deploymentGroupId", "computePlatform"} {
			news[k] = olds[k]
		}
		return true, nil
	}
	return false, nil
}

// deleteRelease deletes a listener or a CodeDeploy resource; false for
// other types.
func (p *server) deleteRelease(ctx context.Context, typ string, props resource.PropertyMap) (bool, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return true, err
	}
	cd := codedeploy.NewFromConfig(cfg)
	switch typ {
	case listenerType:
		_, err = elb.NewFromConfig(cfg).DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(str(props, "arn"))})
		var missing *elbtypes.ListenerNotFoundException
		if errors.As(err, &missing) {
			err = nil
		}
	case applicationType:
		_, err = cd.DeleteApplication(ctx, &codedeploy.DeleteApplicationInput{ApplicationName: aws.String(str(props, "name"))})
	case deploymentConfigType:
		_, err = cd.DeleteDeploymentConfig(ctx, &codedeploy.DeleteDeploymentConfigInput{DeploymentConfigName: aws.String(str(props, "deploymentConfigName"))})
	case deploymentGroupType:
		_, err = cd.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String(str(props, "appName")), DeploymentGroupName: aws.String(str(props, "deploymentGroupName"))})
	default:
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("deleting %s: %w", typ, err)
	}
	return true, nil
}

func (p *server) createListener(ctx context.Context, out resource.PropertyMap) (string, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return "", err
	}
	protocol := str(out, "protocol")
	if protocol == "" {
		protocol = "HTTP" // the provider's default for an Application Load Balancer
	}
	in := &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(str(out, "loadBalancerArn")), Port: aws.Int32(int32(number(out, "port"))),
		Protocol: elbtypes.ProtocolEnum(protocol), SslPolicy: optional(str(out, "sslPolicy")), DefaultActions: listenerActions(out),
	}
	if c := str(out, "certificateArn"); c != "" {
		in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(c)}}
	}
	got, err := elb.NewFromConfig(cfg).CreateListener(ctx, in)
	if err != nil {
		return "", fmt.Errorf("creating ELBv2 Listener (%s): %w", str(out, "loadBalancerArn"), err)
	}
	arn := aws.ToString(got.Listeners[0].ListenerArn)
	out["arn"] = resource.NewStringProperty(arn)
	_, err = p.readListener(ctx, out, out)
	return arn, err
}

// listenerActions are the default actions of the listener's inputs, as the
// provider's expandLbListenerActions sends them.
func listenerActions(m resource.PropertyMap) []elbtypes.Action {
	var out []elbtypes.Action
	for _, v := range list(m, "defaultActions") {
		if !v.IsObject() {
			continue
		}
		o := v.ObjectValue()
		act := elbtypes.Action{Type: elbtypes.ActionTypeEnum(str(o, "type")), TargetGroupArn: optional(str(o, "targetGroupArn"))}
		if n := number(o, "order"); n > 0 {
			act.Order = aws.Int32(int32(n))
		}
		if f := object(o, "forward"); f != nil {
			fc := &elbtypes.ForwardActionConfig{}
			for _, tg := range list(f, "targetGroups") {
				if tg.IsObject() {
					weight := int32(1)
					if w := value(tg.ObjectValue(), "weight"); w.IsNumber() {
						weight = int32(w.NumberValue())
					}
					fc.TargetGroups = append(fc.TargetGroups, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(str(tg.ObjectValue(), "arn")), Weight: aws.Int32(weight)})
				}
			}
			if st := object(f, "stickiness"); st != nil {
				fc.TargetGroupStickinessConfig = &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(flag(st, "enabled"))}
			}
			act.ForwardConfig = fc
		}
		if r := object(o, "redirect"); r != nil {
			act.RedirectConfig = &elbtypes.RedirectActionConfig{
				StatusCode: elbtypes.RedirectActionStatusCodeEnum(str(r, "statusCode")), Protocol: optional(str(r, "protocol")),
				Port: optional(str(r, "port")), Host: optional(str(r, "host")), Path: optional(str(r, "path")), Query: optional(str(r, "query")),
			}
		}
		if r := object(o, "fixedResponse"); r != nil {
			act.FixedResponseConfig = &elbtypes.FixedResponseActionConfig{StatusCode: aws.String(str(r, "statusCode")), ContentType: optional(str(r, "contentType")), MessageBody: optional(str(r, "messageBody"))}
		}
		out = append(out, act)
	}
	return out
}

// readListener reads the listener into out as resourceListenerRead does;
// shape is the configuration or state whose default actions decide, for
// each forward, between a forward block and target_group_arn. False when
// the listener is gone.
func (p *server) readListener(ctx context.Context, out, shape resource.PropertyMap) (bool, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return false, err
	}
	got, err := elb.NewFromConfig(cfg).DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{str(out, "arn")}})
	var missing *elbtypes.ListenerNotFoundException
	if errors.As(err, &missing) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describing ELBv2 Listener (%s): %w", str(out, "arn"), err)
	}
	l := got.Listeners[0]
	out["port"] = resource.NewNumberProperty(float64(aws.ToInt32(l.Port)))
	out["protocol"] = resource.NewStringProperty(string(l.Protocol))
	if len(l.Certificates) > 0 {
		out["certificateArn"] = resource.NewStringProperty(aws.ToString(l.Certificates[0].CertificateArn))
	}
	previous := list(shape, "defaultActions")
	var actions []resource.PropertyValue
	for i, act := range l.DefaultActions {
		m := resource.PropertyMap{"type": resource.NewStringProperty(string(act.Type))}
		if act.Order != nil {
			m["order"] = resource.NewNumberProperty(float64(aws.ToInt32(act.Order)))
		}
		if i < len(previous) && previous[i].IsObject() {
			for _, k := range []resource.PropertyKey{"redirect", "fixedResponse"} {
				if v, ok := previous[i].ObjectValue()[k]; ok {
					m[k] = v // kept as declared: only forwards move under CodeDeploy
				}
			}
		}
		if act.Type == elbtypes.ActionTypeEnumForward {
			hasForward := i < len(previous) && previous[i].IsObject() && object(previous[i].ObjectValue(), "forward") != nil
			if hasForward {
				var tgs []resource.PropertyValue
				for _, tg := range act.ForwardConfig.TargetGroups {
					tgs = append(tgs, resource.NewObjectProperty(resource.PropertyMap{
						"arn": resource.NewStringProperty(aws.ToString(tg.TargetGroupArn)), "weight": resource.NewNumberProperty(float64(aws.ToInt32(tg.Weight))),
					}))
				}
				m["forward"] = resource.NewObjectProperty(resource.PropertyMap{
					"targetGroups": resource.NewArrayProperty(tgs),
					"stickiness":   resource.NewObjectProperty(resource.PropertyMap{"enabled": resource.NewBoolProperty(aws.ToBool(act.ForwardConfig.TargetGroupStickinessConfig.Enabled)), "duration": resource.NewNumberProperty(0)}),
				})
			} else {
				m["targetGroupArn"] = resource.NewStringProperty(aws.ToString(act.TargetGroupArn))
			}
		}
		actions = append(actions, resource.NewObjectProperty(m))
	}
	out["defaultActions"] = resource.NewArrayProperty(actions)
	return true, nil
}

func (p *server) applicationOutputs(out resource.PropertyMap, id string) string {
	name := str(out, "name")
	out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:codedeploy:%s:%s:application:%s", p.mocks.Region, mockaws.Account, name))
	out["applicationId"] = resource.NewStringProperty(id)
	if str(out, "computePlatform") == "" {
		out["computePlatform"] = resource.NewStringProperty("Server")
	}
	out["linkedToGithub"], out["githubAccountName"] = resource.NewBoolProperty(false), resource.NewStringProperty("")
	return id + ":" + name
}

func (p *server) createApplication(ctx context.Context, out resource.PropertyMap) (string, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return "", err
	}
	platform := str(out, "computePlatform")
	if platform == "" {
		platform = "Server"
	}
	got, err := codedeploy.NewFromConfig(cfg).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(str(out, "name")), ComputePlatform: cdtypes.ComputePlatform(platform)})
	if err != nil {
		return "", fmt.Errorf("creating CodeDeploy Application (%s): %w", str(out, "name"), err)
	}
	return p.applicationOutputs(out, aws.ToString(got.ApplicationId)), nil
}

func (p *server) createDeploymentConfig(ctx context.Context, out resource.PropertyMap) (string, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return "", err
	}
	name := str(out, "deploymentConfigName")
	in := &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String(name), ComputePlatform: cdtypes.ComputePlatform(str(out, "computePlatform"))}
	if trc := object(out, "trafficRoutingConfig"); trc != nil {
		in.TrafficRoutingConfig = &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingType(str(trc, "type"))}
		if c := object(trc, "timeBasedCanary"); c != nil {
			in.TrafficRoutingConfig.TimeBasedCanary = &cdtypes.TimeBasedCanary{CanaryInterval: int32(number(c, "interval")), CanaryPercentage: int32(number(c, "percentage"))}
		}
		if l := object(trc, "timeBasedLinear"); l != nil {
			in.TrafficRoutingConfig.TimeBasedLinear = &cdtypes.TimeBasedLinear{LinearInterval: int32(number(l, "interval")), LinearPercentage: int32(number(l, "percentage"))}
		}
	}
	got, err := codedeploy.NewFromConfig(cfg).CreateDeploymentConfig(ctx, in)
	if err != nil {
		return "", fmt.Errorf("creating CodeDeploy Deployment Config (%s): %w", name, err)
	}
	out["deploymentConfigId"] = resource.NewStringProperty(aws.ToString(got.DeploymentConfigId))
	out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentconfig:%s", p.mocks.Region, mockaws.Account, name))
	return name, nil
}

// groupInput is the CreateDeploymentGroup input of the group's inputs, as
// resourceDeploymentGroupCreate builds it.
func groupInput(m resource.PropertyMap) *codedeploy.CreateDeploymentGroupInput {
	in := &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String(str(m, "appName")), DeploymentGroupName: aws.String(str(m, "deploymentGroupName")),
		ServiceRoleArn: aws.String(str(m, "serviceRoleArn")), DeploymentConfigName: aws.String(str(m, "deploymentConfigName")),
	}
	if str(m, "deploymentConfigName") == "" {
		in.DeploymentConfigName = aws.String("CodeDeployDefault.OneAtATime") // the schema's default
	}
	if s := object(m, "deploymentStyle"); s != nil {
		in.DeploymentStyle = &cdtypes.DeploymentStyle{DeploymentType: cdtypes.DeploymentType(str(s, "deploymentType")), DeploymentOption: cdtypes.DeploymentOption(str(s, "deploymentOption"))}
	}
	if bg := object(m, "blueGreenDeploymentConfig"); bg != nil {
		in.BlueGreenDeploymentConfiguration = &cdtypes.BlueGreenDeploymentConfiguration{}
		if r := object(bg, "deploymentReadyOption"); r != nil {
			in.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyAction(str(r, "actionOnTimeout")), WaitTimeInMinutes: int32(number(r, "waitTimeInMinutes"))}
		}
		if t := object(bg, "terminateBlueInstancesOnDeploymentSuccess"); t != nil {
			in.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess = &cdtypes.BlueInstanceTerminationOption{Action: cdtypes.InstanceAction(str(t, "action")), TerminationWaitTimeInMinutes: int32(number(t, "terminationWaitTimeInMinutes"))}
		}
	}
	if s := object(m, "ecsService"); s != nil {
		in.EcsServices = []cdtypes.ECSService{{ClusterName: aws.String(str(s, "clusterName")), ServiceName: aws.String(str(s, "serviceName"))}}
	}
	if lbi := object(m, "loadBalancerInfo"); lbi != nil {
		if pair := object(lbi, "targetGroupPairInfo"); pair != nil {
			info := cdtypes.TargetGroupPairInfo{}
			for _, tg := range list(pair, "targetGroups") {
				if tg.IsObject() {
					info.TargetGroups = append(info.TargetGroups, cdtypes.TargetGroupInfo{Name: aws.String(str(tg.ObjectValue(), "name"))})
				}
			}
			if r := object(pair, "prodTrafficRoute"); r != nil {
				info.ProdTrafficRoute = &cdtypes.TrafficRoute{ListenerArns: stringList(r, "listenerArns")}
			}
			if r := object(pair, "testTrafficRoute"); r != nil {
				info.TestTrafficRoute = &cdtypes.TrafficRoute{ListenerArns: stringList(r, "listenerArns")}
			}
			in.LoadBalancerInfo = &cdtypes.LoadBalancerInfo{TargetGroupPairInfoList: []cdtypes.TargetGroupPairInfo{info}}
		}
	}
	if ar := object(m, "autoRollbackConfiguration"); ar != nil {
		in.AutoRollbackConfiguration = &cdtypes.AutoRollbackConfiguration{Enabled: flag(ar, "enabled")}
		for _, e := range stringList(ar, "events") {
			in.AutoRollbackConfiguration.Events = append(in.AutoRollbackConfiguration.Events, cdtypes.AutoRollbackEvent(e))
		}
	}
	if ac := object(m, "alarmConfiguration"); ac != nil {
		in.AlarmConfiguration = &cdtypes.AlarmConfiguration{Enabled: flag(ac, "enabled"), IgnorePollAlarmFailure: flag(ac, "ignorePollAlarmFailure")}
		for _, a := range stringList(ac, "alarms") {
			in.AlarmConfiguration.Alarms = append(in.AlarmConfiguration.Alarms, cdtypes.Alarm{Name: aws.String(a)})
		}
	}
	return in
}

func (p *server) createDeploymentGroup(ctx context.Context, out resource.PropertyMap) (string, error) {
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return "", err
	}
	got, err := codedeploy.NewFromConfig(cfg).CreateDeploymentGroup(ctx, groupInput(out))
	if err != nil {
		return "", fmt.Errorf("creating CodeDeploy deployment group (%s): %w", str(out, "deploymentGroupName"), err)
	}
	id := aws.ToString(got.DeploymentGroupId)
	out["deploymentGroupId"] = resource.NewStringProperty(id)
	out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", p.mocks.Region, mockaws.Account, str(out, "appName"), str(out, "deploymentGroupName")))
	out["computePlatform"] = resource.NewStringProperty("ECS")
	if str(out, "deploymentConfigName") == "" {
		out["deploymentConfigName"] = resource.NewStringProperty("CodeDeployDefault.OneAtATime")
	}
	return id, nil
}

// deploymentController is the controller type of a service's inputs.
func deploymentController(m resource.PropertyMap) string {
	if dc := object(m, "deploymentController"); dc != nil {
		return str(dc, "type")
	}
	return ""
}

// refreshListener reads a listener for `pulumi refresh`: the state's
// shape decides how each forward reads back (flattenLbForwardActionOneOf),
// and the inputs follow the state, as the provider's read does.
func (p *server) refreshListener(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	state := props.Copy()
	exists, err := p.readListener(ctx, props, state)
	if err != nil {
		return nil, err
	}
	if !exists {
		return &pulumirpc.ReadResponse{}, nil
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	for _, k := range []resource.PropertyKey{"defaultActions", "port", "protocol", "certificateArn"} {
		if _, ok := inputs[k]; ok || k == "defaultActions" {
			inputs[k] = props[k]
		}
	}
	outProps, err := marshal(props)
	if err != nil {
		return nil, err
	}
	outInputs, err := marshal(inputs)
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: outProps, Inputs: outInputs}, err
}
