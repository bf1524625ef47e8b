package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"alba-digi/infra"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Plan is what `pulumi up` would create for a new stack.
type Plan struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Region    string         `json:"region"`
	Network   string         `json:"network"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	Rollout   *Rollout       `json:"rollout"`
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
	Options      *Options       `json:"options,omitempty"`
}

// Options are the resource options that matter to a reviewer.
type Options struct {
	DeleteBeforeReplace bool     `json:"deleteBeforeReplace,omitempty"`
	IgnoreChanges       []string `json:"ignoreChanges,omitempty"`
	Protect             bool     `json:"protect,omitempty"`
	RetainOnDelete      bool     `json:"retainOnDelete,omitempty"`
}

const (
	stackType = "pulumi:pulumi:Stack"
	// Masked stands for a secret value in a plan.
	Masked = "[secret]"
	// Unknown stands for a value only known after deployment.
	Unknown = "[unknown]"
)

// Result is a run of the program under the mocks: the plan, and the raw
// registrations for tests that inspect register requests.
type Result struct {
	Plan          *Plan
	Registrations []Registration
}

// Run runs the stack program for sc under the SDK's mocks, exactly as
// infra.Program does (validate, declare, export), and records the result.
func Run(sc *StackConfig) (*Result, error) {
	// The CLI refuses keys the project does not declare before the program runs;
	// Parse reports them with every other problem.
	cfg, err := infra.Parse(sc.ProjectValues())
	if err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	mocks := &Mocks{Region: sc.Values["aws:region"]}
	var (
		mu      sync.Mutex
		outputs map[string]any
	)
	program := func(ctx *pulumi.Context) error {
		outs, err := infra.Declare(ctx)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(outs))
		values := make([]any, 0, len(outs))
		for name, out := range outs {
			ctx.Export(name, out)
			names = append(names, name)
			values = append(values, out)
		}
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
	err = pulumi.RunErr(program, pulumi.WithMocks(sc.Project, sc.Stack, mocks), func(info *pulumi.RunInfo) {
		info.Config = sc.Values
		info.ConfigSecretKeys = sc.Secret
	})
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if outputs == nil {
		return nil, fmt.Errorf("stack outputs did not resolve")
	}
	regs := mocks.Registrations()
	p := &Plan{Project: sc.Project, Stack: sc.Stack, Region: mocks.Region, Outputs: outputs, Resources: resources(regs)}
	p.Rollout = NewRollout(cfg)
	p.Network = network(cfg)
	return &Result{Plan: p, Registrations: regs}, nil
}

// resources turns registrations into plan resources, sorted by type and name.
func resources(regs []Registration) []Resource {
	var out []Resource
	for _, r := range regs {
		if r.Type == stackType {
			continue
		}
		res := Resource{Type: r.Type, Name: r.Name, Inputs: plainMap(r.Inputs), DependsOn: explicitDependencies(r)}
		res.Parent = urnName(r.Parent)
		res.PhysicalName = physicalName(r)
		if r.DeleteBeforeReplace || len(r.IgnoreChanges) > 0 || r.Protect || r.RetainOnDelete {
			res.Options = &Options{DeleteBeforeReplace: r.DeleteBeforeReplace, IgnoreChanges: r.IgnoreChanges, Protect: r.Protect, RetainOnDelete: r.RetainOnDelete}
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
func explicitDependencies(r Registration) []string {
	fromInputs := map[string]bool{}
	for _, deps := range r.PropertyDependencies {
		for _, d := range deps {
			fromInputs[d] = true
		}
	}
	out := []string{}
	for _, d := range r.Dependencies {
		if !fromInputs[d] {
			out = append(out, urnName(d))
		}
	}
	sort.Strings(out)
	return out
}

// physicalName is the name AWS will show: the declared name, or the auto-name
// the mocks generated as the provider would.
func physicalName(r Registration) string {
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
		return urnName(string(v.ResourceReferenceValue().URN))
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

// network describes in words where the load balancer and the tasks run.
func network(c infra.Config) string {
	lb := "internet-facing load balancer"
	if c.InternalLoadBalancer {
		lb = "internal load balancer"
	}
	ip := "with public IPs"
	if !c.AssignPublicIP {
		ip = "without public IPs"
	}
	switch {
	case c.CreateVpc:
		nat := "one NAT gateway"
		if c.NatGateways == "onePerAz" {
			nat = "a NAT gateway per zone"
		}
		lbSubnets := "public"
		if c.InternalLoadBalancer {
			lbSubnets = "private"
		}
		return fmt.Sprintf("new VPC %s in %d zones with %s: %s in the %s subnets, tasks in the private subnets %s",
			c.VpcCidr, c.AvailabilityZones, nat, lb, lbSubnets, ip)
	case c.VpcID != "":
		return fmt.Sprintf("existing VPC %s: %s and tasks in subnets %s, tasks %s", c.VpcID, lb, strings.Join(c.SubnetIDs, ", "), ip)
	default:
		return fmt.Sprintf("the account's default VPC: %s and tasks in its public subnets, tasks %s (it has no NAT)", lb, ip)
	}
}
