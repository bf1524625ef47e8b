package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base.json")
	var baseJSON bytes.Buffer
	if err := run([]string{"-dir", "../..", "-format", "json"}, &baseJSON); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, baseJSON.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    []string // substrings of the output
		wantErr string
	}{
		{"text by default", nil, []string{`Plan of stack "dev"`, "aws:ecs/service:Service  alba-digi-service", "Rolling update of 2 tasks",
			"`pulumi up` verifies the rollout: it waits up to 10 minutes (rolloutTimeoutMinutes) for the new deployment to complete with 2 healthy targets"}, ""},
		{"markdown", []string{"-format", "markdown"}, []string{"## Plan of stack `dev`", "| `aws:lb/loadBalancer:LoadBalancer` | `alba-digi-load-balancer` |"}, ""},
		{"json", []string{"-format", "json"}, []string{`"type": "aws:ecs/cluster:Cluster"`, `"parent": "alba-digi-dev"`, `"dependsOn": [`, `"rollout": {`, `"outputs": {`}, ""},
		{"mermaid", []string{"-format", "mermaid"}, []string{"flowchart LR\n", `c_tg["Target group alba-digi-target-group · HTTP 5050 · health check /alive"]`, `c_clients ==>|"tcp 80 from 0.0.0.0/0"| c_lb`}, ""},
		{"dependency graph", []string{"-format", "mermaid-dependencies"}, []string{"flowchart LR\n", `["Target group alba-digi-target-group · HTTP 5050 · /alive"]`, `t_clients ==>|"tcp 80 from 0.0.0.0/0"| t_listener_80`}, ""},
		{"config override", []string{"-config", "desiredCount=5"}, []string{"desiredCount                           = 5"}, ""},
		{"diff against itself", []string{"-diff", base}, []string{"0 to add, 0 to change (0 replaced), 0 to remove", "No changes."}, ""},
		{"diff of a port change", []string{"-diff", base, "-format", "markdown", "-config", "containerPort=8080"}, []string{"> **Replaces `alba-digi-target-group`**"}, ""},
		{"bad config", []string{"-config", "cpu=abc", "-config", "memory=1"}, nil, `cpu: invalid value "abc"`},
		{"typo of a key", []string{"-config", "desiredcount=4"}, nil, "desiredcount: unknown key; did you mean desiredCount?"},
		{"prod stack", []string{"-stack", "prod"}, []string{`Plan of stack "prod"`, "new VPC 10.0.0.0/16 in 3 zones with a NAT gateway per zone", "alba-digi-prod-https"}, ""},
		{"unknown stack", []string{"-stack", "nope"}, nil, `stack "nope"`},
		{"unknown format", []string{"-format", "yaml"}, nil, `-format "yaml": want text, markdown, json, mermaid`},
		{"bad override", []string{"-config", "novalue"}, nil, `-config "novalue": want key=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(append([]string{"-dir", "../.."}, tt.args...), &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
