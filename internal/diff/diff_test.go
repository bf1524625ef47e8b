package diff

import (
	"encoding/json"
	"reflect"
	"testing"
)

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
		{"aws:ecs/service:Service", "deploymentController.type", true},
		{"aws:codedeploy/application:Application", "computePlatform", true},
		{"aws:codedeploy/application:Application", "name", false},
		{"aws:codedeploy/deploymentGroup:DeploymentGroup", "deploymentGroupName", false},
		{"aws:codedeploy/deploymentGroup:DeploymentGroup", "loadBalancerInfo.targetGroupPairInfo.targetGroups[0].name", false},
		{"aws:codedeploy/deploymentGroup:DeploymentGroup", "deploymentConfigName", false},
		{"aws:codedeploy/deploymentConfig:DeploymentConfig", "trafficRoutingConfig.timeBasedCanary.percentage", true},
		{"aws:lb/listener:Listener", "port", false},
		{"aws:lb/listener:Listener", "defaultActions[0].targetGroupArn", false},
	}
	for _, tt := range tests {
		if got := replaces(tt.typ, tt.path); got != tt.want {
			t.Errorf("replaces(%s, %s) = %v, want %v", tt.typ, tt.path, got, tt.want)
		}
	}
}

// TestAccepted: the replacements the program refuses unless a key accepts
// them name that key; others none.
func TestAccepted(t *testing.T) {
	for _, tt := range []struct{ typ, path, want string }{
		{"aws:ecs/service:Service", "deploymentController.type", "acceptServiceReplacement"},
		{"aws:ecs/service:Service", "launchType", "acceptServiceReplacement"},
		{"aws:ecs/service:Service", "name", ""},
		{"aws:lb/targetGroup:TargetGroup", "port", ""},
	} {
		if got := accepted(tt.typ, tt.path); got != tt.want {
			t.Errorf("accepted(%s, %s) = %q, want %q", tt.typ, tt.path, got, tt.want)
		}
	}
}

// TestCompareMaps checks the paths the diff reports, inside nested objects,
// lists and JSON documents held in strings.
func TestCompareMaps(t *testing.T) {
	before := map[string]any{
		"port":                 json.Number("5050"),
		"healthCheck":          map[string]any{"path": "/alive", "interval": json.Number("10")},
		"containerDefinitions": `[{"image":"a:1","portMappings":[{"containerPort":5050}]}]`,
		"subnets":              []any{"subnet-1", "subnet-2"},
		"gone":                 "x",
	}
	after := map[string]any{
		"port":                 json.Number("8080"),
		"healthCheck":          map[string]any{"path": "/alive", "interval": json.Number("10")},
		"containerDefinitions": `[{"image":"a:2","portMappings":[{"containerPort":5050}],"user":"1000"}]`,
		"subnets":              []any{"subnet-1", "subnet-2", "subnet-3"},
	}
	want := []PropertyChange{
		{Path: "containerDefinitions[0].image", Old: "a:1", New: "a:2"},
		{Path: "containerDefinitions[0].user", Old: Absent, New: "1000"},
		{Path: "gone", Old: "x", New: Absent},
		{Path: "port", Old: "5050", New: "8080"},
		{Path: "subnets[2]", Old: Absent, New: "subnet-3"},
	}
	if got := compareMaps(before, after); !reflect.DeepEqual(got, want) {
		t.Errorf("compareMaps =\n%+v\nwant\n%+v", got, want)
	}
	if got := compareMaps(before, before); len(got) != 0 {
		t.Errorf("a map compared with itself: %+v", got)
	}
}
