package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"alba-digi/internal/mockaws"
)

// TestWAFStateDiffsLikeTheProvider: the stand-in is only useful to the engine
// test if it is as unkind as the provider. A create, then a diff of the same
// inputs against the state the create left, must show the perpetual diffs of
// pulumi-aws#1775, #1423 and #2664 for inputs the provider reads back
// differently, and none for the forms the program sends.
func TestWAFStateDiffsLikeTheProvider(t *testing.T) {
	typedRules := resource.NewArrayProperty([]resource.PropertyValue{
		resource.NewObjectProperty(resource.PropertyMap{
			"name": resource.NewStringProperty("b-common"), "priority": resource.NewNumberProperty(1),
			"overrideAction": resource.NewObjectProperty(resource.PropertyMap{"none": resource.NewObjectProperty(resource.PropertyMap{})}),
		}),
		resource.NewObjectProperty(resource.PropertyMap{
			"name": resource.NewStringProperty("a-bad-inputs"), "priority": resource.NewNumberProperty(2),
			"overrideAction": resource.NewObjectProperty(resource.PropertyMap{"none": resource.NewObjectProperty(resource.PropertyMap{})}),
		}),
	})
	// One rule: only its empty override action can differ.
	oneRule := resource.NewArrayProperty(typedRules.ArrayValue()[:1])
	// Two rules without empty blocks, in the order the set does not keep.
	plain := []resource.PropertyValue{
		resource.NewObjectProperty(resource.PropertyMap{"name": resource.NewStringProperty("one"), "priority": resource.NewNumberProperty(1)}),
		resource.NewObjectProperty(resource.PropertyMap{"name": resource.NewStringProperty("two"), "priority": resource.NewNumberProperty(2)}),
	}
	slices.SortFunc(plain, func(a, b resource.PropertyValue) int { return strings.Compare(setHash(b), setHash(a)) })
	reordered := resource.NewArrayProperty(plain)
	header := func(name string) resource.PropertyValue {
		return resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"singleHeader": resource.NewObjectProperty(resource.PropertyMap{"name": resource.NewStringProperty(name)}),
		})})
	}
	tests := []struct {
		name   string
		typ    string
		inputs resource.PropertyMap
		diffs  []string
	}{
		{"typed rules with empty override actions", typeWebACL, resource.PropertyMap{"name": resource.NewStringProperty("w"), "rules": typedRules}, []string{"rules"}},
		{"one typed rule with an empty override action", typeWebACL, resource.PropertyMap{"name": resource.NewStringProperty("w"), "rules": oneRule}, []string{"rules"}},
		{"typed rules in an order the set does not keep", typeWebACL, resource.PropertyMap{"name": resource.NewStringProperty("w"), "rules": reordered}, []string{"rules"}},
		{"ruleJson not in the normal form", typeWebACL, resource.PropertyMap{"name": resource.NewStringProperty("w"), "ruleJson": resource.NewStringProperty(`[{"Priority": 0, "Name": "r"}]`)}, []string{"ruleJson"}},
		{"ruleJson in the normal form", typeWebACL, resource.PropertyMap{"name": resource.NewStringProperty("w"), "ruleJson": resource.NewStringProperty(`[{"Name":"r","Priority":0}]`),
			"defaultAction": resource.NewObjectProperty(resource.PropertyMap{"allow": resource.NewObjectProperty(resource.PropertyMap{})})}, nil},
		{"redacted header in upper case", typeWebACLLogging, resource.PropertyMap{"resourceArn": resource.NewStringProperty("arn"), "redactedFields": header("Authorization")}, []string{"redactedFields"}},
		{"redacted header in lower case", typeWebACLLogging, resource.PropertyMap{"resourceArn": resource.NewStringProperty("arn"), "redactedFields": header("authorization")}, nil},
	}
	p := &server{mocks: &mockaws.Mocks{Region: "us-east-1"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			urn := "urn:pulumi:dev::alba-digi::" + tt.typ + "::x"
			in, err := marshal(tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Type: tt.typ, Properties: in})
			if err != nil {
				t.Fatal(err)
			}
			d, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Type: tt.typ, Id: created.GetId(), Olds: created.GetProperties(), OldInputs: in, News: in})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.GetDiffs(), tt.diffs) {
				t.Errorf("a second diff of the same inputs shows %v, want %v", d.GetDiffs(), tt.diffs)
			}
			if want := len(tt.diffs) > 0; (d.GetChanges() == pulumirpc.DiffResponse_DIFF_SOME) != want {
				t.Errorf("changes %v, want some: %v", d.GetChanges(), want)
			}
		})
	}
}

// TestWAFUpdatePreviewKeepsTheARN: the preview of a web ACL update keeps the
// ARN the state holds, as the provider's plan does, so that the association
// and the logging configuration, which replace on a new ARN, see none; other
// types answer with their inputs, as the engine does for a plugin without
// previews.
func TestWAFUpdatePreviewKeepsTheARN(t *testing.T) {
	p := &server{mocks: &mockaws.Mocks{Region: "us-east-1"}}
	urn := "urn:pulumi:dev::alba-digi::" + typeWebACL + "::alba-digi-waf"
	in, _ := marshal(resource.PropertyMap{"name": resource.NewStringProperty("alba-digi-waf"), "ruleJson": resource.NewStringProperty(`[]`)})
	created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Type: typeWebACL, Properties: in})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := unmarshal(created.GetProperties())
	news, _ := marshal(resource.PropertyMap{"name": resource.NewStringProperty("alba-digi-waf"), "ruleJson": resource.NewStringProperty(`[{"Name": "r"}]`)})
	resp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Type: typeWebACL, Id: created.GetId(), Olds: created.GetProperties(), News: news, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	planned, _ := unmarshal(resp.GetProperties())
	if arn := planned["arn"]; !arn.IsString() || !arn.DeepEquals(state["arn"]) {
		t.Errorf("planned arn %v, want the state's %v", arn, state["arn"])
	}
	if got := planned["ruleJson"]; !got.IsString() || got.StringValue() != `[{"Name":"r"}]` {
		t.Errorf("planned ruleJson %v, want the new rules as the provider keeps them", got)
	}
	other, _ := marshal(resource.PropertyMap{"name": resource.NewStringProperty("g")})
	resp, err = p.Update(context.Background(), &pulumirpc.UpdateRequest{Type: "aws:cloudwatch/logGroup:LogGroup", Olds: created.GetProperties(), News: other, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := unmarshal(resp.GetProperties()); len(got) != 1 || got["name"].StringValue() != "g" {
		t.Errorf("a log group's update preview answers %v, want its inputs", got)
	}
}
