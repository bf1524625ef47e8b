package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	fa "alba-digi/internal/fakeaws"
)

const (
	greenArn     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-target-green/fedcba9876543210"
	lbArn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alba-digi-load-balancer/0123456789abcdef"
	cdApp        = "alba-digi-app"
	cdGroup      = "alba-digi-deployment-group"
	releaseAlarm = "alba-digi.target-5xx"
)

// cdWorld is a CODE_DEPLOY service as the stack declares it: two target
// groups, the production listener and the test listener on the first, and
// a deployment group whose releases stop at Ready until `pulumi up` lets
// them go on (STOP_DEPLOYMENT), watching the deployment alarm.
type cdWorld struct {
	t          *testing.T
	a          *fa.Account
	c          Clients
	prod, test string
	td1        string
	// progress is what the release told the CLI.
	mu       sync.Mutex
	progress []string
}

func newCDWorld(t *testing.T, config string) *cdWorld {
	t.Helper()
	a, c := account(t)
	ctx := context.Background()
	setTargetGroup(t, a, fa.TargetGroup{Arn: greenArn, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 3, DeregistrationDelaySeconds: 30})
	w := &cdWorld{t: t, a: a, c: c}
	for _, port := range []int32{80, 9000} {
		out, err := c.ELB.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(lbArn), Port: aws.Int32(port), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(targetArn)}},
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
	w.td1 = register(t, c, "v1")
	err := fa.CreateBlueGreenStack(ctx, c.ECS, c.CodeDeploy, fa.BlueGreenStack{
		Cluster: cluster, Service: service, Container: "alba-digi-api-rest", TaskDefinition: w.td1, BlueTargetGroup: targetArn, SecurityGroups: []string{"sg-1"},
		App: cdApp, Group: cdGroup, Config: config, TargetGroupNames: [2]string{"alba-digi-target-group", "alba-digi-target-green"},
		ProdListener: w.prod, TestListener: w.test,
		Ready: cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionStopDeployment, WaitTimeInMinutes: 30}, Alarm: releaseAlarm,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.SetAlarm(releaseAlarm, "OK")
	// The first task set, as the service's after-create hook waits for it.
	if err := Release(ctx, c, w.declared(w.td1), w.options()); err != nil {
		t.Fatalf("first task set: %v", err)
	}
	return w
}

func (w *cdWorld) declared(taskDef string) Declared {
	return Declared{
		Cluster: cluster, Service: service, TaskDefinition: taskDef,
		Launch: &Launch{Subnets: []string{"subnet-0a1b2c3d4e5f60001"}, SecurityGroups: []string{"sg-1"}, AssignPublicIP: true, PlatformVersion: "LATEST"},
		CodeDeploy: &CodeDeploy{Application: cdApp, DeploymentGroup: cdGroup, ContainerName: "alba-digi-api-rest", ContainerPort: 5050,
			ProductionListeners: []string{w.prod}},
	}
}

func (w *cdWorld) options() ReleaseOptions {
	return ReleaseOptions{Wait: WaitOptions{Timeout: deployWait, Interval: 10 * time.Millisecond, ProgressEvery: time.Nanosecond, Progress: func(s string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.progress = append(w.progress, s)
	}}}
}

// startDeployment starts a deployment of taskDef as someone else would.
func (w *cdWorld) startDeployment(taskDef string) *codedeploy.CreateDeploymentOutput {
	w.t.Helper()
	out, err := w.c.CodeDeploy.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(cdApp), DeploymentGroupName: aws.String(cdGroup),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appSpec(w.declared(taskDef)))}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *cdWorld) said(part string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.progress {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

// weights is the production listener's share per target group.
func (w *cdWorld) weights() map[string]int {
	out := map[string]int{}
	for _, tw := range w.a.Listener(w.prod) {
		out[tw.TargetGroupArn] = tw.Weight
	}
	return out
}

// users counts the deployments users created (not CodeDeploy's rollbacks).
func (w *cdWorld) users() int {
	n := 0
	for _, d := range w.a.CodeDeployments(service) {
		if d.Creator == "user" {
			n++
		}
	}
	return n
}

func (w *cdWorld) until(what string, within time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func observeCD(t *testing.T, w *cdWorld, taskDef string, want Action, summary ...string) {
	t.Helper()
	st, err := Observe(context.Background(), w.c, w.declared(taskDef))
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
}

// TestCodeDeployRelease walks a canary release through what `pulumi up`
// meets: it must end only when the declared revision serves all production
// traffic, and fail with the cause, traffic back on the previous revision,
// when the release cannot succeed.
func TestCodeDeployRelease(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// act runs the release of v2 (and what the user or AWS does during it).
		act  func(t *testing.T, w *cdWorld, td2 string) error
		want []string
		// served is the revision that must serve all traffic afterwards:
		// "v2" or "v1".
		served string
		// users is the count of user deployments the release may create.
		users int
		// shifts are the new revision's shares of production traffic the
		// release went through (nil: not checked).
		shifts []int
	}{
		{
			name: "a canary release: the test listener first, then 10 % for 5 minutes, then all",
			act: func(t *testing.T, w *cdWorld, td2 string) error {
				return Release(ctx, w.c, w.declared(td2), w.options())
			},
			served: "v2", users: 1, shifts: []int{10, 100},
		},
		{
			name: "tasks that fail their health checks: stopped at the circuit breaker's count, rolled back",
			act: func(t *testing.T, w *cdWorld, td2 string) error {
				w.a.BreakImage(image+":v2", fa.Failure{Unhealthy: true})
				err := Release(ctx, w.c, w.declared(td2), w.options())
				if got := w.weights()[targetArn]; got != 100 {
					t.Errorf("the previous revision gets %d %% of production traffic after the stop, want 100", got)
				}
				return err
			},
			want: []string{" tasks of the new task set stopped (the last, ", "Task failed ELB health checks", "ECS's circuit breaker fails a rolling deployment of 2 tasks",
				"Automatic rollback is triggered", "all production traffic is on the previous task set"},
			served: "v1", users: 1,
		},
		{
			name: "an image that cannot be pulled: stopped at the first stopped task, with its reason",
			act: func(t *testing.T, w *cdWorld, td2 string) error {
				w.a.BreakImage(image+":v2", fa.Failure{StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref " + image + ":v2: not found"})
				return Release(ctx, w.c, w.declared(td2), w.options())
			},
			want:   []string{"of the new task set stopped", "CannotPullContainerError", "`pulumi up` stopped the deployment"},
			served: "v1", users: 1,
		},
		{
			name: "the deployment alarm fires during the canary step: CodeDeploy stops and rolls back",
			act: func(t *testing.T, w *cdWorld, td2 string) error {
				done := make(chan error, 1)
				go func() { done <- Release(ctx, w.c, w.declared(td2), w.options()) }()
				w.until("the canary step", 5*time.Second, func() bool { return w.weights()[greenArn] == 10 })
				w.a.SetAlarm(releaseAlarm, "ALARM")
				err := <-done
				w.a.SetAlarm(releaseAlarm, "OK")
				return err
			},
			want:   []string{"ALARM_ACTIVE", releaseAlarm, "an alarm the deployment group watches tripped"},
			served: "v1", users: 1,
		},
		{
			name: "Ctrl-C during the release, then up again: the same deployment is followed, not duplicated",
			act: func(t *testing.T, w *cdWorld, td2 string) error {
				cctx, cancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- Release(cctx, w.c, w.declared(td2), w.options()) }()
				w.until("the canary step", 5*time.Second, func() bool { return w.weights()[greenArn] == 10 })
				cancel()
				err := <-done
				var interrupted *Interrupted
				if !errors.As(err, &interrupted) || !strings.Contains(err.Error(), "CodeDeploy goes on with it") {
					t.Errorf("interrupted release: %v, want an *Interrupted saying CodeDeploy goes on", err)
				}
				observeCD(t, w, td2, Follow, "CodeDeploy is still releasing alba-digi-task:2")
				return Release(ctx, w.c, w.declared(td2), w.options())
			},
			served: "v2", users: 1,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newCDWorld(t, "CodeDeployDefault.ECSCanary10Percent5Minutes")
			observeCD(t, w, w.td1, Nothing, "ECS runs alba-digi-task:1 as the service's one task set, 2 of 2 tasks healthy, all production traffic")
			before := w.users()
			td2 := register(t, w.c, "v2")
			observeCD(t, w, td2, Deploy, "not the declared alba-digi-task:2")
			err := tt.act(t, w, td2)
			switch {
			case len(tt.want) == 0 && err != nil:
				t.Fatalf("release: %v", err)
			case len(tt.want) > 0 && err == nil:
				t.Fatalf("release succeeded, want it to fail with %q", tt.want)
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("the error lacks %q:\n%v", part, err)
				}
			}
			if tt.shifts != nil {
				all := w.a.CodeDeployments(service)
				if got := all[len(all)-1].Shifts; !slices.Equal(got, tt.shifts) {
					t.Errorf("production traffic went %v, want %v", got, tt.shifts)
				}
			}
			if got := w.users() - before; got != tt.users {
				t.Errorf("%d CodeDeploy deployments created, want %d", got, tt.users)
			}
			served := map[string]string{"v1": w.td1, "v2": td2}[tt.served]
			wantTG := targetArn
			if tt.served == "v2" {
				wantTG = greenArn
				observeCD(t, w, td2, Nothing, "all production traffic")
				if !w.said("healthy on the test listener (2 of 2 tasks): CodeDeploy moves production traffic") {
					t.Errorf("the release never said it moved traffic after the test listener: %q", w.progress)
				}
			} else {
				// CodeDeploy's rollback ends when the new tasks drained.
				w.until("the rollback", 5*time.Second, func() bool { return w.a.Converged(service, served) })
				observeCD(t, w, td2, Deploy, "ECS serves alba-digi-task:1, not the declared alba-digi-task:2")
			}
			if got := w.weights()[wantTG]; got != 100 {
				t.Errorf("production listener: %v, want all traffic on %s", w.weights(), wantTG)
			}
			// Up again with nothing changed: nothing to do, no deployment.
			if tt.served == "v2" {
				again := w.users()
				if err := Release(ctx, w.c, w.declared(td2), w.options()); err != nil {
					t.Errorf("a second release with no change: %v", err)
				}
				if w.users() != again {
					t.Errorf("a second release with no change created a deployment")
				}
			}
		})
	}
}

// TestCodeDeployReleaseStopsAnotherRevision: a release of another revision
// under way (an up of an older commit, a console deployment) is stopped,
// traffic going back, before the declared revision is released; CodeDeploy
// runs one deployment per group at a time.
func TestCodeDeployReleaseStopsAnotherRevision(t *testing.T) {
	ctx := context.Background()
	w := newCDWorld(t, "CodeDeployDefault.ECSCanary10Percent5Minutes")
	td2, td3 := register(t, w.c, "v2"), register(t, w.c, "v3")
	out := w.startDeployment(td2)
	observeCD(t, w, td3, Deploy, "CodeDeploy is releasing alba-digi-task:2 (deployment "+aws.ToString(out.DeploymentId))
	if err := Release(ctx, w.c, w.declared(td3), w.options()); err != nil {
		t.Fatalf("release of :3: %v", err)
	}
	if !w.said("stopping CodeDeploy deployment " + aws.ToString(out.DeploymentId)) {
		t.Errorf("the release did not say it stopped %s: %q", aws.ToString(out.DeploymentId), w.progress)
	}
	observeCD(t, w, td3, Nothing)
}

// TestCodeDeployReleaseWaitsForARollback: a rollback CodeDeploy runs (here
// of a release someone stopped once its task set existed) is waited for, not
// stopped half-way; then the declared revision is released.
func TestCodeDeployReleaseWaitsForARollback(t *testing.T) {
	ctx := context.Background()
	w := newCDWorld(t, "CodeDeployDefault.ECSCanary10Percent5Minutes")
	td2, td3 := register(t, w.c, "v2"), register(t, w.c, "v3")
	out := w.startDeployment(td2)
	w.until("the replacement task set of :2", deployWait, func() bool {
		info, err := getDeployment(ctx, w.c, aws.ToString(out.DeploymentId))
		return err == nil && info.Status == cdtypes.DeploymentStatusReady
	})
	if _, err := w.c.CodeDeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: out.DeploymentId, AutoRollbackEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	var rollback string
	w.until("CodeDeploy's rollback of :2", deployWait, func() bool {
		for _, d := range w.a.CodeDeployments(service) {
			if d.Creator == "codeDeployRollback" && d.Status == "InProgress" {
				rollback = d.ID
			}
		}
		return rollback != ""
	})
	if err := Release(ctx, w.c, w.declared(td3), w.options()); err != nil {
		t.Fatalf("release of :3: %v", err)
	}
	if !w.said("waiting for CodeDeploy deployment "+rollback+" to end (a rollback)") || w.said("stopping CodeDeploy deployment "+rollback) {
		var said []string
		for _, p := range w.progress {
			if strings.Contains(p, "CodeDeploy deployment") {
				said = append(said, p)
			}
		}
		t.Errorf("the release did not wait for the rollback %s: %q", rollback, said)
	}
	for _, d := range w.a.CodeDeployments(service) {
		if d.ID == rollback && d.Status != "Succeeded" {
			t.Errorf("the rollback ended %s, want Succeeded (never stopped)", d.Status)
		}
	}
	observeCD(t, w, td3, Nothing)
}

// TestReleaseWaitsForTheTestListener: an all-at-once release would move
// production traffic to tasks not yet healthy (CodeDeploy checks their
// targets only once traffic reaches them); the Ready gate keeps it on the
// previous revision until they are, and stops the release, traffic
// unmoved, when they are not within the timeout.
func TestReleaseWaitsForTheTestListener(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// healthyAfter is how long the new tasks take to pass their checks.
		healthyThreshold int
		timeout          time.Duration
		want             []string
	}{
		{"healthy in time: released", 2, deployWait, nil},
		{"not healthy within the timeout: stopped, no traffic moved", 10, 2 * time.Second, // 10 AWS minutes; healthy after 10 checks of 5 minutes
			[]string{"was not healthy on the test listener within 2s", "stopped CodeDeploy deployment", "before any production traffic moved", "production traffic stayed on the previous task set"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newCDWorld(t, "CodeDeployDefault.ECSAllAtOnce")
			setTargetGroup(t, w.a, fa.TargetGroup{Arn: greenArn, IntervalSeconds: 300, HealthyThreshold: tt.healthyThreshold, UnhealthyThreshold: 3, DeregistrationDelaySeconds: 30})
			if len(tt.want) == 0 {
				setTargetGroup(t, w.a, fa.TargetGroup{Arn: greenArn, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 3, DeregistrationDelaySeconds: 30})
			}
			td2 := register(t, w.c, "v2")
			o := w.options()
			o.Wait.Timeout = tt.timeout
			err := Release(ctx, w.c, w.declared(td2), o)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("release: %v", err)
				}
				if got := w.weights()[greenArn]; got != 100 {
					t.Errorf("production listener %v, want all on the new target group", w.weights())
				}
				return
			}
			if err == nil {
				t.Fatal("release succeeded")
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("the error lacks %q:\n%v", part, err)
				}
			}
			if got := w.weights()[targetArn]; got != 100 {
				t.Errorf("production listener %v: the new revision got traffic before it was healthy", w.weights())
			}
		})
	}
}

// setTargetGroup tells the account a target group's health check.
func setTargetGroup(t *testing.T, a *fa.Account, tg fa.TargetGroup) {
	t.Helper()
	body, _ := json.Marshal(tg)
	resp, err := http.Post(a.URL+fa.StandinPath+"target-group", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestCodeDeployReleaseThroughAWSErrors: throttled reads of CodeDeploy are
// retried and the release goes on; a refused CreateDeployment fails the
// release at once, naming the permission, with nothing started.
func TestCodeDeployReleaseThroughAWSErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("throttled ListDeployments and GetDeployment", func(t *testing.T) {
		w := newCDWorld(t, "CodeDeployDefault.ECSAllAtOnce")
		td2 := register(t, w.c, "v2")
		w.a.Inject("ListDeployments", "ThrottlingException", 3)
		w.a.Inject("GetDeployment", "ThrottlingException", 5)
		if err := Release(ctx, w.c, w.declared(td2), w.options()); err != nil {
			t.Fatalf("release through throttling: %v", err)
		}
		if n := w.a.Calls("GetDeployment"); n <= 5 {
			t.Errorf("GetDeployment answered %d times, want the 5 throttled ones and more", n)
		}
		observeCD(t, w, td2, Nothing)
	})
	t.Run("CreateDeployment refused", func(t *testing.T) {
		w := newCDWorld(t, "CodeDeployDefault.ECSAllAtOnce")
		td2 := register(t, w.c, "v2")
		w.a.Inject("CreateDeployment", "AccessDeniedException", -1)
		start := time.Now()
		err := Release(ctx, w.c, w.declared(td2), w.options())
		var refused *Refused
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "codedeploy:CreateDeployment") {
			t.Fatalf("Release = %v, want a *Refused naming codedeploy:CreateDeployment", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("refused after %s, want at once", d)
		}
		if n := w.users(); n != 0 {
			t.Errorf("%d deployments started, want none", n)
		}
	})
}
