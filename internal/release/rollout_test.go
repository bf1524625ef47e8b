package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	fa "alba-digi/internal/fakeaws"
)

func newFakeAWS(t *testing.T) (*fa.Server, Clients) {
	f, cfg := fa.New(t)
	return f, NewClients(cfg)
}

// fast are the wait's options for a test: short timeouts, every poll told.
func fast(progress *[]string) WaitOptions {
	return WaitOptions{Timeout: 2 * time.Second, Interval: time.Millisecond, AppearWithin: 100 * time.Millisecond, ProgressEvery: 1,
		Progress: func(s string) { *progress = append(*progress, s) }}
}

func intp(i int) *int { return &i }

var svcTarget = Target{Cluster: fa.ClusterArn, Service: "alba-digi-service", TaskDefinition: fa.TaskDef2, LogLines: DefaultLogLines}

// TestWait runs one scenario per way a rollout ends, the SDK clients talking
// to the local stand-in: the verdict, what the service was left running and the
// fix named must be the ones a user can act on.
func TestWait(t *testing.T) {
	const newDep, oldDep = "ecs-svc/2222", "ecs-svc/1111"
	tests := []struct {
		name  string
		setup func(f *fa.Server)
		// before are the deployments before the update (none: a new service).
		before []string
		// wantOK: Wait returns nil; else the report must say these.
		wantOK      bool
		verdict     string
		leftRunning string
		fixes       []string // substrings, one per expected cause
		text        []string // in the report's text
	}{
		{
			name: "healthy first deploy",
			setup: func(f *fa.Server) {
				f.Services = []string{
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 0}}),
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 2}}),
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2}}),
				}
				f.Targets = []string{
					fa.Target("10.0.1.10", "initial", "Elb.InitialHealthChecking", "Initial health checks in progress"),
					fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", ""),
				}
				f.Running = fa.RunningTasks(newDep, "10.0.1.10", "10.0.2.20")
			},
			wantOK: true,
		},
		{
			name: "image that cannot be pulled",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Reason: "ECS deployment circuit breaker: tasks failed to start.", Desired: 2, Failed: 3}},
					"(service alba-digi-service) (deployment ecs-svc/2222) deployment failed: tasks failed to start.")}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref public.ecr.aws/n0h7v2z5/alba-digi-api-rest:nope: not found", nil, "")
			},
			verdict:     "deployment ecs-svc/2222 of alba-digi-task:2 failed: ECS deployment circuit breaker: tasks failed to start.",
			leftRunning: "no healthy task: the API does not answer",
			fixes:       []string{"set `image` to a reference that exists"},
			text:        []string{"CannotPullContainerError", "deployment failed: tasks failed to start", "deploys the same task definition again"},
		},
		{
			name: "image pull timing out without a route",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Desired: 2, Failed: 2}})}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to do request: Head \"https://public.ecr.aws/v2/\": dial tcp 3.5.1.1:443: i/o timeout", nil, "")
			},
			verdict: "failed", leftRunning: "no healthy task",
			fixes: []string{"keep `assignPublicIp: true`"},
		},
		{
			name: "health check answers 404",
			setup: func(f *fa.Server) {
				f.Services = []string{
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 2}}),
					fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Reason: "ECS deployment circuit breaker: tasks failed to start.", Desired: 2, Running: 2, Failed: 4}}),
				}
				f.Targets = []string{fa.Target("10.0.1.10", "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group "+fa.TargetGroupArn+")", intp(143), "")
			},
			verdict: "failed", leftRunning: "no healthy task",
			fixes: []string{"the API must answer 200 on `healthCheckPath`", "set `healthCheckPath` to a path the API answers with 200"},
			text:  []string{"10.0.1.10:5050 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [404]"},
		},
		{
			name: "container exits 1 and says why in its log",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Desired: 2, Failed: 2}})}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "EssentialContainerExited", "Essential container in task exited", intp(1), "")
				f.TaskDef = fa.AwslogsTaskDef
				f.Logs["/ecs/alba-digi alba-digi/alba-digi-api-rest/0a1b2c3d4e5f"] = []string{
					"Starting alba-digi API on port 5050",
					"Caught: java.nio.file.FileSystemException: /app/grapes: Read-only file system",
				}
			},
			verdict: "failed", leftRunning: "no healthy task",
			fixes: []string{"set `readonlyRootFilesystem: false`"},
			text:  []string{"container alba-digi-api-rest: exit code 1", "| Caught: java.nio.file.FileSystemException: /app/grapes: Read-only file system"},
		},
		{
			name: "secret that cannot be read",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Desired: 2, Failed: 2}})}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "TaskFailedToStart", "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue", nil, "")
			},
			verdict: "failed", leftRunning: "no healthy task",
			fixes: []string{"check `secrets`"},
		},
		{
			name: "health check times out: the API listens on another port",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Desired: 2, Running: 2, Failed: 2}})}
				f.Targets = []string{fa.Target("10.0.1.10", "unhealthy", "Target.Timeout", "Request timed out")}
			},
			verdict: "failed", leftRunning: "no healthy task",
			fixes: []string{"set `containerPort` to the port the API listens on"},
		},
		{
			name: "out of memory",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Desired: 2, Failed: 2}})}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "EssentialContainerExited", "Essential container in task exited", intp(137), "OutOfMemoryError: Container killed due to memory usage")
				f.TaskDef = fa.AwslogsTaskDef
			},
			verdict: "failed", leftRunning: "no healthy task",
			fixes: []string{"raise `memory`"},
		},
		{
			name:   "update rolled back by the circuit breaker, failed deployment still listed",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{
					{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "IN_PROGRESS", Desired: 2, Running: 2},
					{ID: newDep, Status: "ACTIVE", TaskDef: fa.TaskDef2, Rollout: "FAILED", Reason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1111.", Desired: 0, Failed: 2},
				}, "(service alba-digi-service) (deployment ecs-svc/2222) deployment failed: tasks failed to start.")}
				f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "EssentialContainerExited", "Essential container in task exited", intp(1), "")
				f.TaskDef = fa.AwslogsTaskDef
			},
			verdict:     "deployment ecs-svc/2222 of alba-digi-task:2 failed: ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1111.",
			leftRunning: "rolled back to alba-digi-task:1 (2 of 2 tasks running)",
			fixes:       []string{"fix the application or `image`"},
		},
		{
			name:   "update rolled back, failed deployment gone: the provider's waiter would report success",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}},
					"(service alba-digi-service) has reached a steady state.")}
				f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
				f.StoppedTasks = fa.StoppedTask(newDep, fa.TaskDef2, "EssentialContainerExited", "Essential container in task exited", intp(3), "")
				f.TaskDef = fa.AwslogsTaskDef
			},
			verdict:     "the deployment of alba-digi-task:2 is gone: ECS rolled it back",
			leftRunning: "rolled back to alba-digi-task:1 (2 of 2 tasks running)",
			fixes:       []string{"fix the application or `image`"},
			text:        []string{"container alba-digi-api-rest: exit code 3"},
		},
		{
			name:   "update rolled back by its deployment alarm: healthy tasks, failing requests",
			before: []string{oldDep},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.ServiceWithAlarms(2, []fa.Deployment{
					{ID: oldDep, Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "IN_PROGRESS", Desired: 2, Running: 2},
					{ID: newDep, Status: "ACTIVE", TaskDef: fa.TaskDef2, Rollout: "FAILED", Reason: "ECS deployment detected triggered alarm(s): alba-digi-target-5xx-7439c4e. Rolling back to deploymentId ecs-svc/1111.", Desired: 0, Running: 2},
				}, []string{"alba-digi-target-5xx-7439c4e"})}
				f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
			},
			verdict:     "deployment ecs-svc/2222 of alba-digi-task:2 failed: ECS deployment detected triggered alarm(s): alba-digi-target-5xx-7439c4e.",
			leftRunning: "rolled back to alba-digi-task:1",
			fixes:       []string{"fails real requests (5xx)"},
			text:        []string{"deployment alarm alba-digi-target-5xx-7439c4e tripped while alba-digi-task:2 rolled out"},
		},
		{
			name: "still in progress at the timeout",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 1}},
					"(service alba-digi-service) has started 2 tasks: (task 0a1b2c3d4e5f) (task 6a7b8c9d0e1f).")}
				f.Targets = []string{fa.Target("10.0.1.10", "initial", "Elb.InitialHealthChecking", "Initial health checks in progress")}
			},
			verdict:     "the rollout did not finish within 2s (rolloutTimeoutMinutes): deployment ecs-svc/2222 of alba-digi-task:2 is in progress: 1 of 2 tasks running, 0 of 2 targets healthy",
			leftRunning: "no healthy task",
			text:        []string{"has started 2 tasks"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, clients := newFakeAWS(t)
			tt.setup(f)
			var progress []string
			opts := fast(&progress)
			opts.Before = tt.before
			err := Wait(context.Background(), clients, svcTarget, opts)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Wait: %v", err)
				}
				if len(progress) == 0 || !strings.Contains(progress[0], "rollout of alba-digi-task:2: 0/2 tasks running, 0/2 targets healthy (IN_PROGRESS)") {
					t.Errorf("progress %q", progress)
				}
				return
			}
			var rerr *Error
			if !errors.As(err, &rerr) {
				t.Fatalf("Wait = %v, want a diagnosed rollout error", err)
			}
			r := rerr.Report
			if r.Healthy || !strings.Contains(r.Verdict, tt.verdict) {
				t.Errorf("verdict %q (healthy %v), want it to contain %q", r.Verdict, r.Healthy, tt.verdict)
			}
			if !strings.Contains(r.LeftRunning, tt.leftRunning) {
				t.Errorf("left running %q, want %q", r.LeftRunning, tt.leftRunning)
			}
			if len(r.Causes) != len(tt.fixes) {
				t.Errorf("causes %+v, want %d: %q", r.Causes, len(tt.fixes), tt.fixes)
			}
			for i, fix := range tt.fixes {
				if i < len(r.Causes) && !strings.Contains(r.Causes[i].Fix, fix) {
					t.Errorf("cause %d fix %q, want %q", i, r.Causes[i].Fix, fix)
				}
			}
			text := err.Error()
			for _, w := range append(tt.text, "deploys the same task definition again", r.LeftRunning) {
				if !strings.Contains(text, w) {
					t.Errorf("report lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

// TestDiagnoseReadsTheLogStreamAwslogsWrites checks the stream name the
// awslogs driver uses: <prefix>/<container>/<task id>.
func TestDiagnoseReadsTheLogStreamAwslogsWrites(t *testing.T) {
	f, clients := newFakeAWS(t)
	f.Services = []string{fa.Service(1, []fa.Deployment{{ID: "ecs-svc/2", Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "FAILED", Desired: 1}})}
	f.StoppedTasks = fa.StoppedTask("ecs-svc/2", fa.TaskDef2, "EssentialContainerExited", "Essential container in task exited", intp(2), "")
	f.TaskDef = fa.AwslogsTaskDef
	if _, err := Diagnose(context.Background(), clients, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service", LogLines: DefaultLogLines}); err != nil {
		t.Fatal(err)
	}
	if want := "/ecs/alba-digi alba-digi/alba-digi-api-rest/0a1b2c3d4e5f"; len(f.LogStreamsRead) != 1 || f.LogStreamsRead[0] != want {
		t.Errorf("log streams read %q, want %q", f.LogStreamsRead, want)
	}
}

func TestDiagnoseHealthyAndMissing(t *testing.T) {
	f, clients := newFakeAWS(t)
	f.Services = []string{fa.Service(2, []fa.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
	f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
	r, err := Diagnose(context.Background(), clients, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Healthy || r.HealthyCount != 2 || r.LeftRunning != "" || len(r.Causes) != 0 || r.Recovery != "" {
		t.Errorf("healthy service reported %+v", r)
	}
	if !strings.HasPrefix(r.Text(), "Service alba-digi-service (cluster "+fa.ClusterArn+") is healthy: deployment ecs-svc/1 of alba-digi-task:1 completed, 2 of 2 targets healthy.") {
		t.Errorf("text:\n%s", r.Text())
	}
	f.Services = nil
	if _, err := Diagnose(context.Background(), clients, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"}); !errors.Is(err, ErrNoService) {
		t.Errorf("missing service: %v, want ErrNoService", err)
	}
}

// TestLoadClientsHonoursTheSDKSettings points the standard AWS_ENDPOINT_URL
// and static credentials at the stand-in, as cmd/doctor's users can.
func TestLoadClientsHonoursTheSDKSettings(t *testing.T) {
	f, _ := newFakeAWS(t)
	f.Services = []string{fa.Service(1, []fa.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 1, Running: 1}})}
	f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "")}
	srvURL := f.URL
	t.Setenv("AWS_ENDPOINT_URL", srvURL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	clients, err := LoadClients(context.Background(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Diagnose(context.Background(), clients, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"})
	if err != nil || !r.Healthy {
		t.Fatalf("diagnosis through AWS_ENDPOINT_URL: %+v, %v", r, err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if _, err := LoadClients(context.Background(), "eu-west-1"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: %v, want ErrNoCredentials", err)
	}
}
