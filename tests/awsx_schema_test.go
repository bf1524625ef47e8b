package tests

import (
	"slices"
	"testing"

	"alba-digi/internal/awsxschema"
)

// TestAwsxInputsMatchTheSchema: the inputs the program sends to the awsx
// components, registered by type token with untyped inputs, are inputs the
// components declare, of their types and enum values (awsx 2.22.0's schema),
// for every network the configuration can ask for. A misspelt input would
// be ignored by awsx and a wrong value fail only in `pulumi up`.
func TestAwsxInputsMatchTheSchema(t *testing.T) {
	schema, err := awsxschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		stack     string
		overrides []string
	}{
		{"dev", nil},
		{"prod", nil},
		{"prod", []string{"natGateways=single"}},
		{"prod", []string{"availabilityZones=2", "vpcCidr=10.20.0.0/20"}},
		{"prod", []string{"availabilityZones=6", "vpcCidr=10.1.0.0/24"}},
		{"prod", []string{"internalLoadBalancer=true", "domainName=", "certificateArn=" + certArn}},
		{"dev", []string{"createVpc=true", "assignPublicIp=false"}},
	}
	seen := map[string]int{}
	for _, c := range cases {
		res := deploy(t, c.stack, c.overrides...)
		for _, r := range res.Registrations {
			if !slices.Contains(awsxschema.Tokens, r.Type) {
				continue
			}
			seen[r.Type]++
			for _, err := range schema.Check(r.Type, r.Inputs, r.PropertyDependencies) {
				t.Errorf("stack %s %v: %s %s: %v", c.stack, c.overrides, r.Type, r.Name, err)
			}
		}
	}
	for _, tok := range awsxschema.Tokens {
		if seen[tok] == 0 {
			t.Errorf("no case registers %s: its inputs went unchecked", tok)
		}
	}
}
