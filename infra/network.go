package infra

import (
	awsxec2 "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
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
		strategy := awsxec2.NatGatewayStrategySingle
		if c.NATPerZone() {
			strategy = awsxec2.NatGatewayStrategyOnePerAz
		}
		auto := awsxec2.SubnetAllocationStrategyAuto
		vpc, err := awsxec2.NewVpc(s.ctx, s.names.Vpc, &awsxec2.VpcArgs{
			CidrBlock:                 pulumi.StringRef(c.VpcCidr),
			NumberOfAvailabilityZones: pulumi.IntRef(c.AvailabilityZones),
			SubnetStrategy:            &auto,
			SubnetSpecs: []awsxec2.SubnetSpecArgs{
				{Type: awsxec2.SubnetTypePublic},
				{Type: awsxec2.SubnetTypePrivate},
			},
			NatGateways:        &awsxec2.NatGatewayConfigurationArgs{Strategy: strategy},
			EnableDnsHostnames: pulumi.Bool(true),
			EnableDnsSupport:   pulumi.Bool(true),
			Tags:               s.tags(s.names.Vpc),
		})
		if err != nil {
			return nil, err
		}
		lbSubnets := vpc.PublicSubnetIds
		if c.InternalLoadBalancer {
			lbSubnets = vpc.PrivateSubnetIds
		}
		return &network{vpc.VpcId, lbSubnets, vpc.PrivateSubnetIds}, nil
	case ExistingVPC:
		subnets := pulumi.ToStringArray(c.SubnetIDs).ToStringArrayOutput()
		return &network{pulumi.String(c.VpcID).ToStringOutput(), subnets, subnets}, nil
	default:
		vpc, err := awsxec2.NewDefaultVpc(s.ctx, s.names.DefaultVpc, &awsxec2.DefaultVpcArgs{})
		if err != nil {
			return nil, err
		}
		return &network{vpc.VpcId, vpc.PublicSubnetIds, vpc.PublicSubnetIds}, nil
	}
}
