package infra

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// network is where the stack runs: the load balancer's subnets and the tasks'.
type network struct {
	vpcID       pulumi.StringOutput
	lbSubnets   pulumi.StringArrayOutput
	taskSubnets pulumi.StringArrayOutput
}

// network selects one of three networks:
//   - the account's default VPC (the tutorial's): load balancer and tasks share its
//     public subnets, one per zone, and tasks need a public IP since it has no NAT;
//   - an existing VPC (vpcId, subnetIds): load balancer and tasks in those subnets;
//   - a new VPC (createVpc): the load balancer in public subnets, tasks in private
//     subnets that reach the internet through NAT.
func (s *stack) network() (*network, error) {
	c := s.cfg
	switch c.NetworkKind() {
	case NewVPC:
		strategy := "Single"
		if c.NATPerZone() {
			strategy = "OnePerAz"
		}
		vpc, err := newAwsxNetwork(s.ctx, "awsx:ec2:Vpc", s.names.Vpc, pulumi.Map{
			"cidrBlock":                 pulumi.String(c.VpcCidr),
			"numberOfAvailabilityZones": pulumi.Int(c.AvailabilityZones),
			"subnetStrategy":            pulumi.String("Auto"),
			"subnetSpecs":               pulumi.Array{pulumi.Map{"type": pulumi.String("Public")}, pulumi.Map{"type": pulumi.String("Private")}},
			"natGateways":               pulumi.Map{"strategy": pulumi.String(strategy)},
			"enableDnsHostnames":        pulumi.Bool(true),
			"enableDnsSupport":          pulumi.Bool(true),
			"tags":                      s.tags(s.names.Vpc),
		})
		if err != nil {
			return nil, err
		}
		lbSubnets := vpc.PublicSubnetIDs
		if c.InternalLoadBalancer {
			lbSubnets = vpc.PrivateSubnetIDs
		}
		return &network{vpc.VpcID, lbSubnets, vpc.PrivateSubnetIDs}, nil
	case ExistingVPC:
		subnets := pulumi.ToStringArray(c.SubnetIDs).ToStringArrayOutput()
		return &network{pulumi.String(c.VpcID).ToStringOutput(), subnets, subnets}, nil
	default:
		vpc, err := newAwsxNetwork(s.ctx, "awsx:ec2:DefaultVpc", s.names.DefaultVpc, pulumi.Map{})
		if err != nil {
			return nil, err
		}
		return &network{vpc.VpcID, vpc.PublicSubnetIDs, vpc.PublicSubnetIDs}, nil
	}
}
