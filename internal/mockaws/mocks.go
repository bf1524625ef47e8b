// Package mockaws answers the Pulumi engine's calls for the AWS resources and
// data sources this stack uses, the way AWS would answer them for a new stack,
// so that the program runs offline under the Pulumi SDK's mocks.
package mockaws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Fake account facts the mocks answer with. They are documentation values
// (AWS's example account) so that nothing in a plan looks like a real account.
const (
	Account = "123456789012"
	// DefaultVpcID is the fake account's default VPC.
	DefaultVpcID = "vpc-0a1b2c3d4e5f60718"
	// OtherVpcID is a second VPC of the fake account.
	OtherVpcID = "vpc-0f1e2d3c4b5a69788"
)

// DefaultSubnets are the default VPC's own subnets, one per zone of the
// region (us-east-1's six here; a region of fewer zones has the first ones):
// its public subnets, as awsx.ec2.DefaultVpc reports them. A default VPC has
// a default subnet in each Availability Zone of its region:
// https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html
var DefaultSubnets = []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003",
	"subnet-0a1b2c3d4e5f60005", "subnet-0a1b2c3d4e5f60006", "subnet-0a1b2c3d4e5f60007"}

// Subnet is what the subnet data source reports of a subnet.
type Subnet struct {
	VpcID string
	// Zone is the zone's letter; the region comes before it.
	Zone string
	// Public: it gives a public IP on launch (mapPublicIpOnLaunch), as a
	// default VPC's own subnets do; awsx's DefaultVpc calls those public.
	Public bool
}

// Zone is what the hosted zone data source reports of a zone.
type Zone struct {
	ID      string
	Private bool
}

// accountZones are the fake account's hosted zones, by name.
var accountZones = map[string]Zone{
	"example.com": {"Z0EXAMPLE0COM000000000", false},
	"example.org": {"Z0EXAMPLE0ORG000000000", false},
	// A zone of its own for a subdomain, beside its parent's.
	"dev.example.org": {"Z0DEV0EXAMPLE0ORG00000", false},
	"corp.internal":   {"Z0CORP0INTERNAL0000000", true},
}

// accountSubnets are the fake account's subnets: the default VPC's own, a
// second subnet someone added to the default VPC in its first zone (a
// subnet made so gives no public IP on launch: awsx's DefaultVpc reports it
// as private), and one of another VPC.
var accountSubnets = map[string]Subnet{
	DefaultSubnets[0]:          {DefaultVpcID, "a", true},
	DefaultSubnets[1]:          {DefaultVpcID, "b", true},
	DefaultSubnets[2]:          {DefaultVpcID, "c", true},
	DefaultSubnets[3]:          {DefaultVpcID, "d", true},
	DefaultSubnets[4]:          {DefaultVpcID, "e", true},
	DefaultSubnets[5]:          {DefaultVpcID, "f", true},
	"subnet-0a1b2c3d4e5f60004": {DefaultVpcID, "a", false},
	"subnet-0f1e2d3c4b5a60001": {OtherVpcID, "a", false},
}

// elbAccounts are the Elastic Load Balancing accounts that write access logs,
// by region (the few a plan is likely to use; others get us-east-1's).
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
var elbAccounts = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
	"us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928",
	"sa-east-1": "507241528517", "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
	"cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Mocks answers the Pulumi engine's calls the way AWS would answer them for a
// new stack: ARNs, ids, DNS names and auto-generated names, derived
// deterministically from the logical names so that a plan is the same on every
// run. It records every registered resource in order. Mocks validate nothing:
// the program's own config validation does.
type Mocks struct {
	Region string
	// AssumedVpc is the VPC of the subnets the fake account does not know: the
	// mocks cannot know a real account's subnets, so they take those of the
	// configured vpcId as its subnets, one zone each in the order given.
	AssumedVpc string
	// AssumedSubnets are the configured subnetIds, for that order.
	AssumedSubnets []string
	// AssumedZone is the name given to a hosted zone id the fake account does
	// not know (the configured domain's parent), for the same reason.
	AssumedZone string

	mu        sync.Mutex
	resources []Registration
}

// Registration is one resource as the engine's register request carried it.
type Registration struct {
	Type   string
	Name   string
	Custom bool
	// ID is the physical id the mocks gave the resource.
	ID string
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
	// CreateTimeout is the create custom timeout, "" when none.
	CreateTimeout string
	// AfterCreateHooks, AfterUpdateHooks and BeforeUpdateHooks name the
	// resource hooks bound to it.
	AfterCreateHooks, AfterUpdateHooks, BeforeUpdateHooks []string
	// Transforms is how many transforms it has.
	Transforms int
	// Aliases are the logical names of the resource's aliases.
	Aliases []string
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
	id, err := m.fill(args.TypeToken, args.Name, outputs)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: %w", args.TypeToken, args.Name, err)
	}
	reg := Registration{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, ID: id, Inputs: args.Inputs, Outputs: outputs}
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
		reg.CreateTimeout = rpc.GetCustomTimeouts().GetCreate()
		reg.AfterCreateHooks = rpc.GetHooks().GetAfterCreate()
		reg.AfterUpdateHooks = rpc.GetHooks().GetAfterUpdate()
		reg.BeforeUpdateHooks = rpc.GetHooks().GetBeforeUpdate()
		reg.Transforms = len(rpc.GetTransforms())
		for _, a := range rpc.GetAliases() {
			if spec := a.GetSpec(); spec != nil {
				reg.Aliases = append(reg.Aliases, spec.GetName())
			} else if a.GetUrn() != "" {
				reg.Aliases = append(reg.Aliases, URNName(a.GetUrn()))
			}
		}
	}
	m.mu.Lock()
	m.resources = append(m.resources, reg)
	m.mu.Unlock()
	return id, outputs, nil
}

// Create answers a provider's Create of a resource of type token and logical
// name: its physical id and outputs (the inputs and what AWS computes). The
// engine test's stand-in provider plugin creates resources this way, so that
// the real engine sees the same fake account as the mocks.
func (m *Mocks) Create(token, name string, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	outputs := inputs.Copy()
	id, err := m.fill(token, name, outputs)
	return id, outputs, err
}

// Check gives the inputs of an auto-named resource its physical name, as the
// provider does when it checks them: the name it already has (olds), else the
// logical name with a random-looking suffix. Naming at check time keeps the
// name when other inputs change, as the provider does.
func (m *Mocks) Check(token, name string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	checked := news.Copy()
	key := resource.PropertyKey("name")
	limit, named := nameLimits[token]
	if token == "aws:s3/bucketV2:BucketV2" {
		key, named, limit = "bucket", true, 63
		name = strings.ToLower(name) // S3 allows no capitals
	}
	if !named {
		return checked, nil
	}
	if v, ok := checked[key]; ok && !v.IsNull() {
		return checked, nil
	}
	if v, ok := olds[key]; ok && v.IsString() {
		checked[key] = v
		return checked, nil
	}
	n, err := autoName(name, limit)
	if err != nil {
		return nil, err
	}
	checked[key] = resource.NewStringProperty(n)
	return checked, nil
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
		return resource.NewPropertyMapFromMap(map[string]any{"arn": "arn:" + partition(m.Region) + ":iam::" + account + ":root", "id": account}), nil
	case "aws:ec2/getSubnet:getSubnet":
		return m.subnet(args.Args)
	case "aws:ec2/getSubnets:getSubnets":
		return m.subnetIDs(args.Args)
	case "aws:ec2/getVpc:getVpc":
		return m.vpc(args.Args)
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return m.availabilityZones(), nil
	case "aws:route53/getZone:getZone":
		return m.zone(args.Args)
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "id": Account, "userId": "AIDAEXAMPLEUSERID0000",
			"arn": "arn:" + partition(m.Region) + ":iam::" + Account + ":user/plan",
		}), nil
	}
	return args.Args, nil
}

// zone answers the hosted zone data source, by name or id: a zone of the fake
// account, a zone it does not know (taken as a public zone of that name, or of
// AssumedZone for an id), or AWS's not-found error.
func (m *Mocks) zone(args resource.PropertyMap) (resource.PropertyMap, error) {
	str := func(k resource.PropertyKey) string {
		if v, ok := args[k]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	name, id := strings.TrimSuffix(str("name"), "."), str("zoneId")
	z, known := accountZones[name]
	if id != "" {
		name, known = "", false
		for n, az := range accountZones {
			if az.ID == id {
				name, z, known = n, az, true
			}
		}
		if !known {
			if m.AssumedZone == "" {
				return nil, fmt.Errorf("no matching Route 53 Hosted Zone found: NoSuchHostedZone: %s", id)
			}
			name, z = m.AssumedZone, Zone{ID: id}
		}
	} else if !known {
		// A zone the fake account does not know: a registrable name (two
		// labels, mycompany.io) is taken as a public zone of the user's
		// account, so that an offline plan of their domain works; a longer
		// name has no zone of its own, as most subdomains do not.
		if strings.Count(name, ".") != 1 || strings.HasSuffix(name, ".invalid") {
			return nil, fmt.Errorf("no matching Route 53 Hosted Zone found")
		}
		z = Zone{ID: "Z" + strings.ToUpper(hexID(name, 20))} // ZoneNameServers knows it
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": z.ID, "zoneId": z.ID, "name": name + ".", "privateZone": z.Private,
		"arn":         "arn:aws:route53:::hostedzone/" + z.ID,
		"nameServers": toAny(NameServers(z.ID)),
	}), nil
}

// ZoneNameServers are the name servers of the public zone the mocks answer
// for name, a registrable domain the fake account does not know (see zone).
func ZoneNameServers(name string) []string {
	return NameServers("Z" + strings.ToUpper(hexID(name, 20)))
}

// NameServers are the name servers Route 53 gives a zone of the fake account.
func NameServers(zoneID string) []string {
	n := int(hexNum(zoneID) % 2000)
	return []string{
		fmt.Sprintf("ns-%d.awsdns-%02d.com", n, n%64),
		fmt.Sprintf("ns-%d.awsdns-%02d.net", n+512, (n+1)%64),
		fmt.Sprintf("ns-%d.awsdns-%02d.org", n+1024, (n+2)%64),
		fmt.Sprintf("ns-%d.awsdns-%02d.co.uk", n+1536, (n+3)%64),
	}
}

// subnet answers the subnet data source: a subnet of the fake account, a
// configured subnet it does not know (see AssumedVpc), or AWS's not-found error.
func (m *Mocks) subnet(args resource.PropertyMap) (resource.PropertyMap, error) {
	id := ""
	if v, ok := args["id"]; ok && v.IsString() {
		id = v.StringValue()
	}
	s, ok := accountSubnets[id]
	if ok && !m.inRegion(s) {
		ok = false
	}
	if !ok {
		i := slices.Index(m.AssumedSubnets, id)
		if i < 0 || m.AssumedVpc == "" {
			return nil, fmt.Errorf("no matching EC2 Subnet found: InvalidSubnetID.NotFound: The subnet ID '%s' does not exist", id)
		}
		s = Subnet{VpcID: m.AssumedVpc, Zone: string(rune('a' + i%6))}
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id":                  id,
		"vpcId":               s.VpcID,
		"availabilityZone":    m.Region + s.Zone,
		"mapPublicIpOnLaunch": s.Public,
		"arn":                 fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", m.Region, Account, id),
	}), nil
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
// random characters; like the provider (the Terraform bridge's AutoName), it
// fails when the result would exceed the resource's maxLen.
func autoName(name string, maxLen int) (string, error) {
	if maxLen > 0 && len(name)+8 > maxLen {
		return "", fmt.Errorf("name '%s-' plus 7 random chars is longer than maximum length %d", name, maxLen)
	}
	return name + "-" + suffix(name), nil
}

// nameLimits are the longest physical names of the auto-named types, which
// the provider auto-names when the program sets no name.
var nameLimits = map[string]int{
	"aws:ec2/securityGroup:SecurityGroup":    255,
	"aws:lb/loadBalancer:LoadBalancer":       32,
	"aws:lb/targetGroup:TargetGroup":         32,
	"aws:ecs/cluster:Cluster":                255,
	"aws:ecs/service:Service":                255,
	"aws:iam/role:Role":                      64,
	"aws:cloudwatch/logGroup:LogGroup":       512,
	"aws:cloudwatch/metricAlarm:MetricAlarm": 255,
	"aws:sns/topic:Topic":                    256,
}

// fill adds the outputs AWS computes for a new resource of type token, and
// returns its id.
func (m *Mocks) fill(token, name string, out resource.PropertyMap) (string, error) {
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	str := func(k string) string {
		if v, ok := out[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	if limit, ok := nameLimits[token]; ok && str("name") == "" {
		n, err := autoName(name, limit)
		if err != nil {
			return "", err
		}
		set("name", n)
	}
	if id, ok, err := m.fillEC2(token, name, out); ok {
		return id, err
	}
	n := str("name")
	arn := func(service, resourcePart string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition(m.Region), service, m.Region, Account, resourcePart)
	}
	switch token {
	case "awsx:ec2:DefaultVpc":
		id, public, private := m.defaultVpc()
		set("vpcId", id)
		set("publicSubnetIds", toAny(public))
		set("privateSubnetIds", toAny(private))
		return "", nil
	case "awsx:ec2:Vpc":
		// The outputs of what the component creates, with the ids the
		// fake account gives those resources (fillEC2).
		l, err := ModelVpc(name, m.Region, out)
		if err != nil {
			return "", err
		}
		set("vpcId", VpcID(name))
		set("publicSubnetIds", toAny(l.SubnetIDs("Public")))
		set("privateSubnetIds", toAny(l.SubnetIDs("Private")))
		set("isolatedSubnetIds", toAny(l.SubnetIDs("Isolated")))
		return "", nil
	case "aws:ec2/securityGroup:SecurityGroup":
		id := "sg-" + hexID(n, 17)
		set("arn", arn("ec2", "security-group/"+id))
		return id, nil
	case "aws:lb/loadBalancer:LoadBalancer":
		part := "app/" + n + "/" + hexID(n, 16)
		set("arn", arn("elasticloadbalancing", "loadbalancer/"+part))
		set("arnSuffix", part)
		set("dnsName", fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", n, 1000000000+int(hexNum(n)%999999999), m.Region))
		set("zoneId", "Z35SXDOTRQ7X7K")
		return arn("elasticloadbalancing", "loadbalancer/"+part), nil
	case "aws:lb/targetGroup:TargetGroup":
		part := "targetgroup/" + n + "/" + hexID(n, 16)
		set("arn", arn("elasticloadbalancing", part))
		set("arnSuffix", part)
		return arn("elasticloadbalancing", part), nil
	case "aws:lb/listener:Listener":
		a := arn("elasticloadbalancing", "listener/app/"+name+"/"+hexID(name, 16))
		set("arn", a)
		return a, nil
	case "aws:ecs/cluster:Cluster":
		set("arn", arn("ecs", "cluster/"+n))
		return arn("ecs", "cluster/"+n), nil
	case "aws:ecs/taskDefinition:TaskDefinition":
		family := str("family")
		set("arn", arn("ecs", "task-definition/"+family+":1"))
		set("arnWithoutRevision", arn("ecs", "task-definition/"+family))
		set("revision", 1)
		return family, nil
	case "aws:ecs/service:Service":
		return arn("ecs", "service/"+n), nil
	case "aws:iam/role:Role":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, n))
		return n, nil
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", arn("logs", "log-group:"+n))
		return n, nil
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("arn", arn("cloudwatch", "alarm:"+n))
		return n, nil
	case "aws:cloudwatch/dashboard:Dashboard":
		set("dashboardArn", fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", Account, str("dashboardName")))
		return str("dashboardName"), nil
	case "aws:kms/key:Key":
		id := uuidLike(name)
		set("arn", arn("kms", "key/"+id))
		set("keyId", id)
		return id, nil
	case "aws:acm/certificate:Certificate":
		domain := str("domainName")
		a := arn("acm", "certificate/"+uuidLike(name))
		set("arn", a)
		set("domainValidationOptions", []any{map[string]any{
			"domainName":          domain,
			"resourceRecordName":  "_" + hexID("name:"+domain, 32) + "." + domain + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_" + hexID("value:"+domain, 32) + ".xlfgrmvvlj.acm-validations.aws.",
		}})
		set("status", "PENDING_VALIDATION")
		return a, nil
	case "aws:acm/certificateValidation:CertificateValidation":
		return str("certificateArn"), nil
	case "aws:route53/record:Record":
		fqdn := strings.TrimSuffix(str("name"), ".")
		set("fqdn", fqdn)
		return str("zoneId") + "_" + fqdn + "_" + str("type"), nil
	case "aws:sns/topic:Topic":
		set("arn", arn("sns", n))
		return arn("sns", n), nil
	case "aws:wafv2/webAcl:WebAcl":
		id := uuidLike(name)
		set("arn", arn("wafv2", "regional/webacl/"+n+"/"+id))
		set("lockToken", uuidLike("lock:"+name))
		return id, nil
	case "aws:wafv2/webAclAssociation:WebAclAssociation":
		// The provider's id: the web ACL's ARN, a comma, the resource's ARN.
		return str("webAclArn") + "," + str("resourceArn"), nil
	case "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":
		return str("resourceArn"), nil
	case "aws:cloudwatch/logResourcePolicy:LogResourcePolicy":
		return str("policyName"), nil
	case "aws:s3/bucketV2:BucketV2":
		b := str("bucket")
		if b == "" {
			var err error
			// The provider lower-cases bucket auto-names: S3 allows no capitals.
			if b, err = autoName(strings.ToLower(name), 63); err != nil {
				return "", err
			}
			set("bucket", b)
		}
		set("arn", "arn:"+partition(m.Region)+":s3:::"+b)
		return b, nil
	}
	return name + "-" + hexID(name, 8), nil
}

// uuidLike is a UUID-shaped id derived from name, as ACM names certificates.
func uuidLike(name string) string {
	h := hexID("uuid:"+name, 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
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

// URNType returns the type of a URN (urn:pulumi:stack::project::parent$type::name):
// the resource's own type, without its parents'.
func URNType(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 2 {
		return ""
	}
	qualified := parts[len(parts)-2]
	if i := strings.LastIndex(qualified, "$"); i >= 0 {
		return qualified[i+1:]
	}
	return qualified
}

// URNName returns the logical name of a URN (urn:pulumi:stack::project::type::name).
func URNName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}
