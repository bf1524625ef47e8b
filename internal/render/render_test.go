package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"alba-digi/infra"
	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
)

func TestNetworkSentences(t *testing.T) {
	tests := []struct {
		network plan.Network
		want    string
	}{
		{plan.Network{Kind: infra.DefaultVPC, PublicIPs: true},
			"the account's default VPC: internet-facing load balancer and tasks in its public subnets, tasks with public IPs (it has no NAT)"},
		{plan.Network{Kind: infra.ExistingVPC, VpcID: "vpc-1", SubnetIDs: []string{"subnet-a", "subnet-b"}},
			"existing VPC vpc-1: internet-facing load balancer and tasks in subnets subnet-a, subnet-b, tasks without public IPs"},
		{plan.Network{Kind: infra.NewVPC, Cidr: "10.0.0.0/16", Zones: 3, NATPerZone: true, InternalLoadBalancer: true},
			"new VPC 10.0.0.0/16 in 3 zones with a NAT gateway per zone: internal load balancer in the private subnets, tasks in the private subnets without public IPs"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := templates.ExecuteTemplate(&b, "network", tt.network); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("network %+v:\n%s\nwant\n%s", tt.network, b.String(), tt.want)
		}
	}
}

func TestTextPlanTree(t *testing.T) {
	p := &plan.Plan{Project: "p", Stack: "s", Region: "r", Network: plan.Network{Kind: infra.DefaultVPC},
		Resources: []plan.Resource{
			{Type: "t:a", Name: "a", Parent: "p-s", Inputs: map[string]any{"port": 1, "description": "x"}, DependsOn: []string{"b"}},
			{Type: "t:b", Name: "b", Parent: "a", PhysicalName: "b-123", Inputs: map[string]any{}, Options: &plan.Options{DeleteBeforeReplace: true}},
		},
		Outputs: map[string]any{"url": "http://x"},
	}
	var b bytes.Buffer
	if err := Plan(&b, "text", p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Plan of stack "s" (project p, region r): 2 resources to create`,
		"\n    + t:a  a\n          description = x\n          port        = 1\n          (depends on b)\n",
		"\n        + t:b  b  (AWS name: b-123)\n              (options: deleteBeforeReplace)\n",
		"\n  url             http://x\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text plan lacks %q:\n%s", want, b.String())
		}
	}
	if err := Plan(&b, "yaml", p); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestMarkdownDiffEscapesPipes(t *testing.T) {
	d := &diff.Diff{Stack: "s", Changed: []diff.ResourceChange{{Type: "t", Name: "n", Properties: []diff.PropertyChange{{Path: "p", Old: "a|b", New: "c"}}}}}
	var b bytes.Buffer
	if err := Diff(&b, "markdown", d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| `p` | `a\\|b` | `c` |  |") {
		t.Errorf("markdown diff:\n%s", b.String())
	}
}

// TestDiagramSurvivesSpecialNames: names with characters Mermaid treats
// specially get plain, distinct node ids, and labels that cannot end early.
func TestDiagramSurvivesSpecialNames(t *testing.T) {
	names := []string{`a"b`, "a[b]", "a(b)", "a{b}", "a|b", "a;b", "a#b", "a<b>&c", "a`b", "a b", "a-b", "a_b", "a.b", "end", "graph", "a\nb"}
	p := &plan.Plan{Project: "p", Stack: "s", Network: plan.Network{Kind: infra.DefaultVPC}}
	for i, n := range names {
		r := plan.Resource{Type: "aws:iam/role:Role", Name: n, Inputs: map[string]any{"tags": map[string]any{"Name": n}}}
		if i > 0 {
			r.Dependencies = []plan.Dependency{{Type: "aws:iam/role:Role", Name: names[i-1], Via: `in"put`}}
		}
		p.Resources = append(p.Resources, r)
	}
	d := NewDiagram(p)
	ids := map[string]bool{}
	idRe := regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	for _, n := range d.Groups[0].Nodes {
		if !idRe.MatchString(n.ID) || ids[n.ID] {
			t.Errorf("node id %q (of %q) is not a plain, unique id", n.ID, n.Name)
		}
		ids[n.ID] = true
	}
	if len(ids) != len(names) {
		t.Fatalf("%d nodes for %d names", len(ids), len(names))
	}
	// Both views: the dependency graph names every resource; the architecture
	// view names the roles' component and the logs by the special names too.
	p.Resources = append(p.Resources, plan.Resource{Type: "aws:cloudwatch/logGroup:LogGroup", Name: "logs", Inputs: map[string]any{"name": names[0] + names[7], "retentionInDays": "1"}})
	for _, format := range []string{"mermaid-dependencies", "mermaid"} {
		var b bytes.Buffer
		if err := Plan(&b, format, p); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
			line = strings.TrimSpace(line)
			if line == "end" || strings.HasPrefix(line, "subgraph") || strings.HasPrefix(line, "direction") {
				continue
			}
			// Every label is quoted once: two quotes, nothing inside them unescaped.
			if strings.Count(line, `"`) != 2 || strings.ContainsAny(strings.Split(line, `"`)[1], "<>`") {
				t.Errorf("%s: label not safely quoted: %s", format, line)
			}
		}
	}
	unescape := strings.NewReplacer("#quot;", `"`, "#lt;", "<", "#gt;", ">", "#amp;", "&", "#96;", "`", "#35;", "#")
	if got := unescape.Replace(mermaidText(`Role a"b <c> & #d`)); got != `Role a"b <c> & #d` {
		t.Errorf("escaping does not round-trip: %q", got)
	}
}
