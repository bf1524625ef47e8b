package mockaws

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// VpcLayout is what the awsx:ec2:Vpc component of awsx v2.22.0 creates in
// the fake account for the inputs a stack sends it: the same resources, with
// the same logical names, parents, zones, kinds and CIDR blocks, as the
// component's source lays them out (pulumi-awsx awsx/ec2/vpc.ts and
// subnetDistributorNew.ts at v2.22.0:
// https://github.com/pulumi/pulumi-awsx/blob/v2.22.0/awsx/ec2/vpc.ts). The
// mocks answer the component with its outputs, the engine test checks it
// against the real component, and the cost estimate's counts are checked
// against it.
type VpcLayout struct {
	// Name is the component's logical name, which its VPC and internet gateway take.
	Name      string
	CidrBlock string
	Zones     []string
	// Subnets in the order the component creates them: zone by zone, public
	// ones first, then private, then isolated.
	Subnets     []LayoutSubnet
	NatGateways []LayoutNat
	// EIPs are the Elastic IPs the component allocates for its NAT gateways
	// (one each, named like it; none when the inputs give allocation ids).
	EIPs []string
}

// LayoutSubnet is one subnet of a VpcLayout, with its route table,
// association and default route, which take its name.
type LayoutSubnet struct {
	Name, Zone, CidrBlock string
	// Type is Public, Private or Isolated.
	Type string
	// Via is where its 0.0.0.0/0 route goes: "internet gateway", a NAT
	// gateway's name, or "" (no route: isolated, or no NAT gateway).
	Via string
}

// LayoutNat is a NAT gateway of a VpcLayout, in the public subnet of its zone.
type LayoutNat struct {
	Name, Subnet, Zone string
	// EIP is the Elastic IP the component allocated for it; "" when given.
	EIP string
}

// ViaInternetGateway is LayoutSubnet.Via of a public subnet.
const ViaInternetGateway = "internet gateway"

// SubnetIDs returns the ids of the subnets of kind typ (Public, Private,
// Isolated), in order: the component's publicSubnetIds, privateSubnetIds
// and isolatedSubnetIds.
func (l VpcLayout) SubnetIDs(typ string) []string {
	ids := []string{}
	for _, s := range l.Subnets {
		if s.Type == typ {
			ids = append(ids, SubnetID(s.Name))
		}
	}
	return ids
}

// Resources lists every resource the component registers below itself, as
// "<type of each parent>$…$<type>::<name>", the tail of its URN: the VPC and
// its internet gateway; each subnet, its route table, the table's
// association and route; each NAT gateway and Elastic IP under its subnet.
func (l VpcLayout) Resources() []string {
	const (
		vpc    = "awsx:ec2:Vpc$aws:ec2/vpc:Vpc"
		subnet = vpc + "$aws:ec2/subnet:Subnet"
		table  = subnet + "$aws:ec2/routeTable:RouteTable"
	)
	out := []string{vpc + "::" + l.Name, vpc + "$aws:ec2/internetGateway:InternetGateway::" + l.Name}
	for _, s := range l.Subnets {
		out = append(out, subnet+"::"+s.Name, table+"::"+s.Name, table+"$aws:ec2/routeTableAssociation:RouteTableAssociation::"+s.Name)
		if s.Via != "" {
			out = append(out, table+"$aws:ec2/route:Route::"+s.Name)
		}
	}
	for _, n := range l.NatGateways {
		out = append(out, subnet+"$aws:ec2/natGateway:NatGateway::"+n.Name)
	}
	for _, e := range l.EIPs {
		out = append(out, subnet+"$aws:ec2/eip:Eip::"+e)
	}
	slices.Sort(out)
	return out
}

// subnetSpec is one entry of the component's subnetSpecs.
type subnetSpec struct {
	typ, name string
	mask      int
}

// ModelVpc lays out the awsx:ec2:Vpc named name in region for its inputs.
// It models the inputs this stack can send (cidrBlock,
// numberOfAvailabilityZones or availabilityZoneNames, subnetStrategy Auto,
// subnetSpecs by type, name and cidrMask, natGateways) and refuses the
// others rather than guess. It refuses what the component refuses for the
// inputs the program sends (too few zones, subnets too small or too large)
// with the component's message; awsx's checks of inputs the program never
// sends (elasticIpAllocationIds against the NAT strategy, overlapping
// explicit cidrMasks) are not modelled.
func ModelVpc(name, region string, inputs resource.PropertyMap) (VpcLayout, error) {
	in := inputs.Mappable()
	for _, k := range []string{"ipv4IpamPoolId", "ipv4NetmaskLength", "vpcEndpointSpecs", "availabilityZoneCidrMask"} {
		if _, ok := in[k]; ok {
			return VpcLayout{}, fmt.Errorf("the mocks do not model the awsx Vpc input %s", k)
		}
	}
	if s, _ := in["subnetStrategy"].(string); s != "Auto" {
		// Without it the component allocates with its Legacy strategy.
		return VpcLayout{}, fmt.Errorf("the mocks model the awsx Vpc with subnetStrategy Auto only, not %q", s)
	}
	l := VpcLayout{Name: name, CidrBlock: "10.0.0.0/16"}
	if c, ok := in["cidrBlock"].(string); ok {
		l.CidrBlock = c
	}
	zones, err := vpcZones(region, in)
	if err != nil {
		return VpcLayout{}, err
	}
	l.Zones = zones

	strategy, allocations := "OnePerAz", []any(nil)
	if ng, ok := in["natGateways"].(map[string]any); ok {
		if s, ok := ng["strategy"].(string); ok {
			strategy = s
		}
		allocations, _ = ng["elasticIpAllocationIds"].([]any)
	}
	switch strings.ToLower(strategy) {
	case "none", "single", "oneperaz":
	default:
		return VpcLayout{}, awsxRefuses("Unknown NatGatewayStrategy '%s'", strategy)
	}

	prefix, err := netip.ParsePrefix(l.CidrBlock)
	if err != nil || !prefix.Addr().Is4() {
		return VpcLayout{}, fmt.Errorf("cidrBlock %q: not an IPv4 CIDR block", l.CidrBlock)
	}
	azBits := prefix.Bits() + newBits(len(zones))
	specs, err := subnetSpecs(in["subnetSpecs"], azBits)
	if err != nil {
		return VpcLayout{}, err
	}
	if strings.ToLower(strategy) != "none" && (!slices.ContainsFunc(specs, isType("Public")) || !slices.ContainsFunc(specs, isType("Private"))) {
		return VpcLayout{}, awsxRefuses("If NAT Gateway strategy is 'OnePerAz' or 'Single', both private and public subnets must be declared. The private subnet creates the need for a NAT Gateway, and the public subnet is required to host the NAT Gateway resource.")
	}
	cidrs, err := allocate(prefix, azBits, len(zones), specs)
	if err != nil {
		return VpcLayout{}, err
	}

	for i, zone := range zones {
		// Public subnets first, then private, then isolated; Unused ranges
		// are allocated but not created.
		order := make([]int, 0, len(specs))
		for j, s := range specs {
			if s.typ != "Unused" {
				order = append(order, j)
			}
		}
		rank := map[string]int{"Public": 0, "Private": 1, "Isolated": 2}
		slices.SortStableFunc(order, func(a, b int) int { return rank[specs[a].typ] - rank[specs[b].typ] })
		for _, j := range order {
			s := specs[j]
			specName := s.name
			if specName == "" {
				specName = strings.ToLower(s.typ)
			}
			sub := LayoutSubnet{Name: fmt.Sprintf("%s-%s-%d", name, specName, i+1), Zone: zone, CidrBlock: cidrs[i][j], Type: s.typ}
			if s.typ == "Public" && shouldCreateNat(strategy, len(l.NatGateways), i) {
				nat := LayoutNat{Name: fmt.Sprintf("%s-%d", name, i+1), Subnet: sub.Name, Zone: zone}
				if len(allocations) == 0 {
					nat.EIP = nat.Name
					l.EIPs = append(l.EIPs, nat.EIP)
				}
				l.NatGateways = append(l.NatGateways, nat)
			}
			switch s.typ {
			case "Public":
				sub.Via = ViaInternetGateway
			case "Private":
				switch strings.ToLower(strategy) {
				case "single":
					sub.Via = l.NatGateways[0].Name
				case "oneperaz":
					sub.Via = l.NatGateways[i].Name
				}
			}
			l.Subnets = append(l.Subnets, sub)
		}
	}
	return l, nil
}

// awsxRefuses is the error the component throws for its inputs, in its
// words, marked as the component's.
func awsxRefuses(format string, args ...any) error {
	return fmt.Errorf("awsx: %s", fmt.Sprintf(format, args...))
}

func isType(t string) func(subnetSpec) bool { return func(s subnetSpec) bool { return s.typ == t } }

// vpcZones are the zones the component spreads over: availabilityZoneNames,
// or the region's first numberOfAvailabilityZones (default 3), which it asks
// aws:index/getAvailabilityZones for.
func vpcZones(region string, in map[string]any) ([]string, error) {
	names, byName := in["availabilityZoneNames"].([]any)
	count, byCount := in["numberOfAvailabilityZones"].(float64)
	if byName && byCount {
		return nil, awsxRefuses("Only one of [availabilityZoneNames] and [numberOfAvailabilityZones] can be specified")
	}
	if byName {
		zones := make([]string, len(names))
		for i, n := range names {
			zones[i], _ = n.(string)
		}
		return zones, nil
	}
	want := 3
	if byCount {
		want = int(count)
	}
	all := Zones(region)
	if len(all) < want {
		return nil, awsxRefuses("The configured region for this provider does not have at least %d Availability Zones. Either specify an explicit list of zones in availabilityZoneNames or choose a region with at least %d AZs.", want, want)
	}
	return all[:want], nil
}

// subnetSpecs reads subnetSpecs; without any, the component's defaults for
// the Auto strategy: a private subnet of half the zone's range (up to a /17
// zone), then a public one of a quarter.
func subnetSpecs(v any, azBits int) ([]subnetSpec, error) {
	list, ok := v.([]any)
	if !ok {
		if azBits > 26 {
			return nil, awsxRefuses("Automatic subnet creation requires a VPC with at least /26 available per AZ, but only /%d is available.", azBits)
		}
		base := max(azBits, 16)
		return []subnetSpec{{typ: "Private", mask: base + 1}, {typ: "Public", mask: base + 2}}, nil
	}
	if len(list) == 0 {
		return nil, awsxRefuses("No subnets specified")
	}
	specs := make([]subnetSpec, len(list))
	for i, item := range list {
		m, _ := item.(map[string]any)
		for k := range m {
			if k != "type" && k != "name" && k != "cidrMask" {
				return nil, fmt.Errorf("subnetSpecs[%d]: the mocks do not model %s", i, k)
			}
		}
		typ, _ := m["type"].(string)
		switch typ {
		case "Public", "Private", "Isolated", "Unused":
		default:
			return nil, fmt.Errorf("subnetSpecs[%d]: unknown subnet type %q", i, typ)
		}
		specs[i].typ = typ
		specs[i].name, _ = m["name"].(string)
		if mask, ok := m["cidrMask"].(float64); ok {
			specs[i].mask = int(mask)
		}
	}
	return specs, nil
}

// allocate gives each spec of each zone its CIDR block as the component's
// Auto strategy does: each zone gets the next of len(zones) equal ranges
// (rounded up to a power of two); within it, the specs follow each other in
// order, each of its cidrMask or, without one, of an equal share of the
// zone's range.
func allocate(vpc netip.Prefix, azBits, zones int, specs []subnetSpec) ([][]string, error) {
	size := func(mask int) uint64 { return 1 << (32 - mask) }
	defaultMask := azBits + newBits(len(specs))
	var total uint64
	for i := range specs {
		if specs[i].mask == 0 {
			specs[i].mask = defaultMask
		}
		total += size(specs[i].mask)
	}
	if total > size(azBits) {
		return nil, awsxRefuses("Subnets are too large for VPC. VPC has %d addresses, but subnets require %d addresses.", size(azBits), total)
	}
	base := uint64(ipv4(vpc.Masked().Addr()))
	out := make([][]string, zones)
	for z := range zones {
		azBase := base + uint64(z)*size(azBits)
		var cur uint64
		for j, s := range specs {
			if j == 0 {
				cur = azBase &^ (size(s.mask) - 1)
			} else {
				// The next block of the new size after the previous block's
				// last usable address (the netmask library's nextNetmask).
				prev := specs[j-1].mask
				last := cur + size(prev) - 1
				if size(prev) >= 4 {
					last--
				}
				cur = (last &^ (size(s.mask) - 1)) + size(s.mask)
			}
			out[z] = append(out[z], fmt.Sprintf("%s/%d", fromIPv4(uint32(cur)), s.mask))
		}
	}
	return out, nil
}

// newBits is how many bits count ranges take: ceil(log2(count)).
func newBits(count int) int {
	if count <= 1 {
		return 0
	}
	return bits.Len(uint(count - 1))
}

// shouldCreateNat is the component's rule: Single makes the first public
// subnet's NAT gateway, OnePerAz one in each zone's first public subnet.
func shouldCreateNat(strategy string, made, zone int) bool {
	switch strings.ToLower(strategy) {
	case "single":
		return made < 1
	case "oneperaz":
		return made < zone+1
	}
	return false
}

func ipv4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromIPv4(n uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}
