package plan

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Diff is what changes between a base plan and a new one.
type Diff struct {
	Stack   string           `json:"stack"`
	Added   []string         `json:"added"`
	Removed []string         `json:"removed"`
	Changed []ResourceChange `json:"changed"`
	Outputs []PropertyChange `json:"outputs"`
	// Rollout is the new plan's rollout estimate.
	Rollout *Rollout `json:"rollout"`
}

// ResourceChange is a resource present in both plans with different inputs.
type ResourceChange struct {
	Type       string           `json:"type"`
	Name       string           `json:"name"`
	Replace    bool             `json:"replace"`
	Critical   string           `json:"critical,omitempty"`
	Properties []PropertyChange `json:"properties"`
}

// PropertyChange is one flattened property, before and after. Absent values
// are shown as "(none)".
type PropertyChange struct {
	Path     string `json:"path"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Replaces bool   `json:"replaces,omitempty"`
}

const absent = "(none)"

// dependentsNote says what an offline diff cannot show: the mocks give a
// replaced resource the same ARN, where AWS gives a new one.
const dependentsNote = "Resources that reference a replaced one (its ARN or id) are updated to the new one as well; `pulumi preview` lists them."

// Compare returns the diff from base to next.
func Compare(base, next *Plan) *Diff {
	d := &Diff{Stack: next.Stack, Added: []string{}, Removed: []string{}, Changed: []ResourceChange{}, Outputs: []PropertyChange{}, Rollout: next.Rollout}
	key := func(r Resource) string { return r.Type + "::" + r.Name }
	old := map[string]Resource{}
	for _, r := range base.Resources {
		old[key(r)] = r
	}
	seen := map[string]bool{}
	for _, r := range next.Resources {
		k := key(r)
		seen[k] = true
		prev, ok := old[k]
		if !ok {
			d.Added = append(d.Added, r.Name+" ("+r.Type+")")
			continue
		}
		changes := compareProperties(properties(prev.Inputs), properties(r.Inputs))
		if len(changes) == 0 {
			continue
		}
		rc := ResourceChange{Type: r.Type, Name: r.Name, Properties: changes}
		for i := range rc.Properties {
			if replaces(r.Type, rc.Properties[i].Path) {
				rc.Properties[i].Replaces = true
				rc.Replace = true
			}
		}
		if rc.Replace {
			rc.Critical = criticalTypes[r.Type]
		}
		d.Changed = append(d.Changed, rc)
	}
	for _, r := range base.Resources {
		if !seen[key(r)] {
			d.Removed = append(d.Removed, r.Name+" ("+r.Type+")")
		}
	}
	d.Outputs = compareProperties(flatOutputs(base.Outputs), flatOutputs(next.Outputs))
	sort.Slice(d.Changed, func(i, j int) bool {
		a, b := d.Changed[i], d.Changed[j]
		if (a.Critical != "") != (b.Critical != "") {
			return a.Critical != ""
		}
		if a.Replace != b.Replace {
			return a.Replace
		}
		return a.Name < b.Name
	})
	return d
}

func flatOutputs(outputs map[string]any) []property {
	var out []property
	for _, k := range slices.Sorted(maps.Keys(outputs)) {
		flatten(k, outputs[k], &out)
	}
	return out
}

func compareProperties(before, after []property) []PropertyChange {
	old := map[string]string{}
	for _, p := range before {
		old[p.path] = p.value
	}
	next := map[string]string{}
	for _, p := range after {
		next[p.path] = p.value
	}
	var out []PropertyChange
	for path, v := range next {
		if o, ok := old[path]; !ok {
			out = append(out, PropertyChange{Path: path, Old: absent, New: v})
		} else if o != v {
			out = append(out, PropertyChange{Path: path, Old: o, New: v})
		}
	}
	for path, o := range old {
		if _, ok := next[path]; !ok {
			out = append(out, PropertyChange{Path: path, Old: o, New: absent})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Empty reports whether nothing changes.
func (d *Diff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.Outputs) == 0
}

func (d *Diff) counts() (replacements int, critical []ResourceChange) {
	for _, c := range d.Changed {
		if c.Replace {
			replacements++
		}
		if c.Critical != "" {
			critical = append(critical, c)
		}
	}
	return replacements, critical
}

func (d *Diff) summary() string {
	replacements, _ := d.counts()
	return fmt.Sprintf("%d to add, %d to change (%d replaced), %d to remove", len(d.Added), len(d.Changed), replacements, len(d.Removed))
}

func (c ResourceChange) verb() string {
	switch {
	case c.Replace && c.Type == "aws:ecs/taskDefinition:TaskDefinition":
		return "replace (new task definition revision; the service rolls to it)"
	case c.Replace:
		return "replace"
	default:
		return "update in place"
	}
}

func (c ResourceChange) replacedBy() string {
	var paths []string
	for _, p := range c.Properties {
		if p.Replaces {
			paths = append(paths, fmt.Sprintf("%s: %s → %s", p.Path, p.Old, p.New))
		}
	}
	return strings.Join(paths, "; ")
}

// Text writes the diff for a terminal.
func (d *Diff) Text(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Plan diff of stack %q: %s\n", d.Stack, d.summary())
	_, critical := d.counts()
	for _, c := range critical {
		fmt.Fprintf(&b, "\n!! REPLACES %s (%s): %s\n   because %s\n", c.Name, c.Type, c.Critical, c.replacedBy())
	}
	if replacements, _ := d.counts(); replacements > 0 {
		b.WriteString("\n" + dependentsNote + "\n")
	}
	for _, a := range d.Added {
		fmt.Fprintf(&b, "\n+ %s\n", a)
	}
	for _, r := range d.Removed {
		fmt.Fprintf(&b, "\n- %s\n", r)
	}
	for _, c := range d.Changed {
		mark := "~"
		if c.Replace {
			mark = "+-"
		}
		fmt.Fprintf(&b, "\n%s %s (%s): %s\n", mark, c.Name, c.Type, c.verb())
		for _, p := range c.Properties {
			flag := ""
			if p.Replaces {
				flag = "  [forces replacement]"
			}
			fmt.Fprintf(&b, "    %s: %s → %s%s\n", p.Path, p.Old, p.New, flag)
		}
	}
	if len(d.Outputs) > 0 {
		b.WriteString("\nOutputs:\n")
		for _, p := range d.Outputs {
			fmt.Fprintf(&b, "    %s: %s → %s\n", p.Path, p.Old, p.New)
		}
	}
	if d.Empty() {
		b.WriteString("\nNo changes.\n")
	}
	if d.Rollout != nil {
		b.WriteString("\n")
		d.Rollout.text(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Markdown writes the diff for a pull-request comment, replacements of the
// load balancer, target group, listener or service called out first.
func (d *Diff) Markdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Plan diff of stack `%s`\n\n%s.\n", d.Stack, d.summary())
	_, critical := d.counts()
	for _, c := range critical {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> **Replaces `%s`** (`%s`): %s.\n> Because %s.\n", c.Name, c.Type, c.Critical, mdEscape(c.replacedBy()))
	}
	if replacements, _ := d.counts(); replacements > 0 {
		b.WriteString("\n" + dependentsNote + "\n")
	}
	if d.Empty() {
		b.WriteString("\nNo changes.\n")
	}
	if len(d.Added)+len(d.Removed) > 0 {
		b.WriteString("\n| | Resource |\n|---|---|\n")
		for _, a := range d.Added {
			fmt.Fprintf(&b, "| + add | `%s` |\n", a)
		}
		for _, r := range d.Removed {
			fmt.Fprintf(&b, "| - remove | `%s` |\n", r)
		}
	}
	for _, c := range d.Changed {
		fmt.Fprintf(&b, "\n### `%s` (`%s`): %s\n\n| Property | Old | New | |\n|---|---|---|---|\n", c.Name, c.Type, c.verb())
		for _, p := range c.Properties {
			flag := ""
			if p.Replaces {
				flag = "forces replacement"
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", p.Path, mdEscape(p.Old), mdEscape(p.New), flag)
		}
	}
	if len(d.Outputs) > 0 {
		b.WriteString("\n### Outputs\n\n| Output | Old | New |\n|---|---|---|\n")
		for _, p := range d.Outputs {
			fmt.Fprintf(&b, "| `%s` | `%s` | `%s` |\n", p.Path, mdEscape(p.Old), mdEscape(p.New))
		}
	}
	if d.Rollout != nil {
		b.WriteString("\n")
		d.Rollout.markdown(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
