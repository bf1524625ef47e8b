package owners_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"alba-digi/internal/fakeaws"
	"alba-digi/internal/owners"
)

var (
	dev     = map[string]string{"project": "alba-digi", "stack": "dev", "Name": "alba-digi-cluster"}
	planned = []owners.Planned{
		{Kind: owners.Cluster, Name: "alba-digi-cluster"},
		{Kind: owners.LogGroup, Name: "/ecs/alba-digi"},
		{Kind: owners.LogGroup, Name: "/aws/ecs/containerinsights/alba-digi-cluster/performance"},
	}
)

// TestRead runs the real SDK clients against a local endpoint that answers
// like ECS and CloudWatch Logs, one account per case.
func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		account fakeaws.Tagged
		want    []owners.Found
		err     string
	}{
		{"nothing there", fakeaws.Tagged{}, nil, ""},
		{"deleted cluster", fakeaws.Tagged{Inactive: []string{"alba-digi-cluster"}}, nil, ""},
		{
			"another stack's cluster and log group, and ECS's own log group",
			fakeaws.Tagged{
				Clusters: map[string]map[string]string{"alba-digi-cluster": dev},
				LogGroups: map[string]map[string]string{
					"/ecs/alba-digi": {"project": "alba-digi", "stack": "dev"},
					// Beside it, names that share its prefix.
					"/ecs/alba-digi-prod": {"project": "alba-digi", "stack": "prod"},
					"/ecs/alba-digi/exec": {"project": "alba-digi", "stack": "dev"},
					"/aws/ecs/containerinsights/alba-digi-cluster/performance": nil,
				},
				EmptyFirstPage: true,
			},
			[]owners.Found{
				{Planned: planned[0], ARN: "arn:aws:ecs:us-east-1:123456789012:cluster/alba-digi-cluster", Tags: dev},
				{Planned: planned[1], ARN: "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/alba-digi", Tags: map[string]string{"project": "alba-digi", "stack": "dev"}},
				{Planned: planned[2], ARN: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/containerinsights/alba-digi-cluster/performance", Tags: map[string]string{}},
			},
			"",
		},
		{"only a longer name", fakeaws.Tagged{LogGroups: map[string]map[string]string{"/ecs/alba-digi-prod": {"stack": "prod"}}}, nil, ""},
		{
			"tags not readable",
			fakeaws.Tagged{LogGroups: map[string]map[string]string{"/ecs/alba-digi": {"stack": "dev"}}, DenyTags: true},
			nil,
			"log group /ecs/alba-digi: operation error CloudWatch Logs: ListTagsForResource",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg := fakeaws.NewOwners(t, tt.account)
			got, err := owners.Read(context.Background(), owners.Clients{ECS: ecs.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}, planned)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("found\n%+v\nwant\n%+v", got, tt.want)
			}
			if tt.account.EmptyFirstPage && srv.Calls["DescribeLogGroups"] != 4 {
				t.Errorf("%d DescribeLogGroups calls, want 4 (two pages a name): the page after an empty one was not read", srv.Calls["DescribeLogGroups"])
			}
		})
	}
}
