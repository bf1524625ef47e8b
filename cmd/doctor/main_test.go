package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fa "alba-digi/internal/fakeaws"
)

// TestRun runs the command against the local stand-in through the SDK's
// standard settings (AWS_ENDPOINT_URL, static credentials), one case per exit
// status.
func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		setup    func(f *fa.Server)
		noCreds  bool
		wantCode int
		want     []string
	}{
		{
			name: "healthy service of the dev stack",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
				f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
			},
			wantCode: healthy,
			want:     []string{"Service alba-digi-service (cluster alba-digi-cluster) is healthy"},
		},
		{
			name: "health check 404, as JSON",
			args: []string{"-format", "json"},
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: "ecs-svc/2", Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 2}})}
				f.Targets = []string{fa.Target("10.0.1.10", "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")}
			},
			wantCode: unhealthy,
			want:     []string{`"healthy": false`, `"reason": "Target.ResponseCodeMismatch"`, "set `healthCheckPath` to a path the API answers with 200"},
		},
		{
			name: "just rolled back: the previous deployment is healthy, the rollout failed",
			setup: func(f *fa.Server) {
				f.Services = []string{fa.Service(2, []fa.Deployment{{ID: "ecs-svc/3", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
				f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
				f.ServiceDeployments, f.ServiceRevisions = fa.RolledBack(fa.TaskDef2, "ECS deployment circuit breaker: tasks failed to start.")
			},
			wantCode: unhealthy,
			want:     []string{"the last rollout failed", "of alba-digi-task:2 ended ROLLBACK_SUCCESSFUL", "rolled back to alba-digi-task:1"},
		},
		{
			name:     "no such service",
			args:     []string{"-cluster", "other", "-service", "nope"},
			setup:    func(f *fa.Server) {},
			wantCode: cannotTell,
			want:     []string{"no such service nope in cluster other"},
		},
		{
			name:     "no credentials",
			setup:    func(f *fa.Server) {},
			noCreds:  true,
			wantCode: cannotTell,
			want:     []string{"no AWS credentials"},
		},
		{name: "half a target", args: []string{"-cluster", "c"}, setup: func(*fa.Server) {}, wantCode: cannotTell, want: []string{"give -cluster and -service together"}},
		{name: "unknown stack", args: []string{"-stack", "nope"}, setup: func(*fa.Server) {}, wantCode: cannotTell, want: []string{`stack "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := fa.New(t)
			tt.setup(f)
			if tt.noCreds {
				localAWS(t, f.URL, "", "")
			} else {
				localAWS(t, f.URL, "AKIDFAKE", "fake-secret")
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"-dir", "../.."}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			out := stdout.String() + stderr.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if len(tt.args) > 1 && tt.args[1] == "json" && !json.Valid(stdout.Bytes()) {
				t.Errorf("not JSON:\n%s", stdout.String())
			}
		})
	}
}

// TestRunActsAsTheStack reads the stack file's aws:profile and shared files,
// as the provider does: the stand-in sees that profile's access key.
func TestRunActsAsTheStack(t *testing.T) {
	f, _ := fa.New(t)
	f.Services = []string{fa.Service(1, []fa.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 1, Running: 1}})}
	f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "")}
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIADEFAULT0000000000\naws_secret_access_key = x\n[lab]\naws_access_key_id = AKIALABPROFILE000000\naws_secret_access_key = y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := projectWith(t, map[string]string{
		"Pulumi.lab.yaml": "config:\n  aws:region: us-east-1\n  aws:profile: lab\n  aws:sharedCredentialsFiles:\n    - " + creds + "\n",
	})
	localAWS(t, f.URL, "", "")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-dir", dir, "-stack", "lab"}, &stdout, &stderr); code != healthy {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, k := range f.AccessKeys {
		if k != "AKIALABPROFILE000000" {
			t.Errorf("a call signed with %q, want the lab profile's key", k)
		}
	}
}

// TestRunWithSecretProviderKeys: a stack whose aws:* keys include a secret
// the doctor cannot decrypt still gets its diagnosis with -cluster and
// -service, through the AWS SDK's own settings, and is told so.
func TestRunWithSecretProviderKeys(t *testing.T) {
	f, _ := fa.New(t)
	f.Services = []string{fa.Service(1, []fa.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 1, Running: 1}})}
	f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "")}
	f.Running = fa.RunningTasks("ecs-svc/1", "10.0.1.10")
	dir := projectWith(t, map[string]string{
		"Pulumi.sec.yaml": "config:\n  aws:region: us-east-1\n  aws:accessKey: AKIASTACKKEY00000000\n  aws:secretKey:\n    secure: v1:c2VjcmV0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
	})
	localAWS(t, f.URL, "AKIAENVIRONMENT00000", "x")
	t.Setenv("AWS_REGION", "us-east-1")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-dir", dir, "-stack", "sec", "-cluster", "alba-digi-cluster", "-service", "alba-digi-service"}, &stdout, &stderr); code != healthy {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "aws:secretKey is a secret of stack \"sec\"") {
		t.Errorf("the doctor does not say why it ignores the stack's keys:\n%s", stderr.String())
	}
	for _, k := range f.AccessKeys {
		if k != "AKIAENVIRONMENT00000" {
			t.Errorf("a call signed with %q, want the environment's key", k)
		}
	}
}
