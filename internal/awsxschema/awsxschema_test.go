package awsxschema

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// prodVpc are the inputs the prod stack sends to awsx:ec2:Vpc.
func prodVpc() map[string]any {
	return map[string]any{
		"cidrBlock":                 "10.0.0.0/16",
		"numberOfAvailabilityZones": 3,
		"subnetStrategy":            "Auto",
		"subnetSpecs":               []any{map[string]any{"type": "Public"}, map[string]any{"type": "Private"}},
		"natGateways":               map[string]any{"strategy": "OnePerAz"},
		"enableDnsHostnames":        true,
		"enableDnsSupport":          true,
		"tags":                      map[string]any{"Name": "alba-digi-vpc", "project": "alba-digi"},
	}
}

func TestCheck(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		token  string
		change func(map[string]any)
		deps   map[string][]string
		want   []string
	}{
		{"the prod stack's inputs", "awsx:ec2:Vpc", func(map[string]any) {}, nil, nil},
		{"the default VPC takes no input", "awsx:ec2:DefaultVpc", func(in map[string]any) { clear(in) }, nil, nil},
		{"a misspelt input", "awsx:ec2:Vpc", func(in map[string]any) {
			in["numberOfAvailabilityZone"] = in["numberOfAvailabilityZones"]
			delete(in, "numberOfAvailabilityZones")
		}, nil, []string{"awsx:ec2:Vpc.numberOfAvailabilityZone: not an input of awsx 2.22.0 (known: assignGeneratedIpv6CidrBlock, "}},
		{"a number as text", "awsx:ec2:Vpc", func(in map[string]any) { in["numberOfAvailabilityZones"] = "3" }, nil,
			[]string{`awsx:ec2:Vpc.numberOfAvailabilityZones: "3" is not an integer`}},
		{"a fraction", "awsx:ec2:Vpc", func(in map[string]any) { in["numberOfAvailabilityZones"] = 2.5 }, nil,
			[]string{`awsx:ec2:Vpc.numberOfAvailabilityZones: 2.5 is not an integer`}},
		{"a NAT strategy in the config's spelling", "awsx:ec2:Vpc", func(in map[string]any) { in["natGateways"] = map[string]any{"strategy": "onePerAz"} }, nil,
			[]string{`awsx:ec2:Vpc.natGateways.strategy: "onePerAz" is not one of None, Single, OnePerAz (awsx:ec2:NatGatewayStrategy)`}},
		{"a NAT configuration without its strategy", "awsx:ec2:Vpc", func(in map[string]any) { in["natGateways"] = map[string]any{} }, nil,
			[]string{`awsx:ec2:Vpc.natGateways.strategy: required`}},
		{"a subnet spec of an unknown kind and a misspelt field", "awsx:ec2:Vpc", func(in map[string]any) {
			in["subnetSpecs"] = []any{map[string]any{"type": "Public"}, map[string]any{"type": "private", "cidrmask": 20}}
		}, nil, []string{
			`awsx:ec2:Vpc.subnetSpecs[1].cidrmask: not an input of awsx 2.22.0 (known: cidrBlocks, cidrMask, name, size, tags, type)`,
			`awsx:ec2:Vpc.subnetSpecs[1].type: "private" is not one of Public, Private, Isolated, Unused (awsx:ec2:SubnetType)`,
		}},
		{"a subnet strategy the component does not know", "awsx:ec2:Vpc", func(in map[string]any) { in["subnetStrategy"] = "auto" }, nil,
			[]string{`awsx:ec2:Vpc.subnetStrategy: "auto" is not one of Legacy, Auto, Exact (awsx:ec2:SubnetAllocationStrategy)`}},
		{"a tag that is not text", "awsx:ec2:Vpc", func(in map[string]any) { in["tags"] = map[string]any{"cost-centre": 42} }, nil,
			[]string{`awsx:ec2:Vpc.tags.cost-centre: 42 is not a string`}},
		{"a list where an object goes", "awsx:ec2:Vpc", func(in map[string]any) { in["natGateways"] = []any{"Single"} }, nil,
			[]string{`awsx:ec2:Vpc.natGateways: ["Single"] is not an object (awsx:ec2:NatGatewayConfiguration)`}},
		{"an input of the default VPC", "awsx:ec2:DefaultVpc", func(in map[string]any) { clear(in); in["vpcId"] = "vpc-1" }, nil,
			[]string{"awsx:ec2:DefaultVpc.vpcId: not an input of awsx 2.22.0 (known: )"}},
		{"a plain input from another resource", "awsx:ec2:Vpc", func(map[string]any) {},
			map[string][]string{"cidrBlock": {"urn:pulumi:dev::alba-digi::aws:ec2/vpcIpamPool:VpcIpamPool::pool"}, "tags": {"urn:x"}},
			[]string{"awsx:ec2:Vpc.cidrBlock: a plain input, but it depends on urn:pulumi:dev::alba-digi::aws:ec2/vpcIpamPool:VpcIpamPool::pool: awsx needs the value itself"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := prodVpc()
			tt.change(in)
			errs := s.Check(tt.token, resource.NewPropertyMapFromMap(in), tt.deps)
			if len(errs) != len(tt.want) {
				t.Fatalf("%s: %d problems %v, want %d: %q", tt.token, len(errs), errs, len(tt.want), tt.want)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tt.want[i]) {
					t.Errorf("%s: problem %d = %q, want %q", tt.token, i, err, tt.want[i])
				}
			}
		})
	}
}

func TestCheckUnknownsAndSecrets(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	in := resource.PropertyMap{
		"cidrBlock":          resource.MakeComputed(resource.NewStringProperty("")),
		"enableDnsHostnames": resource.MakeComputed(resource.NewBoolProperty(false)),
		"tags":               resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"a": resource.NewNumberProperty(1)})),
	}
	got := s.Check("awsx:ec2:Vpc", in, nil)
	want := []string{
		"awsx:ec2:Vpc.cidrBlock: a plain input must be known when the program runs",
		"awsx:ec2:Vpc.tags.a: 1 is not a string",
	}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %q", got, want)
	}
	for i := range want {
		if got[i].Error() != want[i] {
			t.Errorf("problem %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestExtract: Extract keeps a component's inputs and the types they use,
// drops descriptions and outputs, and refuses a schema keyword it would
// drop (so that the check never passes on a part it did not keep).
func TestExtract(t *testing.T) {
	full := `{"name":"awsx","version":"9.9.9","resources":{
		"awsx:ec2:Vpc":{"isComponent":true,"description":"d","properties":{"vpcId":{"type":"string"}},"required":["vpcId"],
			"inputProperties":{"description":{"type":"string","description":"an input called description"},
				"natGateways":{"$ref":"#/types/awsx:ec2:Nat","plain":true}}},
		"awsx:ecs:Other":{"isComponent":true}},
		"types":{"awsx:ec2:Nat":{"type":"object","description":"d","properties":{"strategy":{"$ref":"#/types/awsx:ec2:Strategy"}},"required":["strategy"]},
			"awsx:ec2:Strategy":{"type":"string","enum":[{"value":"None","description":"d"}]},
			"awsx:ec2:Unused":{"type":"string"}}}`
	got, err := Extract([]byte(full), []string{"awsx:ec2:Vpc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"description": {`, `"awsx:ec2:Nat"`, `"awsx:ec2:Strategy"`, `"value": "None"`, `"version": "9.9.9"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("extract lacks %s:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"awsx:ecs:Other", "awsx:ec2:Unused", `"vpcId"`, `"d"`, "an input called"} {
		if strings.Contains(string(got), unwanted) {
			t.Errorf("extract keeps %s:\n%s", unwanted, got)
		}
	}
	withOneOf := strings.Replace(full, `"plain":true}}}`, `"plain":true},"x":{"oneOf":[{"type":"string"}]}}}`, 1)
	if _, err := Extract([]byte(withOneOf), []string{"awsx:ec2:Vpc"}); err == nil || !strings.Contains(err.Error(), `unknown field "oneOf"`) {
		t.Errorf("a oneOf input was not refused: %v", err)
	}
}
