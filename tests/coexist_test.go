package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/infra"
	"alba-digi/internal/field"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/plan"
	"alba-digi/internal/stackconfig"
)

// fixedNames are the physical names a stack fixes itself (not auto-named by
// the provider), each with its type: two resources of one type and one of
// these names cannot exist side by side in an account and region, or one is
// silently the other (CreateCluster returns the existing cluster). Records
// are keyed by zone, name and type.
func fixedNames(res *plan.Result) map[string]string {
	out := map[string]string{}
	for _, r := range res.Registrations {
		if !r.Custom {
			continue
		}
		str := func(k string) string {
			if v, ok := r.Inputs[resourceKey(k)]; ok && v.IsString() {
				return v.StringValue()
			}
			return ""
		}
		var name string
		switch r.Type {
		case "aws:route53/record:Record":
			name = str("zoneId") + " " + str("name") + " " + str("type")
		case "aws:ecs/taskDefinition:TaskDefinition":
			name = str("family")
		case "aws:cloudwatch/dashboard:Dashboard":
			name = str("dashboardName")
		case "aws:s3/bucketV2:BucketV2":
			name = str("bucket")
		default:
			name = str("name")
		}
		if name != "" {
			out[r.Type+" "+name] = r.Name
		}
	}
	return out
}

// TestDevAndProdCoexist plans the dev stack and the prod example together, as
// one account and region would hold them: no fixed physical name is shared.
func TestDevAndProdCoexist(t *testing.T) {
	dev := fixedNames(deploy(t, "dev", "enableExecuteCommand=true", "dashboard=true"))
	prod := fixedNames(deploy(t, "prod", "enableExecuteCommand=true", "readonlyRootFilesystem=false"))
	for _, want := range []string{
		"aws:ecs/cluster:Cluster alba-digi-cluster", "aws:ecs/service:Service alba-digi-service",
		"aws:ecs/taskDefinition:TaskDefinition alba-digi-task", "aws:cloudwatch/logGroup:LogGroup /ecs/alba-digi",
		"aws:cloudwatch/logGroup:LogGroup /ecs/alba-digi/exec", "aws:cloudwatch/logGroup:LogGroup /aws/ecs/containerinsights/alba-digi-cluster/performance",
		"aws:cloudwatch/dashboard:Dashboard alba-digi-dashboard",
	} {
		if _, ok := dev[want]; !ok {
			t.Errorf("dev has no %s: the tutorial's names must stay (fixed names: %v)", want, dev)
		}
	}
	if len(prod) < 7 {
		t.Errorf("prod fixes only %d names: %v", len(prod), prod)
	}
	for name, logical := range prod {
		if other, shared := dev[name]; shared {
			t.Errorf("dev (%s) and prod (%s) both name %s", other, logical, name)
		}
	}
}

// TestNewPrefixIsSafe: a new prefix (the name key) gives every resource new
// logical names, so the engine creates the new resources before it deletes
// the old ones. None of the new ones may need a fixed name an old one still
// holds then: the domain's records, whose names do not derive from the
// prefix, keep their logical names and are not touched.
func TestNewPrefixIsSafe(t *testing.T) {
	options := []string{"domainName=api.example.com", "dashboard=true", "enableExecuteCommand=true"}
	before := deploy(t, "dev", options...)
	after := deploy(t, "dev", append(options, "name=alba-digi-two")...)
	urns := func(res *plan.Result) map[string]bool {
		out := map[string]bool{}
		for _, r := range res.Registrations {
			out[r.Type+"::"+r.Name] = true
		}
		return out
	}
	oldURNs, newURNs := urns(before), urns(after)
	deleted := map[string]string{}
	for name, logical := range fixedNames(before) {
		if r := name[:strings.Index(name, " ")]; !newURNs[r+"::"+logical] {
			deleted[name] = logical
		}
	}
	created := 0
	for name, logical := range fixedNames(after) {
		r := name[:strings.Index(name, " ")]
		if oldURNs[r+"::"+logical] {
			continue
		}
		created++
		if old, taken := deleted[name]; taken {
			t.Errorf("%s %s is created while %s, to be deleted after it, still holds %s", r, logical, old, name)
		}
	}
	if created < 5 {
		t.Errorf("only %d new fixed-name resources: the new prefix should rename the cluster, service, family and log groups", created)
	}
	for _, name := range []string{"domain-alias", "domain-validation-record"} {
		if !oldURNs["aws:route53/record:Record::"+name] || !newURNs["aws:route53/record:Record::"+name] {
			t.Errorf("record %s does not keep its logical name across prefixes", name)
		}
	}
}

// TestRecordsKeepTheirState: the records' logical names before this change
// are their aliases, so a stack that has them keeps them.
func TestRecordsKeepTheirState(t *testing.T) {
	v := view(t, deploy(t, "dev", "domainName=api.example.com"))
	for name, was := range map[string]string{"domain-alias": "alba-digi-alias", "domain-validation-record": "alba-digi-certificate-validation-record"} {
		r := v.registration(name)
		if r.Type != "aws:route53/record:Record" {
			t.Errorf("%s is a %s", name, r.Type)
		}
		if !slices.Contains(r.Aliases, was) {
			t.Errorf("record %s has aliases %v, want %s", name, r.Aliases, was)
		}
	}
}

// arnLike matches an ARN against an IAM ArnLike pattern: each of the six
// colon-separated parts on its own, * any run of characters, ? one.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
func arnLike(pattern, arn string) bool {
	p, a := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(p) != 6 || len(a) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], a[i]) {
			return false
		}
	}
	return true
}

func glob(p, s string) bool {
	switch {
	case p == "":
		return s == ""
	case p[0] == '*':
		for i := 0; i <= len(s); i++ {
			if glob(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case s == "":
		return false
	case p[0] == '?' || p[0] == s[0]:
		return glob(p[1:], s[1:])
	}
	return false
}

// TestAlarmKeysAreTheStacks parses the alarm key's policy of dev and of the
// prod example, in one account and region, and matches the ARNs of each
// stack's alarms against both patterns: CloudWatch may use a stack's key for
// that stack's alarms only.
func TestAlarmKeysAreTheStacks(t *testing.T) {
	type stackAlarms struct {
		pattern string
		arns    []string
	}
	read := func(stack string) stackAlarms {
		v := view(t, deploy(t, stack, "alarmEmail=ops@example.com"))
		var out stackAlarms
		for _, st := range keyPolicy(t, v.named(v.res.Config.Names().AlarmTopicKey)).Statement {
			if st.Principal["Service"] == "cloudwatch.amazonaws.com" {
				out.pattern = st.Condition["ArnLike"]["aws:SourceArn"]
			}
		}
		for _, a := range v.all(tAlarm) {
			out.arns = append(out.arns, outputOf(t, v, a.Name, "arn"))
		}
		want := 5 // 5xx of targets and of the load balancer, unhealthy, CPU, memory
		if v.res.Config.WAF {
			want++ // blocked requests
		}
		if out.pattern == "" || len(out.arns) != want {
			t.Fatalf("%s: pattern %q, alarms %v", stack, out.pattern, out.arns)
		}
		return out
	}
	dev, prod := read("dev"), read("prod")
	for _, tt := range []struct {
		name     string
		pattern  string
		arns     []string
		matching bool
	}{
		{"dev's alarms, dev's key", dev.pattern, dev.arns, true},
		{"prod's alarms, prod's key", prod.pattern, prod.arns, true},
		{"prod's alarms, dev's key", dev.pattern, prod.arns, false},
		{"dev's alarms, prod's key", prod.pattern, dev.arns, false},
	} {
		for _, a := range tt.arns {
			if arnLike(tt.pattern, a) != tt.matching {
				t.Errorf("%s: %s matches %s = %v, want %v", tt.name, a, tt.pattern, !tt.matching, tt.matching)
			}
		}
	}
	if !arnLike("arn:aws:cloudwatch:us-east-1:123456789012:alarm:alba-digi-*", prod.arns[0]) {
		t.Errorf("the check cannot fail: the old pattern alba-digi-* should match prod's %s", prod.arns[0])
	}
}

// TestAccessLogsWriterOfTheProvidersRegion: with aws:region unset the program
// asks the provider which region it deploys to, and the bucket policy's
// writer is that region's: the log delivery service in a region opened after
// August 2022, never a guessed ELB account.
func TestAccessLogsWriterOfTheProvidersRegion(t *testing.T) {
	for _, tt := range []struct{ region, key, principal string }{
		{"ap-southeast-4", "Service", "logdelivery.elasticloadbalancing.amazonaws.com"},
		{"us-east-1", "AWS", "arn:aws:iam::127311923021:root"},
	} {
		t.Run(tt.region, func(t *testing.T) {
			sc, err := stackconfig.LoadStack(projectDir, "dev", []string{"accessLogs=true"})
			if err != nil {
				t.Fatal(err)
			}
			delete(sc.Values, "aws:region")
			mocks := &mockaws.Mocks{Region: tt.region}
			program := func(ctx *pulumi.Context) error {
				_, err := infra.Declare(ctx, sc.Values)
				return err
			}
			if err := pulumi.RunErr(program, pulumi.WithMocks(sc.Project, sc.Stack, mocks), withConfig(sc)); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Statement []struct {
					Principal map[string]string
					Resource  []string
				}
			}
			for _, r := range mocks.Registrations() {
				if r.Type == tBucketPol {
					if err := json.Unmarshal([]byte(r.Inputs["policy"].StringValue()), &doc); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(doc.Statement) != 1 || doc.Statement[0].Principal[tt.key] != tt.principal {
				t.Errorf("bucket policy %+v, want %s %s", doc, tt.key, tt.principal)
			}
			if res := doc.Statement[0].Resource; len(res) != 1 || !strings.HasSuffix(res[0], "/alba-digi/AWSLogs/"+mockaws.Account+"/*") {
				t.Errorf("bucket policy resource %v, want this account's prefix only", res)
			}
		})
	}
}

// TestSubnetsOfOneZoneNamed: two subnets of one zone are refused with both
// subnets and the zone named.
func TestSubnetsOfOneZoneNamed(t *testing.T) {
	const a1, b, a2 = "subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60004"
	_, err := tryDeploy("dev", "vpcId="+mockaws.DefaultVpcID, fmt.Sprintf(`subnetIds=["%s","%s","%s"]`, a1, b, a2))
	list := field.List(err)
	if len(list) != 1 || list[0].Field != "subnetIds[2]" || list[0].Type != field.Invalid {
		t.Fatalf("error %v, want one problem at subnetIds[2]", err)
	}
	for _, want := range []string{a2, a1, "subnetIds[0]", "us-east-1a", "one subnet per zone"} {
		if !strings.Contains(list[0].Error(), want) {
			t.Errorf("%q does not say %q", list[0].Error(), want)
		}
	}
}
