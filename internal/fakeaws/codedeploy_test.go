package fakeaws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"alba-digi/internal/fakeaws"
)

const (
	cluster   = "alba-digi-cluster"
	service   = "alba-digi-service"
	container = "alba-digi-api-rest"
	image     = "public.ecr.aws/n0h7v2z5/alba-digi-api-rest"
	lbArn     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alba-digi-lb/0123456789abcdef"
	blueTG    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-blue/1111111111111111"
	greenTG   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-green/2222222222222222"
	app       = "alba-digi"
	group     = "alba-digi-release"
	alarmName = "alba-digi-5xx"
	// speed is how much faster than AWS the account's time runs: a
	// deployment of a quarter of an hour takes about a second and a half.
	speed = 600
)

// world is an account with the stack's release pieces, as the stand-in
// provider makes them: two target groups, a production and a test listener
// on the blue one, a CODE_DEPLOY service running :1, and a CodeDeploy
// application and deployment group with config.
type world struct {
	t                   *testing.T
	a                   *fakeaws.Account
	cd                  *codedeploy.Client
	ecs                 *ecs.Client
	elb                 *elb.Client
	cw                  *cloudwatch.Client
	prod, test, taskDef string
	speed               float64
}

func newWorld(t *testing.T, config string, speedUp float64) *world {
	t.Helper()
	a := fakeaws.NewAccount(t)
	a.SetSpeed(speedUp)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""), BaseEndpoint: aws.String(a.URL), RetryMaxAttempts: 1}
	w := &world{t: t, a: a, speed: speedUp, cd: codedeploy.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg)}
	ctx := context.Background()
	for _, arn := range []string{blueTG, greenTG} {
		body, _ := json.Marshal(fakeaws.TargetGroup{Arn: arn, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 2, DeregistrationDelaySeconds: 30})
		resp, err := http.Post(a.URL+fakeaws.StandinPath+"target-group", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, port := range []int32{80, 8080} {
		out, err := w.elb.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(lbArn), Port: aws.Int32(port), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(blueTG)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if port == 80 {
			w.prod = aws.ToString(out.Listeners[0].ListenerArn)
		} else {
			w.test = aws.ToString(out.Listeners[0].ListenerArn)
		}
	}
	w.taskDef = w.register("v1")
	err := fakeaws.CreateBlueGreenStack(ctx, w.ecs, w.cd, fakeaws.BlueGreenStack{
		Cluster: cluster, Service: service, Container: container, TaskDefinition: w.taskDef, BlueTargetGroup: blueTG,
		App: app, Group: group, Config: config, TargetGroupNames: [2]string{"alba-digi-blue", "alba-digi-green"},
		ProdListener: w.prod, TestListener: w.test,
		Ready: cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}, Alarm: alarmName,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.until("the first task set is steady", 10*time.Minute, func() bool { return a.Converged(service, w.taskDef) })
	return w
}

// register registers a revision of the task definition running tag.
func (w *world) register(tag string) string {
	w.t.Helper()
	out, err := w.ecs.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("alba-digi-task"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(container), Image: aws.String(image + ":" + tag), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(5050)}}}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// appSpec is the AppSpec the program sends, in YAML.
func appSpec(taskDef string) string {
	return fmt.Sprintf("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: %q\n        LoadBalancerInfo:\n          ContainerName: %q\n          ContainerPort: 5050\n", taskDef, container)
}

func (w *world) deploy(taskDef string) (string, error) {
	out, err := w.cd.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group), Description: aws.String("pulumi up"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appSpec(taskDef))}},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.DeploymentId), nil
}

func (w *world) mustDeploy(taskDef string) string {
	w.t.Helper()
	id, err := w.deploy(taskDef)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// until waits, in real time, for cond, at most aws of AWS's time.
func (w *world) until(what string, awsTime time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(time.Duration(float64(awsTime)/w.speed) + 5*time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("waited %s of AWS's time for %s", awsTime, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (w *world) info(id string) *cdtypes.DeploymentInfo {
	w.t.Helper()
	out, err := w.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.DeploymentInfo
}

func (w *world) target(id string) *cdtypes.ECSTarget {
	w.t.Helper()
	ctx := context.Background()
	ids, err := w.cd.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(ids.TargetIds) != 1 || ids.TargetIds[0] != cluster+":"+service {
		w.t.Fatalf("deployment %s targets %v, want [%s:%s]", id, ids.TargetIds, cluster, service)
	}
	out, err := w.cd.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: ids.TargetIds})
	if err != nil {
		w.t.Fatal(err)
	}
	if out.DeploymentTargets[0].DeploymentTargetType != cdtypes.DeploymentTargetTypeEcsTarget {
		w.t.Fatalf("target type %s", out.DeploymentTargets[0].DeploymentTargetType)
	}
	return out.DeploymentTargets[0].EcsTarget
}

// weights is the production listener's forward as DescribeListeners
// reports it: "green=10 blue=90", in ELB's order.
func (w *world) weights(listener string) string {
	w.t.Helper()
	out, err := w.elb.DescribeListeners(context.Background(), &elb.DescribeListenersInput{ListenerArns: []string{listener}})
	if err != nil {
		w.t.Fatal(err)
	}
	act := out.Listeners[0].DefaultActions[0]
	var parts []string
	for _, tg := range act.ForwardConfig.TargetGroups {
		parts = append(parts, fmt.Sprintf("%s=%d", name(aws.ToString(tg.TargetGroupArn)), aws.ToInt32(tg.Weight)))
	}
	if arn := aws.ToString(act.TargetGroupArn); arn != "" {
		parts = append(parts, "arn="+name(arn))
	}
	return strings.Join(parts, " ")
}

func name(tgArn string) string {
	return strings.TrimPrefix(strings.Split(tgArn, "/")[1], "alba-digi-")
}

func events(target *cdtypes.ECSTarget) string {
	var out []string
	for _, ev := range target.LifecycleEvents {
		out = append(out, aws.ToString(ev.LifecycleEventName)+":"+string(ev.Status))
	}
	return strings.Join(out, " ")
}

func (w *world) service() ecstypes.Service {
	w.t.Helper()
	out, err := w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Services[0]
}

// awsSeconds is how long an event took in AWS's time.
func (w *world) awsSeconds(ev cdtypes.LifecycleEvent) float64 {
	return ev.EndTime.Sub(*ev.StartTime).Seconds() * w.speed
}

func event(target *cdtypes.ECSTarget, name string) cdtypes.LifecycleEvent {
	for _, ev := range target.LifecycleEvents {
		if aws.ToString(ev.LifecycleEventName) == name {
			return ev
		}
	}
	return cdtypes.LifecycleEvent{}
}

func setUp(t *testing.T, config string, speedUp float64) *world {
	t.Helper()
	return newWorld(t, config, speedUp)
}

// TestCanaryRelease follows a canary release through its steps, reading
// what a program reads: CodeDeploy's deployment and target, the listeners,
// ECS's task sets, at every step consistent with each other.
func TestCanaryRelease(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSCanary10Percent5Minutes", speed)
	ctx := context.Background()
	if got := w.weights(w.prod); got != "blue=100 green=0" {
		t.Errorf("production listener once the canary group exists: %s, want blue=100 green=0 (the pair, the other at weight 0)", got)
	}
	if got := w.weights(w.test); got != "blue=1 arn=blue" {
		t.Errorf("test listener before any deployment: %s, want blue=1 arn=blue", got)
	}
	svc := w.service()
	if len(svc.Deployments) != 0 || len(svc.TaskSets) != 1 || aws.ToString(svc.TaskSets[0].Status) != "PRIMARY" || svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy {
		t.Fatalf("a CODE_DEPLOY service shows %d deployments and task sets %+v", len(svc.Deployments), svc.TaskSets)
	}
	if ts := svc.TaskSets[0]; ts.Scale.Value != 100 || ts.StabilityStatus != ecstypes.StabilityStatusSteadyState || aws.ToString(ts.LoadBalancers[0].TargetGroupArn) != blueTG || ts.ComputedDesiredCount != 2 || ts.RunningCount != 2 {
		t.Errorf("first task set: scale %v, %s, %s, computed %d, running %d", ts.Scale.Value, ts.StabilityStatus, aws.ToString(ts.LoadBalancers[0].TargetGroupArn), ts.ComputedDesiredCount, ts.RunningCount)
	}

	v2 := w.register("v2")
	id := w.mustDeploy(v2)
	if got := w.info(id).Status; got != cdtypes.DeploymentStatusCreated {
		t.Errorf("a new deployment is %s, want Created", got)
	}
	_, err := w.deploy(v2)
	var limit *cdtypes.DeploymentLimitExceededException
	if !errors.As(err, &limit) || !strings.Contains(err.Error(), "already has an active Deployment '"+id+"'") {
		t.Errorf("a second deployment while %s is active: %v, want DeploymentLimitExceededException naming it", id, err)
	}

	// Every state the production listener goes through, with what
	// CodeDeploy and ECS say at that moment.
	var seen []string
	var canary *cdtypes.ECSTarget
	var canaryTaskSets []ecstypes.TaskSet
	w.until("the deployment ends", time.Hour, func() bool {
		info := w.info(id)
		state := w.weights(w.prod)
		if len(seen) == 0 || seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
		if state == "blue=90 green=10" && canary == nil {
			canary, canaryTaskSets = w.target(id), w.service().TaskSets
		}
		return info.Status == cdtypes.DeploymentStatusSucceeded || info.Status == cdtypes.DeploymentStatusFailed
	})
	if want := "blue=100 green=0 | blue=90 green=10 | blue=0 green=100"; strings.Join(seen, " | ") != want {
		t.Errorf("production listener went %s, want %s", strings.Join(seen, " | "), want)
	}
	if canary == nil {
		t.Fatal("the 10 % step was never seen")
	}
	for _, ts := range canary.TaskSetsInfo {
		want := map[cdtypes.TargetLabel]float64{"Blue": 90, "Green": 10}[ts.TaskSetLabel]
		if ts.TrafficWeight != want {
			t.Errorf("during the canary, %s task set %s has weight %v, want %v", ts.TaskSetLabel, aws.ToString(ts.Identifer), ts.TrafficWeight, want)
		}
	}
	if len(canaryTaskSets) != 2 {
		t.Errorf("during the canary ECS runs %d task sets, want 2", len(canaryTaskSets))
	}
	for _, ts := range canaryTaskSets {
		if aws.ToString(ts.TaskDefinition) == v2 && (aws.ToString(ts.Status) != "ACTIVE" || aws.ToString(ts.ExternalId) != id || aws.ToString(ts.StartedBy) != "CODE_DEPLOY" || ts.Scale.Value != 100) {
			t.Errorf("replacement during the canary: %s, externalId %s, startedBy %s, scale %v", aws.ToString(ts.Status), aws.ToString(ts.ExternalId), aws.ToString(ts.StartedBy), ts.Scale.Value)
		}
	}
	if got := events(canary); !strings.Contains(got, "AllowTestTraffic:Succeeded AfterAllowTestTraffic:Succeeded BeforeAllowTraffic:Succeeded AllowTraffic:InProgress AfterAllowTraffic:Pending") {
		t.Errorf("lifecycle events during the canary: %s", got)
	}

	info := w.info(id)
	if info.Status != cdtypes.DeploymentStatusSucceeded || info.ErrorInformation != nil || info.Creator != cdtypes.DeploymentCreatorUser || aws.ToString(info.DeploymentConfigName) != "CodeDeployDefault.ECSCanary10Percent5Minutes" {
		t.Fatalf("deployment %s ended %s (%+v)", id, info.Status, info.ErrorInformation)
	}
	target := w.target(id)
	if got, want := events(target), "BeforeInstall:Succeeded Install:Succeeded AfterInstall:Succeeded AllowTestTraffic:Succeeded AfterAllowTestTraffic:Succeeded BeforeAllowTraffic:Succeeded AllowTraffic:Succeeded AfterAllowTraffic:Succeeded"; got != want {
		t.Errorf("lifecycle events %s, want %s", got, want)
	}
	// AWS's time: the canary step lasts its five minutes, and the
	// deployment ends after the five-minute termination wait.
	if s := w.awsSeconds(event(target, "AllowTraffic")); math.Abs(s-300) > 5 {
		t.Errorf("AllowTraffic took %.0f s of AWS time, want the canary's 300", s)
	}
	if s := info.CompleteTime.Sub(*event(target, "AfterAllowTraffic").EndTime).Seconds() * w.speed; math.Abs(s-300) > 5 {
		t.Errorf("the deployment ended %.0f s after traffic moved, want the 300 s termination wait", s)
	}
	if got := w.weights(w.test); got != "green=1 arn=green" {
		t.Errorf("test listener after the release: %s, want green=1 arn=green", got)
	}
	svc = w.service()
	if aws.ToString(svc.TaskDefinition) != v2 || aws.ToString(svc.LoadBalancers[0].TargetGroupArn) != greenTG {
		t.Errorf("service after the release: %s on %s, want %s on the green target group", aws.ToString(svc.TaskDefinition), aws.ToString(svc.LoadBalancers[0].TargetGroupArn), v2)
	}
	w.until("the original task set is gone", 10*time.Minute, func() bool { return w.a.Converged(service, v2) })

	// The replacement's tasks are the task set's (startedBy its id) and
	// healthy targets of the green target group.
	ts := w.service().TaskSets[0]
	tasks, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: ts.Id})
	if err != nil || len(tasks.TaskArns) != 2 {
		t.Fatalf("tasks started by %s: %v %v", aws.ToString(ts.Id), tasks, err)
	}
	health, err := w.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(greenTG)})
	if err != nil || len(health.TargetHealthDescriptions) != 2 {
		t.Fatalf("green target group after the release: %+v %v", health, err)
	}
	for _, th := range health.TargetHealthDescriptions {
		if th.TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy || aws.ToInt32(th.Target.Port) != 5050 {
			t.Errorf("green target %s:%d is %s (%s)", aws.ToString(th.Target.Id), aws.ToInt32(th.Target.Port), th.TargetHealth.State, th.TargetHealth.Reason)
		}
	}
	list, err := w.cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group), IncludeOnlyStatuses: []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusSucceeded}})
	if err != nil || len(list.Deployments) != 1 || list.Deployments[0] != id {
		t.Errorf("ListDeployments of Succeeded: %v %v, want [%s]", list, err, id)
	}
}

// TestLinearSteps: a linear config moves ten points a minute.
func TestLinearSteps(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", speed)
	id := w.mustDeploy(w.register("v2"))
	var seen []string
	w.until("the traffic moved", time.Hour, func() bool {
		state := w.weights(w.prod)
		if len(seen) == 0 || seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
		return state == "blue=0 green=100"
	})
	if len(seen) != 11 || seen[1] != "blue=90 green=10" || seen[5] != "blue=50 green=50" {
		t.Errorf("linear steps: %s", strings.Join(seen, " | "))
	}
	w.until("the deployment ends", time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusSucceeded })
	if s := w.awsSeconds(event(w.target(id), "AllowTraffic")); math.Abs(s-540) > 5 {
		t.Errorf("ten steps a minute apart took %.0f s of AWS time, want 540", s)
	}
}

// TestUnhealthyReplacementRollsBack: tasks that never pass the health
// checks keep Install waiting for CodeDeploy's 60 minutes; then the
// deployment fails and a rollback deployment drains the replacement, with
// production traffic on the original all along.
func TestUnhealthyReplacementRollsBack(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSCanary10Percent5Minutes", 4000)
	v2 := w.register("v2")
	w.a.BreakImage(image+":v2", fakeaws.Failure{Unhealthy: true})
	id := w.mustDeploy(v2)
	w.until("Install is under way", time.Hour, func() bool {
		return strings.Contains(events(w.target(id)), "Install:InProgress")
	})
	if got := w.weights(w.prod); got != "blue=100 green=0" {
		t.Errorf("production traffic during Install: %s", got)
	}
	w.until("the deployment fails", 2*time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusFailed })
	info := w.info(id)
	if info.ErrorInformation.Code != cdtypes.ErrorCodeTimeout || aws.ToString(info.ErrorInformation.Message) != "The deployment timed out while waiting for the replacement task set to become healthy. This time out period is 60 minutes." {
		t.Errorf("failure: %s %q", info.ErrorInformation.Code, aws.ToString(info.ErrorInformation.Message))
	}
	target := w.target(id)
	if got, want := events(target), "BeforeInstall:Succeeded Install:Failed AfterInstall:Skipped AllowTestTraffic:Skipped AfterAllowTestTraffic:Skipped BeforeAllowTraffic:Skipped AllowTraffic:Skipped AfterAllowTraffic:Skipped"; got != want {
		t.Errorf("lifecycle events %s, want %s", got, want)
	}
	if s := w.awsSeconds(event(target, "Install")); math.Abs(s-3600) > 5 {
		t.Errorf("Install waited %.0f s of AWS time, want 3600", s)
	}
	if info.RollbackInfo == nil {
		t.Fatal("the failed deployment names no rollback")
	}
	rb := aws.ToString(info.RollbackInfo.RollbackDeploymentId)
	if want := fmt.Sprintf("Deployment %s terminated. Automatic rollback is triggered with a DeploymentId %s.", id, rb); aws.ToString(info.RollbackInfo.RollbackMessage) != want {
		t.Errorf("rollback message %q, want %q", aws.ToString(info.RollbackInfo.RollbackMessage), want)
	}
	rollback := w.info(rb)
	if rollback.Creator != cdtypes.DeploymentCreatorCodeDeployRollback || aws.ToString(rollback.RollbackInfo.RollbackTriggeringDeploymentId) != id || aws.ToString(rollback.DeploymentConfigName) != "CodeDeployDefault.ECSAllAtOnce" {
		t.Errorf("rollback deployment %s: creator %s, triggered by %s, config %s", rb, rollback.Creator, aws.ToString(rollback.RollbackInfo.RollbackTriggeringDeploymentId), aws.ToString(rollback.DeploymentConfigName))
	}
	if got := w.weights(w.prod); got != "blue=100 green=0" {
		t.Errorf("production traffic after the rollback: %s", got)
	}
	w.until("the rollback ends", time.Hour, func() bool { return w.info(rb).Status == cdtypes.DeploymentStatusSucceeded })
	if !w.a.Converged(service, w.taskDef) {
		t.Errorf("after the rollback ECS runs %v", w.a.TaskSets(service))
	}
	if n := w.a.DeploymentCount(service); n != 1 {
		t.Errorf("DeploymentCount %d, want 1 (rollbacks are not counted)", n)
	}
}

// TestImageThatCannotBePulled: the same, for tasks that stop before they
// run, and their stopped tasks name the cause.
func TestImageThatCannotBePulled(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSAllAtOnce", 4000)
	v2 := w.register("v2")
	w.a.BreakImage(image+":v2", fakeaws.Failure{StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: " + image + ":v2: not found"})
	id := w.mustDeploy(v2)
	w.until("the deployment fails", 2*time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusFailed })
	ctx := context.Background()
	var replacement string
	for _, ts := range w.target(id).TaskSetsInfo {
		if ts.TaskSetLabel == cdtypes.TargetLabelGreen {
			replacement = aws.ToString(ts.Identifer)
		}
	}
	stopped, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(replacement), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(stopped.TaskArns) == 0 {
		t.Fatalf("stopped tasks of %s: %v %v", replacement, stopped, err)
	}
	tasks, err := w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: stopped.TaskArns[:1]})
	if err != nil || !strings.Contains(aws.ToString(tasks.Tasks[0].StoppedReason), "CannotPullContainerError") {
		t.Errorf("stopped task: %+v %v", tasks, err)
	}
}

// TestAllAtOnceChecksHealthOnlyAfterTraffic: with all at once, ELB checks
// the replacement only once traffic reaches it, so tasks that fail the
// checks pass Install and the deployment succeeds (CodeDeploy's
// troubleshooting page says so); the program must not take Succeeded for
// healthy.
func TestAllAtOnceChecksHealthOnlyAfterTraffic(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSAllAtOnce", speed)
	if got := w.weights(w.prod); got != "blue=1 arn=blue" {
		t.Errorf("an all-at-once group leaves the production listener alone: %s", got)
	}
	v2 := w.register("v2")
	w.a.BreakImage(image+":v2", fakeaws.Failure{Unhealthy: true})
	id := w.mustDeploy(v2)
	w.until("Install ended", time.Hour, func() bool { return strings.Contains(events(w.target(id)), "Install:Succeeded") })
	health, err := w.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(greenTG)})
	if err == nil && len(health.TargetHealthDescriptions) > 0 && health.TargetHealthDescriptions[0].TargetHealth.State == elbtypes.TargetHealthStateEnumUnused {
		if r := health.TargetHealthDescriptions[0].TargetHealth.Reason; r != elbtypes.TargetHealthReasonEnumNotInUse {
			t.Errorf("unused target's reason %s", r)
		}
	}
	w.until("the deployment ends", time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusSucceeded })
	if w.a.Converged(service, v2) {
		t.Error("replacement tasks that fail their health checks count as converged")
	}
}

// TestAlarmStopsTheCanary: an alarm of the group that fires during the
// canary step stops the deployment (ALARM_ACTIVE) within a poll, and the
// rollback puts all production traffic back on the original.
func TestAlarmStopsTheCanary(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSCanary10Percent5Minutes", speed)
	w.a.SetAlarm(alarmName, "OK")
	id := w.mustDeploy(w.register("v2"))
	w.until("the canary step", time.Hour, func() bool { return w.weights(w.prod) == "blue=90 green=10" })
	w.a.SetAlarm(alarmName, "ALARM")
	fired := time.Now()
	w.until("the deployment stops", time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusStopped })
	if s := time.Since(fired).Seconds() * speed; s > 30 {
		t.Errorf("stopped %.0f s of AWS time after the alarm, want within a poll (20 s)", s)
	}
	info := w.info(id)
	if want := "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <" + alarmName + ">"; info.ErrorInformation.Code != cdtypes.ErrorCodeAlarmActive || aws.ToString(info.ErrorInformation.Message) != want {
		t.Errorf("stopped with %s %q", info.ErrorInformation.Code, aws.ToString(info.ErrorInformation.Message))
	}
	if got := events(w.target(id)); !strings.HasSuffix(got, "AllowTraffic:Failed AfterAllowTraffic:Skipped") {
		t.Errorf("lifecycle events %s", got)
	}
	if got := w.weights(w.prod); got != "blue=100 green=0" {
		t.Errorf("production listener after the stop: %s", got)
	}
	if got := w.weights(w.test); got != "blue=1 arn=blue" {
		t.Errorf("test listener after the stop: %s", got)
	}
	alarms, err := w.cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarmName}})
	if err != nil || len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].StateValue != cwtypes.StateValueAlarm || !strings.HasPrefix(aws.ToString(alarms.MetricAlarms[0].StateReason), "Threshold Crossed") {
		t.Errorf("DescribeAlarms: %+v %v", alarms, err)
	}
	w.until("the rollback ends", time.Hour, func() bool { return w.a.Converged(service, w.taskDef) })
}

// TestStopDeployment: StopDeployment with rollback returns traffic to the
// original at once; the rollback deployment drains the replacement.
func TestStopDeployment(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSCanary10Percent5Minutes", speed)
	id := w.mustDeploy(w.register("v2"))
	w.until("the canary step", time.Hour, func() bool { return w.weights(w.prod) == "blue=90 green=10" })
	out, err := w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
	if err != nil || out.Status != cdtypes.StopStatusPending {
		t.Fatalf("StopDeployment: %+v %v", out, err)
	}
	w.until("the deployment stops", time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusStopped })
	info := w.info(id)
	if info.ErrorInformation.Code != cdtypes.ErrorCodeManualStop || info.RollbackInfo == nil {
		t.Errorf("stopped with %+v, rollback %+v", info.ErrorInformation, info.RollbackInfo)
	}
	if got := w.weights(w.prod); got != "blue=100 green=0" {
		t.Errorf("production listener after the stop: %s", got)
	}
	_, err = w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
	var done *cdtypes.DeploymentAlreadyCompletedException
	if !errors.As(err, &done) {
		t.Errorf("stopping a stopped deployment: %v", err)
	}
	w.until("the rollback ends", time.Hour, func() bool { return w.a.Converged(service, w.taskDef) })
}

// TestUpdateServiceUnderCodeDeploy: ECS refuses what only CodeDeploy may
// change, with its own messages, and scales task sets with the count.
func TestUpdateServiceUnderCodeDeploy(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSAllAtOnce", speed)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		in   ecs.UpdateServiceInput
		want string
	}{
		"task definition": {ecs.UpdateServiceInput{TaskDefinition: aws.String(w.register("v2"))}, "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."},
		"load balancers":  {ecs.UpdateServiceInput{LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(greenTG), ContainerName: aws.String(container), ContainerPort: aws.Int32(5050)}}}, "Unable to update load balancers on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."},
		"network":         {ecs.UpdateServiceInput{NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-2"}}}}, "Unable to update network parameters on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."},
		"force":           {ecs.UpdateServiceInput{ForceNewDeployment: true}, "Cannot force a new deployment on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."},
	} {
		in := tc.in
		in.Cluster, in.Service = aws.String(cluster), aws.String(service)
		_, err := w.ecs.UpdateService(ctx, &in)
		var invalid *ecstypes.InvalidParameterException
		if !errors.As(err, &invalid) || invalid.ErrorMessage() != tc.want {
			t.Errorf("%s: %v, want InvalidParameterException %q", name, err, tc.want)
		}
	}
	if _, err := w.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	w.until("three tasks", 10*time.Minute, func() bool {
		return w.a.Converged(service, w.taskDef) && len(w.a.TaskSets(service)) == 1 && w.a.TaskSets(service)[0].Running == 3
	})
	var apiErr smithy.APIError
	_, err := w.ecs.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: aws.String(cluster), Service: aws.String("nope")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ServiceNotFoundException" {
		t.Errorf("DescribeTaskSets of no service: %v", err)
	}
}

// TestListenerAfterASwap: what DescribeListeners reports once CodeDeploy
// moved production: a weighted forward with both target groups and no
// TargetGroupArn, which is what a refresh of the listener reads.
func TestListenerAfterASwap(t *testing.T) {
	w := setUp(t, "CodeDeployDefault.ECSAllAtOnce", speed)
	id := w.mustDeploy(w.register("v2"))
	w.until("the deployment ends", time.Hour, func() bool { return w.info(id).Status == cdtypes.DeploymentStatusSucceeded })
	out, err := w.elb.DescribeListeners(context.Background(), &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbArn)})
	if err != nil || len(out.Listeners) != 2 {
		t.Fatalf("DescribeListeners by load balancer: %+v %v", out, err)
	}
	prod := out.Listeners[0].DefaultActions[0]
	if prod.TargetGroupArn != nil || len(prod.ForwardConfig.TargetGroups) != 2 || w.weights(w.prod) != "blue=0 green=100" || aws.ToBool(prod.ForwardConfig.TargetGroupStickinessConfig.Enabled) {
		t.Errorf("production listener after the swap: %s (TargetGroupArn %v)", w.weights(w.prod), prod.TargetGroupArn)
	}
	_, err = w.elb.DescribeListeners(context.Background(), &elb.DescribeListenersInput{ListenerArns: []string{w.prod + "0"}})
	var missing *elbtypes.ListenerNotFoundException
	if !errors.As(err, &missing) {
		t.Errorf("DescribeListeners of no listener: %v", err)
	}
}
