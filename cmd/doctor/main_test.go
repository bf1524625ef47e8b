package main

import (
	"bytes"
	"encoding/json"
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
			t.Setenv("AWS_ENDPOINT_URL", f.URL)
			t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
			if tt.noCreds {
				t.Setenv("AWS_ACCESS_KEY_ID", "")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "")
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
