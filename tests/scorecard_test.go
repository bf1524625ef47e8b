package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"alba-digi/internal/plan"
)

// The security scorecard: public rules, by their public IDs, each a small check
// over the resources the stack declares (recorded under the mocks). A check
// returns its findings; none means the rule passes. Every rule says whether the
// dev (tutorial) and prod example stacks pass it, and for each expected
// failure, why and which config passes it. The README's table is generated
// from this list (go test ./tests -update) and checked against it.
type rule struct {
	id       string
	requires string
	check    func(v stackView) []string
	dev      bool // dev is expected to pass
	prod     bool // prod is expected to pass
	why      string
	passWith string
}

// Reasons shared by equivalent rules of different scanners.
const (
	whyLogsKMS        = "a customer-managed key costs about $1 a month and outlives `pulumi destroy` by its 7-day deletion window; the tutorial's logs keep CloudWatch's own encryption"
	passLogsKMS       = "`logsKmsKey: true`"
	whyBucketLogging  = "the bucket holds access logs already; logging access to it needs another bucket, whose own access would need logging in turn"
	passBucketLogging = "none in this program: point the bucket's server access logs at your organisation's central log bucket"
	whyBucketKMS      = "Elastic Load Balancing writes access logs only to a bucket encrypted with S3-managed keys (SSE-S3), not KMS (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)"
	passBucketKMS     = "none: ELB does not support KMS keys for access logs"
	whyNoEmail        = "the tutorial names no one to notify; its alarms still show on the console and the dashboard"
	passEmail         = "`alarmEmail` (an SNS topic emails the alarms)"
	whyImageWrites    = "the tutorial's image is a third-party one nobody here has inspected: it may write to its filesystem at start, and would crash-loop on a read-only one"
	passReadOnly      = "`readonlyRootFilesystem: true` with an image that writes nowhere, or only to a VOLUME its user owns (as in Pulumi.prod.yaml)"
	whyImageUser      = "the tutorial's image may need its own user (often root) to read or write its files; the dev stack runs it as the tutorial did"
	passUser          = "`user: \"1000\"` (or another uid the image's files allow) with an image built for it (as in Pulumi.prod.yaml)"
	whyPublicIP       = "the default VPC has no NAT gateway: tasks need a public IP to pull their image"
	passPublicIP      = "`createVpc: true` and `assignPublicIp: false` (or `vpcId`/`subnetIds` with NAT)"
	whyNoHTTPS        = "HTTPS needs a certificate for a domain the tutorial does not have"
	passHTTPS         = "`domainName` (or `certificateArn`): HTTP then redirects with a 301"
	whyNoLogs         = "access logs need an S3 bucket the tutorial does not have"
	passLogs          = "`accessLogs: true`"
	whyNoProtect      = "deletion protection makes `pulumi destroy`, the tutorial's cleanup, fail"
	passProtect       = "`deletionProtection: true`"
	whyHTTPTarget     = "the tutorial's image serves plain HTTP on port 5050 (TLS ends at the load balancer)"
	passHTTPSTg       = "`targetProtocol: HTTPS` with an image that serves TLS"
	whyPublicLB       = "the API is meant to be reached from the internet (`curl http://<dns>/alive`)"
	passInternal      = "`internalLoadBalancer: true` behind CloudFront, API Gateway or a VPN"
	whyEgress         = "tasks pull the image from public ECR, which has no VPC endpoint, and send logs to CloudWatch over the internet"
	passEgress        = "none in this program: a private ECR copy of the image plus VPC endpoints (ECR, S3, CloudWatch Logs, SSM)"
	whyNoWAF          = "a web ACL costs about $5 a month, $1 per rule or rule group and $0.60 per million requests; the tutorial's test API needs none"
	passWAF           = "`waf: true` (AWS managed rule groups and a rate limit, as in Pulumi.prod.yaml)"
)

var highRiskPorts = []int{20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300}

var rules = []rule{
	{id: "ECS.2", requires: "services get no public IP", check: noPublicIP, dev: false, prod: true, why: whyPublicIP, passWith: passPublicIP},
	{id: "ECS.3", requires: "no host PID mode", check: taskDefs(func(r plan.Resource) string { return when(get(r, "pidMode") == "host", "pidMode host") }), dev: true, prod: true},
	{id: "ECS.4", requires: "no privileged containers", check: containers(func(c ecstypes.ContainerDefinition) string {
		return when(c.Privileged != nil && *c.Privileged, "privileged")
	}), dev: true, prod: true},
	{id: "ECS.5", requires: "read-only root filesystem", check: readOnlyRoot, dev: false, prod: true, why: whyImageWrites, passWith: passReadOnly},
	{id: "ECS.8", requires: "no AWS credentials in environment variables", check: containers(awsCredentialsInEnvironment), dev: true, prod: true},
	{id: "ECS.9", requires: "every container has a log configuration", check: containers(func(c ecstypes.ContainerDefinition) string {
		return when(c.LogConfiguration == nil || c.LogConfiguration.LogDriver == "", "no log configuration")
	}), dev: true, prod: true},
	{id: "ECS.10", requires: "Fargate services on the latest platform version", check: latestPlatform, dev: true, prod: true},
	{id: "ECS.12", requires: "Container Insights on", check: containerInsights, dev: true, prod: true},
	{id: "ECS.16", requires: "task sets (a CodeDeploy release's) get no public IP", check: noTaskSetPublicIP, dev: true, prod: true},
	{id: "ECS.17", requires: "no host network mode", check: taskDefs(func(r plan.Resource) string { return when(get(r, "networkMode") == "host", "networkMode host") }), dev: true, prod: true},
	{id: "ECS.20", requires: "containers run as a non-root user", check: containers(nonRootUser), dev: false, prod: true, why: whyImageUser, passWith: passUser},
	{id: "ELB.1", requires: "HTTP listeners redirect to HTTPS", check: httpRedirects, dev: false, prod: true, why: whyNoHTTPS, passWith: passHTTPS},
	{id: "ELB.4", requires: "drop invalid header fields", check: lbFlag("dropInvalidHeaderFields", "true"), dev: true, prod: true},
	{id: "ELB.5", requires: "access logs on", check: accessLogs, dev: false, prod: true, why: whyNoLogs, passWith: passLogs},
	{id: "ELB.6", requires: "deletion protection on", check: lbFlag("enableDeletionProtection", "true"), dev: false, prod: true, why: whyNoProtect, passWith: passProtect},
	{id: "ELB.12", requires: "desync mitigation defensive or strictest", check: desyncMode, dev: true, prod: true},
	{id: "ELB.13", requires: "load balancer in at least two zones (two subnets)", check: twoZones, dev: true, prod: true},
	{id: "CloudWatch.15", requires: "alarms exist and notify someone", check: alarmActions, dev: false, prod: true, why: whyNoEmail, passWith: passEmail},
	{id: "S3.9", requires: "the access-log bucket logs its own access", check: bucketLogged, dev: true, prod: false, why: whyBucketLogging, passWith: passBucketLogging},
	{id: "S3.14", requires: "the access-log bucket is versioned", check: bucketVersioned, dev: true, prod: true},
	{id: "S3.17", requires: "the access-log bucket is encrypted with a KMS key", check: bucketKMS, dev: true, prod: false, why: whyBucketKMS, passWith: passBucketKMS},
	{id: "KMS.4", requires: "customer-managed keys rotate", check: keyRotation, dev: true, prod: true},
	{id: "SNS.1", requires: "SNS topics are encrypted with KMS", check: topicEncrypted, dev: true, prod: true},
	{id: "EC2.18", requires: "world-open ingress only on ports 80 and 443", check: worldOpenOnlyOn(80, 443), dev: true, prod: true},
	{id: "EC2.19", requires: "no world-open high-risk ports", check: noWorldOpen(highRiskPorts...), dev: true, prod: true},
	{id: "CKV_AWS_2", requires: "listeners use HTTPS or redirect to it", check: httpsOrRedirect, dev: false, prod: true, why: whyNoHTTPS, passWith: passHTTPS},
	{id: "CKV_AWS_23", requires: "security groups and rules have descriptions", check: descriptions, dev: true, prod: true},
	{id: "CKV_AWS_65", requires: "Container Insights on", check: containerInsights, dev: true, prod: true},
	{id: "CKV_AWS_66", requires: "log groups have a retention", check: logRetention, dev: true, prod: true},
	{id: "CKV_AWS_91", requires: "load balancer access logs on", check: accessLogs, dev: false, prod: true, why: whyNoLogs, passWith: passLogs},
	{id: "CKV_AWS_131", requires: "drop invalid header fields", check: lbFlag("dropInvalidHeaderFields", "true"), dev: true, prod: true},
	{id: "CKV_AWS_150", requires: "load balancer deletion protection", check: lbFlag("enableDeletionProtection", "true"), dev: false, prod: true, why: whyNoProtect, passWith: passProtect},
	{id: "CKV_AWS_7", requires: "customer-managed keys rotate", check: keyRotation, dev: true, prod: true},
	{id: "CKV_AWS_26", requires: "SNS topics are encrypted", check: topicEncrypted, dev: true, prod: true},
	{id: "CKV_AWS_18", requires: "the access-log bucket logs its own access", check: bucketLogged, dev: true, prod: false, why: whyBucketLogging, passWith: passBucketLogging},
	{id: "CKV_AWS_21", requires: "the access-log bucket is versioned", check: bucketVersioned, dev: true, prod: true},
	{id: "CKV_AWS_145", requires: "the access-log bucket is encrypted with a KMS key", check: bucketKMS, dev: true, prod: false, why: whyBucketKMS, passWith: passBucketKMS},
	{id: "CKV_AWS_158", requires: "log groups are encrypted with a customer-managed KMS key", check: logGroupsKMS, dev: false, prod: true, why: whyLogsKMS, passWith: passLogsKMS},
	{id: "CKV_AWS_233", requires: "a replaced ACM certificate is created before the old one is deleted", check: certificateCreatedFirst, dev: true, prod: true},
	{id: "CKV_AWS_234", requires: "ACM certificate transparency logging on", check: certificateTransparency, dev: true, prod: true},
	{id: "CKV_AWS_249", requires: "execution role differs from task role", check: taskDefs(func(r plan.Resource) string {
		return when(get(r, "executionRoleArn") == get(r, "taskRoleArn"), "one role for both")
	}), dev: true, prod: true},
	{id: "CKV_AWS_260", requires: "no world-open port 80", check: noWorldOpen(80), dev: false, prod: true,
		why: "the tutorial opens port 80 to the internet to test the API", passWith: "`allowedCidrs` set to your range, or `domainName` with `httpListener: false`"},
	{id: "CKV_AWS_261", requires: "target groups set a health-check path", check: healthCheckPath, dev: true, prod: true},
	{id: "CKV_AWS_332", requires: "ECS services on platform version LATEST", check: latestPlatform, dev: true, prod: true},
	{id: "CKV_AWS_333", requires: "services get no public IP", check: noPublicIP, dev: false, prod: true, why: whyPublicIP, passWith: passPublicIP},
	{id: "CKV_AWS_336", requires: "read-only root filesystem", check: readOnlyRoot, dev: false, prod: true, why: whyImageWrites, passWith: passReadOnly},
	{id: "CKV_AWS_378", requires: "target groups do not use plain HTTP", check: targetProtocol, dev: false, prod: false, why: whyHTTPTarget, passWith: passHTTPSTg},
	{id: "AVD-AWS-0017", requires: "log groups are encrypted with a customer-managed KMS key", check: logGroupsKMS, dev: false, prod: true, why: whyLogsKMS, passWith: passLogsKMS},
	{id: "AVD-AWS-0095", requires: "SNS topics are encrypted", check: topicEncrypted, dev: true, prod: true},
	{id: "AVD-AWS-0136", requires: "SNS topics are encrypted with a customer-managed key (CloudWatch alarms cannot publish through AWS's managed key)", check: topicCMK, dev: true, prod: true},
	{id: "AVD-AWS-0036", requires: "no secret-looking names or values in the environment", check: containers(secretLookingEnvironment), dev: true, prod: true},
	{id: "AVD-AWS-0052", requires: "drop invalid header fields", check: lbFlag("dropInvalidHeaderFields", "true"), dev: true, prod: true},
	{id: "AVD-AWS-0053", requires: "internal load balancer", check: lbFlag("internal", "true"), dev: false, prod: false, why: whyPublicLB, passWith: passInternal},
	{id: "AVD-AWS-0054", requires: "HTTP listeners redirect to HTTPS", check: httpRedirects, dev: false, prod: true, why: whyNoHTTPS, passWith: passHTTPS},
	{id: "AVD-AWS-0089", requires: "the access-log bucket logs its own access", check: bucketLogged, dev: true, prod: false, why: whyBucketLogging, passWith: passBucketLogging},
	{id: "AVD-AWS-0090", requires: "the access-log bucket is versioned", check: bucketVersioned, dev: true, prod: true},
	{id: "AVD-AWS-0132", requires: "the access-log bucket is encrypted with a customer-managed key", check: bucketKMS, dev: true, prod: false, why: whyBucketKMS, passWith: passBucketKMS},
	{id: "ELB.16", requires: "Application Load Balancers are associated with an AWS WAF web ACL", check: lbWAF(false), dev: false, prod: true, why: whyNoWAF, passWith: passWAF},
	{id: "WAF.10", requires: "web ACLs have at least one rule or rule group", check: webACLRules(func(rules []map[string]any) string { return when(len(rules) == 0, "no rules") }), dev: true, prod: true},
	{id: "WAF.11", requires: "web ACL logging on", check: webACLLogged, dev: true, prod: true},
	{id: "WAF.12", requires: "web ACL rules have CloudWatch metrics on", check: webACLRules(rulesWithoutMetrics), dev: true, prod: true},
	{id: "CKV2_AWS_28", requires: "internet-facing load balancers are protected by a WAF web ACL", check: lbWAF(true), dev: false, prod: true, why: whyNoWAF, passWith: passWAF},
	{id: "CKV2_AWS_31", requires: "WAF web ACLs have a logging configuration", check: webACLLogged, dev: true, prod: true},
	{id: "CKV_AWS_192", requires: "the web ACL blocks Log4j message lookups (known bad inputs, Log4JRCE rules not only counted)", check: webACLRules(log4jBlocked), dev: true, prod: true},
	{id: "AVD-AWS-0104", requires: "no world-open egress", check: noWorldOpenEgress, dev: false, prod: false, why: whyEgress, passWith: passEgress},
}

func when(bad bool, finding string) string {
	if bad {
		return finding
	}
	return ""
}

// findings collects one finding per resource of type typ that bad flags.
func findings(v stackView, typ string, bad func(plan.Resource) string) []string {
	var out []string
	for _, r := range v.all(typ) {
		if f := bad(r); f != "" {
			out = append(out, r.Name+": "+f)
		}
	}
	return out
}

// taskDefs applies check to every task definition.
func taskDefs(check func(plan.Resource) string) func(stackView) []string {
	return func(v stackView) []string { return findings(v, tTaskDef, check) }
}

// containers applies check to every container of every task definition.
func containers(check func(ecstypes.ContainerDefinition) string) func(stackView) []string {
	return func(v stackView) []string {
		var out []string
		for _, r := range v.all(tTaskDef) {
			for _, c := range containerDefinitions(v.t, r) {
				if f := check(c); f != "" {
					out = append(out, r.Name+"/"+*c.Name+": "+f)
				}
			}
		}
		return out
	}
}

func noPublicIP(v stackView) []string {
	return findings(v, tService, func(r plan.Resource) string {
		return when(get(r, "networkConfiguration.assignPublicIp") == "true", "assignPublicIp true")
	})
}

// noTaskSetPublicIP checks the task sets CodeDeploy starts for a release:
// they take the network of the release's AppSpec, which is the release
// component's networkConfiguration. A rolling stack has no task set.
func noTaskSetPublicIP(v stackView) []string {
	return findings(v, "alba-digi:release:CodeDeploy", func(r plan.Resource) string {
		return when(get(r, "networkConfiguration.assignPublicIp") == "true", "the release's task sets get a public IP")
	})
}

func readOnlyRoot(v stackView) []string {
	return containers(func(c ecstypes.ContainerDefinition) string {
		return when(c.ReadonlyRootFilesystem == nil || !*c.ReadonlyRootFilesystem, "writable root filesystem")
	})(v)
}

func awsCredentialsInEnvironment(c ecstypes.ContainerDefinition) string {
	for _, e := range c.Environment {
		switch *e.Name {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA":
			return "credential variable " + *e.Name
		}
	}
	return ""
}

var secretLooking = regexp.MustCompile(`(?i)(password|passwd|secret|private_?key|token|api_?key|aws_access_key_id|aws_secret_access_key)`)
var awsKeyValue = regexp.MustCompile(`(AKIA|ASIA)[0-9A-Z]{16}`)

func secretLookingEnvironment(c ecstypes.ContainerDefinition) string {
	for _, e := range c.Environment {
		if secretLooking.MatchString(*e.Name) || awsKeyValue.MatchString(*e.Value) {
			return "secret-looking variable " + *e.Name
		}
	}
	return ""
}

func nonRootUser(c ecstypes.ContainerDefinition) string {
	if c.User == nil || *c.User == "" {
		return "no user: runs as the image's (root by default)"
	}
	u := strings.SplitN(*c.User, ":", 2)[0]
	return when(u == "root" || u == "0", "runs as root")
}

func latestPlatform(v stackView) []string {
	return findings(v, tService, func(r plan.Resource) string {
		p := get(r, "platformVersion")
		return when(p != "LATEST" && p != "<absent>", "platformVersion "+p)
	})
}

func containerInsights(v stackView) []string {
	return findings(v, tClusterT, func(r plan.Resource) string {
		for i := 0; ; i++ {
			name := get(r, fmt.Sprintf("settings.%d.name", i))
			if name == "<absent>" {
				return "Container Insights off"
			}
			if name == "containerInsights" {
				value := get(r, fmt.Sprintf("settings.%d.value", i))
				return when(value != "enabled" && value != "enhanced", "containerInsights "+value)
			}
		}
	})
}

func lbFlag(path, want string) func(stackView) []string {
	return func(v stackView) []string {
		return findings(v, tLB, func(r plan.Resource) string {
			got := get(r, path)
			return when(got != want, path+" "+got)
		})
	}
}

func accessLogs(v stackView) []string {
	return findings(v, tLB, func(r plan.Resource) string {
		return when(get(r, "accessLogs.enabled") != "true" || get(r, "accessLogs.bucket") == "<absent>", "no access logs")
	})
}

func desyncMode(v stackView) []string {
	return findings(v, tLB, func(r plan.Resource) string {
		m := get(r, "desyncMitigationMode")
		return when(m != "defensive" && m != "strictest" && m != "<absent>", "desync mode "+m)
	})
}

func twoZones(v stackView) []string {
	return findings(v, tLB, func(r plan.Resource) string {
		subnets, _ := r.Inputs["subnets"].([]any)
		return when(len(subnets) < 2, fmt.Sprintf("%d subnets", len(subnets)))
	})
}

// redirectsToHTTPS reports whether a listener's default action redirects to HTTPS.
func redirectsToHTTPS(l plan.Resource) bool {
	return get(l, "defaultActions.0.type") == "redirect" && get(l, "defaultActions.0.redirect.protocol") == "HTTPS"
}

func httpRedirects(v stackView) []string {
	return findings(v, tListener, func(r plan.Resource) string {
		return when(get(r, "protocol") == "HTTP" && !redirectsToHTTPS(r), "plain HTTP listener without redirect")
	})
}

func httpsOrRedirect(v stackView) []string {
	return findings(v, tListener, func(r plan.Resource) string {
		return when(get(r, "protocol") != "HTTPS" && !redirectsToHTTPS(r), "protocol "+get(r, "protocol"))
	})
}

func descriptions(v stackView) []string {
	var out []string
	for _, typ := range []string{tSG, tIngress, tEgress} {
		out = append(out, findings(v, typ, func(r plan.Resource) string {
			d := get(r, "description")
			return when(d == "" || d == "<absent>", "no description")
		})...)
	}
	return out
}

const (
	tBucketV2   = "aws:s3/bucketV2:BucketV2"
	tKey        = "aws:kms/key:Key"
	tCertACM    = "aws:acm/certificate:Certificate"
	tBucketSSE  = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tBucketVer  = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tBucketLogs = "aws:s3/bucketLoggingV2:BucketLoggingV2"
)

// perBucket finds the buckets that lack a companion resource (named after the
// bucket) for which ok holds.
func perBucket(typ string, ok func(plan.Resource) bool) func(stackView) []string {
	return func(v stackView) []string {
		return findings(v, tBucketV2, func(b plan.Resource) string {
			for _, r := range v.all(typ) {
				if r.Name == b.Name && ok(r) {
					return ""
				}
			}
			return "bucket without " + typ
		})
	}
}

// The access-log bucket's own logging, versioning and KMS encryption.
var (
	bucketLogged    = perBucket(tBucketLogs, func(plan.Resource) bool { return true })
	bucketVersioned = perBucket(tBucketVer, func(r plan.Resource) bool { return get(r, "versioningConfiguration.status") == "Enabled" })
	bucketKMS       = perBucket(tBucketSSE, func(r plan.Resource) bool {
		return get(r, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") == "aws:kms"
	})
)

func logGroupsKMS(v stackView) []string {
	return findings(v, tLogGroup, func(r plan.Resource) string {
		return when(get(r, "kmsKeyId") == "<absent>", "no customer-managed key")
	})
}

func topicEncrypted(v stackView) []string {
	return findings(v, "aws:sns/topic:Topic", func(r plan.Resource) string {
		return when(get(r, "kmsMasterKeyId") == "<absent>" || get(r, "kmsMasterKeyId") == "", "not encrypted")
	})
}

// topicCMK: the topic's key is one of the stack's (AWS's managed key
// alias/aws/sns has a policy no alarm can publish through).
func topicCMK(v stackView) []string {
	return findings(v, "aws:sns/topic:Topic", func(r plan.Resource) string {
		key := get(r, "kmsMasterKeyId")
		for _, k := range v.all(tKey) {
			if arn := v.registration(k.Name).Outputs["arn"]; arn.IsString() && arn.StringValue() == key {
				return ""
			}
		}
		return "key " + key + " is not a customer-managed key of the stack"
	})
}

func keyRotation(v stackView) []string {
	return findings(v, tKey, func(r plan.Resource) string { return when(get(r, "enableKeyRotation") != "true", "no rotation") })
}

func certificateCreatedFirst(v stackView) []string {
	return findings(v, tCertACM, func(r plan.Resource) string {
		return when(r.Options != nil && r.Options.DeleteBeforeReplace, "deleted before its replacement exists")
	})
}

func certificateTransparency(v stackView) []string {
	return findings(v, tCertACM, func(r plan.Resource) string {
		return when(get(r, "options.certificateTransparencyLoggingPreference") == "DISABLED", "transparency logging off")
	})
}

// alarmActions: there are alarms, and each notifies someone.
func alarmActions(v stackView) []string {
	if len(v.all(tAlarm)) == 0 {
		return []string{"no alarms"}
	}
	return findings(v, tAlarm, func(r plan.Resource) string {
		return when(get(r, "alarmActions.0") == "<absent>", "no alarm action")
	})
}

func logRetention(v stackView) []string {
	return findings(v, tLogGroup, func(r plan.Resource) string {
		d, err := strconv.Atoi(get(r, "retentionInDays"))
		return when(err != nil || d <= 0, "no retention")
	})
}

func healthCheckPath(v stackView) []string {
	return findings(v, tTG, func(r plan.Resource) string {
		return when(get(r, "healthCheck.enabled") != "true" || !strings.HasPrefix(get(r, "healthCheck.path"), "/"), "no health-check path")
	})
}

func targetProtocol(v stackView) []string {
	return findings(v, tTG, func(r plan.Resource) string {
		return when(get(r, "protocol") == "HTTP", "protocol HTTP")
	})
}

// worldOpen reports whether an ingress or egress rule is open to any address.
func worldOpen(r plan.Resource) bool {
	return get(r, "cidrIpv4") == "0.0.0.0/0" || get(r, "cidrIpv6") == "::/0"
}

// covers reports whether a rule's port range includes port.
func covers(r plan.Resource, port int) bool {
	if get(r, "ipProtocol") == "-1" {
		return true
	}
	from, err1 := strconv.Atoi(get(r, "fromPort"))
	to, err2 := strconv.Atoi(get(r, "toPort"))
	return err1 == nil && err2 == nil && from <= port && port <= to
}

func noWorldOpen(ports ...int) func(stackView) []string {
	return func(v stackView) []string {
		return findings(v, tIngress, func(r plan.Resource) string {
			if !worldOpen(r) {
				return ""
			}
			for _, p := range ports {
				if covers(r, p) {
					return fmt.Sprintf("port %d open to the world", p)
				}
			}
			return ""
		})
	}
}

func worldOpenOnlyOn(allowed ...int) func(stackView) []string {
	return func(v stackView) []string {
		return findings(v, tIngress, func(r plan.Resource) string {
			if !worldOpen(r) {
				return ""
			}
			from, to := get(r, "fromPort"), get(r, "toPort")
			for _, p := range allowed {
				if from == strconv.Itoa(p) && to == from && get(r, "ipProtocol") == "tcp" {
					return ""
				}
			}
			return fmt.Sprintf("ports %s-%s (%s) open to the world", from, to, get(r, "ipProtocol"))
		})
	}
}

func noWorldOpenEgress(v stackView) []string {
	return findings(v, tEgress, func(r plan.Resource) string {
		return when(worldOpen(r), "egress to the world")
	})
}

const (
	tWebACL      = "aws:wafv2/webAcl:WebAcl"
	tWebACLAssoc = "aws:wafv2/webAclAssociation:WebAclAssociation"
	tWebACLLog   = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
)

// arnOf is the ARN AWS gave a resource (its mocked output).
func arnOf(v stackView, r plan.Resource) string {
	if arn := v.registration(r.Name).Outputs["arn"]; arn.IsString() {
		return arn.StringValue()
	}
	return ""
}

// lbWAF: every load balancer (only the internet-facing ones, with
// publicOnly) has a web ACL association that names it.
func lbWAF(publicOnly bool) func(stackView) []string {
	return func(v stackView) []string {
		return findings(v, tLB, func(lb plan.Resource) string {
			if publicOnly && get(lb, "internal") == "true" {
				return ""
			}
			for _, a := range v.all(tWebACLAssoc) {
				if get(a, "resourceArn") == arnOf(v, lb) {
					return ""
				}
			}
			return "no WAF web ACL"
		})
	}
}

// webACLLogged: every web ACL has a logging configuration that names it.
func webACLLogged(v stackView) []string {
	return findings(v, tWebACL, func(acl plan.Resource) string {
		for _, l := range v.all(tWebACLLog) {
			if get(l, "resourceArn") == arnOf(v, acl) && get(l, "logDestinationConfigs.0") != "<absent>" {
				return ""
			}
		}
		return "no logging configuration"
	})
}

// webACLRules applies check to the rules of every web ACL (its ruleJson, in
// AWS WAF's JSON).
func webACLRules(check func([]map[string]any) string) func(stackView) []string {
	return func(v stackView) []string {
		return findings(v, tWebACL, func(acl plan.Resource) string {
			var rules []map[string]any
			if err := json.Unmarshal([]byte(get(acl, "ruleJson")), &rules); err != nil {
				return "ruleJson: " + err.Error()
			}
			return check(rules)
		})
	}
}

func rulesWithoutMetrics(rules []map[string]any) string {
	var off []string
	for _, r := range rules {
		if vc, _ := r["VisibilityConfig"].(map[string]any); vc["CloudWatchMetricsEnabled"] != true {
			off = append(off, fmt.Sprint(r["Name"]))
		}
	}
	return when(len(off) > 0, "metrics off: "+strings.Join(off, ", "))
}

// log4jBlocked: the known-bad-inputs group runs, blocks (its override action
// None), and counts none of its Log4JRCE rules only.
func log4jBlocked(rules []map[string]any) string {
	for _, r := range rules {
		st, _ := r["Statement"].(map[string]any)
		group, _ := st["ManagedRuleGroupStatement"].(map[string]any)
		if group["Name"] != "AWSManagedRulesKnownBadInputsRuleSet" {
			continue
		}
		if oa, _ := r["OverrideAction"].(map[string]any); oa["None"] == nil {
			return "known bad inputs only counted"
		}
		overrides, _ := group["RuleActionOverrides"].([]any)
		for _, o := range overrides {
			if name := fmt.Sprint(o.(map[string]any)["Name"]); strings.HasPrefix(name, "Log4JRCE") {
				return name + " only counted"
			}
		}
		return ""
	}
	return "no known bad inputs rule group"
}

// TestScorecard runs every rule over the dev and prod example stacks and
// compares the results with the expectations, then with the README's table.
func TestScorecard(t *testing.T) {
	stacks := map[string]stackView{
		"dev":  view(t, deploy(t, "dev")),
		"prod": view(t, deploy(t, "prod")),
	}
	results := map[string]map[string][]string{}
	for name, v := range stacks {
		results[name] = map[string][]string{}
		for _, r := range rules {
			results[name][r.id] = r.check(v)
		}
	}
	for _, r := range rules {
		for name, want := range map[string]bool{"dev": r.dev, "prod": r.prod} {
			got := results[name][r.id]
			if pass := len(got) == 0; pass != want {
				t.Errorf("%s on %s: pass = %v, want %v; findings: %v", r.id, name, pass, want, got)
			}
			if !want && (r.why == "" || r.passWith == "") {
				t.Errorf("%s fails on %s on purpose but says neither why nor which config passes it", r.id, name)
			}
		}
	}
	checkSection(t, "docs/scorecard.md", "scorecard", scorecardTable())
}

// TestReleaseStrategiesKeepTheScore: a CodeDeploy strategy fails no rule
// the rolling stack passes (the test listener, the second target group and
// CodeDeploy's role are held to the same rules), except that in dev a
// release's task sets get a public IP as its service's tasks do (ECS.16, for
// ECS.2's reason).
func TestReleaseStrategiesKeepTheScore(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		for _, strategy := range []string{"blueGreen", "canary", "linear"} {
			t.Run(stack+" "+strategy, func(t *testing.T) {
				v := view(t, deploy(t, stack, "deploymentStrategy="+strategy))
				for _, r := range rules {
					want := map[string]bool{"dev": r.dev, "prod": r.prod}[stack]
					if stack == "dev" && r.id == "ECS.16" {
						want = false
					}
					if got := r.check(v); (len(got) == 0) != want {
						t.Errorf("%s: pass = %v, want %v as with rolling; findings %v", r.id, len(got) == 0, want, got)
					}
				}
			})
		}
	}
}

// TestScorecardRulesCanFail runs each failing-by-design rule's config
// remedy, so a check that could never pass (or never fail) is caught.
func TestScorecardRulesCanFail(t *testing.T) {
	const cert = "certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"
	tests := []struct {
		id        string
		overrides []string
		pass      bool
	}{
		{"ECS.2", []string{"createVpc=true", "assignPublicIp=false"}, true},
		{"ELB.1", []string{cert}, true},
		{"ELB.5", []string{"accessLogs=true"}, true},
		{"CKV_AWS_260", []string{`allowedCidrs=["203.0.113.0/24"]`}, true},
		{"CKV_AWS_378", []string{"targetProtocol=HTTPS"}, true},
		{"AVD-AWS-0053", []string{"internalLoadBalancer=true"}, true},
		{"ECS.5", []string{"readonlyRootFilesystem=true"}, true},
		{"CloudWatch.15", []string{"alarmEmail=ops@example.com"}, true},
		{"CKV_AWS_158", []string{"logsKmsKey=true"}, true},
		{"AVD-AWS-0090", []string{"accessLogs=true"}, true},
		{"AVD-AWS-0132", []string{"accessLogs=true"}, false},
		{"AVD-AWS-0089", []string{"accessLogs=true"}, false},
		{"CloudWatch.15", []string{"alarms=false"}, false},
		{"ECS.20", []string{"user=1000"}, true},
		{"CKV_AWS_249", []string{"executionRoleArn=arn:aws:iam::123456789012:role/LabRole", "taskRoleArn=arn:aws:iam::123456789012:role/LabRole"}, false},
		{"EC2.19", []string{"listenerPort=8080"}, false},
		{"EC2.18", []string{"listenerPort=8080"}, false},
		{"AVD-AWS-0036", []string{`environment={"GREETING":"hola"}`}, true},
		{"ELB.16", []string{"waf=true"}, true},
		{"CKV2_AWS_28", []string{"waf=true"}, true},
		{"CKV2_AWS_28", []string{"internalLoadBalancer=true"}, true},
		{"ELB.16", []string{"internalLoadBalancer=true"}, false},
		{"WAF.10", []string{"waf=true"}, true},
		{"WAF.11", []string{"waf=true"}, true},
		{"WAF.12", []string{"waf=true"}, true},
		{"CKV_AWS_192", []string{"waf=true"}, true},
		{"CKV_AWS_192", []string{"waf=true", "wafMode=count"}, false},
		{"CKV_AWS_192", []string{"waf=true", `wafCountRuleGroups=["AWSManagedRulesKnownBadInputsRuleSet"]`}, false},
		{"CKV_AWS_192", []string{"waf=true", `wafExcludedRules=["AWSManagedRulesKnownBadInputsRuleSet/Log4JRCE_BODY"]`}, false},
		{"CKV_AWS_192", []string{"waf=true", `wafManagedRuleGroups=["AWSManagedRulesCommonRuleSet"]`}, false},
		{"ECS.16", []string{"deploymentStrategy=canary"}, false},
		{"ECS.16", []string{"deploymentStrategy=canary", "createVpc=true", "assignPublicIp=false"}, true},
		{"EC2.18", []string{"deploymentStrategy=canary"}, true},
		{"EC2.18", []string{"deploymentStrategy=canary", `testCidrs=["0.0.0.0/0"]`}, false},
		{"EC2.19", []string{"deploymentStrategy=canary", "testListenerPort=8080", `testCidrs=["0.0.0.0/0"]`}, false},
		{"ELB.1", []string{cert, "deploymentStrategy=canary"}, true},
		{"CKV_AWS_2", []string{cert, "deploymentStrategy=linear"}, true},
	}
	byID := map[string]rule{}
	for _, r := range rules {
		byID[r.id] = r
	}
	for _, tt := range tests {
		t.Run(tt.id+" "+strings.Join(tt.overrides, " "), func(t *testing.T) {
			res, err := tryDeploy("dev", tt.overrides...)
			if err != nil {
				t.Fatal(err)
			}
			got := byID[tt.id].check(view(t, res))
			if pass := len(got) == 0; pass != tt.pass {
				t.Errorf("%s with %v: pass = %v, want %v; findings %v", tt.id, tt.overrides, pass, tt.pass, got)
			}
		})
	}
}

func mark(pass bool) string {
	if pass {
		return "pass"
	}
	return "**fail**"
}

// scorecardTable is the README's table, generated from rules.
func scorecardTable() string {
	var b strings.Builder
	b.WriteString("| Rule | Requires | dev | prod | Why it fails on purpose | Config that passes it |\n|---|---|---|---|---|---|\n")
	for _, r := range rules {
		why, with := "", ""
		if !r.dev || !r.prod {
			why, with = r.why, r.passWith
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.id, r.requires, mark(r.dev), mark(r.prod), why, with)
	}
	return b.String()
}

// checkSection compares the text of a markdown file of the project (README.md
// or a page of docs/) between <!-- name:start --> and <!-- name:end --> with
// want; -update rewrites it.
func checkSection(t *testing.T, file, name, want string) {
	t.Helper()
	path := projectDir + "/" + file
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start, end := []byte("<!-- "+name+":start -->\n"), []byte("<!-- "+name+":end -->")
	i, j := bytes.Index(readme, start), bytes.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %s section between %s and %s", file, name, start, end)
	}
	got := string(readme[i+len(start) : j])
	if got == want {
		return
	}
	if *update {
		out := append(append(append([]byte{}, readme[:i+len(start)]...), want...), readme[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's %s section is out of date; run go test ./tests -update:\n%s", file, name, want)
}
