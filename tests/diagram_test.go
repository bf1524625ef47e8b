package tests

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"alba-digi/internal/diff"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/render"
)

// TestDiagramsMatchGolden keeps the Mermaid diagrams of the dev and prod
// stacks, in testdata/ and in the README, true: -update rewrites both.
// TestDiagramsMatchGolden keeps both views of the dev and prod stacks true:
// the architecture view (testdata/<stack>.architecture.mermaid, in the README
// for dev and in docs/production.md for prod) and the dependency graph
// (testdata/<stack>.mermaid); -update rewrites them.
func TestDiagramsMatchGolden(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		for _, view := range []struct{ format, golden string }{{"mermaid", ".architecture.mermaid"}, {"mermaid-dependencies", ".mermaid"}} {
			t.Run(stack+" "+view.format, func(t *testing.T) {
				var got bytes.Buffer
				if err := render.Plan(&got, view.format, deploy(t, stack).Plan); err != nil {
					t.Fatal(err)
				}
				golden := "testdata/" + stack + view.golden
				if *update {
					if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(got.Bytes(), want) {
					t.Errorf("the %s %s diagram differs from %s (%v); review, then go test ./tests -update:\n%s", stack, view.format, golden, err, got.String())
				}
				if view.format != "mermaid" {
					return
				}
				file := map[string]string{"dev": "README.md", "prod": "docs/production.md"}[stack]
				checkSection(t, file, "diagram-"+stack, "```mermaid\n"+got.String()+"```\n")
			})
		}
	}
}

// TestDiagramEdgesAreDeclared traces every edge of the dev and prod diagrams,
// and of a variant with every option, back to what the program declared: a
// dependency edge to the register request of the resource that waits (its
// inputs' dependencies, or its dependsOn when dashed), a traffic edge to a
// security-group rule. Every declared dependency must be drawn.
func TestDiagramEdgesAreDeclared(t *testing.T) {
	for _, tt := range []struct {
		stack     string
		overrides []string
	}{
		{"dev", nil},
		{"prod", nil},
		{"dev", []string{"fargateSpotPercent=50", "enableExecuteCommand=true", `secrets={"DB":"arn:aws:ssm:us-east-1:123456789012:parameter/db"}`, `allowedCidrs=["203.0.113.0/24","198.51.100.0/24"]`, "listenerPort=8080"}},
		{"dev", []string{"deploymentStrategy=canary", "canaryPercent=20", `testCidrs=["203.0.113.0/24"]`}},
	} {
		t.Run(fmt.Sprint(tt.stack, tt.overrides), func(t *testing.T) {
			res := deploy(t, tt.stack, tt.overrides...)
			d := render.NewDiagram(res.Plan)
			byID := map[string]render.Node{}
			for _, g := range d.Groups {
				for _, n := range g.Nodes {
					if _, dup := byID[n.ID]; dup {
						t.Errorf("node id %s used twice", n.ID)
					}
					byID[n.ID] = n
				}
			}
			if len(byID) != len(res.Plan.Resources) {
				t.Errorf("%d nodes for %d resources", len(byID), len(res.Plan.Resources))
			}
			declared := map[[2]string]bool{} // from, to as type::name
			for _, reg := range res.Registrations {
				fromInputs := map[string]bool{}
				for _, urns := range reg.PropertyDependencies {
					for _, u := range urns {
						fromInputs[u] = true
					}
				}
				for _, u := range reg.Dependencies {
					declared[[2]string{mockaws.URNType(u) + "::" + mockaws.URNName(u), reg.Type + "::" + reg.Name}] = !fromInputs[u]
				}
			}
			drawn := 0
			for _, e := range d.Edges {
				from, to := byID[e.From], byID[e.To]
				k := [2]string{from.Type + "::" + from.Name, to.Type + "::" + to.Name}
				onlyDependsOn, ok := declared[k]
				if !ok {
					t.Errorf("edge %s → %s (%s) is not a declared dependency", from.Name, to.Name, e.Label)
					continue
				}
				if e.Dashed != onlyDependsOn {
					t.Errorf("edge %s → %s dashed %v, but the dependency is dependsOn only: %v", from.Name, to.Name, e.Dashed, onlyDependsOn)
				}
				drawn++
			}
			if drawn != len(declared) {
				t.Errorf("%d edges drawn, %d dependencies declared", drawn, len(declared))
			}

			// Traffic: each clients → listener edge names a port and the CIDRs
			// whose ingress rules the load balancer's group has; the load balancer
			// → tasks edge the port the tasks' group lets that group in on.
			allowed := map[string][]string{}
			taskPort := ""
			for _, r := range res.Plan.Resources {
				if r.Type != tIngress {
					continue
				}
				if cidr := get(r, "cidrIpv4"); cidr != "<absent>" {
					allowed[get(r, "fromPort")] = append(allowed[get(r, "fromPort")], cidr)
				} else {
					taskPort = get(r, "fromPort")
				}
			}
			var labels []string
			for port, cidrs := range allowed {
				slices.Sort(cidrs)
				labels = append(labels, fmt.Sprintf("tcp %s from %s", port, strings.Join(cidrs, ", ")))
			}
			labels = append(labels, "tcp "+taskPort+" from the load balancer's group")
			var drawnLabels []string
			for _, e := range d.Traffic.Edges {
				if e.Label != "" {
					drawnLabels = append(drawnLabels, e.Label)
				}
			}
			slices.Sort(labels)
			slices.Sort(drawnLabels)
			if !slices.Equal(labels, drawnLabels) {
				t.Errorf("traffic edges %q, want the rules' %q", drawnLabels, labels)
			}
		})
	}
}

// TestDiffDiagramStylesTheChange: the markdown diff of a pull request embeds
// the diagram, added, changed, replaced and removed resources classed apart.
func TestDiffDiagramStylesTheChange(t *testing.T) {
	base := deploy(t, "dev").Plan
	d := diff.Compare(base, deploy(t, "dev", "containerPort=8080", "accessLogs=true", `allowedCidrs=["203.0.113.0/24"]`).Plan)
	classes := map[string]string{}
	for _, g := range render.NewDiffDiagram(d).Groups {
		for _, n := range g.Nodes {
			classes[n.Name+" "+n.Type] = n.Class
		}
	}
	for name, want := range map[string]string{
		"alba-digi-target-group " + tTG:                                             "replaced",
		"alba-digi-task " + tTaskDef:                                                "replaced",
		"alba-digi-load-balancer " + tLB:                                            "changed",
		"alba-digi-alb-logs aws:s3/bucketV2:BucketV2":                               "added",
		"alba-digi-lb-sg-in-80-203-0-113-0-24 " + tIngress:                          "added",
		"alba-digi-lb-sg-in-80-0-0-0-0-0 " + tIngress:                               "removed",
		"alba-digi-cluster " + tClusterT:                                            "",
		"alba-digi-execution-role aws:iam/role:Role":                                "",
		"alba-digi-tasks-sg-from-lb " + tIngress:                                    "changed",
		"alba-digi-service " + tService:                                             "changed",
		"alba-digi-alb-logs aws:s3/bucketPolicy:BucketPolicy":                       "added",
		"alba-digi-default-vpc " + tDefaultVC:                                       "",
		"alba-digi-logs " + tLogGroup:                                               "",
		"alba-digi-lb-sg-to-tasks " + tEgress:                                       "changed",
		"alba-digi-http " + tListener:                                               "",
		"alba-digi-tasks-sg " + tSG:                                                 "",
		"alba-digi-lb-sg " + tSG:                                                    "",
		"alba-digi-task-role aws:iam/role:Role":                                     "",
		"alba-digi-tasks-sg-egress " + tEgress:                                      "",
		"alba-digi-execution-role-ecs " + tAttach:                                   "",
		"alba-digi-alb-logs aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "added",
	} {
		if got, ok := classes[name]; !ok || got != want {
			t.Errorf("%s: class %q (drawn %v), want %q", name, got, ok, want)
		}
	}
	var md bytes.Buffer
	if err := render.Diff(&md, "markdown", d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"```mermaid\nflowchart LR\n", ":::replaced", ":::added", ":::changed", ":::removed", "classDef replaced", "Legend: green added"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown diff lacks %q", want)
		}
	}
	var none bytes.Buffer
	if err := render.Diff(&none, "markdown", diff.Compare(base, base)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(none.String(), "```mermaid") {
		t.Error("a diff without changes draws a diagram")
	}
}
