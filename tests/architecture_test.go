package tests

import (
	"strings"
	"testing"

	"alba-digi/internal/diff"
	"alba-digi/internal/render"
)

// TestArchitectureView: the picture a person reads first names the
// components (not every resource), puts every declared resource in one, and
// draws the paths with the ports and sources the security-group rules allow.
func TestArchitectureView(t *testing.T) {
	tests := []struct {
		stack     string
		overrides []string
		network   string
		labels    []string // substrings of component labels
		links     []string // "from -> to: label"
	}{
		{
			stack: "dev", network: "the account's default VPC · public subnets, no NAT",
			labels: []string{"Load balancer alba-digi-load-balancer · internet-facing · HTTP :80", "Target group alba-digi-target-group · HTTP 5050 · health check /alive",
				"ECS service alba-digi-service · 2 tasks × 1024 CPU / 3072 MiB · public.ecr.aws/n0h7v2z5/alba-digi-api-rest:latest", "Image registry public.ecr.aws",
				"Execution role", "Task role", "Logs /ecs/alba-digi, /aws/ecs/containerinsights/alba-digi-cluster/performance · 14 days", "Alarms: CPUUtilization, HTTPCode_ELB_5XX_Count, HTTPCode_Target_5XX_Count, MemoryUtilization, UnHealthyHostCount"},
			links: []string{"c_clients -> c_lb: tcp 80 from 0.0.0.0/0", "c_tg -> c_service: tcp 5050 from the load balancer's group", "c_lb -> c_tg: forwards",
				"c_service -> c_registry: pulls the image over its public IP", "c_service -> c_logs: logs", "c_service -> c_exec_role: assumes"},
		},
		{
			stack: "prod", network: "VPC 10.0.0.0/16 · 3 zones · public and private subnets · a NAT gateway per zone",
			labels: []string{"HTTPS :443", "scales 3 to 12", "Domain api.example.com · Route 53 alias", "Certificate api.example.com · ACM, validated by DNS",
				"email ops@example.com", "Dashboard", "Access-log bucket", "KMS key alba-digi-prod-logs-key", "KMS key alba-digi-prod-alarms-key",
				"Web application firewall alba-digi-prod-waf · AWS WAF, block mode · 927 of 1500 WCU · 2000 requests per 5 minutes per client IP · logs aws-waf-logs-alba-digi-prod · 90 days"},
			links: []string{"c_clients -> c_waf: tcp 443 from 0.0.0.0/0", "c_waf -> c_lb: requests no rule blocks", "c_alarms -> c_waf: watch", "c_key_alba_digi_prod_logs_key -> c_waf: encrypts its logs", "c_clients -> c_domain: DNS", "c_certificate -> c_lb: TLS", "c_lb -> c_bucket: access logs",
				"c_service -> c_registry: pulls the image through NAT", "c_key_alba_digi_prod_logs_key -> c_logs: encrypts", "c_key_alba_digi_prod_alarms_key -> c_alarms: encrypts the topic"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			a := render.NewArchitecture(deploy(t, tt.stack, tt.overrides...).Plan)
			if a.Network != tt.network {
				t.Errorf("network %q, want %q", a.Network, tt.network)
			}
			all := append(append([]render.Component{}, a.Inside...), a.Outside...)
			if len(all) > 30 {
				t.Errorf("%d components: the picture must fit in 30", len(all))
			}
			var labels []string
			for _, c := range all {
				labels = append(labels, c.Label)
				if c.ID == "c_other" {
					t.Errorf("resources in no component: %s", c.Label)
				}
			}
			text := strings.Join(labels, "\n")
			for _, want := range tt.labels {
				if !strings.Contains(text, want) {
					t.Errorf("no component says %q:\n%s", want, text)
				}
			}
			var links []string
			for _, l := range a.Links {
				links = append(links, l.From+" -> "+l.To+": "+l.Label)
			}
			for _, want := range tt.links {
				if !strings.Contains(strings.Join(links, "\n"), want) {
					t.Errorf("no link %q:\n%s", want, strings.Join(links, "\n"))
				}
			}
		})
	}
}

// TestArchitectureDiffColoursComponents: a new container port replaces the
// target group and changes the service and the security groups' rules: each
// component takes the strongest change among its resources.
func TestArchitectureDiffColoursComponents(t *testing.T) {
	base := deploy(t, "dev").Plan
	next := deploy(t, "dev", "containerPort=8080", "dashboard=true").Plan
	a := render.NewArchitectureDiff(diff.Compare(base, next))
	class := map[string]string{}
	for _, c := range append(append([]render.Component{}, a.Inside...), a.Outside...) {
		class[c.ID] = c.Class
	}
	for id, want := range map[string]string{"c_tg": "replaced", "c_service": "replaced", "c_lb": "changed", "c_dashboard": "added", "c_logs": "", "c_clients": ""} {
		if class[id] != want {
			t.Errorf("%s: class %q, want %q (all: %v)", id, class[id], want, class)
		}
	}
	md := renderDiff(t, base, next, "markdown")
	for _, want := range []string{"flowchart LR", "c_tg[", ":::replaced", "Legend: green added", "<details><summary>Dependency graph of what changes</summary>"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown diff lacks %q", want)
		}
	}
}
