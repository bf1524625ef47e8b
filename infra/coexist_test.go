package infra

import (
	"reflect"
	"testing"

	"alba-digi/internal/owners"
)

// TestFixedNamesChecked: the ownership check reads the cluster and every log
// group the stack plans, ECS Exec's only when it is on.
func TestFixedNamesChecked(t *testing.T) {
	c := Defaults()
	c.Name = "alba-digi-prod"
	want := []owners.Planned{
		{Kind: owners.Cluster, Name: "alba-digi-prod-cluster"},
		{Kind: owners.LogGroup, Name: "/ecs/alba-digi-prod"},
		{Kind: owners.LogGroup, Name: "/aws/ecs/containerinsights/alba-digi-prod-cluster/performance"},
	}
	if got := c.fixedNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	c.EnableExecuteCommand = true
	want = append(want[:2], owners.Planned{Kind: owners.LogGroup, Name: "/ecs/alba-digi-prod/exec"}, want[2])
	if got := c.fixedNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("with ECS Exec: planned %v, want %v", got, want)
	}
}
