package mockaws

import (
	"fmt"
	"hash/crc32"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The fake account's EC2 side: its availability zones and VPCs, the data
// sources that read them, and what EC2 gives the resources the awsx
// components create (VPC, subnets, route tables and routes, internet
// gateway, NAT gateways, Elastic IPs).

// zoneCounts are the availability zones of the regions that have more than
// three; AWS: "Each Region has at least three Availability Zones".
// https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
var zoneCounts = map[string]int{"us-east-1": 6, "us-west-2": 4}

// Zones returns the fake account's availability zones in region, in the
// order DescribeAvailabilityZones lists them (by name).
func Zones(region string) []string {
	n, ok := zoneCounts[region]
	if !ok {
		n = 3
	}
	zones := make([]string, n)
	for i := range zones {
		zones[i] = region + string(rune('a'+i))
	}
	return zones
}

// zoneID is the AZ ID of a zone: the region code's first three letters, its
// number, "-az" and a number (us-east-1a: use1-az1), as the page above says.
// The mapping of names to ids differs between real accounts; here it is fixed.
func zoneID(zone string) string {
	region, letter := zone[:len(zone)-1], zone[len(zone)-1]
	parts := strings.Split(region, "-")
	letters := strings.Join(parts[:len(parts)-1], "")
	if len(letters) > 3 {
		letters = letters[:3]
	}
	return fmt.Sprintf("%s%s-az%d", letters, parts[len(parts)-1], int(letter-'a')+1)
}

// accountVpcs are the fake account's VPCs and their CIDR blocks.
var accountVpcs = map[string]string{DefaultVpcID: "172.31.0.0/16", OtherVpcID: "10.20.0.0/16"}

// availabilityZones answers aws:index/getAvailabilityZones: the region's
// zones, all available.
func (m *Mocks) availabilityZones() resource.PropertyMap {
	zones := Zones(m.Region)
	ids := make([]string, len(zones))
	for i, z := range zones {
		ids[i] = zoneID(z)
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": m.Region, "names": toAny(zones), "zoneIds": toAny(ids), "groupNames": []any{m.Region},
	})
}

// vpc answers aws:ec2/getVpc: the default VPC (default: true) or a VPC by
// id, or the provider's not-found error.
func (m *Mocks) vpc(args resource.PropertyMap) (resource.PropertyMap, error) {
	id := ""
	if v, ok := args["id"]; ok && v.IsString() {
		id = v.StringValue()
	}
	if v, ok := args["default"]; ok && v.IsBool() && v.BoolValue() {
		if id != "" && id != DefaultVpcID {
			return nil, fmt.Errorf("no matching EC2 VPC found")
		}
		id = DefaultVpcID
	}
	cidr, ok := accountVpcs[id]
	if !ok {
		return nil, fmt.Errorf("no matching EC2 VPC found")
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": id, "arn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc/%s", partition(m.Region), m.Region, Account, id),
		"cidrBlock": cidr, "default": id == DefaultVpcID, "state": "available", "ownerId": Account,
		"enableDnsSupport": true, "enableDnsHostnames": id == DefaultVpcID, "instanceTenancy": "default",
	}), nil
}

// subnetIDs answers aws:ec2/getSubnets, which awsx's DefaultVpc calls with
// one filter, vpc-id: the ids of that VPC's subnets, sorted; none is no
// error, as for the provider. A filter the fake account does not model is
// an error rather than a guess.
func (m *Mocks) subnetIDs(args resource.PropertyMap) (resource.PropertyMap, error) {
	var vpcs []string
	if f, ok := args["filters"]; ok && f.IsArray() {
		for _, filter := range f.ArrayValue() {
			if !filter.IsObject() {
				continue
			}
			o := filter.ObjectValue()
			if name := o["name"]; !name.IsString() || name.StringValue() != "vpc-id" {
				return nil, fmt.Errorf("the fake account filters subnets by vpc-id only, not %v", name.Mappable())
			}
			for _, v := range o["values"].ArrayValue() {
				vpcs = append(vpcs, v.StringValue())
			}
		}
	}
	var ids []string
	for id, s := range accountSubnets {
		if m.inRegion(s) && (len(vpcs) == 0 || slices.Contains(vpcs, s.VpcID)) {
			ids = append(ids, id)
		}
	}
	if slices.Contains(vpcs, m.AssumedVpc) {
		ids = append(ids, m.AssumedSubnets...)
	}
	slices.Sort(ids)
	out := resource.NewPropertyMapFromMap(map[string]any{"id": m.Region, "ids": toAny(ids)})
	if f, ok := args["filters"]; ok {
		out["filters"] = f
	}
	return out, nil
}

// defaultVpc is what awsx's DefaultVpc reports of the fake account: the
// default VPC, and its subnets split by whether they give a public IP on
// launch (in getSubnets' order). A default VPC's own subnets do; a subnet
// added to it does not unless someone set it.
// https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html
func (m *Mocks) defaultVpc() (id string, public, private []string) {
	var ids []string
	for sid, s := range accountSubnets {
		if s.VpcID == DefaultVpcID && m.inRegion(s) {
			ids = append(ids, sid)
		}
	}
	slices.Sort(ids)
	public, private = []string{}, []string{}
	for _, sid := range ids {
		if accountSubnets[sid].Public {
			public = append(public, sid)
		} else {
			private = append(private, sid)
		}
	}
	return DefaultVpcID, public, private
}

// inRegion: the subnet's zone is one of the region's (a default subnet
// exists only in the zones the region has).
func (m *Mocks) inRegion(s Subnet) bool {
	return int(s.Zone[0]-'a') < len(Zones(m.Region))
}

// VpcID is the id EC2 gives the aws:ec2/vpc:Vpc of logical name name.
func VpcID(name string) string { return "vpc-" + hexID(name, 17) }

// SubnetID is the id EC2 gives the aws:ec2/subnet:Subnet of logical name name.
func SubnetID(name string) string { return "subnet-" + hexID(name, 17) }

// publicIP is the address EC2 gives an Elastic IP, from its allocation id:
// one of RFC 5737's documentation addresses.
func publicIP(allocationID string) string {
	return fmt.Sprintf("203.0.113.%d", 1+hexNum(allocationID)%254)
}

// fillEC2 adds what EC2 computes for a new resource of an EC2 type the
// awsx components create, and returns its id; ok is false for other types.
// It refuses what EC2 refuses of those inputs: a subnet outside the
// region's zones or with a CIDR block EC2 does not take.
func (m *Mocks) fillEC2(token, name string, out resource.PropertyMap) (id string, ok bool, err error) {
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	setDefault := func(k string, v any) {
		if cur, ok := out[resource.PropertyKey(k)]; !ok || cur.IsNull() {
			set(k, v)
		}
	}
	str := func(k string) string {
		if v, ok := out[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	arn := func(part string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", partition(m.Region), m.Region, Account, part)
	}
	switch token {
	case "aws:ec2/vpc:Vpc":
		id = VpcID(name)
		set("arn", arn("vpc/"+id))
		set("ownerId", Account)
		set("defaultRouteTableId", "rtb-"+hexID(name+"/main", 17))
		set("mainRouteTableId", "rtb-"+hexID(name+"/main", 17))
		set("defaultSecurityGroupId", "sg-"+hexID(name+"/default", 17))
		set("defaultNetworkAclId", "acl-"+hexID(name+"/default", 17))
		set("dhcpOptionsId", "dopt-"+hexID(m.Region, 17))
		setDefault("instanceTenancy", "default")
		setDefault("enableDnsSupport", true)
		setDefault("enableDnsHostnames", false)
	case "aws:ec2/subnet:Subnet":
		zone := str("availabilityZone")
		if !slices.Contains(Zones(m.Region), zone) {
			return "", true, fmt.Errorf("creating EC2 Subnet: InvalidParameterValue: Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s", zone, strings.Join(Zones(m.Region), ", "))
		}
		if p, err := netip.ParsePrefix(str("cidrBlock")); err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 28 || p.Masked() != p {
			return "", true, fmt.Errorf("creating EC2 Subnet: InvalidSubnet.Range: The CIDR '%s' is invalid", str("cidrBlock"))
		}
		id = SubnetID(name)
		set("arn", arn("subnet/"+id))
		set("ownerId", Account)
		set("availabilityZoneId", zoneID(zone))
		setDefault("mapPublicIpOnLaunch", false)
	case "aws:ec2/routeTable:RouteTable":
		id = "rtb-" + hexID(name, 17)
		set("arn", arn("route-table/"+id))
		set("ownerId", Account)
	case "aws:ec2/route:Route":
		// The provider's id: "r-", the route table and a hash of the destination.
		id = fmt.Sprintf("r-%s%d", str("routeTableId"), crc32.ChecksumIEEE([]byte(str("destinationCidrBlock"))))
		set("origin", "CreateRoute")
		set("state", "active")
	case "aws:ec2/routeTableAssociation:RouteTableAssociation":
		id = "rtbassoc-" + hexID(name, 17)
	case "aws:ec2/internetGateway:InternetGateway":
		id = "igw-" + hexID(name, 17)
		set("arn", arn("internet-gateway/"+id))
		set("ownerId", Account)
	case "aws:ec2/eip:Eip":
		id = "eipalloc-" + hexID(name, 17)
		ip := publicIP(id)
		set("allocationId", id)
		set("publicIp", ip)
		set("publicDns", "ec2-"+strings.ReplaceAll(ip, ".", "-")+".compute-1.amazonaws.com")
		set("domain", "vpc")
		set("arn", arn("elastic-ip/"+id))
	case "aws:ec2/natGateway:NatGateway":
		id = "nat-" + hexID(name, 17)
		setDefault("connectivityType", "public")
		set("networkInterfaceId", "eni-"+hexID(name, 17))
		if a := str("allocationId"); a != "" {
			set("publicIp", publicIP(a))
		}
	default:
		return "", false, nil
	}
	return id, true, nil
}
