package plan

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestPlainMasksSecretsAndUnknowns(t *testing.T) {
	inputs := resource.PropertyMap{
		"password": resource.MakeSecret(resource.NewProperty("hunter2")),
		"nested": resource.NewProperty(resource.PropertyMap{
			"token": resource.MakeSecret(resource.NewProperty("abc")),
			"port":  resource.NewProperty(5050.0),
		}),
		"arn":    resource.MakeComputed(resource.NewProperty("")),
		"output": resource.NewProperty(resource.Output{Element: resource.NewProperty("x"), Known: true, Secret: true}),
		"list":   resource.NewProperty([]resource.PropertyValue{resource.NewProperty(true), resource.NewProperty(0.5)}),
	}
	got := plainMap(inputs)
	want := map[string]any{
		"password": Masked,
		"nested":   map[string]any{"token": Masked, "port": json.Number("5050")},
		"arn":      Unknown,
		"output":   Masked,
		"list":     []any{true, 0.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plain = %#v\nwant %#v", got, want)
	}
}

func TestReplaces(t *testing.T) {
	tests := []struct {
		typ, path string
		want      bool
	}{
		{"aws:lb/targetGroup:TargetGroup", "port", true},
		{"aws:lb/targetGroup:TargetGroup", "vpcId", true},
		{"aws:lb/targetGroup:TargetGroup", "healthCheck.path", false},
		{"aws:lb/loadBalancer:LoadBalancer", "internal", true},
		{"aws:lb/loadBalancer:LoadBalancer", "loadBalancerType", true},
		{"aws:lb/loadBalancer:LoadBalancer", "securityGroups[0]", false},
		{"aws:ecs/service:Service", "cluster", true},
		{"aws:ecs/service:Service", "launchType", true},
		{"aws:ecs/service:Service", "desiredCount", false},
		{"aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions[0].image", true},
		{"aws:ecs/taskDefinition:TaskDefinition", "tags.team", false},
		{"aws:unknown/type:Type", "name", false},
	}
	for _, tt := range tests {
		if got := replaces(tt.typ, tt.path); got != tt.want {
			t.Errorf("replaces(%s, %s) = %v, want %v", tt.typ, tt.path, got, tt.want)
		}
	}
}

func TestAutoNameFailsLikeTheProvider(t *testing.T) {
	if n, err := autoName("alba-digi-load-balancer", 32); err != nil || len(n) != 31 {
		t.Errorf("autoName(alba-digi-load-balancer) = %q, %v", n, err)
	}
	if _, err := autoName("orders-api-servic1-load-balancer", 32); err == nil {
		t.Error("a 32-character logical name was auto-named within 32 characters")
	}
}
