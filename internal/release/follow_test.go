package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	fa "alba-digi/internal/fakeaws"
)

// TestWaitFollowsItsOwnDeployment covers what a check by task definition,
// or by any healthy target, gets wrong: each scenario would pass or fail
// falsely if the wait did not follow the update's own deployment, by id, with
// its own tasks' targets and the count ECS wants now.
func TestWaitFollowsItsOwnDeployment(t *testing.T) {
	const oldDep, newDep, rollbackDep = "ecs-svc/1111", "ecs-svc/2222", "ecs-svc/3333"
	healthy := func(ips ...string) string {
		var b strings.Builder
		for _, ip := range ips {
			b.WriteString(fa.Target(ip, "healthy", "", ""))
		}
		return b.String()
	}
	tests := []struct {
		name         string
		setup        func(f *fa.Server)
		before       []string
		noDeployment bool
		cancelAfter  time.Duration
		// wantHealthy > 0: Wait succeeds with that many healthy targets;
		// else its error must contain want.
		wantHealthy int
		want        []string
	}{
		{
			name:   "rollback to the same task definition fails",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{
					fa.Service(2, []fa.Deployment{
						{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2},
						{ID: oldDep, Status: "ACTIVE", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2},
					}),
					fa.Service(2, []fa.Deployment{
						{ID: rollbackDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2},
						{ID: newDep, Status: "ACTIVE", TaskDef: fa.TaskDef2, Rollout: "FAILED", Reason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1111.", Failed: 3},
					}),
				}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20")}
				f.Running = fa.RunningTasks(rollbackDep, "10.0.1.10", "10.0.2.20")
			},
			want: []string{"deployment ecs-svc/2222 of alba-digi-task:2 failed", "rolled back to deployment ecs-svc/3333 of the same alba-digi-task:2"},
		},
		{
			name:   "the first read already shows the rollback: the update's deployment is the older new one",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{
					{ID: rollbackDep, Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2, CreatedAt: 20},
					{ID: newDep, Status: "ACTIVE", TaskDef: fa.TaskDef2, Rollout: "FAILED", Reason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1111.", Failed: 3, CreatedAt: 10},
				})}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20")}
				f.Running = fa.RunningTasks(rollbackDep, "10.0.1.10", "10.0.2.20")
			},
			want: []string{"deployment ecs-svc/2222 of alba-digi-task:2 failed", "rolled back to alba-digi-task:1"},
		},
		{
			name:   "a deployment not yet visible is waited for",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{
					fa.Service(2, []fa.Deployment{{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}}),
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2}}),
				}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20")}
				f.Running = fa.RunningTasks(newDep, "10.0.1.10", "10.0.2.20")
			},
			wantHealthy: 2,
		},
		{
			name:   "throttled reads are read again",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Throttle = map[string]int{"DescribeServices": 2, "DescribeTargetHealth": 1}
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20")}
				f.Running = fa.RunningTasks(newDep, "10.0.1.10", "10.0.2.20")
			},
			wantHealthy: 2,
		},
		{
			name:   "throttled until the deadline: the last error is named",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Throttle = map[string]int{"DescribeServices": 1 << 30}
			},
			want: []string{"the rollout did not finish within", "the last read of AWS failed", "ThrottlingException"},
		},
		{
			name:   "the old tasks' healthy targets do not count for the new deployment",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{
					{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2},
				})}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20") + fa.Target("10.0.3.30", "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")}
				f.Running = append(fa.RunningTasks(oldDep, "10.0.1.10", "10.0.2.20"), fa.RunningTasks(newDep, "10.0.3.30")...)
			},
			want: []string{"the rollout did not finish within"},
		},
		{
			name:   "desired count raised during the rollout: the wait wants the new count",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2}}),
					fa.Service(4, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 4, Running: 2}}),
					fa.Service(4, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 4, Running: 4}}),
				}
				// The first read sees 2 of 2, the rest 4 of 4: done only at 4.
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20"), healthy("10.0.1.10", "10.0.2.20"), healthy("10.0.1.10", "10.0.2.20", "10.0.1.11", "10.0.2.21")}
				f.Running = fa.RunningTasks(newDep, "10.0.1.10", "10.0.2.20", "10.0.1.11", "10.0.2.21")
				f.Throttle = map[string]int{"DescribeTargetHealth": 1} // the first read (2 of 2) fails, so the 2-task answer is never enough
			},
			wantHealthy: 4,
		},
		{
			name:         "a desiredCount-only change: a steady service at the new count",
			noDeployment: true,
			before:       []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{
					fa.Service(3, []fa.Deployment{{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 3, Running: 2}}),
					fa.Service(3, []fa.Deployment{{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 3, Running: 3}}),
				}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20", "10.0.3.30")}
				f.Running = fa.RunningTasks(oldDep, "10.0.1.10", "10.0.2.20", "10.0.3.30")
			},
			wantHealthy: 3,
		},
		{
			name:   "no deployment ever shows: fails after AppearWithin, not at the first read",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
				f.Targets = []string{healthy("10.0.1.10", "10.0.2.20")}
				f.Running = fa.RunningTasks(oldDep, "10.0.1.10", "10.0.2.20")
			},
			want: []string{"ECS shows no deployment started by this update", "rolled back to alba-digi-task:1"},
		},
		{
			name:        "cancelled: ends at once, saying what was left",
			before:      []string{oldDep},
			cancelAfter: 20 * time.Millisecond,
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2}})}
			},
			want: []string{"the rollout check was interrupted before deployment ecs-svc/2222 of alba-digi-task:2 ended: ECS goes on with it", "go run ./cmd/doctor"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, clients := newFakeAWS(t)
			tt.setup(f)
			var progress []string
			got := 0
			opts := fast(&progress)
			opts.Before, opts.NoDeployment, opts.Healthy = tt.before, tt.noDeployment, &got
			ctx := context.Background()
			if tt.cancelAfter > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(tt.cancelAfter, cancel)
				opts.Timeout = time.Minute
			}
			start := time.Now()
			err := Wait(ctx, clients, svcTarget, opts)
			if tt.wantHealthy > 0 {
				if err != nil || got != tt.wantHealthy {
					t.Fatalf("Wait = %v with %d healthy, want success with %d\nprogress: %q", err, got, tt.wantHealthy, progress)
				}
				return
			}
			if err == nil {
				t.Fatalf("Wait succeeded, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			var interrupted *Interrupted
			if tt.cancelAfter > 0 && (!errors.As(err, &interrupted) || time.Since(start) > 5*time.Second) {
				t.Errorf("cancelled wait: %T after %s, want *Interrupted at once", err, time.Since(start))
			}
		})
	}
}

// TestDoctorKnowsARollback: right after a circuit-breaker rollback the
// service runs the previous deployment, healthy; ECS's service deployments
// still say the newest one was rolled back, and so must the diagnosis.
func TestDoctorKnowsARollback(t *testing.T) {
	f, clients := newFakeAWS(t)
	f.Services = []string{fa.Service(2, []fa.Deployment{{ID: "ecs-svc/3333", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}},
		"(service alba-digi-service) rolling back to deployment ecs-svc/1111.")}
	f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
	f.ServiceDeployments, f.ServiceRevisions = fa.RolledBack(fa.TaskDef2, "ECS deployment circuit breaker: tasks failed to start.")
	f.StoppedTasks = fa.StoppedTask("ecs-svc/2222", fa.TaskDef2, "TaskFailedToStart", "CannotPullContainerError: failed to resolve ref public.ecr.aws/n0h7v2z5/alba-digi-api-rest:v2: not found", nil, "")
	r, err := Diagnose(context.Background(), clients, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service", LogLines: DefaultLogLines})
	if err != nil {
		t.Fatal(err)
	}
	text := r.Text()
	for _, want := range []string{
		"is not healthy: the last rollout failed: deployment arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/alba-digi-service/2222 of alba-digi-task:2 ended ROLLBACK_SUCCESSFUL",
		"The service now runs: rolled back to alba-digi-task:1",
		"CannotPullContainerError",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnosis lacks %q:\n%s", want, text)
		}
	}
	if r.Healthy {
		t.Error("a rolled-back service is reported healthy")
	}
}

// TestLastFailure reads a failed rollout from what ECS keeps, through the
// stateful stand-in: none before, the failed deployment after a rollback,
// the same one once a retry worked.
func TestLastFailure(t *testing.T) {
	a := fa.NewAccount(t)
	t.Setenv("AWS_ENDPOINT_URL", a.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	clients, err := Load(context.Background(), Settings{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(step, taskDef string, wantFailed, wantHealthy bool) string {
		t.Helper()
		got, err := LastFailure(ctx, clients, "alba-digi-cluster", "alba-digi-service", taskDef)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if (got.Deployment != "") != wantFailed || got.Healthy != wantHealthy {
			t.Errorf("%s: %+v, want failed %v healthy %v", step, got, wantFailed, wantHealthy)
		}
		return got.Deployment
	}
	check("no service yet", fa.TaskDef1, false, false)
	a.Deploy("alba-digi-service", fa.TaskDef1, 2)
	check("deployed", fa.TaskDef1, false, false)
	a.FailNextDeployment(fa.Failure{StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError"})
	a.Deploy("alba-digi-service", fa.TaskDef2, 2)
	failed := check("rolled back", fa.TaskDef2, true, false)
	a.Deploy("alba-digi-service", fa.TaskDef2, 2)
	if again := check("retried", fa.TaskDef2, true, true); again != failed {
		t.Errorf("after a good retry the failure read is %s, want the same %s (the trigger must not change)", again, failed)
	}
}
