package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"alba-digi/internal/diff"
	"alba-digi/internal/fakeaws"
)

// The ECS resources as the real provider handles them: pulumi-aws v6 bridges
// terraform-provider-aws v5, whose aws_ecs_task_definition and
// aws_ecs_service call ECS as this file does, against the local AWS
// stand-in (AWS_ENDPOINT_URL). What it copies, from
// internal/service/ecs/service.go of terraform-provider-aws v5:
//   - resourceServiceUpdate: no UpdateService when only tags (or
//     force_delete) change; otherwise UpdateService with ForceNewDeployment set
//     to the current value of force_new_deployment on every such update, and
//     only the fields that changed (a task definition only when it changed),
//     then a read of the service into the state;
//   - resourceServiceRead: the state's task_definition, desired_count,
//     launch_type, capacity_provider_strategy and network_configuration are
//     what DescribeServices reports (after a rollback, the task definition
//     rolled back to);
//   - triggersCustomizeDiff: a change of triggers is cleared from the plan
//     (no update) unless force_new_deployment is true, and so is the removal
//     of every trigger;
//   - capacityProviderStrategyCustomizeDiff: a change of
//     capacity_provider_strategy forces a new service unless
//     force_new_deployment is true and neither the old nor the new strategy is
//     empty; launch_type forces a new service (ForceNew, Optional+Computed: left
//     unset, it keeps the state's value);
//   - resourceServiceDelete: DeleteService, then a wait until the service is
//     INACTIVE.
// A task definition is immutable: every change registers a new revision (a
// replacement), and a delete deregisters it.

const (
	callerIdentityToken = "aws:index/getCallerIdentity:getCallerIdentity"
	taskDefinitionType  = "aws:ecs/taskDefinition:TaskDefinition"
	serviceType         = "aws:ecs/service:Service"
	targetGroupType     = "aws:lb/targetGroup:TargetGroup"
)

// callerIdentity asks STS who the provider is, as the real provider's
// aws.getCallerIdentity does.
func (p *server) callerIdentity(ctx context.Context) (*pulumirpc.InvokeResponse, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(p.mocks.Region))
	if err != nil {
		return nil, err
	}
	got, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	ret, err := marshal(resource.PropertyMap{
		"accountId": resource.NewStringProperty(aws.ToString(got.Account)), "arn": resource.NewStringProperty(aws.ToString(got.Arn)),
		"userId": resource.NewStringProperty(aws.ToString(got.UserId)), "id": resource.NewStringProperty(aws.ToString(got.Account)),
	})
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

func (p *server) ecsClient(ctx context.Context) (*ecs.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(p.mocks.Region))
	if err != nil {
		return nil, err
	}
	return ecs.NewFromConfig(cfg), nil
}

// registerTaskDefinition registers a revision of the task definition whose
// outputs are out, and sets its ARN and revision.
func (p *server) registerTaskDefinition(ctx context.Context, out resource.PropertyMap) error {
	c, err := p.ecsClient(ctx)
	if err != nil {
		return err
	}
	var containers []ecstypes.ContainerDefinition
	if err := json.Unmarshal([]byte(str(out, "containerDefinitions")), &containers); err != nil {
		return fmt.Errorf("containerDefinitions: %w", err)
	}
	got, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(str(out, "family")), ContainerDefinitions: containers,
		Cpu: aws.String(str(out, "cpu")), Memory: aws.String(str(out, "memory")), NetworkMode: ecstypes.NetworkMode(str(out, "networkMode")),
		ExecutionRoleArn: optional(str(out, "executionRoleArn")), TaskRoleArn: optional(str(out, "taskRoleArn")),
	})
	if err != nil {
		return fmt.Errorf("registering ECS Task Definition (%s): %w", str(out, "family"), err)
	}
	out["arn"] = resource.NewStringProperty(aws.ToString(got.TaskDefinition.TaskDefinitionArn))
	out["revision"] = resource.NewNumberProperty(float64(got.TaskDefinition.Revision))
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// createService creates the service as resourceServiceCreate does, then reads
// it into out.
func (p *server) createService(ctx context.Context, out resource.PropertyMap) (string, error) {
	c, err := p.ecsClient(ctx)
	if err != nil {
		return "", err
	}
	in := &ecs.CreateServiceInput{
		Cluster: aws.String(str(out, "cluster")), ServiceName: aws.String(str(out, "name")),
		TaskDefinition: optional(str(out, "taskDefinition")), DesiredCount: aws.Int32(int32(number(out, "desiredCount"))),
		LaunchType: ecstypes.LaunchType(str(out, "launchType")), PlatformVersion: optional(str(out, "platformVersion")),
		CapacityProviderStrategy: strategy(out), NetworkConfiguration: network(out), LoadBalancers: loadBalancers(out),
		DeploymentConfiguration:       deploymentConfiguration(out),
		HealthCheckGracePeriodSeconds: aws.Int32(int32(number(out, "healthCheckGracePeriodSeconds"))),
	}
	if c := deploymentController(out); c != "" {
		in.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerType(c)}
	}
	got, err := c.CreateService(ctx, in)
	if err != nil {
		return "", fmt.Errorf("creating ECS Service (%s): %w", str(out, "name"), err)
	}
	arn := aws.ToString(got.Service.ServiceArn)
	out["arn"] = resource.NewStringProperty(arn)
	_, err = p.readService(ctx, c, out)
	return arn, err
}

// updateService updates the service as resourceServiceUpdate does.
func (p *server) updateService(ctx context.Context, olds, oldInputs, news resource.PropertyMap) error {
	c, err := p.ecsClient(ctx)
	if err != nil {
		return err
	}
	changed := func(k resource.PropertyKey) bool { return !olds[k].DeepEquals(news[k]) }
	update := false
	for k := range keysOf(oldInputs, news) {
		if k != "tags" && k != "tagsAll" && k != "forceDelete" && k != "triggers" && !(k == "launchType" && str(news, "launchType") == "") && changed(k) {
			update = true
		}
	}
	if changed("triggers") && flag(news, "forceNewDeployment") {
		update = true
	}
	if update {
		in := &ecs.UpdateServiceInput{
			Cluster: aws.String(str(news, "cluster")), Service: aws.String(str(olds, "arn")),
			ForceNewDeployment: flag(news, "forceNewDeployment"),
		}
		if changed("desiredCount") {
			in.DesiredCount = aws.Int32(int32(number(news, "desiredCount")))
		}
		if changed("capacityProviderStrategies") {
			in.CapacityProviderStrategy = strategy(news)
		}
		if changed("deploymentCircuitBreaker") || changed("deploymentMinimumHealthyPercent") || changed("deploymentMaximumPercent") || changed("alarms") {
			in.DeploymentConfiguration = deploymentConfiguration(news)
		}
		if changed("healthCheckGracePeriodSeconds") {
			in.HealthCheckGracePeriodSeconds = aws.Int32(int32(number(news, "healthCheckGracePeriodSeconds")))
		}
		if changed("loadBalancers") {
			in.LoadBalancers = loadBalancers(news)
		}
		if changed("networkConfiguration") {
			in.NetworkConfiguration = network(news)
		}
		if changed("platformVersion") {
			in.PlatformVersion = optional(str(news, "platformVersion"))
		}
		if changed("taskDefinition") {
			in.TaskDefinition = optional(str(news, "taskDefinition"))
		}
		if _, err := c.UpdateService(ctx, in); err != nil {
			return fmt.Errorf("updating ECS Service (%s): %w", str(olds, "arn"), err)
		}
	}
	news["arn"] = olds["arn"]
	_, err = p.readService(ctx, c, news)
	return err
}

// readService reads what ECS reports into out (resourceServiceRead): false
// when the service is gone.
func (p *server) readService(ctx context.Context, c *ecs.Client, out resource.PropertyMap) (bool, error) {
	got, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(str(out, "cluster")), Services: []string{str(out, "name")}})
	if err != nil {
		return false, fmt.Errorf("reading ECS Service (%s): %w", str(out, "name"), err)
	}
	if len(got.Services) == 0 || aws.ToString(got.Services[0].Status) == "INACTIVE" {
		return false, nil
	}
	s := got.Services[0]
	out["taskDefinition"] = resource.NewStringProperty(aws.ToString(s.TaskDefinition))
	out["desiredCount"] = resource.NewNumberProperty(float64(s.DesiredCount))
	out["launchType"] = resource.NewStringProperty(string(s.LaunchType))
	var strategy []resource.PropertyValue
	for _, item := range s.CapacityProviderStrategy {
		strategy = append(strategy, resource.NewObjectProperty(resource.PropertyMap{
			"capacityProvider": resource.NewStringProperty(aws.ToString(item.CapacityProvider)),
			"base":             resource.NewNumberProperty(float64(item.Base)),
			"weight":           resource.NewNumberProperty(float64(item.Weight)),
		}))
	}
	if len(strategy) > 0 {
		out["capacityProviderStrategies"] = resource.NewArrayProperty(strategy)
	} else {
		delete(out, "capacityProviderStrategies")
	}
	if n := s.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		v := n.AwsvpcConfiguration
		strs := func(list []string) resource.PropertyValue {
			var out []resource.PropertyValue
			for _, e := range list {
				out = append(out, resource.NewStringProperty(e))
			}
			return resource.NewArrayProperty(out)
		}
		out["networkConfiguration"] = resource.NewObjectProperty(resource.PropertyMap{
			"subnets": strs(v.Subnets), "securityGroups": strs(v.SecurityGroups),
			"assignPublicIp": resource.NewBoolProperty(v.AssignPublicIp == ecstypes.AssignPublicIpEnabled),
		})
	}
	// load_balancer as ECS reports it: under CodeDeploy, the PRIMARY task
	// set's target group.
	var lbs []resource.PropertyValue
	for _, lb := range s.LoadBalancers {
		lbs = append(lbs, resource.NewObjectProperty(resource.PropertyMap{
			"targetGroupArn": resource.NewStringProperty(aws.ToString(lb.TargetGroupArn)), "containerName": resource.NewStringProperty(aws.ToString(lb.ContainerName)),
			"containerPort": resource.NewNumberProperty(float64(aws.ToInt32(lb.ContainerPort))),
		}))
	}
	if len(lbs) > 0 {
		out["loadBalancers"] = resource.NewArrayProperty(lbs)
	}
	return true, nil
}

// deleteService deletes the service and waits until ECS shows it INACTIVE.
func (p *server) deleteService(ctx context.Context, props resource.PropertyMap) error {
	c, err := p.ecsClient(ctx)
	if err != nil {
		return err
	}
	_, err = c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(str(props, "cluster")), Service: aws.String(str(props, "name")), Force: aws.Bool(flag(props, "forceDelete"))})
	var missing *ecstypes.ServiceNotFoundException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("deleting ECS Service (%s): %w", str(props, "name"), err)
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		exists, err := p.readService(ctx, c, props.Copy())
		if err != nil {
			return err
		}
		if !exists {
			return nil
		}
	}
	return fmt.Errorf("waiting for ECS Service (%s) delete: timeout", str(props, "name"))
}

// serviceDiff is the provider's plan for a service: olds is the state
// (outputs), news the new inputs.
func serviceDiff(olds, oldInputs, news resource.PropertyMap, ignore []string) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	force := flag(news, "forceNewDeployment")
	for k := range keysOf(oldInputs, news) {
		if slices.Contains(ignore, string(k)) || olds[k].DeepEquals(news[k]) {
			continue
		}
		switch k {
		case "triggers":
			if !force || (len(object(olds, k)) > 0 && len(object(news, k)) == 0) {
				continue // triggersCustomizeDiff clears it
			}
		case "launchType":
			if str(news, "launchType") == "" {
				continue // Optional+Computed: unset keeps the state's value
			}
		case "forceNewDeployment":
			if flag(olds, k) == flag(news, k) {
				continue
			}
		case "capacityProviderStrategies":
			if sameStrategy(olds, news) {
				continue
			}
		case "arn", "id", "tagsAll", "urn":
			continue
		}
		resp.Diffs = append(resp.Diffs, string(k))
		replaces := diff.Replaces(serviceType, string(k))
		if k == "capacityProviderStrategies" {
			replaces = !force || len(list(olds, k)) == 0 || len(list(news, k)) == 0
		}
		if replaces {
			resp.Replaces = append(resp.Replaces, string(k))
		}
	}
	slices.Sort(resp.Diffs)
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.DeleteBeforeReplace = false
	}
	return resp
}

// tellTargetGroup gives the local AWS stand-in a target group's health check.
func (p *server) tellTargetGroup(out resource.PropertyMap) error {
	hc := object(out, "healthCheck")
	tg := fakeaws.TargetGroup{
		Arn: str(out, "arn"), IntervalSeconds: int(number(hc, "interval")),
		HealthyThreshold: int(number(hc, "healthyThreshold")), UnhealthyThreshold: int(number(hc, "unhealthyThreshold")),
		DeregistrationDelaySeconds: int(number(out, "deregistrationDelay")),
	}
	_, err := p.post("target-group", tg)
	return err
}

// sameStrategy compares two capacity provider strategies as the provider's
// schema does: a set (order does not count) whose base and weight are 0 when
// unset, as the state reads them back (terraform-provider-aws aws_ecs_service,
// capacity_provider_strategy: TypeSet of base, capacity_provider, weight).
func sameStrategy(a, b resource.PropertyMap) bool {
	key := func(m resource.PropertyMap) []string {
		var out []string
		for _, i := range strategy(m) {
			out = append(out, fmt.Sprintf("%s/%d/%d", aws.ToString(i.CapacityProvider), i.Base, i.Weight))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

func strategy(m resource.PropertyMap) []ecstypes.CapacityProviderStrategyItem {
	var out []ecstypes.CapacityProviderStrategyItem
	for _, v := range list(m, "capacityProviderStrategies") {
		if !v.IsObject() {
			continue
		}
		o := v.ObjectValue()
		out = append(out, ecstypes.CapacityProviderStrategyItem{CapacityProvider: aws.String(str(o, "capacityProvider")), Base: int32(number(o, "base")), Weight: int32(number(o, "weight"))})
	}
	return out
}

func network(m resource.PropertyMap) *ecstypes.NetworkConfiguration {
	n := object(m, "networkConfiguration")
	if n == nil {
		return nil
	}
	public := ecstypes.AssignPublicIpDisabled
	if flag(n, "assignPublicIp") {
		public = ecstypes.AssignPublicIpEnabled
	}
	return &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets: stringList(n, "subnets"), SecurityGroups: stringList(n, "securityGroups"), AssignPublicIp: public,
	}}
}

func loadBalancers(m resource.PropertyMap) []ecstypes.LoadBalancer {
	var out []ecstypes.LoadBalancer
	for _, v := range list(m, "loadBalancers") {
		if !v.IsObject() {
			continue
		}
		o := v.ObjectValue()
		out = append(out, ecstypes.LoadBalancer{TargetGroupArn: aws.String(str(o, "targetGroupArn")), ContainerName: aws.String(str(o, "containerName")), ContainerPort: aws.Int32(int32(number(o, "containerPort")))})
	}
	return out
}

func deploymentConfiguration(m resource.PropertyMap) *ecstypes.DeploymentConfiguration {
	dc := &ecstypes.DeploymentConfiguration{
		MinimumHealthyPercent: aws.Int32(int32(number(m, "deploymentMinimumHealthyPercent"))),
		MaximumPercent:        aws.Int32(int32(number(m, "deploymentMaximumPercent"))),
	}
	if cb := object(m, "deploymentCircuitBreaker"); cb != nil {
		dc.DeploymentCircuitBreaker = &ecstypes.DeploymentCircuitBreaker{Enable: flag(cb, "enable"), Rollback: flag(cb, "rollback")}
	}
	if al := object(m, "alarms"); al != nil {
		dc.Alarms = &ecstypes.DeploymentAlarms{AlarmNames: stringList(al, "alarmNames"), Enable: flag(al, "enable"), Rollback: flag(al, "rollback")}
	}
	return dc
}

func keysOf(ms ...resource.PropertyMap) map[resource.PropertyKey]bool {
	out := map[resource.PropertyKey]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

func value(m resource.PropertyMap, k resource.PropertyKey) resource.PropertyValue {
	v, ok := m[k]
	if !ok {
		return resource.NewNullProperty()
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsOutput() {
		v = v.OutputValue().Element
	}
	return v
}

func flag(m resource.PropertyMap, k resource.PropertyKey) bool {
	v := value(m, k)
	return v.IsBool() && v.BoolValue()
}

func number(m resource.PropertyMap, k resource.PropertyKey) float64 {
	if v := value(m, k); v.IsNumber() {
		return v.NumberValue()
	}
	return 0
}

func object(m resource.PropertyMap, k resource.PropertyKey) resource.PropertyMap {
	if v := value(m, k); v.IsObject() {
		return v.ObjectValue()
	}
	return nil
}

func list(m resource.PropertyMap, k resource.PropertyKey) []resource.PropertyValue {
	if v := value(m, k); v.IsArray() {
		return v.ArrayValue()
	}
	return nil
}

func stringList(m resource.PropertyMap, k resource.PropertyKey) []string {
	var out []string
	for _, v := range list(m, k) {
		if v.IsString() {
			out = append(out, v.StringValue())
		}
	}
	return out
}
