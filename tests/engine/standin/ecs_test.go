package main

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// TestServiceDiffOfCapacityProviderStrategies follows terraform-provider-aws's
// capacityProviderStrategyCustomizeDiff: a changed strategy replaces the
// service unless forceNewDeployment is on and neither side is empty; the same
// strategy, read back with base 0 and in another order, is no change at all.
func TestServiceDiffOfCapacityProviderStrategies(t *testing.T) {
	item := func(provider string, base, weight int, withBase bool) resource.PropertyValue {
		m := resource.PropertyMap{"capacityProvider": resource.NewStringProperty(provider), "weight": resource.NewNumberProperty(float64(weight))}
		if withBase {
			m["base"] = resource.NewNumberProperty(float64(base))
		}
		return resource.NewObjectProperty(m)
	}
	service := func(force bool, items ...resource.PropertyValue) resource.PropertyMap {
		m := resource.PropertyMap{"name": resource.NewStringProperty("alba-digi-service")}
		if len(items) > 0 {
			m["capacityProviderStrategies"] = resource.NewArrayProperty(items)
		}
		if force {
			m["forceNewDeployment"] = resource.NewBoolProperty(true)
		}
		return m
	}
	declared := func(force bool, spot int) resource.PropertyMap {
		return service(force, item("FARGATE", 1, 100-spot, true), item("FARGATE_SPOT", 0, spot, false))
	}
	// The state after an update: what the provider read back.
	readBack := service(true, item("FARGATE_SPOT", 0, 25, true), item("FARGATE", 1, 75, true))
	for _, tt := range []struct {
		name                 string
		state, inputs, news  resource.PropertyMap
		wantDiffs, wantRepls []string
	}{
		{"forceNewDeployment back off, same strategy read back", readBack, declared(true, 25), declared(false, 25),
			[]string{"forceNewDeployment"}, nil},
		{"another share with forceNewDeployment", readBack, declared(true, 25), declared(true, 50),
			[]string{"capacityProviderStrategies"}, nil},
		{"another share without forceNewDeployment", readBack, declared(true, 25), declared(false, 50),
			[]string{"capacityProviderStrategies", "forceNewDeployment"}, []string{"capacityProviderStrategies"}},
		{"from none to some, even with forceNewDeployment", service(false), service(false), declared(true, 50),
			[]string{"capacityProviderStrategies", "forceNewDeployment"}, []string{"capacityProviderStrategies"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := serviceDiff(tt.state, tt.inputs, tt.news, nil)
			if !slices.Equal(resp.GetDiffs(), tt.wantDiffs) || !slices.Equal(resp.GetReplaces(), tt.wantRepls) {
				t.Errorf("diffs %v replaces %v, want diffs %v replaces %v", resp.GetDiffs(), resp.GetReplaces(), tt.wantDiffs, tt.wantRepls)
			}
		})
	}
}
