package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// JSON writes the plan as stable, indented JSON: resources sorted by type and
// name, map keys sorted.
func (p *Plan) JSON(w io.Writer) error { return WriteJSON(w, p) }

// WriteJSON writes v as indented JSON without HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ReadJSON reads a plan written by JSON, keeping numbers exact.
func ReadJSON(r io.Reader) (*Plan, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return &p, nil
}

// property is one flattened input: a dotted path and its value as text.
type property struct{ path, value string }

// properties flattens a resource's inputs for reading: nested objects become
// dotted paths, JSON documents held in strings (container definitions, IAM
// policies) are expanded, and tags are shown on one line.
func properties(inputs map[string]any) []property {
	var out []property
	for _, k := range slices.Sorted(maps.Keys(inputs)) {
		if k == "tags" || k == "tagsAll" {
			if tags, ok := inputs[k].(map[string]any); ok {
				var parts []string
				for _, tk := range slices.Sorted(maps.Keys(tags)) {
					parts = append(parts, fmt.Sprintf("%s=%v", tk, tags[tk]))
				}
				out = append(out, property{k, strings.Join(parts, ", ")})
				continue
			}
		}
		flatten(k, inputs[k], &out)
	}
	return out
}

func flatten(path string, v any, out *[]property) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			*out = append(*out, property{path, "{}"})
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			flatten(path+"."+k, x[k], out)
		}
	case []any:
		if len(x) == 0 {
			*out = append(*out, property{path, "[]"})
		}
		for i, e := range x {
			flatten(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	case string:
		if doc, ok := jsonDocument(x); ok {
			flatten(path, doc, out)
			return
		}
		*out = append(*out, property{path, x})
	case nil:
		*out = append(*out, property{path, "null"})
	default:
		*out = append(*out, property{path, fmt.Sprint(x)})
	}
}

// jsonDocument decodes s when it holds a JSON object or array.
func jsonDocument(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// Text writes the plan as a tree under the stack: each resource with its type,
// logical name and physical name, then its inputs, then the outputs and the
// rollout estimate.
func (p *Plan) Text(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Plan of stack %q (project %s, region %s): %d resources to create\n", p.Stack, p.Project, p.Region, len(p.Resources))
	fmt.Fprintf(&b, "Network: %s\n\n", p.Network)
	root := p.Project + "-" + p.Stack
	fmt.Fprintf(&b, "+ %s  %s\n", stackType, root)
	p.writeChildren(&b, root, 1)
	b.WriteString("\nOutputs:\n")
	for _, k := range slices.Sorted(maps.Keys(p.Outputs)) {
		fmt.Fprintf(&b, "  %-15s %v\n", k, p.Outputs[k])
	}
	if p.Rollout != nil {
		b.WriteString("\n")
		p.Rollout.text(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (p *Plan) writeChildren(b *bytes.Buffer, parent string, depth int) {
	indent := strings.Repeat("    ", depth)
	for _, r := range p.Resources {
		if r.Parent != parent {
			continue
		}
		fmt.Fprintf(b, "%s+ %s  %s", indent, r.Type, r.Name)
		if r.PhysicalName != "" && r.PhysicalName != r.Name {
			fmt.Fprintf(b, "  (AWS name: %s)", r.PhysicalName)
		}
		b.WriteString("\n")
		props := properties(r.Inputs)
		width := 0
		for _, pr := range props {
			width = max(width, len(pr.path))
		}
		for _, pr := range props {
			fmt.Fprintf(b, "%s      %-*s = %s\n", indent, width, pr.path, pr.value)
		}
		if len(r.DependsOn) > 0 {
			fmt.Fprintf(b, "%s      (depends on %s)\n", indent, strings.Join(r.DependsOn, ", "))
		}
		if o := r.Options; o != nil {
			fmt.Fprintf(b, "%s      (options: %s)\n", indent, o.describe())
		}
		if r.Name != parent {
			p.writeChildren(b, r.Name, depth+1)
		}
	}
}

func (o *Options) describe() string {
	var parts []string
	if o.DeleteBeforeReplace {
		parts = append(parts, "deleteBeforeReplace")
	}
	if len(o.IgnoreChanges) > 0 {
		parts = append(parts, "ignoreChanges "+strings.Join(o.IgnoreChanges, ", "))
	}
	if o.Protect {
		parts = append(parts, "protect")
	}
	if o.RetainOnDelete {
		parts = append(parts, "retainOnDelete")
	}
	return strings.Join(parts, "; ")
}

func (r *Rollout) rows() [][3]string {
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

const rolloutNote = "Estimate per batch: new tasks judged healthy, then old tasks drained; image pull and container start come on top, the same either way."

func (r *Rollout) text(b *bytes.Buffer) {
	fmt.Fprintf(b, "Rolling update of %d tasks:\n", r.DesiredCount)
	fmt.Fprintf(b, "  %-40s %-24s %s\n", "", "this stack", "AWS defaults")
	for _, row := range r.rows() {
		fmt.Fprintf(b, "  %-40s %-24s %s\n", row[0], row[1], row[2])
	}
	fmt.Fprintf(b, "  %s\n", rolloutNote)
}

func (r *Rollout) markdown(b *bytes.Buffer) {
	fmt.Fprintf(b, "### Rolling update of %d tasks\n\n| | this stack | AWS defaults |\n|---|---|---|\n", r.DesiredCount)
	for _, row := range r.rows() {
		fmt.Fprintf(b, "| %s | %s | %s |\n", row[0], row[1], row[2])
	}
	fmt.Fprintf(b, "\n%s\n", rolloutNote)
}

// Markdown writes the plan for a pull request: a table of resources, their
// inputs in collapsed sections, the outputs and the rollout estimate.
func (p *Plan) Markdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Plan of stack `%s` (project %s, region %s)\n\n", p.Stack, p.Project, p.Region)
	fmt.Fprintf(&b, "%d resources to create. Network: %s.\n\n| Type | Name | AWS name |\n|---|---|---|\n", len(p.Resources), p.Network)
	for _, r := range p.Resources {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", r.Type, r.Name, codeOrDash(r.PhysicalName))
	}
	b.WriteString("\n")
	for _, r := range p.Resources {
		fmt.Fprintf(&b, "<details><summary><code>%s</code> %s</summary>\n\n```\n", r.Name, r.Type)
		for _, pr := range properties(r.Inputs) {
			fmt.Fprintf(&b, "%s = %s\n", pr.path, pr.value)
		}
		if len(r.DependsOn) > 0 {
			fmt.Fprintf(&b, "(depends on %s)\n", strings.Join(r.DependsOn, ", "))
		}
		if r.Options != nil {
			fmt.Fprintf(&b, "(options: %s)\n", r.Options.describe())
		}
		b.WriteString("```\n\n</details>\n")
	}
	b.WriteString("\n### Outputs\n\n| Output | Value |\n|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(p.Outputs)) {
		fmt.Fprintf(&b, "| `%s` | `%v` |\n", k, p.Outputs[k])
	}
	if p.Rollout != nil {
		b.WriteString("\n")
		p.Rollout.markdown(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func codeOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return "`" + s + "`"
}
