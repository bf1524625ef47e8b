// Package render writes plans and diffs for people (text for a terminal,
// markdown for a pull request) from the templates in templates/, and as JSON
// for tools. What goes in a sentence lives in the templates; this package only
// shapes the values they read.
package render

import (
	"strconv"

	"alba-digi/internal/cost"
	"embed"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/template"

	"alba-digi/infra"
	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"properties":       plan.Properties,
	"join":             strings.Join,
	"md":               mdEscape,
	"codeOrDash":       codeOrDash,
	"rolloutRows":      rolloutRows,
	"releaseRows":      releaseRows,
	"duration":         duration,
	"minutes":          func(seconds int) int { return (seconds + 59) / 60 },
	"tree":             tree,
	"sortedKeys":       sortedKeys,
	"esc":              mermaidText,
	"diagram":          NewDiagram,
	"diffDiagram":      NewDiffDiagram,
	"architecture":     NewArchitecture,
	"architectureDiff": NewArchitectureDiff,
	"changedDeps":      ChangedDependencies,
	"money":            func(v float64) string { return cost.Money(v, false) },
	"change":           func(v float64) string { return cost.Money(v, true) },
	"qty":              func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
}).ParseFS(templateFiles, "templates/*.tmpl"))

// Formats are the output formats, in the order -format lists them.
// mermaid is the architecture view; mermaid-dependencies the dependency graph,
// every resource and what waits for what.
var Formats = []string{"text", "markdown", "json", "mermaid", "mermaid-dependencies"}

// Plan writes p in format (text, markdown or json).
func Plan(w io.Writer, format string, p *plan.Plan) error {
	return write(w, format, "plan", p)
}

// Diff writes d in format (text, markdown or json).
func Diff(w io.Writer, format string, d *diff.Diff) error {
	return write(w, format, "diff", d)
}

func write(w io.Writer, format, what string, v any) error {
	switch format {
	case "json":
		return plan.WriteJSON(w, v)
	case "text":
		return templates.ExecuteTemplate(w, what+".txt.tmpl", v)
	case "markdown":
		return templates.ExecuteTemplate(w, what+".md.tmpl", v)
	case "mermaid":
		return templates.ExecuteTemplate(w, what+".mmd.tmpl", v)
	case "mermaid-dependencies":
		return templates.ExecuteTemplate(w, what+".deps.mmd.tmpl", v)
	}
	return fmt.Errorf("format %q: want %s", format, strings.Join(Formats, ", "))
}

// treeLine is one resource of the text plan's tree, with its inputs aligned.
type treeLine struct {
	Indent string
	plan.Resource
	Props []plan.Property
	Width int
}

// tree lays the resources out under the stack, children under their parent.
func tree(p *plan.Plan) []treeLine {
	var out []treeLine
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, r := range p.Resources {
			if r.Parent != parent {
				continue
			}
			props := plan.Properties(r.Inputs)
			width := 0
			for _, pr := range props {
				width = max(width, len(pr.Path))
			}
			out = append(out, treeLine{Indent: strings.Repeat("    ", depth), Resource: r, Props: props, Width: width})
			if r.Name != parent {
				walk(r.Name, depth+1)
			}
		}
	}
	walk(p.Project+"-"+p.Stack, 1)
	return out
}

// rolloutRows are the rollout estimate's rows: what, this stack, AWS defaults.
func rolloutRows(r *infra.Rollout) [][3]string {
	o, a := r.Ours, r.AWSDefaults
	seconds := func(label string, ours, aws int) [3]string {
		return [3]string{label, fmt.Sprintf("%d s", ours), fmt.Sprintf("%d s", aws)}
	}
	return [][3]string{
		seconds("health check interval", o.HealthCheckIntervalSeconds, a.HealthCheckIntervalSeconds),
		{"healthy / unhealthy thresholds", fmt.Sprintf("%d / %d", o.HealthyThreshold, o.UnhealthyThreshold), fmt.Sprintf("%d / %d", a.HealthyThreshold, a.UnhealthyThreshold)},
		seconds("health-check grace period", o.HealthCheckGracePeriodSeconds, a.HealthCheckGracePeriodSeconds),
		seconds("new task judged healthy", o.HealthySeconds, a.HealthySeconds),
		seconds("failing task detected (worst case)", o.DetectFailureSeconds, a.DetectFailureSeconds),
		seconds("old task drained", o.DrainSeconds, a.DrainSeconds),
		{"tasks replaced per batch", fmt.Sprintf("%d (min %d%%, max %d%%)", o.TasksPerBatch, o.MinimumHealthyPercent, o.MaximumPercent), fmt.Sprintf("%d (min %d%%, max %d%%)", a.TasksPerBatch, a.MinimumHealthyPercent, a.MaximumPercent)},
		seconds("rolling update of all tasks (estimate)", o.RolloutSeconds, a.RolloutSeconds),
	}
}

// releaseRows are a CodeDeploy release's estimate rows: what, this stack, AWS
// defaults (of the health checks and the deregistration delay; the shift and
// the termination wait are the stack's in both).
func releaseRows(r *infra.Rollout) [][3]string {
	o, a := r.Ours, r.AWSDefaults
	seconds := func(label string, ours, aws int) [3]string {
		return [3]string{label, fmt.Sprintf("%d s", ours), fmt.Sprintf("%d s", aws)}
	}
	rows := rolloutRows(r)[:5]
	return append(rows,
		[3]string{"replacement task set", fmt.Sprintf("%d tasks at once", o.TasksPerBatch), fmt.Sprintf("%d tasks at once", a.TasksPerBatch)},
		seconds("traffic shift", o.ShiftSeconds, a.ShiftSeconds),
		seconds("all traffic on the new revision", o.FullTrafficSeconds, a.FullTrafficSeconds),
		seconds("original task set kept", o.TerminationWaitSeconds, a.TerminationWaitSeconds),
		seconds("original task set drained", o.DrainSeconds, a.DrainSeconds),
		seconds("release of all tasks (estimate)", o.RolloutSeconds, a.RolloutSeconds),
	)
}

// duration says a number of seconds as a person would: 50 s, 5 min 40 s,
// 2 h 5 min.
func duration(seconds int) string {
	h, m, s := seconds/3600, seconds%3600/60, seconds%60
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case h > 0:
		return fmt.Sprintf("%d h", h)
	case m > 0 && s > 0:
		return fmt.Sprintf("%d min %d s", m, s)
	case m > 0:
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d s", s)
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func codeOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return "`" + s + "`"
}
