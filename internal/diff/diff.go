// Package diff compares two plans: resources added, removed and changed, each
// change with old and new values and whether it makes AWS replace the resource.
package diff

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"alba-digi/infra"
	"alba-digi/internal/cost"
	"alba-digi/internal/plan"
)

const serviceType = "aws:ecs/service:Service"

// Diff is what changes between a base plan and a new one.
type Diff struct {
	Stack   string           `json:"stack"`
	Added   []string         `json:"added"`
	Removed []string         `json:"removed"`
	Changed []ResourceChange `json:"changed"`
	Outputs []PropertyChange `json:"outputs"`
	// Rollout is the new plan's rollout estimate.
	Rollout *infra.Rollout `json:"rollout"`
	// Firewall is the new plan's web application firewall when it differs
	// from the base plan's (its mode, rules or capacity), else nil.
	Firewall *infra.Firewall `json:"firewall,omitempty"`
	// Cost is the change of the monthly estimate (nil when the base plan has
	// none).
	Cost *cost.Delta `json:"cost,omitempty"`

	// Base and Next are the plans compared, and AddedResources and
	// RemovedResources what Added and Removed list, for the diagram.
	Base, Next                       *plan.Plan `json:"-"`
	AddedResources, RemovedResources []Ref      `json:"-"`
}

// Ref names a resource.
type Ref struct{ Type, Name string }

// ResourceChange is a resource present in both plans with different inputs.
type ResourceChange struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Replace  bool   `json:"replace"`
	Critical string `json:"critical,omitempty"`
	// Accept is the key without which preview and up refuse the
	// replacement (acceptServiceReplacement), when they do.
	Accept string `json:"accept,omitempty"`
	// DowntimeSeconds estimates how long the API answers nothing while a
	// replaced service's successor starts (0 for other resources).
	DowntimeSeconds int              `json:"downtimeSeconds,omitempty"`
	Properties      []PropertyChange `json:"properties"`
}

// PropertyChange is one flattened property, before and after. Absent values
// are shown as Absent.
type PropertyChange struct {
	Path     string `json:"path"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Replaces bool   `json:"replaces,omitempty"`
}

// Absent stands for a property one side does not have.
const Absent = "(none)"

// Compare returns the diff from base to next.
func Compare(base, next *plan.Plan) *Diff {
	d := &Diff{Stack: next.Stack, Added: []string{}, Removed: []string{}, Changed: []ResourceChange{}, Outputs: []PropertyChange{}, Rollout: next.Rollout, Base: base, Next: next,
		Cost: cost.Compare(base.Cost, next.Cost)}
	if !reflect.DeepEqual(base.Firewall, next.Firewall) {
		d.Firewall = next.Firewall
	}
	key := func(r plan.Resource) string { return r.Type + "::" + r.Name }
	old := map[string]plan.Resource{}
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
			d.AddedResources = append(d.AddedResources, Ref{r.Type, r.Name})
			continue
		}
		changes := compareMaps(prev.Inputs, r.Inputs)
		if len(changes) == 0 {
			continue
		}
		rc := ResourceChange{Type: r.Type, Name: r.Name, Properties: changes}
		for i := range rc.Properties {
			if replaces(r.Type, rc.Properties[i].Path) {
				rc.Properties[i].Replaces = true
				rc.Replace = true
				if key := accepted(r.Type, rc.Properties[i].Path); key != "" {
					rc.Accept = key
				}
			}
		}
		if rc.Replace {
			rc.Critical = criticalTypes[r.Type]
			if r.Type == serviceType && next.Rollout != nil {
				rc.DowntimeSeconds = next.Rollout.ReplacementDowntimeSeconds()
			}
		}
		d.Changed = append(d.Changed, rc)
	}
	for _, r := range base.Resources {
		if !seen[key(r)] {
			d.Removed = append(d.Removed, r.Name+" ("+r.Type+")")
			d.RemovedResources = append(d.RemovedResources, Ref{r.Type, r.Name})
		}
	}
	d.Outputs = compareMaps(base.Outputs, next.Outputs)
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

// compareMaps diffs two sets of inputs (or outputs) with the Pulumi SDK's own
// PropertyMap.Diff, after expanding the JSON documents held in strings
// (container definitions, IAM policies) so that a change inside one is shown at
// its own path.
func compareMaps(before, after map[string]any) []PropertyChange {
	od := propertyMap(before).Diff(propertyMap(after))
	if od == nil {
		return nil
	}
	var out []PropertyChange
	walkObject("", od, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func propertyMap(m map[string]any) resource.PropertyMap {
	expanded := map[string]any{}
	for k, v := range m {
		expanded[k] = expand(v)
	}
	return resource.NewPropertyMapFromMap(expanded)
}

// expand replaces JSON documents held in strings by their decoded value, and
// numbers by their text, so both sides compare the way a reader sees them.
func expand(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = expand(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expand(e)
		}
		return out
	case string:
		if doc, ok := plan.JSONDocument(x); ok {
			return expand(doc)
		}
		return x
	case nil, bool:
		return x
	default:
		return fmt.Sprint(x)
	}
}

func join(prefix string, key resource.PropertyKey) string {
	if prefix == "" {
		return string(key)
	}
	return prefix + "." + string(key)
}

func walkObject(prefix string, d *resource.ObjectDiff, out *[]PropertyChange) {
	for k, v := range d.Adds {
		changeLeaves(join(prefix, k), nil, &v, out)
	}
	for k, v := range d.Deletes {
		changeLeaves(join(prefix, k), &v, nil, out)
	}
	for k, vd := range d.Updates {
		walkValue(join(prefix, k), vd, out)
	}
}

func walkValue(path string, vd resource.ValueDiff, out *[]PropertyChange) {
	switch {
	case vd.Object != nil:
		walkObject(path, vd.Object, out)
	case vd.Array != nil:
		for i, v := range vd.Array.Adds {
			changeLeaves(fmt.Sprintf("%s[%d]", path, i), nil, &v, out)
		}
		for i, v := range vd.Array.Deletes {
			changeLeaves(fmt.Sprintf("%s[%d]", path, i), &v, nil, out)
		}
		for i, e := range vd.Array.Updates {
			walkValue(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	default:
		changeLeaves(path, &vd.Old, &vd.New, out)
	}
}

// changeLeaves flattens old and new values at path (nil: absent) and appends
// the leaves that differ.
func changeLeaves(path string, old, next *resource.PropertyValue, out *[]PropertyChange) {
	leaves := func(v *resource.PropertyValue) map[string]string {
		m := map[string]string{}
		if v == nil {
			return m
		}
		var props []plan.Property
		plan.Flatten(path, mappable(*v), &props)
		for _, p := range props {
			m[p.Path] = p.Value
		}
		return m
	}
	before, after := leaves(old), leaves(next)
	for _, p := range slices.Sorted(maps.Keys(after)) {
		if o, ok := before[p]; !ok {
			*out = append(*out, PropertyChange{Path: p, Old: Absent, New: after[p]})
		} else if o != after[p] {
			*out = append(*out, PropertyChange{Path: p, Old: o, New: after[p]})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[p]; !ok {
			*out = append(*out, PropertyChange{Path: p, Old: before[p], New: Absent})
		}
	}
}

func mappable(v resource.PropertyValue) any {
	if v.IsNull() {
		return nil
	}
	return v.Mappable()
}

// Empty reports whether nothing changes.
func (d *Diff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.Outputs) == 0
}

// Replacements counts the resources replaced.
func (d *Diff) Replacements() int {
	n := 0
	for _, c := range d.Changed {
		if c.Replace {
			n++
		}
	}
	return n
}

// CriticalChanges are the replacements a reviewer must see first.
func (d *Diff) CriticalChanges() []ResourceChange {
	var out []ResourceChange
	for _, c := range d.Changed {
		if c.Critical != "" {
			out = append(out, c)
		}
	}
	return out
}

// Summary counts what changes, in words.
func (d *Diff) Summary() string {
	return fmt.Sprintf("%d to add, %d to change (%d replaced), %d to remove", len(d.Added), len(d.Changed), d.Replacements(), len(d.Removed))
}

// Verb says what happens to the resource.
func (c ResourceChange) Verb() string {
	switch {
	case c.Replace && c.Type == "aws:ecs/taskDefinition:TaskDefinition":
		return "replace (new task definition revision; the service rolls to it)"
	case c.Replace && c.Type == "aws:acm/certificate:Certificate":
		return "replace (the new certificate is validated and the HTTPS listener moves to it before the old one is deleted)"
	case c.Replace:
		return "replace"
	default:
		return "update in place"
	}
}

// ReplacedBy lists the changes that force the replacement.
func (c ResourceChange) ReplacedBy() string {
	var paths []string
	for _, p := range c.Properties {
		if p.Replaces {
			paths = append(paths, fmt.Sprintf("%s: %s → %s", p.Path, p.Old, p.New))
		}
	}
	return strings.Join(paths, "; ")
}
