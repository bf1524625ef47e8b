package mockaws

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func vpcInputs(zones int, strategy string, specs ...string) resource.PropertyMap {
	in := map[string]any{"cidrBlock": "10.0.0.0/16", "numberOfAvailabilityZones": zones, "subnetStrategy": "Auto"}
	if strategy != "" {
		in["natGateways"] = map[string]any{"strategy": strategy}
	}
	if specs != nil {
		var list []any
		for _, s := range specs {
			list = append(list, map[string]any{"type": s})
		}
		in["subnetSpecs"] = list
	}
	return resource.NewPropertyMapFromMap(in)
}

// TestModelVpcLayout: the subnets, CIDR blocks, NAT gateways, Elastic IPs
// and routes awsx 2.22.0's Vpc lays out (the engine test checks the same
// against the real component for the prod stack).
func TestModelVpcLayout(t *testing.T) {
	type subnet struct{ name, zone, cidr, typ, via string }
	tests := []struct {
		name    string
		inputs  resource.PropertyMap
		subnets []subnet
		nats    []string
		eips    []string
	}{
		{"prod: public and private, a NAT gateway per zone", vpcInputs(3, "OnePerAz", "Public", "Private"), []subnet{
			{"v-public-1", "us-east-1a", "10.0.0.0/19", "Public", ViaInternetGateway}, {"v-private-1", "us-east-1a", "10.0.32.0/19", "Private", "v-1"},
			{"v-public-2", "us-east-1b", "10.0.64.0/19", "Public", ViaInternetGateway}, {"v-private-2", "us-east-1b", "10.0.96.0/19", "Private", "v-2"},
			{"v-public-3", "us-east-1c", "10.0.128.0/19", "Public", ViaInternetGateway}, {"v-private-3", "us-east-1c", "10.0.160.0/19", "Private", "v-3"},
		}, []string{"v-1", "v-2", "v-3"}, []string{"v-1", "v-2", "v-3"}},
		{"one NAT gateway for two zones", vpcInputs(2, "Single", "Public", "Private"), []subnet{
			{"v-public-1", "us-east-1a", "10.0.0.0/18", "Public", ViaInternetGateway}, {"v-private-1", "us-east-1a", "10.0.64.0/18", "Private", "v-1"},
			{"v-public-2", "us-east-1b", "10.0.128.0/18", "Public", ViaInternetGateway}, {"v-private-2", "us-east-1b", "10.0.192.0/18", "Private", "v-1"},
		}, []string{"v-1"}, []string{"v-1"}},
		{"private listed first: public subnets are still made first", vpcInputs(2, "Single", "Private", "Public"), []subnet{
			{"v-public-1", "us-east-1a", "10.0.64.0/18", "Public", ViaInternetGateway}, {"v-private-1", "us-east-1a", "10.0.0.0/18", "Private", "v-1"},
			{"v-public-2", "us-east-1b", "10.0.192.0/18", "Public", ViaInternetGateway}, {"v-private-2", "us-east-1b", "10.0.128.0/18", "Private", "v-1"},
		}, []string{"v-1"}, []string{"v-1"}},
		// Two zones of a /16: /17 each, a private /18 and, after it, a public /19.
		{"no subnet specs: awsx's default private and smaller public subnet per zone, NAT per zone", vpcInputs(2, ""), []subnet{
			{"v-public-1", "us-east-1a", "10.0.64.0/19", "Public", ViaInternetGateway}, {"v-private-1", "us-east-1a", "10.0.0.0/18", "Private", "v-1"},
			{"v-public-2", "us-east-1b", "10.0.192.0/19", "Public", ViaInternetGateway}, {"v-private-2", "us-east-1b", "10.0.128.0/18", "Private", "v-2"},
		}, []string{"v-1", "v-2"}, []string{"v-1", "v-2"}},
		{"no NAT gateway", vpcInputs(2, "None", "Public", "Isolated"), []subnet{
			{"v-public-1", "us-east-1a", "10.0.0.0/18", "Public", ViaInternetGateway}, {"v-isolated-1", "us-east-1a", "10.0.64.0/18", "Isolated", ""},
			{"v-public-2", "us-east-1b", "10.0.128.0/18", "Public", ViaInternetGateway}, {"v-isolated-2", "us-east-1b", "10.0.192.0/18", "Isolated", ""},
		}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ModelVpc("v", "us-east-1", tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			var got []subnet
			for _, s := range l.Subnets {
				got = append(got, subnet{s.Name, s.Zone, s.CidrBlock, s.Type, s.Via})
			}
			if !slices.Equal(got, tt.subnets) {
				t.Errorf("subnets\n  %v\nwant\n  %v", got, tt.subnets)
			}
			var nats []string
			for _, n := range l.NatGateways {
				nats = append(nats, n.Name)
				if !strings.HasPrefix(n.Subnet, "v-public-") {
					t.Errorf("NAT gateway %s is in %s, not a public subnet", n.Name, n.Subnet)
				}
			}
			if !slices.Equal(nats, tt.nats) || !slices.Equal(l.EIPs, tt.eips) {
				t.Errorf("NAT gateways %v and Elastic IPs %v, want %v and %v", nats, l.EIPs, tt.nats, tt.eips)
			}
		})
	}
}

// TestModelVpcRefuses: what awsx refuses, the model refuses with awsx's
// message; what it does not model, it refuses rather than guess.
func TestModelVpcRefuses(t *testing.T) {
	withStrategy := vpcInputs(3, "OnePerAz", "Public", "Private")
	withStrategy["subnetStrategy"] = resource.NewStringProperty("Legacy")
	tests := map[string]struct {
		region string
		inputs resource.PropertyMap
		want   string
	}{
		"more zones than the region has": {"eu-west-1", vpcInputs(4, "Single", "Public", "Private"),
			"The configured region for this provider does not have at least 4 Availability Zones."},
		"NAT gateways without private subnets": {"us-east-1", vpcInputs(2, "Single", "Public"),
			"If NAT Gateway strategy is 'OnePerAz' or 'Single', both private and public subnets must be declared."},
		"an unknown NAT strategy": {"us-east-1", vpcInputs(2, "Two", "Public", "Private"), "Unknown NatGatewayStrategy 'Two'"},
		"the Legacy allocator":    {"us-east-1", withStrategy, `the mocks model the awsx Vpc with subnetStrategy Auto only, not "Legacy"`},
	}
	for name, tt := range tests {
		if _, err := ModelVpc("v", tt.region, tt.inputs); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}

func TestModelVpcResources(t *testing.T) {
	l, err := ModelVpc("v", "us-east-1", vpcInputs(2, "Single", "Public", "Private"))
	if err != nil {
		t.Fatal(err)
	}
	got := l.Resources()
	// VPC, internet gateway; 4 subnets with a table, an association and a
	// route each; 1 NAT gateway and its Elastic IP.
	if len(got) != 2+4*4+2 {
		t.Errorf("%d resources: %v", len(got), got)
	}
	for _, want := range []string{
		"awsx:ec2:Vpc$aws:ec2/vpc:Vpc::v",
		"awsx:ec2:Vpc$aws:ec2/vpc:Vpc$aws:ec2/internetGateway:InternetGateway::v",
		"awsx:ec2:Vpc$aws:ec2/vpc:Vpc$aws:ec2/subnet:Subnet$aws:ec2/routeTable:RouteTable$aws:ec2/route:Route::v-private-2",
		"awsx:ec2:Vpc$aws:ec2/vpc:Vpc$aws:ec2/subnet:Subnet$aws:ec2/natGateway:NatGateway::v-1",
		"awsx:ec2:Vpc$aws:ec2/vpc:Vpc$aws:ec2/subnet:Subnet$aws:ec2/eip:Eip::v-1",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s in %v", want, got)
		}
	}
}

// TestDefaultVpcAsAwsxReportsIt: awsx's DefaultVpc lists the default VPC's
// subnets (getSubnets) and calls public those that give a public IP on
// launch (getSubnet); the mocks answer the component the same way.
func TestDefaultVpcAsAwsxReportsIt(t *testing.T) {
	m := &Mocks{Region: "us-east-1"}
	v, err := m.vpc(resource.NewPropertyMapFromMap(map[string]any{"default": true}))
	if err != nil || v["id"].StringValue() != DefaultVpcID {
		t.Fatalf("getVpc default: %v, %v", v, err)
	}
	ids, err := m.subnetIDs(resource.NewPropertyMapFromMap(map[string]any{"filters": []any{map[string]any{"name": "vpc-id", "values": []any{DefaultVpcID}}}}))
	if err != nil {
		t.Fatal(err)
	}
	var public, private []string
	for _, id := range ids["ids"].ArrayValue() {
		s, err := m.subnet(resource.NewPropertyMapFromMap(map[string]any{"id": id.StringValue()}))
		if err != nil {
			t.Fatal(err)
		}
		if s["mapPublicIpOnLaunch"].BoolValue() {
			public = append(public, id.StringValue())
		} else {
			private = append(private, id.StringValue())
		}
	}
	out := resource.PropertyMap{}
	if _, err := m.fill("awsx:ec2:DefaultVpc", "default-vpc", out); err != nil {
		t.Fatal(err)
	}
	if got := out["publicSubnetIds"].Mappable(); !slices.Equal(toStrings(got), public) || !slices.Equal(public, DefaultSubnets) {
		t.Errorf("publicSubnetIds %v; awsx would report %v (the default subnets %v)", got, public, DefaultSubnets)
	}
	if got := out["privateSubnetIds"].Mappable(); !slices.Equal(toStrings(got), private) || len(private) != 1 {
		t.Errorf("privateSubnetIds %v; awsx would report %v", got, private)
	}
	if _, err := m.subnetIDs(resource.NewPropertyMapFromMap(map[string]any{"filters": []any{map[string]any{"name": "tag:Name", "values": []any{"x"}}}})); err == nil {
		t.Error("a filter the fake account does not model was answered")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestZones(t *testing.T) {
	if got := Zones("us-east-1"); len(got) != 6 || got[5] != "us-east-1f" {
		t.Errorf("us-east-1: %v", got)
	}
	if got := Zones("eu-west-1"); !slices.Equal(got, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}) {
		t.Errorf("eu-west-1: %v", got)
	}
	if got := zoneID("us-east-1b"); got != "use1-az2" {
		t.Errorf("zone id of us-east-1b: %s", got)
	}
	if got := zoneID("ap-southeast-1a"); got != "aps1-az1" {
		t.Errorf("zone id of ap-southeast-1a: %s", got)
	}
}

// TestEC2CreatesRefuseWhatEC2Refuses: a subnet outside the region's zones or
// with a CIDR block EC2 does not take fails, as EC2 fails it.
func TestEC2CreatesRefuseWhatEC2Refuses(t *testing.T) {
	m := &Mocks{Region: "eu-west-1"}
	for _, in := range []map[string]any{
		{"availabilityZone": "eu-west-1d", "cidrBlock": "10.0.0.0/24"},
		{"availabilityZone": "eu-west-1a", "cidrBlock": "10.0.0.0/29"},
		{"availabilityZone": "eu-west-1a", "cidrBlock": "10.0.0.1/24"},
	} {
		if _, _, err := m.Create("aws:ec2/subnet:Subnet", "s", resource.NewPropertyMapFromMap(in)); err == nil {
			t.Errorf("subnet %v was created", in)
		}
	}
	id, out, err := m.Create("aws:ec2/subnet:Subnet", "s", resource.NewPropertyMapFromMap(map[string]any{"availabilityZone": "eu-west-1a", "cidrBlock": "10.0.0.0/24"}))
	if err != nil || id != SubnetID("s") || out["availabilityZoneId"].StringValue() != "euw1-az1" {
		t.Errorf("subnet: %s %v %v", id, out, err)
	}
	eip, eipOut, _ := m.Create("aws:ec2/eip:Eip", "e", resource.PropertyMap{})
	_, natOut, _ := m.Create("aws:ec2/natGateway:NatGateway", "n", resource.NewPropertyMapFromMap(map[string]any{"allocationId": eip}))
	if eipOut["allocationId"].StringValue() != eip || natOut["publicIp"].StringValue() != eipOut["publicIp"].StringValue() {
		t.Errorf("Elastic IP %s %v, NAT gateway %v", eip, eipOut, natOut)
	}
}
