// Package plan runs the stack program offline under the mocks and models what
// `pulumi up` would create for a new stack: resources, their inputs,
// dependencies and options, the outputs, and the facts a reviewer reads first
// (network, rollout estimate).
package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"alba-digi/infra"
	"alba-digi/internal/cost"
	"alba-digi/internal/field"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/stackconfig"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Plan is what `pulumi up` would create for a new stack.
type Plan struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Region    string         `json:"region"`
	Network   Network        `json:"network"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	Rollout   *infra.Rollout `json:"rollout"`
	// Firewall is the web application firewall's summary (nil without waf):
	// its mode, rules, and the capacity it uses of what its price includes.
	Firewall *infra.Firewall `json:"firewall,omitempty"`
	// Cost is the monthly estimate of what the plan declares.
	Cost *cost.Estimate `json:"cost,omitempty"`
}

// Network is where the load balancer and the tasks run.
type Network struct {
	Kind infra.NetworkKind `json:"kind"`
	// VpcID and SubnetIDs of an existing VPC.
	VpcID     string   `json:"vpcId,omitempty"`
	SubnetIDs []string `json:"subnetIds,omitempty"`
	// Cidr, Zones and NATPerZone of a new VPC.
	Cidr                 string `json:"cidr,omitempty"`
	Zones                int    `json:"zones,omitempty"`
	NATPerZone           bool   `json:"natPerZone,omitempty"`
	InternalLoadBalancer bool   `json:"internalLoadBalancer"`
	PublicIPs            bool   `json:"publicIps"`
}

// Resource is one declared resource: its parent (the stack, or a component),
// its inputs as the program declares them (secrets masked), the resources it
// waits for beyond its inputs (dependsOn), and the options that change how it
// is replaced or deleted.
type Resource struct {
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	Parent       string         `json:"parent"`
	PhysicalName string         `json:"physicalName,omitempty"`
	Inputs       map[string]any `json:"inputs"`
	DependsOn    []string       `json:"dependsOn"`
	// Dependencies are every resource this one waits for: those its inputs
	// reference (Via the input) and those of its dependsOn (Via "dependsOn").
	Dependencies []Dependency `json:"dependencies"`
	Options      *Options     `json:"options,omitempty"`
}

// Dependency is one resource another waits for, and why.
type Dependency struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// Via is the input that references it, or DependsOn.
	Via string `json:"via"`
}

// DependsOn is the Via of a dependency declared with the dependsOn option.
const DependsOn = "dependsOn"

// Options are the resource options that matter to a reviewer.
type Options struct {
	DeleteBeforeReplace bool     `json:"deleteBeforeReplace,omitempty"`
	IgnoreChanges       []string `json:"ignoreChanges,omitempty"`
	Protect             bool     `json:"protect,omitempty"`
	RetainOnDelete      bool     `json:"retainOnDelete,omitempty"`
	// CreateTimeout bounds the provider's wait for the resource's creation.
	CreateTimeout string `json:"createTimeout,omitempty"`
}

const (
	// StackType is the type of the stack's root resource.
	StackType = "pulumi:pulumi:Stack"
	// Masked stands for a secret value in a plan.
	Masked = "[secret]"
	// Unknown stands for a value only known after deployment.
	Unknown = "[unknown]"
)

// Result is a run of the program under the mocks: the plan, the validated
// configuration, and the raw registrations for tests that inspect register
// requests.
type Result struct {
	Plan          *Plan
	Config        infra.Config
	Registrations []mockaws.Registration
}

// Run runs the stack program for sc under the SDK's mocks, exactly as
// infra.Program does (validate, declare, export), and records the result.
func Run(sc *stackconfig.StackConfig) (*Result, error) {
	var subnets []string
	_ = json.Unmarshal([]byte(sc.Values[sc.Project+":subnetIds"]), &subnets) // validated by the program
	_, parent, _ := strings.Cut(sc.Values[sc.Project+":domainName"], ".")
	mocks := &mockaws.Mocks{Region: sc.Region(), AssumedVpc: sc.Values[sc.Project+":vpcId"], AssumedSubnets: subnets, AssumedZone: parent}
	var (
		mu       sync.Mutex
		cfg      infra.Config
		declared bool
		outputs  map[string]any
	)
	program := func(ctx *pulumi.Context) error {
		d, err := infra.Declare(ctx, sc.Values)
		if err != nil {
			return err
		}
		names := slices.Sorted(maps.Keys(d.Outputs))
		values := make([]any, len(names))
		for i, name := range names {
			ctx.Export(name, d.Outputs[name])
			values[i] = d.Outputs[name]
		}
		mu.Lock()
		cfg, declared = d.Config, true
		mu.Unlock()
		pulumi.All(values...).ApplyT(func(resolved []any) error {
			mu.Lock()
			defer mu.Unlock()
			outputs = map[string]any{}
			for i, name := range names {
				outputs[name] = resolved[i]
			}
			return nil
		})
		return nil
	}
	err := pulumi.RunErr(program, pulumi.WithMocks(sc.Project, sc.Stack, mocks), func(info *pulumi.RunInfo) {
		info.Config = sc.Values
		info.ConfigSecretKeys = sc.Secret
	})
	if list := field.List(err); list != nil {
		// The engine wraps a program error; a configuration error reads best alone.
		return nil, fmt.Errorf("invalid stack configuration:\n%w", list.ToAggregate())
	}
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if !declared || outputs == nil {
		return nil, fmt.Errorf("stack outputs did not resolve")
	}
	regs := mocks.Registrations()
	p := &Plan{
		Project: sc.Project, Stack: sc.Stack, Region: mocks.Region,
		Network: network(cfg), Resources: resources(regs), Outputs: outputs, Rollout: cfg.Rollout(),
		Firewall: cfg.Firewall(),
	}
	prices, err := cost.LoadPrices()
	if err != nil {
		return nil, fmt.Errorf("price file: %w", err)
	}
	var priced []cost.Resource
	for _, r := range p.Resources {
		priced = append(priced, cost.Resource{Type: r.Type, Name: r.Name, Inputs: r.Inputs})
	}
	p.Cost = cost.Of(prices, p.Region, priced)
	if r := p.Rollout.Release; r != nil {
		p.Cost.PerRelease = cost.OfRelease(prices, p.Region, priced, cost.Release{
			StartSeconds: r.StartAllowanceSeconds, HealthySeconds: p.Rollout.Ours.HealthySeconds, ShiftSeconds: p.Rollout.Ours.ShiftSeconds,
			TerminationSeconds: p.Rollout.Ours.TerminationWaitSeconds, DrainSeconds: p.Rollout.Ours.DrainSeconds,
		})
	}
	return &Result{Plan: p, Config: cfg, Registrations: regs}, nil
}

func network(c infra.Config) Network {
	n := Network{Kind: c.NetworkKind(), InternalLoadBalancer: c.InternalLoadBalancer, PublicIPs: c.AssignPublicIP}
	switch n.Kind {
	case infra.ExistingVPC:
		n.VpcID, n.SubnetIDs = c.VpcID, c.SubnetIDs
	case infra.NewVPC:
		n.Cidr, n.Zones, n.NATPerZone = c.VpcCidr, c.AvailabilityZones, c.NATPerZone()
	}
	return n
}

// resources turns registrations into plan resources, sorted by type and name.
func resources(regs []mockaws.Registration) []Resource {
	var out []Resource
	for _, r := range regs {
		if r.Type == StackType {
			continue
		}
		res := Resource{Type: r.Type, Name: r.Name, Inputs: plainMap(r.Inputs), DependsOn: explicitDependencies(r), Dependencies: dependencies(r)}
		res.Parent = mockaws.URNName(r.Parent)
		res.PhysicalName = physicalName(r)
		if r.DeleteBeforeReplace || len(r.IgnoreChanges) > 0 || r.Protect || r.RetainOnDelete || r.CreateTimeout != "" {
			res.Options = &Options{DeleteBeforeReplace: r.DeleteBeforeReplace, IgnoreChanges: r.IgnoreChanges, Protect: r.Protect, RetainOnDelete: r.RetainOnDelete, CreateTimeout: r.CreateTimeout}
		}
		out = append(out, res)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// explicitDependencies are the dependencies a resource does not get from its
// inputs: its DependsOn option. They are the ones a reader cannot infer.
func explicitDependencies(r mockaws.Registration) []string {
	fromInputs := map[string]bool{}
	for _, deps := range r.PropertyDependencies {
		for _, d := range deps {
			fromInputs[d] = true
		}
	}
	out := []string{}
	for _, d := range r.Dependencies {
		if !fromInputs[d] {
			out = append(out, mockaws.URNName(d))
		}
	}
	sort.Strings(out)
	return out
}

// dependencies lists what r waits for, from its register request: each input's
// references, then its dependsOn, sorted by type, name and input.
func dependencies(r mockaws.Registration) []Dependency {
	out := []Dependency{}
	fromInputs := map[string]bool{}
	for prop, urns := range r.PropertyDependencies {
		for _, urn := range urns {
			fromInputs[urn] = true
			out = append(out, Dependency{Type: mockaws.URNType(urn), Name: mockaws.URNName(urn), Via: prop})
		}
	}
	for _, urn := range r.Dependencies {
		if !fromInputs[urn] {
			out = append(out, Dependency{Type: mockaws.URNType(urn), Name: mockaws.URNName(urn), Via: DependsOn})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Via < b.Via
	})
	return slices.Compact(out)
}

// physicalName is the name AWS will show: the declared name, or the auto-name
// the mocks generated as the provider would.
func physicalName(r mockaws.Registration) string {
	keys := []resource.PropertyKey{"name", "family"}
	if r.Type == "aws:s3/bucketV2:BucketV2" {
		keys = []resource.PropertyKey{"bucket"}
	}
	for _, key := range keys {
		if v, ok := r.Outputs[key]; ok && v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

func plainMap(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[string(k)] = plain(v)
	}
	return out
}

// plain converts a property value to plain JSON-able Go values, with secrets
// masked and unknowns marked.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Masked
	case v.IsComputed():
		return Unknown
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return Masked
		}
		if !o.Known {
			return Unknown
		}
		return plain(o.Element)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e)
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsResourceReference():
		return mockaws.URNName(string(v.ResourceReferenceValue().URN))
	case v.IsNumber():
		n := v.NumberValue()
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return json.Number(fmt.Sprint(int64(n)))
		}
		return n
	case v.IsNull():
		return nil
	default:
		return v.V
	}
}

// WriteJSON writes v as stable, indented JSON without HTML escaping (map keys
// sorted; plans list resources sorted by type and name).
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ReadJSON reads a plan written by WriteJSON, keeping numbers exact.
func ReadJSON(r io.Reader) (*Plan, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return &p, nil
}

// Property is one flattened input: a path and its value as text.
type Property struct{ Path, Value string }

// Properties flattens a resource's inputs for reading: nested objects become
// dotted paths, JSON documents held in strings (container definitions, IAM
// policies) are expanded, and tags are shown on one line.
func Properties(inputs map[string]any) []Property {
	var out []Property
	for _, k := range slices.Sorted(maps.Keys(inputs)) {
		if k == "tags" || k == "tagsAll" {
			if tags, ok := inputs[k].(map[string]any); ok {
				var parts []string
				for _, tk := range slices.Sorted(maps.Keys(tags)) {
					parts = append(parts, fmt.Sprintf("%s=%v", tk, tags[tk]))
				}
				out = append(out, Property{k, strings.Join(parts, ", ")})
				continue
			}
		}
		Flatten(k, inputs[k], &out)
	}
	return out
}

// Flatten appends the leaves of v under path to out.
func Flatten(path string, v any, out *[]Property) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			*out = append(*out, Property{path, "{}"})
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			Flatten(path+"."+k, x[k], out)
		}
	case []any:
		if len(x) == 0 {
			*out = append(*out, Property{path, "[]"})
		}
		for i, e := range x {
			Flatten(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	case string:
		if doc, ok := JSONDocument(x); ok {
			Flatten(path, doc, out)
			return
		}
		*out = append(*out, Property{path, x})
	case nil:
		*out = append(*out, Property{path, "null"})
	default:
		*out = append(*out, Property{path, fmt.Sprint(x)})
	}
}

// JSONDocument decodes s when it holds a JSON object or array.
func JSONDocument(s string) (any, bool) {
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

// Describe lists the options set, for a reader.
func (o *Options) Describe() string {
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
	if o.CreateTimeout != "" {
		parts = append(parts, "create timeout "+o.CreateTimeout)
	}
	return strings.Join(parts, "; ")
}
