package infra

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A few resources are registered by their type token instead of through
// their package of the providers' Go SDKs, because those packages cost every
// `pulumi preview` more to compile than all the rest of the stack: the
// pulumi-aws ec2 package (every EC2 resource, about a fifth of a cold build)
// for one security group type and one data source, and awsx's ec2 package,
// which pulls in it and the docker and docker-build SDKs, for two components
// whose outputs are three strings. The engine sees the same type tokens,
// inputs and provider versions as through the SDKs, so the stack's state and
// diffs do not change (the golden plans hold the inputs, and the engine test
// runs them). The README's development section has the measurements.

// Provider plugin versions: the versions of the SDKs go.mod pins
// (TestProviderVersionsAreGoMods checks it).
const (
	awsVersion  = "6.83.4"
	awsxVersion = "2.22.0"
)

// securityGroup is an aws:ec2/securityGroup:SecurityGroup.
// https://www.pulumi.com/registry/packages/aws/api-docs/ec2/securitygroup/
type securityGroup struct {
	pulumi.CustomResourceState
	Arn  pulumi.StringOutput `pulumi:"arn"`
	Name pulumi.StringOutput `pulumi:"name"`
}

// securityGroupArgs are the inputs this stack sets on a security group.
type securityGroupArgs struct {
	Description string
	VpcID       pulumi.StringInput
	Tags        pulumi.StringMapInput
}

func newSecurityGroup(ctx *pulumi.Context, name string, args securityGroupArgs, opts ...pulumi.ResourceOption) (*securityGroup, error) {
	var sg securityGroup
	inputs := pulumi.Map{"description": pulumi.String(args.Description), "vpcId": args.VpcID, "tags": args.Tags}
	opts = append([]pulumi.ResourceOption{pulumi.Version(awsVersion)}, opts...)
	if err := ctx.RegisterResource("aws:ec2/securityGroup:SecurityGroup", name, inputs, &sg, opts...); err != nil {
		return nil, err
	}
	return &sg, nil
}

// awsxNetwork is an awsx:ec2:DefaultVpc or awsx:ec2:Vpc component, by the
// outputs the stack reads.
// https://www.pulumi.com/registry/packages/awsx/api-docs/ec2/vpc/
type awsxNetwork struct {
	pulumi.ResourceState
	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIDs  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
}

func newAwsxNetwork(ctx *pulumi.Context, token, name string, inputs pulumi.Map) (*awsxNetwork, error) {
	var n awsxNetwork
	if err := ctx.RegisterRemoteComponentResource(token, name, inputs, &n, pulumi.Version(awsxVersion)); err != nil {
		return nil, err
	}
	return &n, nil
}

// subnetFacts is what the aws:ec2/getSubnet data source says of a subnet.
type subnetFacts struct {
	VpcID            string `pulumi:"vpcId"`
	AvailabilityZone string `pulumi:"availabilityZone"`
}

func lookupSubnet(ctx *pulumi.Context, id string) (*subnetFacts, error) {
	var out subnetFacts
	err := ctx.Invoke("aws:ec2/getSubnet:getSubnet", map[string]any{"id": id}, &out, pulumi.Version(awsVersion))
	return &out, err
}
