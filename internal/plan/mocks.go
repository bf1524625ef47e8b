package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Fake account facts the mocks answer with. They are documentation values
// (AWS's example account) so that nothing in a plan looks like a real account.
const (
	mockAccount = "123456789012"
	mockVpcID   = "vpc-0a1b2c3d4e5f60718"
)

// mockDefaultSubnets are the default VPC's subnets, one per zone, as
// awsx.ec2.DefaultVpc reports them.
var mockDefaultSubnets = []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"}

// elbAccounts are the Elastic Load Balancing accounts that write access logs,
// by region (the few a plan is likely to use; others get us-east-1's).
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
var elbAccounts = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
	"us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928",
	"sa-east-1": "507241528517",
}

// Mocks answers the Pulumi engine's calls the way AWS would answer them for a
// new stack: ARNs, ids, DNS names and auto-generated names, derived
// deterministically from the logical names so that a plan is the same on every
// run. It records every registered resource in order. Mocks validate nothing:
// the program's own config validation does.
type Mocks struct {
	Region string

	mu        sync.Mutex
	resources []Registration
}

// Registration is one resource as the engine's register request carried it.
type Registration struct {
	Type   string
	Name   string
	Custom bool
	// Parent is the parent's URN, Dependencies the URNs the resource waits for
	// (from its inputs and from DependsOn), PropertyDependencies those of each input.
	Parent               string
	Dependencies         []string
	PropertyDependencies map[string][]string
	Inputs               resource.PropertyMap
	Outputs              resource.PropertyMap
	DeleteBeforeReplace  bool
	IgnoreChanges        []string
	Protect              bool
	RetainOnDelete       bool
}

// Registrations returns the resources registered so far, in order.
func (m *Mocks) Registrations() []Registration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Registration(nil), m.resources...)
}

// NewResource implements pulumi.MockResourceMonitor.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outputs := args.Inputs.Copy()
	id := m.fill(args.TypeToken, args.Name, outputs)
	reg := Registration{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Outputs: outputs}
	if rpc := args.RegisterRPC; rpc != nil {
		reg.Parent = rpc.GetParent()
		reg.Dependencies = rpc.GetDependencies()
		reg.PropertyDependencies = map[string][]string{}
		for k, deps := range rpc.GetPropertyDependencies() {
			reg.PropertyDependencies[k] = deps.GetUrns()
		}
		reg.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		reg.IgnoreChanges = rpc.GetIgnoreChanges()
		reg.Protect = rpc.GetProtect()
		reg.RetainOnDelete = rpc.GetRetainOnDelete()
	}
	m.mu.Lock()
	m.resources = append(m.resources, reg)
	m.mu.Unlock()
	return id, outputs, nil
}

// Call implements pulumi.MockResourceMonitor for the invokes the stack makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": m.Region, "id": m.Region}), nil
	case "aws:elb/getServiceAccount:getServiceAccount":
		account, ok := elbAccounts[m.Region]
		if !ok {
			account = elbAccounts["us-east-1"]
		}
		return resource.NewPropertyMapFromMap(map[string]any{"arn": "arn:aws:iam::" + account + ":root", "id": account}), nil
	}
	return args.Args, nil
}

// suffix is the stand-in for the seven random characters Pulumi appends to an
// auto-named resource.
func suffix(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])[:7]
}

func hexID(name string, n int) string {
	sum := sha256.Sum256([]byte("id:" + name))
	return hex.EncodeToString(sum[:])[:n]
}

// autoName mimics the provider's auto-naming: logical name, a hyphen and seven
// random characters, the name trimmed so the whole fits maxLen.
func autoName(name string, maxLen int) string {
	if maxLen > 0 && len(name)+8 > maxLen {
		name = name[:maxLen-8]
	}
	return name + "-" + suffix(name)
}

// fill adds the outputs AWS computes for a new resource of type token, and
// returns its id.
func (m *Mocks) fill(token, name string, out resource.PropertyMap) string {
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	str := func(k string) string {
		if v, ok := out[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	named := func(maxLen int) string {
		if n := str("name"); n != "" {
			return n
		}
		n := autoName(name, maxLen)
		set("name", n)
		return n
	}
	arn := func(service, resourcePart string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, m.Region, mockAccount, resourcePart)
	}
	switch token {
	case "awsx:ec2:DefaultVpc":
		set("vpcId", mockVpcID)
		set("publicSubnetIds", toAny(mockDefaultSubnets))
		set("privateSubnetIds", []any{})
		return ""
	case "awsx:ec2:Vpc":
		zones := 3
		if v, ok := out["numberOfAvailabilityZones"]; ok && v.IsNumber() {
			zones = int(v.NumberValue())
		}
		var public, private []any
		for i := range zones {
			public = append(public, fmt.Sprintf("subnet-%s", hexID(fmt.Sprintf("%s-public-%d", name, i), 17)))
			private = append(private, fmt.Sprintf("subnet-%s", hexID(fmt.Sprintf("%s-private-%d", name, i), 17)))
		}
		set("vpcId", "vpc-"+hexID(name, 17))
		set("publicSubnetIds", public)
		set("privateSubnetIds", private)
		return ""
	case "aws:ec2/securityGroup:SecurityGroup":
		n := named(255)
		id := "sg-" + hexID(n, 17)
		set("arn", arn("ec2", "security-group/"+id))
		return id
	case "aws:lb/loadBalancer:LoadBalancer":
		n := named(32)
		part := "app/" + n + "/" + hexID(n, 16)
		set("arn", arn("elasticloadbalancing", "loadbalancer/"+part))
		set("arnSuffix", part)
		set("dnsName", fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", n, 1000000000+int(hexNum(n)%999999999), m.Region))
		set("zoneId", "Z35SXDOTRQ7X7K")
		return arn("elasticloadbalancing", "loadbalancer/"+part)
	case "aws:lb/targetGroup:TargetGroup":
		n := named(32)
		part := "targetgroup/" + n + "/" + hexID(n, 16)
		set("arn", arn("elasticloadbalancing", part))
		set("arnSuffix", part)
		return arn("elasticloadbalancing", part)
	case "aws:lb/listener:Listener":
		a := arn("elasticloadbalancing", "listener/app/"+name+"/"+hexID(name, 16))
		set("arn", a)
		return a
	case "aws:ecs/cluster:Cluster":
		n := named(255)
		set("arn", arn("ecs", "cluster/"+n))
		return arn("ecs", "cluster/"+n)
	case "aws:ecs/taskDefinition:TaskDefinition":
		family := str("family")
		set("arn", arn("ecs", "task-definition/"+family+":1"))
		set("arnWithoutRevision", arn("ecs", "task-definition/"+family))
		set("revision", 1)
		return family
	case "aws:ecs/service:Service":
		n := named(255)
		return arn("ecs", "service/"+n)
	case "aws:iam/role:Role":
		n := named(64)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", mockAccount, n))
		return n
	case "aws:cloudwatch/logGroup:LogGroup":
		n := named(512)
		set("arn", arn("logs", "log-group:"+n))
		return n
	case "aws:s3/bucketV2:BucketV2":
		n := str("bucket")
		if n == "" {
			n = autoName(name, 63)
			set("bucket", n)
		}
		set("arn", "arn:aws:s3:::"+n)
		return n
	}
	return name + "-" + hexID(name, 8)
}

func hexNum(s string) uint64 {
	sum := sha256.Sum256([]byte(s))
	var n uint64
	for _, b := range sum[:8] {
		n = n<<8 | uint64(b)
	}
	return n
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// urnName returns the logical name of a URN (urn:pulumi:stack::project::type::name).
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}
