package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	fa "alba-digi/internal/fakeaws"
)

const (
	cluster    = "alba-digi-cluster"
	service    = "alba-digi-service"
	targetArn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-target-group/0123456789abcdef"
	image      = "public.ecr.aws/n0h7v2z5/alba-digi-api-rest"
	deployWait = 10 * time.Second
)

// account is a stateful local AWS whose time runs 300 times faster than the
// test's (a rollout of 90 AWS seconds takes a third of a second), and the
// clients that read it.
func account(t *testing.T) (*fa.Account, Clients) {
	t.Helper()
	isolate(t)
	a := fa.NewAccount(t)
	a.SetSpeed(300)
	t.Setenv("AWS_ENDPOINT_URL", a.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	c, err := Load(context.Background(), Settings{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := json.Marshal(fa.TargetGroup{Arn: targetArn, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 3, DeregistrationDelaySeconds: 30})
	resp, err := http.Post(a.URL+fa.StandinPath+"target-group", "application/json", bytes.NewReader(tg))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return a, c
}

// register registers a revision of the task definition that runs tag.
func register(t *testing.T, c Clients, tag string) string {
	t.Helper()
	out, err := c.ECS.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("alba-digi-task"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("alba-digi-api-rest"), Image: aws.String(image + ":" + tag), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(5050)}}, LogConfiguration: &ecstypes.LogConfiguration{
			LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/alba-digi", "awslogs-stream-prefix": "alba-digi"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// create creates the service as the provider does, running taskDef.
func create(t *testing.T, c Clients, taskDef string, desired int32) {
	t.Helper()
	_, err := c.ECS.CreateService(context.Background(), &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(service), TaskDefinition: aws.String(taskDef), DesiredCount: aws.Int32(desired),
		LaunchType: ecstypes.LaunchTypeFargate, HealthCheckGracePeriodSeconds: aws.Int32(30),
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(targetArn), ContainerName: aws.String("alba-digi-api-rest"), ContainerPort: aws.Int32(5050)}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(200),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func releaseOptions() ReleaseOptions {
	return ReleaseOptions{Wait: WaitOptions{Timeout: deployWait, Interval: 10 * time.Millisecond, AppearWithin: time.Second}}
}

func declared(taskDef string) Declared {
	return Declared{Cluster: cluster, Service: service, TaskDefinition: taskDef}
}

func mustObserve(t *testing.T, c Clients, taskDef string, want Action, summary ...string) Status {
	t.Helper()
	st, err := Observe(context.Background(), c, declared(taskDef))
	if err != nil {
		t.Fatal(err)
	}
	if st.Action != want {
		t.Errorf("Observe(%s) = %v (%s), want %v", revision(taskDef), st.Action, st.Summary, want)
	}
	for _, s := range summary {
		if !strings.Contains(st.Summary, s) {
			t.Errorf("Observe(%s) says %q, which lacks %q", revision(taskDef), st.Summary, s)
		}
	}
	return st
}

// TestConvergeAndRelease walks one service through what `pulumi up` meets,
// against a local AWS that takes AWS's time: it must never call a service
// converged that does not run the declared task definition, and must deploy
// that one when ECS runs another.
func TestConvergeAndRelease(t *testing.T) {
	a, c := account(t)
	ctx := context.Background()
	td1 := register(t, c, "v1")
	mustObserve(t, c, td1, Create)

	create(t, c, td1, 2)
	mustObserve(t, c, td1, Follow, "ECS is still deploying alba-digi-task:1")
	if err := Release(ctx, c, declared(td1), releaseOptions()); err != nil {
		t.Fatalf("first rollout: %v", err)
	}
	mustObserve(t, c, td1, Nothing, "ECS runs alba-digi-task:1 as its one deployment, 2 of 2 tasks running, 2 of 2 healthy")

	td2 := register(t, c, "v2")
	t.Run("a new task definition the update did not send: deployed, not passed for converged", func(t *testing.T) {
		mustObserve(t, c, td2, Deploy, "ECS runs alba-digi-task:1, not the declared alba-digi-task:2")
		before := a.DeploymentCount(service)
		if err := Release(ctx, c, declared(td2), releaseOptions()); err != nil {
			t.Fatal(err)
		}
		if !a.Converged(service, td2) || a.DeploymentCount(service) != before+1 {
			t.Errorf("converged on :2 %v, %d deployments, want one", a.Converged(service, td2), a.DeploymentCount(service)-before)
		}
	})

	t.Run("an image that does not exist: the first stopped task ends it, and after the rollback ECS's service names the old one", func(t *testing.T) {
		a.BreakImage(image+":v3", fa.Failure{StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: failed to resolve ref " + image + ":v3: not found"})
		td3 := register(t, c, "v3")
		err := Release(ctx, c, declared(td3), releaseOptions())
		var failed *Error
		if !errors.As(err, &failed) || !strings.Contains(err.Error(), "CannotPullContainerError") || !strings.Contains(err.Error(), "does not pass on its own") || !strings.Contains(err.Error(), "until its circuit breaker rolls it back") {
			t.Fatalf("Release = %v, want the diagnosis of the image, before the circuit breaker", err)
		}
		if td, _ := a.Running(service); td != td3 {
			t.Errorf("when the verdict came ECS had already rolled back to %s: it must come at the first stopped task", td)
		}
		if !a.WaitConverged(service, td2, 5*time.Second) {
			t.Fatal("ECS did not roll back")
		}
		mustObserve(t, c, td3, Deploy, "ECS runs alba-digi-task:2, not the declared alba-digi-task:3", "ROLLBACK_SUCCESSFUL")

		// The provider's retry of old: UpdateService with forceNewDeployment
		// and no task definition redeploys what ECS's service names, :2. The
		// release must still deploy :3.
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), ForceNewDeployment: true}); err != nil {
			t.Fatal(err)
		}
		a.FixImage(image + ":v3")
		if err := Release(ctx, c, declared(td3), releaseOptions()); err != nil {
			t.Fatal(err)
		}
		if !a.Converged(service, td3) {
			td, _ := a.Running(service)
			t.Errorf("after the release ECS runs %s, want %s", td, td3)
		}
	})

	t.Run("converged, not forced: no deployment; forced (redeploy): one", func(t *testing.T) {
		td := a.Newest("alba-digi-task")
		before := a.DeploymentCount(service)
		if err := Release(ctx, c, declared(td), releaseOptions()); err != nil || a.DeploymentCount(service) != before {
			t.Errorf("Release of a converged service = %v with %d deployments, want none", err, a.DeploymentCount(service)-before)
		}
		o := releaseOptions()
		o.Force = true
		if err := Release(ctx, c, declared(td), o); err != nil || a.DeploymentCount(service) != before+1 {
			t.Errorf("forced Release = %v with %d deployments, want one", err, a.DeploymentCount(service)-before)
		}
	})

	t.Run("the update's own deployment is followed, not started again", func(t *testing.T) {
		td := register(t, c, "v4")
		ids, err := DeploymentIDs(ctx, c, Target{Cluster: cluster, Service: service})
		if err != nil {
			t.Fatal(err)
		}
		before := a.DeploymentCount(service)
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: aws.String(td)}); err != nil {
			t.Fatal(err)
		}
		o := releaseOptions()
		o.Updated, o.Before = true, ids
		if err := Release(ctx, c, declared(td), o); err != nil || a.DeploymentCount(service) != before+1 || !a.Converged(service, td) {
			t.Errorf("Release = %v with %d deployments (converged %v), want the update's one", err, a.DeploymentCount(service)-before, a.Converged(service, td))
		}
	})

	t.Run("a deployment still in progress is followed to its end", func(t *testing.T) {
		td := register(t, c, "v5")
		if _, err := Start(ctx, c, declared(td)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // ECS shows a new deployment a moment later
		mustObserve(t, c, td, Follow, "ECS is still deploying alba-digi-task:")
		before := a.DeploymentCount(service)
		if err := Release(ctx, c, declared(td), releaseOptions()); err != nil || a.DeploymentCount(service) != before || !a.Converged(service, td) {
			t.Errorf("Release = %v with %d more deployments, want it to follow the one in progress", err, a.DeploymentCount(service)-before)
		}
	})

	t.Run("AWS refuses a read: fails at once, naming the permission and the identity", func(t *testing.T) {
		a.Inject("ListTasks", "AccessDeniedException", -1)
		defer a.Inject("ListTasks", "", 0)
		start := time.Now()
		o := releaseOptions()
		o.Wait.Timeout = time.Minute
		err := Release(ctx, c, declared(a.Newest("alba-digi-task")), o)
		var refused *Refused
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "ecs:ListTasks") || !strings.Contains(err.Error(), "arn:aws:iam::123456789012:user/engine-test") {
			t.Fatalf("Release = %v, want a *Refused naming ecs:ListTasks and the caller", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("refused after %s, want at once", d)
		}
	})

	t.Run("throttling passes", func(t *testing.T) {
		a.Inject("DescribeServices", "ThrottlingException", 4)
		if err := Release(ctx, c, declared(a.Newest("alba-digi-task")), releaseOptions()); err != nil {
			t.Errorf("Release through throttling = %v", err)
		}
	})

	t.Run("120 tasks: every list read to its last page", func(t *testing.T) {
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), DesiredCount: aws.Int32(120)}); err != nil {
			t.Fatal(err)
		}
		var healthy int
		o := releaseOptions()
		o.Wait.Healthy = &healthy
		if err := Release(ctx, c, declared(a.Newest("alba-digi-task")), o); err != nil || healthy != 120 {
			t.Errorf("Release at 120 tasks = %v with %d healthy, want 120", err, healthy)
		}
		mustObserve(t, c, a.Newest("alba-digi-task"), Nothing, "120 of 120 healthy")
	})
}

// TestLiveSettled: a service is settled when it converged on its family's
// latest revision; not while a newer revision is not out yet, nor after a
// rollback from it.
func TestLiveSettled(t *testing.T) {
	a, c := account(t)
	ctx := context.Background()
	ref := ServiceRef{Cluster: cluster, Service: service, Family: "alba-digi-task"}
	settled := func(want bool, when string) {
		t.Helper()
		live, err := Live(ctx, c, ref)
		if err != nil {
			t.Fatal(err)
		}
		if live == nil || live.Settled != want {
			t.Errorf("%s: settled %v, want %v", when, live != nil && live.Settled, want)
		}
	}
	if live, err := Live(ctx, c, ref); err != nil || live != nil {
		t.Fatalf("no service: %v, %v", live, err)
	}
	td1 := register(t, c, "v1")
	create(t, c, td1, 2)
	settled(false, "the first rollout under way")
	if err := Release(ctx, c, declared(td1), releaseOptions()); err != nil {
		t.Fatal(err)
	}
	settled(true, "converged on :1")
	td2 := register(t, c, "v2")
	settled(false, ":2 registered, ECS runs :1")
	a.BreakImage(image+":v2", fa.Failure{StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: not found"})
	_ = Release(ctx, c, declared(td2), releaseOptions())
	if !a.WaitConverged(service, td1, deployWait) {
		t.Fatal("ECS did not roll back to :1")
	}
	settled(false, "rolled back from :2")
	a.FixImage(image + ":v2")
	if err := Release(ctx, c, declared(td2), releaseOptions()); err != nil {
		t.Fatal(err)
	}
	settled(true, "converged on :2")
}
