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

// The web application firewall's resources are registered by type token too:
// pulumi-aws's wafv2 package holds every WAF type, with the web ACL's rule
// statements nested as Go types several levels deep (about 12 MB of source),
// and would be compiled into every preview for three resources whose inputs
// this stack sets are a handful of strings (docs/development.md has the
// measurement). The tokens, input names and shapes are the provider's; a test
// checks them against the SDK's own types.

// webACL is an aws:wafv2/webAcl:WebAcl.
// https://www.pulumi.com/registry/packages/aws/api-docs/wafv2/webacl/
type webACL struct {
	pulumi.CustomResourceState
	Arn  pulumi.StringOutput `pulumi:"arn"`
	Name pulumi.StringOutput `pulumi:"name"`
}

// webACLArgs are the inputs this stack sets on a web ACL. Rules go in
// RuleJSON (see webACLRules), never in the typed rules input.
type webACLArgs struct {
	Name        string
	Description string
	RuleJSON    string
	Tags        pulumi.StringMapInput
}

// Inputs of the web ACL, in the provider's names: a regional web ACL (for a
// load balancer) that lets through what no rule blocks, with CloudWatch
// metrics and sampled requests on.
func (a webACLArgs) inputs() pulumi.Map {
	return pulumi.Map{
		"name":          pulumi.String(a.Name),
		"description":   pulumi.String(a.Description),
		"scope":         pulumi.String("REGIONAL"),
		"defaultAction": pulumi.Map{"allow": pulumi.Map{}},
		"visibilityConfig": pulumi.Map{
			"cloudwatchMetricsEnabled": pulumi.Bool(true),
			"metricName":               pulumi.String(a.Name),
			"sampledRequestsEnabled":   pulumi.Bool(true),
		},
		"ruleJson": pulumi.String(a.RuleJSON),
		"tags":     a.Tags,
	}
}

// registerAWS registers a resource of the aws provider by its type token, at
// the provider version go.mod pins, into res.
func registerAWS(ctx *pulumi.Context, token, name string, inputs pulumi.Map, res pulumi.CustomResource, opts ...pulumi.ResourceOption) error {
	return ctx.RegisterResource(token, name, inputs, res, append([]pulumi.ResourceOption{pulumi.Version(awsVersion)}, opts...)...)
}

func newWebACL(ctx *pulumi.Context, name string, args webACLArgs, opts ...pulumi.ResourceOption) (*webACL, error) {
	var acl webACL
	return &acl, registerAWS(ctx, "aws:wafv2/webAcl:WebAcl", name, args.inputs(), &acl, opts...)
}

// newWebACLAssociation associates the web ACL webACLArn with the resource
// resourceArn: an aws:wafv2/webAclAssociation:WebAclAssociation.
// https://www.pulumi.com/registry/packages/aws/api-docs/wafv2/webaclassociation/
func newWebACLAssociation(ctx *pulumi.Context, name string, resourceArn, webACLArn pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	var a pulumi.CustomResourceState
	return registerAWS(ctx, "aws:wafv2/webAclAssociation:WebAclAssociation", name, pulumi.Map{"resourceArn": resourceArn, "webAclArn": webACLArn}, &a, opts...)
}

// newWebACLLogging sends the web ACL's logs to destination with the named
// headers redacted: an
// aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration. Header
// names go in lower case: AWS WAF returns them so, and the provider keeps
// what AWS returns.
// https://www.pulumi.com/registry/packages/aws/api-docs/wafv2/webaclloggingconfiguration/
func newWebACLLogging(ctx *pulumi.Context, name string, webACLArn, destination pulumi.StringInput, redactedHeaders []string, opts ...pulumi.ResourceOption) error {
	var redacted pulumi.Array
	for _, h := range redactedHeaders {
		redacted = append(redacted, pulumi.Map{"singleHeader": pulumi.Map{"name": pulumi.String(h)}})
	}
	var l pulumi.CustomResourceState
	inputs := pulumi.Map{"resourceArn": webACLArn, "logDestinationConfigs": pulumi.Array{destination}, "redactedFields": redacted}
	return registerAWS(ctx, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", name, inputs, &l, opts...)
}
