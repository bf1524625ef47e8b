package tests

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"alba-digi/internal/plan"
)

const (
	tVpc       = "awsx:ec2:Vpc"
	tScaleTgt  = "aws:appautoscaling/target:Target"
	tScalePol  = "aws:appautoscaling/policy:Policy"
	tRolePol   = "aws:iam/rolePolicy:RolePolicy"
	tBucket    = "aws:s3/bucketV2:BucketV2"
	tBucketPol = "aws:s3/bucketPolicy:BucketPolicy"
	tCapacity  = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
	certArn    = "arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"
)

// outputOf returns the mock's output of the resource named name at key.
func outputOf(t *testing.T, v stackView, name, key string) string {
	t.Helper()
	out, ok := v.registration(name).Outputs[resourceKey(key)]
	if !ok {
		t.Fatalf("%s has no output %s", name, key)
	}
	b, _ := json.Marshal(out.Mappable())
	if out.IsString() {
		return out.StringValue()
	}
	return string(b)
}

func TestProdNetworkIsPrivate(t *testing.T) {
	v := view(t, deploy(t, "prod"))
	if rs := v.all(tDefaultVC); len(rs) != 0 {
		t.Errorf("prod looks up the default VPC")
	}
	vpc := v.one(tVpc)
	expect(t, vpc, map[string]string{
		"cidrBlock": "10.0.0.0/16", "numberOfAvailabilityZones": "3", "natGateways.strategy": "OnePerAz",
		"subnetStrategy": "Auto", "subnetSpecs.0.type": "Public", "subnetSpecs.1.type": "Private",
	})
	public := outputOf(t, v, vpc.Name, "publicSubnetIds")
	private := outputOf(t, v, vpc.Name, "privateSubnetIds")
	vpcID := outputOf(t, v, vpc.Name, "vpcId")
	expect(t, v.one(tLB), map[string]string{"subnets": public, "internal": "false"})
	expect(t, v.one(tService), map[string]string{"networkConfiguration.subnets": private, "networkConfiguration.assignPublicIp": "false"})
	expect(t, v.one(tTG), map[string]string{"vpcId": vpcID})

	// An internal load balancer has no public domain: the certificate comes
	// from elsewhere.
	internal := view(t, deploy(t, "prod", "internalLoadBalancer=true", "domainName=", "certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"))
	expect(t, internal.one(tLB), map[string]string{"subnets": outputOf(t, internal, vpc.Name, "privateSubnetIds"), "internal": "true"})
	single := view(t, deploy(t, "prod", "natGateways=single"))
	expect(t, single.one(tVpc), map[string]string{"natGateways.strategy": "Single"})
}

func TestHTTPS(t *testing.T) {
	t.Run("redirect", func(t *testing.T) {
		v := view(t, deploy(t, "dev", "certificateArn="+certArn))
		expect(t, v.named("alba-digi-https"), map[string]string{
			"port": "443", "protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "certificateArn": certArn,
			"defaultActions.0.type": "forward", "defaultActions.0.targetGroupArn": outputOf(t, v, "alba-digi-target-group", "arn"),
		})
		expect(t, v.named("alba-digi-http"), map[string]string{
			"port": "80", "protocol": "HTTP", "defaultActions.0.type": "redirect", "defaultActions.0.redirect.protocol": "HTTPS",
			"defaultActions.0.redirect.port": "443", "defaultActions.0.redirect.statusCode": "HTTP_301",
			"defaultActions.0.targetGroupArn": "<absent>",
		})
		if url := v.res.Plan.Outputs["url"].(string); !strings.HasPrefix(url, "https://") {
			t.Errorf("url = %s, want https://", url)
		}
	})
	t.Run("prod: HTTPS only", func(t *testing.T) {
		v := view(t, deploy(t, "prod"))
		if ls := v.all(tListener); len(ls) != 1 || ls[0].Name != "alba-digi-prod-https" {
			t.Fatalf("listeners %v, want only alba-digi-prod-https", ls)
		}
		for _, r := range v.all(tIngress) {
			if covers(r, 80) {
				t.Errorf("ingress %s opens port 80 with no HTTP listener", r.Name)
			}
		}
	})
}

func TestAutoscaling(t *testing.T) {
	v := view(t, deploy(t, "prod"))
	target := v.one(tScaleTgt)
	expect(t, target, map[string]string{
		"minCapacity": "3", "maxCapacity": "12", "serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
		"resourceId": "service/alba-digi-prod-cluster/alba-digi-prod-service",
	})
	policies := map[string]scalingPolicy{}
	for _, p := range v.all(tScalePol) {
		policies[get(p, "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType")] = scalingPolicy{p.Name, get(p, "targetTrackingScalingPolicyConfiguration.targetValue"), get(p, "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel"), get(p, "policyType")}
	}
	lbSuffix := outputOf(t, v, "alba-digi-prod-load-bala", "arnSuffix")
	tgSuffix := outputOf(t, v, "alba-digi-prod-target-gr", "arnSuffix")
	want := map[string]scalingPolicy{
		"ECSServiceAverageCPUUtilization": {"alba-digi-prod-service-cpu", "60", "<absent>", "TargetTrackingScaling"},
		"ALBRequestCountPerTarget":        {"alba-digi-prod-service-requests", "1000", lbSuffix + "/" + tgSuffix, "TargetTrackingScaling"},
	}
	if !reflect.DeepEqual(policies, want) {
		t.Errorf("scaling policies %+v, want %+v", policies, want)
	}
	if got := v.registration("alba-digi-prod-service").IgnoreChanges; !reflect.DeepEqual(got, []string{"desiredCount"}) {
		t.Errorf("service ignoreChanges = %v, want [desiredCount]", got)
	}
	if got := view(t, deploy(t, "dev")).registration("alba-digi-service").IgnoreChanges; len(got) != 0 {
		t.Errorf("without autoscaling the service ignores %v", got)
	}
}

// scalingPolicy is a scaling policy's name, target, resource label and type.
type scalingPolicy struct{ name, target, label, policyType string }

func TestSecretsAndEnvironment(t *testing.T) {
	const (
		param  = "arn:aws:ssm:us-east-1:123456789012:parameter/alba-digi/prod/database-url"
		secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:alba-digi/api-key-AbCdEf"
	)
	v := view(t, deploy(t, "dev", `secrets={"DATABASE_URL":"`+param+`","API_KEY":"`+secret+`"}`, `environment={"LOG_LEVEL":"info"}`))
	c := containerDefinitions(t, v.one(tTaskDef))[0]
	if len(c.Secrets) != 2 || *c.Secrets[0].Name != "API_KEY" || *c.Secrets[0].ValueFrom != secret ||
		*c.Secrets[1].Name != "DATABASE_URL" || *c.Secrets[1].ValueFrom != param {
		t.Errorf("container secrets = %+v", c.Secrets)
	}
	if len(c.Environment) != 1 || *c.Environment[0].Name != "LOG_LEVEL" || *c.Environment[0].Value != "info" {
		t.Errorf("container environment = %+v", c.Environment)
	}
	policy := v.one(tRolePol)
	if !strings.HasPrefix(get(policy, "role"), "alba-digi-execution-role-") {
		t.Errorf("secrets policy on role %s, want the execution role", get(policy, "role"))
	}
	var doc struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(get(policy, "policy")), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || len(s.Action) != 1 {
			t.Errorf("statement %+v", s)
		}
		got[s.Action[0]] = s.Resource
	}
	want := map[string][]string{"ssm:GetParameters": {param}, "secretsmanager:GetSecretValue": {secret}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("execution role may %v, want exactly %v", got, want)
	}
}

func TestAccessLogs(t *testing.T) {
	v := view(t, deploy(t, "prod"))
	bucket := v.one(tBucket)
	expect(t, bucket, map[string]string{"forceDestroy": "true"})
	name := bucket.PhysicalName
	expect(t, v.one(tLB), map[string]string{"accessLogs.enabled": "true", "accessLogs.bucket": name, "accessLogs.prefix": "alba-digi-prod", "enableDeletionProtection": "true"})
	expect(t, v.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), map[string]string{
		"blockPublicAcls": "true", "blockPublicPolicy": "true", "ignorePublicAcls": "true", "restrictPublicBuckets": "true",
	})
	expect(t, v.one("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"), map[string]string{
		"rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": "AES256",
	})
	expect(t, v.one("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"), map[string]string{"rules.0.expiration.days": "89", "rules.0.noncurrentVersionExpiration.noncurrentDays": "1"})
	var doc struct {
		Statement []struct {
			Principal map[string]string
			Action    []string
			Resource  []string
		}
	}
	if err := json.Unmarshal([]byte(get(v.one(tBucketPol), "policy")), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Statement[0]
	if len(doc.Statement) != 1 || s.Principal["AWS"] != "arn:aws:iam::127311923021:root" ||
		!reflect.DeepEqual(s.Action, []string{"s3:PutObject"}) || !reflect.DeepEqual(s.Resource, []string{"arn:aws:s3:::" + name + "/alba-digi-prod/AWSLogs/123456789012/*"}) {
		t.Errorf("bucket policy %+v, want the us-east-1 ELB account writing under the prefix, for this account's load balancers", doc)
	}
	if got := v.named("alba-digi-prod-load-bala").DependsOn; !reflect.DeepEqual(got, []string{"alba-digi-prod-alb-logs"}) {
		t.Errorf("load balancer dependsOn %v, want the bucket policy", got)
	}
}

func TestContainerHardening(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		check     func(t *testing.T, v stackView)
	}{
		{"the tutorial's image as the tutorial ran it, by default", nil, func(t *testing.T, v stackView) {
			c := containerDefinitions(t, v.one(tTaskDef))[0]
			if c.ReadonlyRootFilesystem != nil || c.User != nil || len(c.MountPoints) != 0 {
				t.Errorf("container readonly %v user %v mounts %v", c.ReadonlyRootFilesystem, c.User, c.MountPoints)
			}
			expect(t, v.one(tTaskDef), map[string]string{"volumes": "<absent>"})
		}},
		{"read-only root with /tmp and a non-root user by config", []string{"readonlyRootFilesystem=true", "user=1000"}, func(t *testing.T, v stackView) {
			c := containerDefinitions(t, v.one(tTaskDef))[0]
			if !*c.ReadonlyRootFilesystem || *c.User != "1000" || len(c.MountPoints) != 1 || *c.MountPoints[0].ContainerPath != "/tmp" || *c.MountPoints[0].SourceVolume != "tmp" {
				t.Errorf("container readonly %v user %v mounts %+v", *c.ReadonlyRootFilesystem, *c.User, c.MountPoints)
			}
			expect(t, v.one(tTaskDef), map[string]string{"volumes.0.name": "tmp"})
		}},
		{"container health check", []string{"containerHealthCheckCommand=curl -f http://localhost:5050/alive || exit 1"}, func(t *testing.T, v stackView) {
			h := containerDefinitions(t, v.one(tTaskDef))[0].HealthCheck
			if h == nil || !reflect.DeepEqual(h.Command, []string{"CMD-SHELL", "curl -f http://localhost:5050/alive || exit 1"}) ||
				*h.Interval != 30 || *h.Timeout != 5 || *h.Retries != 3 || *h.StartPeriod != 30 {
				t.Errorf("health check %+v", h)
			}
		}},
		{"ECS Exec", []string{"enableExecuteCommand=true", "readonlyRootFilesystem=false"}, func(t *testing.T, v stackView) {
			expect(t, v.one(tService), map[string]string{"enableExecuteCommand": "true"})
			expect(t, v.one(tClusterT), map[string]string{
				"configuration.executeCommandConfiguration.logging":                                 "OVERRIDE",
				"configuration.executeCommandConfiguration.logConfiguration.cloudWatchLogGroupName": "/ecs/alba-digi/exec",
			})
			if c := containerDefinitions(t, v.one(tTaskDef))[0]; c.LinuxParameters == nil || !*c.LinuxParameters.InitProcessEnabled {
				t.Errorf("linuxParameters %+v, want initProcessEnabled", c.LinuxParameters)
			}
			policy := get(v.one(tRolePol), "policy")
			for _, want := range []string{"ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel", "logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/alba-digi/exec:*"} {
				if !strings.Contains(policy, want) {
					t.Errorf("task role policy lacks %s: %s", want, policy)
				}
			}
			if !strings.HasPrefix(get(v.one(tRolePol), "role"), "alba-digi-task-role-") {
				t.Errorf("exec policy on %s, want the task role", get(v.one(tRolePol), "role"))
			}
		}},
		{"Fargate Spot share", []string{"fargateSpotPercent=75"}, func(t *testing.T, v stackView) {
			expect(t, v.one(tService), map[string]string{
				"launchType": "<absent>",
				"capacityProviderStrategies.0.capacityProvider": "FARGATE", "capacityProviderStrategies.0.base": "1", "capacityProviderStrategies.0.weight": "25",
				"capacityProviderStrategies.1.capacityProvider": "FARGATE_SPOT", "capacityProviderStrategies.1.weight": "75",
			})
			expect(t, v.one(tCapacity), map[string]string{"capacityProviders": `["FARGATE","FARGATE_SPOT"]`, "clusterName": "alba-digi-cluster"})
		}},
		{"ARM64", []string{"cpuArchitecture=ARM64"}, func(t *testing.T, v stackView) {
			expect(t, v.one(tTaskDef), map[string]string{"runtimePlatform.cpuArchitecture": "ARM64"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, view(t, deploy(t, "dev", tt.overrides...))) })
	}
}

// TestAccessLogsWriterByRegion: ELB writes access logs from an account of its
// own in the regions opened before August 2022, and through the log delivery
// service principal in the others, which the provider's account map lacks.
func TestAccessLogsWriterByRegion(t *testing.T) {
	tests := []struct {
		region, key, principal string
	}{
		{"us-east-1", "AWS", "arn:aws:iam::127311923021:root"},
		{"eu-west-1", "AWS", "arn:aws:iam::156460612806:root"},
		{"ap-southeast-4", "Service", "logdelivery.elasticloadbalancing.amazonaws.com"},
		{"eu-central-2", "Service", "logdelivery.elasticloadbalancing.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			v := view(t, deploy(t, "dev", "accessLogs=true", "aws:region="+tt.region))
			var doc struct {
				Statement []struct{ Principal map[string]string }
			}
			if err := json.Unmarshal([]byte(get(v.one(tBucketPol), "policy")), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Statement) != 1 || len(doc.Statement[0].Principal) != 1 || doc.Statement[0].Principal[tt.key] != tt.principal {
				t.Errorf("principal %v, want %s %s", doc.Statement, tt.key, tt.principal)
			}
		})
	}
}

// TestURLsCarryTheListenerPort: a listener off the scheme's default port is
// part of the URL a client must use.
func TestURLsCarryTheListenerPort(t *testing.T) {
	tests := []struct {
		stack     string
		overrides []string
		prefix    string
		port      string
	}{
		{"dev", nil, "http://", ""},
		{"dev", []string{"listenerPort=8080"}, "http://", ":8080"},
		{"prod", []string{"domainName=", "certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"}, "https://", ""},
		{"prod", []string{"httpsListenerPort=8443"}, "https://", ":8443"},
		{"prod", nil, "https://", ""},
	}
	for _, tt := range tests {
		out := deploy(t, tt.stack, tt.overrides...).Plan.Outputs
		dns, _ := out["albDnsName"].(string)
		if domain := deploy(t, tt.stack, tt.overrides...).Config.DomainName; domain != "" {
			dns = domain // the certificate covers the domain, not the load balancer's name
		}
		want := tt.prefix + dns + tt.port
		if out["url"] != want || out["aliveUrl"] != want+"/alive" {
			t.Errorf("%s %v: url %v aliveUrl %v, want %s and %s/alive", tt.stack, tt.overrides, out["url"], out["aliveUrl"], want, want)
		}
	}
}

// TestLogsKey: with logsKmsKey the log groups use a key of the stack whose
// policy lets CloudWatch Logs of the region use it for this account's log
// groups only, with rotation on.
func TestLogsKey(t *testing.T) {
	v := view(t, deploy(t, "prod", "enableExecuteCommand=true", "readonlyRootFilesystem=false"))
	key := v.named("alba-digi-prod-logs-key")
	expect(t, key, map[string]string{"enableKeyRotation": "true", "deletionWindowInDays": "7"})
	keyArn := outputOf(t, v, key.Name, "arn")
	groups := v.all(tLogGroup)
	if len(groups) != 4 {
		t.Fatalf("%d log groups, want the container's, ECS Exec's, Container Insights' and the web ACL's", len(groups))
	}
	for _, g := range groups {
		expect(t, g, map[string]string{"kmsKeyId": keyArn})
	}
	doc := keyPolicy(t, key)
	if len(doc.Statement) != 2 || doc.Statement[0].Principal["AWS"] != "arn:aws:iam::123456789012:root" ||
		doc.Statement[1].Principal["Service"] != "logs.us-east-1.amazonaws.com" ||
		doc.Statement[1].Condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] != "arn:aws:logs:us-east-1:123456789012:log-group:*" {
		t.Errorf("key policy %+v", doc)
	}
	if n := len(view(t, deploy(t, "dev")).all("aws:kms/key:Key")); n != 0 {
		t.Errorf("dev has %d KMS keys, want none by default", n)
	}
}

// TestAccessLogsBucketKeepsVersions: versioning on, noncurrent versions
// expire with the logs.
func TestAccessLogsBucketKeepsVersions(t *testing.T) {
	v := view(t, deploy(t, "prod"))
	expect(t, v.one("aws:s3/bucketVersioningV2:BucketVersioningV2"), map[string]string{"versioningConfiguration.status": "Enabled"})
	expect(t, v.one("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"), map[string]string{
		"rules.0.expiration.days": "89", "rules.0.noncurrentVersionExpiration.noncurrentDays": "1",
	})
}

// TestPartitions: in China and GovCloud the log key's principal, the
// access-log writer and every ARN the stack writes follow the partition.
func TestPartitions(t *testing.T) {
	for _, tt := range []struct{ region, partition, logsPrincipal, elbAccount string }{
		{"cn-north-1", "aws-cn", "logs.cn-north-1.amazonaws.com.cn", "638102146993"},
		{"us-gov-west-1", "aws-us-gov", "logs.us-gov-west-1.amazonaws.com", "048591011584"},
	} {
		t.Run(tt.region, func(t *testing.T) {
			v := view(t, deploy(t, "dev", "aws:region="+tt.region, "logsKmsKey=true", "accessLogs=true"))
			key := v.named("alba-digi-logs-key")
			policy := get(key, "policy")
			for _, want := range []string{
				`"Service":"` + tt.logsPrincipal + `"`,
				`"AWS":"arn:` + tt.partition + `:iam::123456789012:root"`,
				`"kms:EncryptionContext:aws:logs:arn":"arn:` + tt.partition + `:logs:` + tt.region + `:123456789012:log-group:*"`,
			} {
				if !strings.Contains(policy, want) {
					t.Errorf("logs key policy lacks %s:\n%s", want, policy)
				}
			}
			bucketPolicy := get(v.one("aws:s3/bucketPolicy:BucketPolicy"), "policy")
			for _, want := range []string{
				`"AWS":"arn:` + tt.partition + `:iam::` + tt.elbAccount + `:root"`,
				`"Resource":["arn:` + tt.partition + `:s3:::`,
			} {
				if !strings.Contains(bucketPolicy, want) {
					t.Errorf("access-log bucket policy lacks %s:\n%s", want, bucketPolicy)
				}
			}
		})
	}
}

// policyDoc is a key policy, by the parts the tests read.
type policyDoc struct {
	Statement []struct {
		Sid       string
		Principal map[string]string
		Action    []string
		Condition map[string]map[string]string
	}
}

func keyPolicy(t *testing.T, key plan.Resource) policyDoc {
	t.Helper()
	var doc policyDoc
	if err := json.Unmarshal([]byte(get(key, "policy")), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
