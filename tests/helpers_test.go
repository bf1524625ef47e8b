// Package tests runs the whole stack offline, under the Pulumi SDK's mocks,
// with the real Pulumi.yaml and Pulumi.<stack>.yaml loaded by Pulumi's own
// project and stack loaders.
package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"alba-digi/internal/mockaws"
	"alba-digi/internal/plan"
	"alba-digi/internal/stackconfig"
)

// projectDir is the repository root, where Pulumi.yaml lives.
const projectDir = ".."

// deploy runs the stack's program for stack with config overrides
// ("key=value") and fails the test on error.
func deploy(t testing.TB, stack string, overrides ...string) *plan.Result {
	t.Helper()
	res, err := tryDeploy(stack, overrides...)
	if err != nil {
		t.Fatalf("stack %s with %v: %v", stack, overrides, err)
	}
	return res
}

func tryDeploy(stack string, overrides ...string) (*plan.Result, error) {
	sc, err := stackconfig.LoadStack(projectDir, stack, overrides)
	if err != nil {
		return nil, err
	}
	return plan.Run(sc)
}

// stackView finds resources of a result by type and logical name.
type stackView struct {
	t   testing.TB
	res *plan.Result
}

func view(t testing.TB, res *plan.Result) stackView { return stackView{t, res} }

// all returns the resources of type typ.
func (v stackView) all(typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range v.res.Plan.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// one returns the single resource of type typ, failing unless there is exactly one.
func (v stackView) one(typ string) plan.Resource {
	v.t.Helper()
	rs := v.all(typ)
	if len(rs) != 1 {
		v.t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

// named returns the resource with logical name name.
func (v stackView) named(name string) plan.Resource {
	v.t.Helper()
	for _, r := range v.res.Plan.Resources {
		if r.Name == name {
			return r
		}
	}
	v.t.Fatalf("no resource named %s", name)
	return plan.Resource{}
}

// registration returns the register request of the resource named name.
func (v stackView) registration(name string) mockaws.Registration {
	v.t.Helper()
	for _, r := range v.res.Registrations {
		if r.Name == name {
			return r
		}
	}
	v.t.Fatalf("no registration named %s", name)
	return mockaws.Registration{}
}

// get returns the input at a dotted path ("healthCheck.path",
// "loadBalancers.0.containerPort") as text, "<absent>" when missing.
func get(r plan.Resource, path string) string {
	var cur any = r.Inputs
	for _, part := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[part]
			if !ok {
				return "<absent>"
			}
			cur = next
		case []any:
			i := 0
			for _, c := range part {
				if c < '0' || c > '9' {
					return "<absent>"
				}
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return "<absent>"
			}
			cur = x[i]
		default:
			return "<absent>"
		}
	}
	switch x := cur.(type) {
	case string:
		return x
	case nil:
		return "<null>"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// expect compares inputs at paths of resource r with the wanted values.
func expect(t testing.TB, r plan.Resource, want map[string]string) {
	t.Helper()
	for path, w := range want {
		if got := get(r, path); got != w {
			t.Errorf("%s %s: %s = %s, want %s", r.Type, r.Name, path, got, w)
		}
	}
}

func resourceKey(k string) resource.PropertyKey { return resource.PropertyKey(k) }
