package tests

import (
	"strings"
	"testing"

	"alba-digi/internal/fakeaws"
	"alba-digi/internal/field"
)

// TestAnotherStacksNamesStopTheRun: before anything is declared, the program
// reads (with the real SDK clients, from a local stand-in of the account)
// whether the cluster and log groups it plans exist and whose they are. The
// stack's own pass (the second `up`); another stack's, or no stack's, stop
// the run with the name, the owner and the key that fixes it.
func TestAnotherStacksNamesStopTheRun(t *testing.T) {
	devTags := map[string]string{"project": "alba-digi", "stack": "dev"}
	type resource struct {
		kind, name string
		tags       map[string]string
	}
	tests := []struct {
		name  string
		stack string // the stack that runs
		held  []resource
		want  []string // what the error says; none: the run declares the stack
	}{
		{"an empty account", "dev", nil, nil},
		{"the stack's own, on its second up", "dev", []resource{
			{"cluster", "alba-digi-cluster", devTags}, {"log group", "/ecs/alba-digi", devTags},
			{"log group", "/aws/ecs/containerinsights/alba-digi-cluster/performance", devTags},
		}, nil},
		{"a deleted stack's names are free", "staging", []resource{{"log group", "/ecs/alba-digi-prod", map[string]string{"project": "alba-digi", "stack": "prod"}}}, nil},
		{"another stack's cluster", "staging", []resource{{"cluster", "alba-digi-cluster", devTags}}, []string{
			"name: invalid value \"alba-digi\": cluster alba-digi-cluster already exists", "belongs to stack dev of project alba-digi",
			"CreateCluster returns the existing cluster", "Set name to a prefix of this stack's own, such as alba-digi-staging",
		}},
		{"another stack's log group", "staging", []resource{{"log group", "/ecs/alba-digi", devTags}}, []string{
			"log group /ecs/alba-digi already exists", "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/alba-digi", "belongs to stack dev",
		}},
		{"a log group no stack made", "dev", []resource{{"log group", "/ecs/alba-digi", nil}}, []string{
			"log group /ecs/alba-digi already exists", "carries no project and stack tags",
		}},
		{"Container Insights' log group of the stack's own cluster", "dev", []resource{
			{"cluster", "alba-digi-cluster", devTags}, {"log group", "/aws/ecs/containerinsights/alba-digi-cluster/performance", nil},
		}, []string{"pulumi import aws:cloudwatch/logGroup:LogGroup alba-digi-insights-logs /aws/ecs/containerinsights/alba-digi-cluster/performance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := fakeaws.NewAccount(t)
			for _, r := range tt.held {
				account.Tag(r.kind, r.name, r.tags)
			}
			pointAWSAt(t, account.URL, "AKIDOWNERSTEST")
			mocks, err := runLive(t, tt.stack)
			declared := len(mocks.Registrations()) > 1
			if len(tt.want) == 0 {
				if err != nil || !declared {
					t.Fatalf("error %v, declared %v; want the stack declared", err, declared)
				}
				return
			}
			list := field.List(err)
			if len(list) != 1 || list[0].Field != "name" {
				t.Fatalf("error %v, want one problem at name", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(list[0].Error(), want) {
					t.Errorf("%q does not say %q", list[0].Error(), want)
				}
			}
			if declared {
				t.Errorf("declared %d resources despite the name taken", len(mocks.Registrations()))
			}
		})
	}
}
