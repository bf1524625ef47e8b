package tests

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
	"alba-digi/internal/render"
)

var update = flag.Bool("update", false, "rewrite the golden plans in testdata/ and the generated parts of Pulumi.yaml and README.md")

// planJSON runs the plan of stack with overrides and returns its JSON.
func planJSON(t *testing.T, stack string, overrides ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := render.Plan(&b, "json", deploy(t, stack, overrides...).Plan); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPlansMatchGolden fails on any change to what the dev or prod stack
// declares until the golden file is rewritten (go test ./tests -update) and the
// change reviewed in the pull request.
func TestPlansMatchGolden(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			golden := "testdata/" + stack + ".plan.json"
			got := planJSON(t, stack)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./tests -update to create it)", err)
			}
			if bytes.Equal(got, want) {
				return
			}
			base, err := plan.ReadJSON(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			next, err := plan.ReadJSON(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			var d bytes.Buffer
			_ = render.Diff(&d, "text", diff.Compare(base, next))
			t.Errorf("the %s plan differs from %s; review, then go test ./tests -update:\n%s", stack, golden, d.String())
		})
	}
}

// TestReadmeDiffSamples keeps the README's sample pull-request comments true:
// each is the markdown diff of a change against the dev stack's golden plan.
func TestReadmeDiffSamples(t *testing.T) {
	golden, err := os.ReadFile("testdata/dev.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	base, err := plan.ReadJSON(bytes.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	for _, sample := range []struct{ section, override string }{
		{"sample-image", "image=public.ecr.aws/n0h7v2z5/alba-digi-api-rest:v2"},
		{"sample-port", "containerPort=8080"},
	} {
		d := diff.Compare(base, deploy(t, "dev", sample.override).Plan)
		d.Rollout = nil // the README shows the rollout table once, above
		var md bytes.Buffer
		if err := render.Diff(&md, "markdown", d); err != nil {
			t.Fatal(err)
		}
		checkSection(t, "docs/reviewing.md", sample.section, demoteHeadings(md.String()))
	}
}

// demoteHeadings nests a rendered comment's headings under the README's own.
func demoteHeadings(md string) string {
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			lines[i] = "##" + l
		}
	}
	return strings.Join(lines, "\n")
}

func TestPlanIsStable(t *testing.T) {
	if a, b := planJSON(t, "dev"), planJSON(t, "dev"); !bytes.Equal(a, b) {
		t.Error("two plans of the same stack differ")
	}
}

// TestPlanDiffFlagsReplacements changes one config value against the dev plan
// and checks what the diff says of it.
func TestPlanDiffFlagsReplacements(t *testing.T) {
	base := deploy(t, "dev").Plan
	tests := []struct {
		name     string
		override string
		// changed: resource -> "replace" or "update"; critical: resources called out.
		changed  map[string]string
		critical []string
		property string // one property path that must show old → new
		old, new string
	}{
		{
			name: "new image tag", override: "image=public.ecr.aws/n0h7v2z5/alba-digi-api-rest:v2",
			changed:  map[string]string{"alba-digi-task": "replace"},
			property: "containerDefinitions[0].image", old: "public.ecr.aws/n0h7v2z5/alba-digi-api-rest:latest", new: "public.ecr.aws/n0h7v2z5/alba-digi-api-rest:v2",
		},
		{
			name: "more tasks", override: "desiredCount=4",
			// The release verifies the new count: it updates with the service.
			changed:  map[string]string{"alba-digi-service": "update", "alba-digi-release": "update"},
			property: "desiredCount", old: "2", new: "4",
		},
		{
			name: "new health path", override: "healthCheckPath=/health",
			changed:  map[string]string{"alba-digi-target-group": "update"},
			property: "healthCheck.path", old: "/alive", new: "/health",
		},
		{
			name: "target group port", override: "containerPort=8080",
			changed: map[string]string{
				"alba-digi-target-group": "replace", "alba-digi-task": "replace", "alba-digi-service": "update",
				"alba-digi-lb-sg-to-tasks": "update", "alba-digi-tasks-sg-from-lb": "update", "alba-digi-release": "update",
			},
			critical: []string{"alba-digi-target-group"},
			property: "port", old: "5050", new: "8080",
		},
		{
			name: "Fargate Spot share drops the launch type", override: "fargateSpotPercent=50",
			changed:  map[string]string{"alba-digi-service": "replace", "alba-digi-cluster-capacity": "", "alba-digi-release": "update"},
			critical: []string{"alba-digi-service"},
			property: "launchType", old: "FARGATE", new: "(none)",
		},
		{
			name: "listener port", override: "listenerPort=8080",
			changed: map[string]string{"alba-digi-http": "update", "alba-digi-lb-sg-in-80-0-0-0-0-0": "", "alba-digi-lb-sg-in-8080-0-0-0-0-0": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diff.Compare(base, deploy(t, "dev", tt.override).Plan)
			got := map[string]string{}
			var critical []string
			for _, c := range d.Changed {
				got[c.Name] = map[bool]string{true: "replace", false: "update"}[c.Replace]
				if c.Critical != "" {
					critical = append(critical, c.Name)
				}
				for _, p := range c.Properties {
					if p.Path == tt.property && (p.Old != tt.old || p.New != tt.new) {
						t.Errorf("%s %s: %s → %s, want %s → %s", c.Name, p.Path, p.Old, p.New, tt.old, tt.new)
					}
				}
			}
			for _, a := range d.Added {
				got[strings.Fields(a)[0]] = ""
			}
			for _, r := range d.Removed {
				got[strings.Fields(r)[0]] = ""
			}
			if len(got) != len(tt.changed) {
				t.Errorf("changed %v, want %v", got, tt.changed)
			}
			for name, verb := range tt.changed {
				if g, ok := got[name]; !ok || g != verb {
					t.Errorf("%s: %q, want %q (all: %v)", name, g, verb, got)
				}
			}
			if strings.Join(critical, ",") != strings.Join(tt.critical, ",") {
				t.Errorf("critical replacements %v, want %v", critical, tt.critical)
			}
			var md bytes.Buffer
			if err := render.Diff(&md, "markdown", d); err != nil {
				t.Fatal(err)
			}
			if hasWarning := strings.Contains(md.String(), "[!WARNING]"); hasWarning != (len(tt.critical) > 0) {
				t.Errorf("markdown warning shown = %v, want %v:\n%s", hasWarning, len(tt.critical) > 0, md.String())
			}
		})
	}
}

func TestRolloutSummary(t *testing.T) {
	r := deploy(t, "dev").Plan.Rollout
	ours, aws := r.Ours, r.AWSDefaults
	checks := []struct {
		name      string
		got, want int
	}{
		{"ours: healthy after 2 checks of 10 s", ours.HealthySeconds, 20},
		{"ours: failure detected after 30 s grace + 3 × 10 s", ours.DetectFailureSeconds, 60},
		{"ours: drain 30 s", ours.DrainSeconds, 30},
		{"ours: 2 tasks per batch at 100/200 %", ours.TasksPerBatch, 2},
		{"ours: one batch of 20 + 30 s", ours.RolloutSeconds, 50},
		{"aws: healthy after 5 checks of 30 s", aws.HealthySeconds, 150},
		{"aws: failure detected after 2 × 30 s", aws.DetectFailureSeconds, 60},
		{"aws: drain 300 s", aws.DrainSeconds, 300},
		{"aws: one batch of 150 + 300 s", aws.RolloutSeconds, 450},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d", c.name, c.got)
		}
	}
	slow := deploy(t, "dev", "desiredCount=4", "deploymentMaximumPercent=125").Plan.Rollout.Ours
	if slow.TasksPerBatch != 1 || slow.Batches != 4 || slow.RolloutSeconds != 4*50 {
		t.Errorf("4 tasks at 100/125 %%: %d per batch, %d batches, %d s; want 1, 4, 200", slow.TasksPerBatch, slow.Batches, slow.RolloutSeconds)
	}
	for _, format := range []string{"text", "markdown", "json"} { // the diagram draws, it does not estimate
		var b bytes.Buffer
		if err := render.Plan(&b, format, deploy(t, "dev").Plan); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "450") || !strings.Contains(b.String(), "50") {
			t.Errorf("a format lacks the rollout figures:\n%s", b.String())
		}
	}
}
