package infra

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"alba-digi/internal/field"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.ContainerName != "alba-digi-api-rest" {
		t.Errorf("containerName default = %q, want alba-digi-api-rest", c.ContainerName)
	}
}

// TestParseRejects checks each rule with a bad value: the error list must hold
// a problem of the right type at the right path.
func TestParseRejects(t *testing.T) {
	const (
		vpc  = "vpc-0123456789abcdef0"
		subA = "subnet-0123456789abcdef0"
		subB = "subnet-0123456789abcdef1"
		cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"
	)
	tests := []struct {
		name string
		raw  map[string]string
		path string
		typ  field.Type
	}{
		{"cpu not an integer", map[string]string{"cpu": "abc"}, "cpu", field.Invalid},
		{"diagnosis log lines above 100", map[string]string{"diagnosisLogLines": "101"}, "diagnosisLogLines", field.Invalid},
		{"diagnosis log lines negative", map[string]string{"diagnosisLogLines": "-1"}, "diagnosisLogLines", field.Invalid},
		{"OK emails without an email", map[string]string{"alarmOkActions": "true"}, "alarmOkActions", field.Invalid},
		{"adopt a record without a domain", map[string]string{"adoptValidationRecord": "true"}, "adoptValidationRecord", field.Invalid},
		{"OK emails not a boolean", map[string]string{"alarmOkActions": "yes"}, "alarmOkActions", field.Invalid},
		{"cpu not a Fargate size", map[string]string{"cpu": "1000"}, "cpu", field.NotSupported},
		{"memory outside the cpu's range", map[string]string{"memory": "1024"}, "memory", field.Invalid},
		{"memory off the step", map[string]string{"memory": "2500"}, "memory", field.Invalid},
		{"memory 1536 with cpu 256", map[string]string{"cpu": "256", "memory": "1536", "memoryReservation": "512"}, "memory", field.Invalid},
		{"memory 8192 step with cpu 8192", map[string]string{"cpu": "8192", "memory": "17408"}, "memory", field.Invalid},
		{"reservation above memory", map[string]string{"memoryReservation": "4096"}, "memoryReservation", field.Invalid},
		{"reservation zero", map[string]string{"memoryReservation": "0"}, "memoryReservation", field.Invalid},
		{"container port zero", map[string]string{"containerPort": "0"}, "containerPort", field.Invalid},
		{"container port too high", map[string]string{"containerPort": "70000"}, "containerPort", field.Invalid},
		{"listener port too high", map[string]string{"listenerPort": "65536"}, "listenerPort", field.Invalid},
		{"interval too short", map[string]string{"healthCheckIntervalSeconds": "4", "healthCheckTimeoutSeconds": "2"}, "healthCheckIntervalSeconds", field.Invalid},
		{"interval too long", map[string]string{"healthCheckIntervalSeconds": "301"}, "healthCheckIntervalSeconds", field.Invalid},
		{"timeout too short", map[string]string{"healthCheckTimeoutSeconds": "1"}, "healthCheckTimeoutSeconds", field.Invalid},
		{"timeout not below interval", map[string]string{"healthCheckTimeoutSeconds": "10"}, "healthCheckTimeoutSeconds", field.Invalid},
		{"healthy threshold too low", map[string]string{"healthyThreshold": "1"}, "healthyThreshold", field.Invalid},
		{"unhealthy threshold too high", map[string]string{"unhealthyThreshold": "11"}, "unhealthyThreshold", field.Invalid},
		{"path without slash", map[string]string{"healthCheckPath": "alive"}, "healthCheckPath", field.Invalid},
		{"path too long", map[string]string{"healthCheckPath": "/" + strings.Repeat("a", 1024)}, "healthCheckPath", field.TooLong},
		{"grace period negative", map[string]string{"healthCheckGracePeriodSeconds": "-1"}, "healthCheckGracePeriodSeconds", field.Invalid},
		{"deregistration delay too long", map[string]string{"deregistrationDelaySeconds": "3601"}, "deregistrationDelaySeconds", field.Invalid},
		{"desired count negative", map[string]string{"desiredCount": "-1"}, "desiredCount", field.Invalid},
		{"minimum above 100", map[string]string{"deploymentMinimumHealthyPercent": "101"}, "deploymentMinimumHealthyPercent", field.Invalid},
		{"maximum below 100", map[string]string{"deploymentMaximumPercent": "50"}, "deploymentMaximumPercent", field.Invalid},
		{"percentages that deadlock", map[string]string{"deploymentMaximumPercent": "100"}, "deploymentMaximumPercent", field.Invalid},
		{"percentages that deadlock one task", map[string]string{"desiredCount": "1", "deploymentMaximumPercent": "150"}, "deploymentMaximumPercent", field.Invalid},
		{"cidr does not parse", map[string]string{"allowedCidrs": `["10.0.0.0/33"]`}, "allowedCidrs[0]", field.Invalid},
		{"cidr not a list", map[string]string{"allowedCidrs": "0.0.0.0/0"}, "allowedCidrs", field.Invalid},
		{"cidr with host bits", map[string]string{"allowedCidrs": `["0.0.0.0/0", "10.1.2.3/16"]`}, "allowedCidrs[1]", field.Invalid},
		{"cidr IPv6", map[string]string{"allowedCidrs": `["::/0"]`}, "allowedCidrs[0]", field.Invalid},
		{"no cidrs", map[string]string{"allowedCidrs": `[]`}, "allowedCidrs", field.Required},
		{"vpc without subnets", map[string]string{"vpcId": vpc}, "subnetIds", field.Required},
		{"subnets without vpc", map[string]string{"subnetIds": `["` + subA + `","` + subB + `"]`}, "vpcId", field.Required},
		{"one subnet", map[string]string{"vpcId": vpc, "subnetIds": `["` + subA + `"]`}, "subnetIds", field.Invalid},
		{"subnet id malformed", map[string]string{"vpcId": vpc, "subnetIds": `["` + subA + `","sn-1"]`}, "subnetIds[1]", field.Invalid},
		{"subnet listed twice", map[string]string{"vpcId": vpc, "subnetIds": `["` + subA + `","` + subA + `"]`}, "subnetIds[1]", field.Duplicate},
		{"vpc id is a subnet id", map[string]string{"vpcId": "subnet-0123456789abcdef0", "subnetIds": `["` + subA + `","` + subB + `"]`}, "vpcId", field.Invalid},
		{"retention not accepted", map[string]string{"logRetentionDays": "10"}, "logRetentionDays", field.Invalid},
		{"execution role not an ARN", map[string]string{"executionRoleArn": "LabRole"}, "executionRoleArn", field.Invalid},
		{"task role is a user", map[string]string{"taskRoleArn": "arn:aws:iam::123456789012:user/bob"}, "taskRoleArn", field.Invalid},
		{"name too long for the load balancer", map[string]string{"name": "a-very-long-api-name"}, "name", field.Invalid},
		{"name with underscore", map[string]string{"name": "alba_digi"}, "name", field.Invalid},
		{"name with trailing hyphen", map[string]string{"name": "alba-"}, "name", field.Invalid},
		{"name internal-", map[string]string{"name": "internal-api"}, "name", field.Invalid},
		{"name sg-", map[string]string{"name": "sg-api"}, "name", field.Invalid},
		{"name empty", map[string]string{"name": ""}, "name", field.Required},
		{"container name with dot", map[string]string{"containerName": "api.rest"}, "containerName", field.Invalid},
		{"image with space", map[string]string{"image": "nginx latest"}, "image", field.Invalid},
		{"assignPublicIp not a boolean", map[string]string{"assignPublicIp": "yes"}, "assignPublicIp", field.Invalid},
		{"no public IP in the default VPC", map[string]string{"assignPublicIp": "false"}, "assignPublicIp", field.Invalid},
		{"unknown key", map[string]string{"cpus": "1024"}, "cpus", field.Unknown},
		{"tag with aws: prefix", map[string]string{"tags": `{"aws:owner":"me"}`}, `tags["aws:owner"]`, field.Invalid},
		{"certificate not an ARN", map[string]string{"certificateArn": "my-cert"}, "certificateArn", field.Invalid},
		{"TLS 1.2 policy", map[string]string{"certificateArn": cert, "sslPolicy": "ELBSecurityPolicy-2016-08"}, "sslPolicy", field.Invalid},
		{"https on the http port", map[string]string{"certificateArn": cert, "httpsListenerPort": "80"}, "httpsListenerPort", field.Invalid},
		{"secret in plain environment", map[string]string{"environment": `{"DB_PASSWORD":"hunter2"}`}, "environment.DB_PASSWORD", field.Invalid},
		{"AWS key in plain environment", map[string]string{"environment": `{"KEY_ID":"AKIAIOSFODNN7EXAMPLE"}`}, "environment.KEY_ID", field.Invalid},
		{"secret not an ARN", map[string]string{"secrets": `{"DB_PASSWORD":"hunter2"}`}, "secrets.DB_PASSWORD", field.Invalid},
		{"autoscaling max below min", map[string]string{"autoscalingMinCount": "2", "autoscalingMaxCount": "1"}, "autoscalingMaxCount", field.Invalid},
		{"desired count outside scaling range", map[string]string{"autoscalingMinCount": "3", "autoscalingMaxCount": "6"}, "desiredCount", field.Invalid},
		{"cpu target too high", map[string]string{"autoscalingMinCount": "2", "autoscalingMaxCount": "4", "autoscalingCpuTarget": "95"}, "autoscalingCpuTarget", field.Invalid},
		{"createVpc with public IP", map[string]string{"createVpc": "true"}, "assignPublicIp", field.Invalid},
		{"createVpc with vpcId", map[string]string{"createVpc": "true", "assignPublicIp": "false", "vpcId": vpc, "subnetIds": `["` + subA + `","` + subB + `"]`}, "createVpc", field.Invalid},
		{"vpc cidr too small", map[string]string{"createVpc": "true", "assignPublicIp": "false", "vpcCidr": "10.0.0.0/26"}, "vpcCidr", field.Invalid},
		{"one zone", map[string]string{"createVpc": "true", "assignPublicIp": "false", "availabilityZones": "1"}, "availabilityZones", field.Invalid},
		{"nat strategy unknown", map[string]string{"createVpc": "true", "assignPublicIp": "false", "natGateways": "none"}, "natGateways", field.NotSupported},
		{"root user", map[string]string{"user": "0:0"}, "user", field.Invalid},
		{"read-only root with exec", map[string]string{"readonlyRootFilesystem": "true", "enableExecuteCommand": "true"}, "readonlyRootFilesystem", field.Invalid},
		{"spot share above 100", map[string]string{"fargateSpotPercent": "120"}, "fargateSpotPercent", field.Invalid},
		{"domain that is a public suffix", map[string]string{"domainName": "co.uk"}, "domainName", field.Invalid},
		{"domain that is a private public suffix", map[string]string{"domainName": "github.io"}, "domainName", field.Invalid},
		{"validation wait of no minute", map[string]string{"domainName": "api.example.com", "certificateValidationMinutes": "0"}, "certificateValidationMinutes", field.Invalid},
		{"validation wait beyond ACM's 72 hours", map[string]string{"domainName": "api.example.com", "certificateValidationMinutes": "4321"}, "certificateValidationMinutes", field.Invalid},
		{"accept a mismatch without a domain", map[string]string{"acceptDelegationMismatch": "true"}, "acceptDelegationMismatch", field.Invalid},
		{"spot on ARM64", map[string]string{"fargateSpotPercent": "50", "cpuArchitecture": "ARM64"}, "fargateSpotPercent", field.Invalid},
		{"no listener at all", map[string]string{"httpListener": "false"}, "httpListener", field.Invalid},
		{"target protocol unknown", map[string]string{"targetProtocol": "TCP"}, "targetProtocol", field.NotSupported},
		{"architecture unknown", map[string]string{"cpuArchitecture": "arm"}, "cpuArchitecture", field.NotSupported},
		{"cidr listed twice", map[string]string{"allowedCidrs": `["10.0.0.0/8", "192.0.2.0/24", "10.0.0.0/8"]`}, "allowedCidrs[2]", field.Duplicate},
		{"tag key with a comma", map[string]string{"tags": `{"cost,center":"a"}`}, "tags[\"cost,center\"]", field.Invalid},
		{"tag value with a dollar", map[string]string{"tags": `{"team":"a$b"}`}, "tags.team", field.Invalid},
		{"tag value too long", map[string]string{"tags": `{"team":"` + strings.Repeat("a", 257) + `"}`}, "tags.team", field.TooLong},
		{"image with upper-case repository", map[string]string{"image": "public.ecr.aws/acme/MyApi:1"}, "image", field.Invalid},
		{"image tag of 129 characters", map[string]string{"image": "nginx:" + strings.Repeat("a", 129)}, "image", field.Invalid},
		{"image with a short digest", map[string]string{"image": "nginx@sha256:abc"}, "image", field.Invalid},
		{"image too long for ECS", map[string]string{"image": "registry.example.com/" + strings.Repeat("a", 240) + ":1"}, "image", field.TooLong},
		{"image empty", map[string]string{"image": ""}, "image", field.Required},
		{"health path with a space", map[string]string{"healthCheckPath": "/is alive"}, "healthCheckPath", field.Invalid},
		{"health path with a quote", map[string]string{"healthCheckPath": `/alive"`}, "healthCheckPath", field.Invalid},
		{"role ARN with a region", map[string]string{"taskRoleArn": "arn:aws:iam:us-east-1:123456789012:role/LabRole"}, "taskRoleArn", field.Invalid},
		{"secret ARN of another service", map[string]string{"secrets": `{"DB_URL":"arn:aws:s3:::bucket/key"}`}, "secrets.DB_URL", field.Invalid},
		{"secret also in environment", map[string]string{"environment": `{"DB_HOST":"db"}`, "secrets": `{"DB_HOST":"arn:aws:ssm:us-east-1:123456789012:parameter/db"}`}, "secrets.DB_HOST", field.Duplicate},
		{"certificate ARN of another service", map[string]string{"certificateArn": "arn:aws:iam::123456789012:role/cert"}, "certificateArn", field.Invalid},
		{"typo of a key", map[string]string{"desiredcount": "4"}, "desiredcount", field.Unknown},
		{"waf mode unknown", map[string]string{"waf": "true", "wafMode": "log"}, "wafMode", field.NotSupported},
		{"waf key while waf is off", map[string]string{"wafMode": "count"}, "wafMode", field.Invalid},
		{"waf groups while waf is off", map[string]string{"wafManagedRuleGroups": `["AWSManagedRulesSQLiRuleSet"]`}, "wafManagedRuleGroups", field.Invalid},
		{"unknown managed group", map[string]string{"waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesCommonRuleSet","AWSManagedRulesCoreRuleSet"]`}, "wafManagedRuleGroups[1]", field.NotSupported},
		{"paid managed group", map[string]string{"waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesBotControlRuleSet"]`}, "wafManagedRuleGroups[0]", field.NotSupported},
		{"managed group twice", map[string]string{"waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesSQLiRuleSet","AWSManagedRulesSQLiRuleSet"]`}, "wafManagedRuleGroups[1]", field.Duplicate},
		{"groups and rate limit 2 WCU over the included capacity", map[string]string{"waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesCommonRuleSet","AWSManagedRulesKnownBadInputsRuleSet","AWSManagedRulesSQLiRuleSet","AWSManagedRulesLinuxRuleSet","AWSManagedRulesWindowsRuleSet"]`}, "wafManagedRuleGroups", field.Invalid},
		{"web ACL with no rule", map[string]string{"waf": "true", "wafManagedRuleGroups": `[]`, "wafRateLimit": "0"}, "wafManagedRuleGroups", field.Invalid},
		{"counting group not run", map[string]string{"waf": "true", "wafCountRuleGroups": `["AWSManagedRulesSQLiRuleSet"]`}, "wafCountRuleGroups[0]", field.Invalid},
		{"counting group twice", map[string]string{"waf": "true", "wafCountRuleGroups": `["AWSManagedRulesCommonRuleSet","AWSManagedRulesCommonRuleSet"]`}, "wafCountRuleGroups[1]", field.Duplicate},
		{"excluded rule without its group", map[string]string{"waf": "true", "wafExcludedRules": `["SizeRestrictions_BODY"]`}, "wafExcludedRules[0]", field.Invalid},
		{"excluded rule of an unknown group", map[string]string{"waf": "true", "wafExcludedRules": `["AWSManagedRulesCRS/SizeRestrictions_BODY"]`}, "wafExcludedRules[0]", field.Invalid},
		{"excluded rule of a group not run", map[string]string{"waf": "true", "wafExcludedRules": `["AWSManagedRulesSQLiRuleSet/SQLi_BODY"]`}, "wafExcludedRules[0]", field.Invalid},
		{"excluded rule not in its group", map[string]string{"waf": "true", "wafExcludedRules": `["AWSManagedRulesCommonRuleSet/SQLi_BODY"]`}, "wafExcludedRules[0]", field.Invalid},
		{"excluded rule twice", map[string]string{"waf": "true", "wafExcludedRules": `["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY","AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"]`}, "wafExcludedRules[1]", field.Duplicate},
		{"rate limit below AWS's minimum", map[string]string{"waf": "true", "wafRateLimit": "9"}, "wafRateLimit", field.Invalid},
		{"rate limit above AWS's maximum", map[string]string{"waf": "true", "wafRateLimit": "2000000001"}, "wafRateLimit", field.Invalid},
		{"rate limit negative", map[string]string{"waf": "true", "wafRateLimit": "-1"}, "wafRateLimit", field.Invalid},
		{"forwarded IP header with a space", map[string]string{"waf": "true", "wafForwardedIpHeader": "X Forwarded For"}, "wafForwardedIpHeader", field.Invalid},
		{"forwarded IP header without a rate limit", map[string]string{"waf": "true", "wafRateLimit": "0", "wafForwardedIpHeader": "X-Forwarded-For"}, "wafForwardedIpHeader", field.Invalid},
		{"over the included capacity beside another problem", map[string]string{"cpu": "abc", "waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesCommonRuleSet","AWSManagedRulesKnownBadInputsRuleSet","AWSManagedRulesSQLiRuleSet","AWSManagedRulesLinuxRuleSet","AWSManagedRulesWindowsRuleSet"]`}, "wafManagedRuleGroups", field.Invalid},
		{"WAF alarm threshold zero", map[string]string{"waf": "true", "alarmWafBlockedPerMinute": "0"}, "alarmWafBlockedPerMinute", field.Invalid},
		{"strategy unknown", map[string]string{"deploymentStrategy": "blue-green"}, "deploymentStrategy", field.NotSupported},
		{"canary of no traffic", map[string]string{"deploymentStrategy": "canary", "canaryPercent": "0"}, "canaryPercent", field.Invalid},
		{"canary of all the traffic", map[string]string{"deploymentStrategy": "canary", "canaryPercent": "100"}, "canaryPercent", field.Invalid},
		{"canary of no minute", map[string]string{"deploymentStrategy": "canary", "canaryMinutes": "0"}, "canaryMinutes", field.Invalid},
		{"canary beyond CodeDeploy's two days", map[string]string{"deploymentStrategy": "canary", "canaryMinutes": "2881"}, "canaryMinutes", field.Invalid},
		{"linear steps of no traffic", map[string]string{"deploymentStrategy": "linear", "linearPercent": "0"}, "linearPercent", field.Invalid},
		{"linear step of all the traffic", map[string]string{"deploymentStrategy": "linear", "linearPercent": "100"}, "linearPercent", field.Invalid},
		{"linear steps of no minute", map[string]string{"deploymentStrategy": "linear", "linearMinutes": "0"}, "linearMinutes", field.Invalid},
		{"linear steps beyond two days", map[string]string{"deploymentStrategy": "linear", "linearMinutes": "2881"}, "linearMinutes", field.Invalid},
		{"a rolling update's batch size under canary", map[string]string{"deploymentStrategy": "canary", "deploymentMaximumPercent": "150"}, "deploymentMaximumPercent", field.Invalid},
		{"a rolling update's floor under blue/green", map[string]string{"deploymentStrategy": "blueGreen", "deploymentMinimumHealthyPercent": "50"}, "deploymentMinimumHealthyPercent", field.Invalid},
		{"a linear shift of more than two days in all", map[string]string{"deploymentStrategy": "linear", "linearPercent": "1", "linearMinutes": "30"}, "linearMinutes", field.Invalid},
		{"termination wait negative", map[string]string{"deploymentStrategy": "blueGreen", "blueGreenTerminationMinutes": "-1"}, "blueGreenTerminationMinutes", field.Invalid},
		{"termination wait beyond two days", map[string]string{"deploymentStrategy": "blueGreen", "blueGreenTerminationMinutes": "2881"}, "blueGreenTerminationMinutes", field.Invalid},
		{"test port zero", map[string]string{"deploymentStrategy": "canary", "testListenerPort": "0"}, "testListenerPort", field.Invalid},
		{"test port too high", map[string]string{"deploymentStrategy": "canary", "testListenerPort": "65536"}, "testListenerPort", field.Invalid},
		{"test port on the HTTP listener's", map[string]string{"deploymentStrategy": "canary", "testListenerPort": "80"}, "testListenerPort", field.Invalid},
		{"test port on the HTTPS listener's", map[string]string{"deploymentStrategy": "canary", "certificateArn": cert, "testListenerPort": "443"}, "testListenerPort", field.Invalid},
		{"test port on a moved HTTP listener's", map[string]string{"deploymentStrategy": "linear", "listenerPort": "8080", "testListenerPort": "8080"}, "testListenerPort", field.Invalid},
		{"test CIDR that does not parse", map[string]string{"deploymentStrategy": "canary", "testCidrs": `["203.0.113.0/33"]`}, "testCidrs[0]", field.Invalid},
		{"test CIDR with host bits", map[string]string{"deploymentStrategy": "canary", "testCidrs": `["203.0.113.7/24"]`}, "testCidrs[0]", field.Invalid},
		{"test CIDR twice", map[string]string{"deploymentStrategy": "canary", "testCidrs": `["203.0.113.0/24","203.0.113.0/24"]`}, "testCidrs[1]", field.Duplicate},
		{"test CIDR IPv6", map[string]string{"deploymentStrategy": "canary", "testCidrs": `["2001:db8::/32"]`}, "testCidrs[0]", field.Invalid},
		{"test CIDRs not a list", map[string]string{"deploymentStrategy": "canary", "testCidrs": "203.0.113.0/24"}, "testCidrs", field.Invalid},
		{"CodeDeploy role not an ARN", map[string]string{"deploymentStrategy": "canary", "codeDeployRoleArn": "LabRole"}, "codeDeployRoleArn", field.Invalid},
		{"CodeDeploy role is a user", map[string]string{"deploymentStrategy": "canary", "codeDeployRoleArn": "arn:aws:iam::123456789012:user/bob"}, "codeDeployRoleArn", field.Invalid},
		{"CodeDeploy role with a region", map[string]string{"deploymentStrategy": "canary", "codeDeployRoleArn": "arn:aws:iam:us-east-1:123456789012:role/LabRole"}, "codeDeployRoleArn", field.Invalid},
		{"test CIDRs with rolling", map[string]string{"testCidrs": `["203.0.113.0/24"]`}, "testCidrs", field.Invalid},
		{"test port with rolling", map[string]string{"testListenerPort": "9443"}, "testListenerPort", field.Invalid},
		{"CodeDeploy role with rolling", map[string]string{"codeDeployRoleArn": "arn:aws:iam::123456789012:role/LabRole"}, "codeDeployRoleArn", field.Invalid},
		{"termination wait with rolling", map[string]string{"blueGreenTerminationMinutes": "60"}, "blueGreenTerminationMinutes", field.Invalid},
		{"canary share with rolling", map[string]string{"canaryPercent": "20"}, "canaryPercent", field.Invalid},
		{"canary minutes with linear", map[string]string{"deploymentStrategy": "linear", "canaryMinutes": "15"}, "canaryMinutes", field.Invalid},
		{"linear share with blue/green", map[string]string{"deploymentStrategy": "blueGreen", "linearPercent": "20"}, "linearPercent", field.Invalid},
		{"linear minutes with canary", map[string]string{"deploymentStrategy": "canary", "linearMinutes": "3"}, "linearMinutes", field.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.raw)
			if err == nil {
				t.Fatalf("Parse(%v) accepted it, want %s at %s", tt.raw, tt.typ, tt.path)
			}
			list := field.List(err)
			if list == nil {
				t.Fatalf("Parse(%v) error is not a field list: %v", tt.raw, err)
			}
			for _, e := range list {
				if e.Field == tt.path && e.Type == tt.typ {
					return
				}
			}
			t.Errorf("Parse(%v): no %s at %s in\n%v", tt.raw, tt.typ, tt.path, err)
		})
	}
}

// TestErrorMessages checks the shape every message has: the path, what is
// wrong with the value, and what would be valid; secrets never shown.
func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"invalid", Input{Values: map[string]string{"cpu": "abc"}}, `cpu: invalid value "abc": not an integer`},
		{"not supported", Input{Values: map[string]string{"cpu": "1000"}}, `cpu: unsupported value "1000": valid: "256", "512", "1024", "2048", "4096", "8192", "16384"`},
		{"enum", Input{Values: map[string]string{"cpuArchitecture": "arm"}}, `cpuArchitecture: unsupported value "arm": valid: "X86_64", "ARM64"`},
		{"required", Input{Values: map[string]string{"vpcId": "vpc-0123456789abcdef0"}}, `subnetIds: required: set at least two subnets of vpcId vpc-0123456789abcdef0, in different zones`},
		{"duplicate", Input{Values: map[string]string{"allowedCidrs": `["0.0.0.0/0","0.0.0.0/0"]`}}, `allowedCidrs[1]: duplicate value "0.0.0.0/0": also allowedCidrs[0]: AWS refuses the same rule twice`},
		{"too long", Input{Values: map[string]string{"healthCheckPath": "/" + strings.Repeat("a", 1024)}}, `healthCheckPath: too long (1025 characters): must have at most 1024 characters`},
		{"unknown key with a suggestion", Input{Values: map[string]string{"desiredcount": "4"}}, `desiredcount: unknown key; did you mean desiredCount?`},
		{"unknown key with a typo", Input{Values: map[string]string{"healthCheckPth": "/x"}}, `healthCheckPth: unknown key; did you mean healthCheckPath?`},
		{"unknown key, nothing near", Input{Values: map[string]string{"zzzzzzzzzzzz": "1"}}, `zzzzzzzzzzzz: unknown key; see the keys in Pulumi.yaml`},
		{"certificate of another region", Input{Values: map[string]string{"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, Region: "us-east-1"},
			`certificateArn: invalid value "arn:aws:acm:eu-west-1:123456789012:certificate/abc": the certificate is in eu-west-1 but the stack deploys to us-east-1 (aws:region)`},
		{"secret value hidden", Input{Values: map[string]string{"secrets": `{"DB":"hunter2"}`}, Secret: map[string]bool{"secrets": true}}, `secrets.DB: invalid value (hidden): an SSM parameter ARN`},
		{"secret of the wrong type hidden", Input{Values: map[string]string{"environment": "hunter2"}, Secret: map[string]bool{"environment": true}}, `environment: invalid value (hidden): not a map of strings`},
		{"secret-looking name", Input{Values: map[string]string{"environment": `{"DB_PASSWORD":"hunter2"}`}}, `environment.DB_PASSWORD: invalid value (hidden): the name looks like a secret`},
		{"rate limit out of range", Input{Values: map[string]string{"waf": "true", "wafRateLimit": "5"}}, `wafRateLimit: invalid value 5: requests per 5 minutes from 10 to 2000000000, or 0 for no rate limit`},
		{"unknown managed group", Input{Values: map[string]string{"waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesCoreRuleSet"]`}},
			`wafManagedRuleGroups[0]: unsupported value "AWSManagedRulesCoreRuleSet": valid: "AWSManagedRulesCommonRuleSet", "AWSManagedRulesAdminProtectionRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList", "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesLinuxRuleSet", "AWSManagedRulesUnixRuleSet", "AWSManagedRulesWindowsRuleSet", "AWSManagedRulesPHPRuleSet", "AWSManagedRulesWordPressRuleSet"`},
		{"excluded rule not in its group", Input{Values: map[string]string{"waf": "true", "wafExcludedRules": `["AWSManagedRulesKnownBadInputsRuleSet/Log4JRCE"]`}},
			`wafExcludedRules[0]: invalid value "AWSManagedRulesKnownBadInputsRuleSet/Log4JRCE": AWSManagedRulesKnownBadInputsRuleSet has no rule "Log4JRCE": its rules are JavaDeserializationRCE_HEADER, JavaDeserializationRCE_BODY, JavaDeserializationRCE_URIPATH, JavaDeserializationRCE_QUERYSTRING, Host_localhost_HEADER, PROPFIND_METHOD, ExploitablePaths_URIPATH, Log4JRCE_HEADER, Log4JRCE_QUERYSTRING, Log4JRCE_BODY, Log4JRCE_URIPATH`},
		{"over the included capacity", Input{Values: map[string]string{"waf": "true", "wafManagedRuleGroups": `["AWSManagedRulesCommonRuleSet","AWSManagedRulesWindowsRuleSet","AWSManagedRulesSQLiRuleSet","AWSManagedRulesLinuxRuleSet","AWSManagedRulesAnonymousIpList","AWSManagedRulesAmazonIpReputationList","AWSManagedRulesAdminProtectionRuleSet","AWSManagedRulesPHPRuleSet"]`}},
			`wafManagedRuleGroups: invalid value ["AWSManagedRulesCommonRuleSet" "AWSManagedRulesWindowsRuleSet" "AWSManagedRulesSQLiRuleSet" "AWSManagedRulesLinuxRuleSet" "AWSManagedRulesAnonymousIpList" "AWSManagedRulesAmazonIpReputationList" "AWSManagedRulesAdminProtectionRuleSet" "AWSManagedRulesPHPRuleSet"]: the web ACL would use 1577 capacity units (WCU) and its base price includes 1500`},
		{"waf key while waf is off", Input{Values: map[string]string{"wafMode": "count"}}, `wafMode: invalid value "count": the web application firewall is off (waf: false): turn it on, or leave wafMode unset`},
		{"canary share out of range", Input{Values: map[string]string{"deploymentStrategy": "canary", "canaryPercent": "100"}}, `canaryPercent: invalid value 100: must be from 1 to 99`},
		{"test port on a production listener's", Input{Values: map[string]string{"deploymentStrategy": "canary", "testListenerPort": "80"}}, `testListenerPort: invalid value 80: must differ from the production listeners' ports (80)`},
		{"test CIDRs with rolling", Input{Values: map[string]string{"testCidrs": `["203.0.113.0/24"]`}},
			`testCidrs: invalid value ["203.0.113.0/24"]: it applies with ` + "`deploymentStrategy`" + ` blueGreen, canary or linear only, and deploymentStrategy is rolling, so it would do nothing: leave testCidrs unset, or set deploymentStrategy to blueGreen, canary or linear`},
		{"canary minutes with linear", Input{Values: map[string]string{"deploymentStrategy": "linear", "canaryMinutes": "15"}},
			"canaryMinutes: invalid value 15: it applies with `deploymentStrategy: canary` only, and deploymentStrategy is linear, so it would do nothing: leave canaryMinutes unset, or set deploymentStrategy to canary"},
		{"CodeDeploy role not a role", Input{Values: map[string]string{"deploymentStrategy": "blueGreen", "codeDeployRoleArn": "LabRole"}}, `codeDeployRoleArn: invalid value "LabRole": an IAM role ARN such as arn:aws:iam::123456789012:role/LabRole`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseInput(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant a line starting:\n%s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("a secret value is shown:\n%v", err)
			}
		})
	}
	if _, err := ParseInput(Input{Values: map[string]string{"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}, Region: "us-east-1"}); err != nil {
		t.Errorf("a certificate of the stack's region: %v", err)
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Parse(map[string]string{"cpu": "abc", "memoryReservation": "9999", "healthCheckPath": "x", "logRetentionDays": "2"})
	if err == nil {
		t.Fatal("accepted four bad values")
	}
	var paths []string
	for _, e := range field.List(err) {
		paths = append(paths, e.Field)
	}
	if want := []string{"cpu", "memoryReservation", "healthCheckPath", "logRetentionDays"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %v, want %v\n%v", paths, want, err)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]string
	}{
		{"smallest Fargate task", map[string]string{"cpu": "256", "memory": "512", "memoryReservation": "256"}},
		{"largest Fargate task", map[string]string{"cpu": "16384", "memory": "122880"}},
		{"one task with room to surge", map[string]string{"desiredCount": "1", "deploymentMaximumPercent": "200"}},
		{"zero tasks", map[string]string{"desiredCount": "0", "deploymentMaximumPercent": "100"}},
		{"lab account", map[string]string{"executionRoleArn": "arn:aws:iam::123456789012:role/LabRole", "taskRoleArn": "arn:aws:iam::123456789012:role/LabRole"}},
		{"existing VPC with private subnets", map[string]string{"vpcId": "vpc-0123456789abcdef0", "subnetIds": `["subnet-0123456789abcdef0","subnet-0123456789abcdef1"]`, "assignPublicIp": "false"}},
		{"18-character name", map[string]string{"name": "orders-api-servic1"}},
		{"digest-pinned image", map[string]string{"image": "public.ecr.aws/n0h7v2z5/alba-digi-api-rest@sha256:" + strings.Repeat("ab", 32)}},
		{"Docker Hub short name", map[string]string{"image": "nginx:1.27-alpine"}},
		{"health path with a query", map[string]string{"healthCheckPath": "/alive?deep=1&x=%20"}},
		{"tags with the characters AWS allows", map[string]string{"tags": `{"cost-center":"a b_c.d:e/f=g+h-i@j", "équipe":"données"}`}},
		{"secrets by partial Secrets Manager ARN and JSON key", map[string]string{"secrets": `{"DB_PASSWORD":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::"}`}},
		{"IAM server certificate", map[string]string{"certificateArn": "arn:aws:iam::123456789012:server-certificate/api"}},
		{"waf with AWS's baseline groups", map[string]string{"waf": "true"}},
		{"waf in count mode behind a CDN", map[string]string{"waf": "true", "wafMode": "count", "wafForwardedIpHeader": "X-Forwarded-For", "wafRateLimit": "10"}},
		{"waf at the included capacity", map[string]string{"waf": "true", "wafRateLimit": "0", "wafManagedRuleGroups": `["AWSManagedRulesCommonRuleSet","AWSManagedRulesSQLiRuleSet","AWSManagedRulesLinuxRuleSet","AWSManagedRulesAdminProtectionRuleSet","AWSManagedRulesPHPRuleSet","AWSManagedRulesWordPressRuleSet","AWSManagedRulesUnixRuleSet"]`}},
		{"waf rate limit only", map[string]string{"waf": "true", "wafManagedRuleGroups": `[]`, "wafRateLimit": "2000000000"}},
		{"waf excluded and counting", map[string]string{"waf": "true", "wafCountRuleGroups": `["AWSManagedRulesKnownBadInputsRuleSet"]`, "wafExcludedRules": `["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY","AWSManagedRulesCommonRuleSet/NoUserAgent_HEADER"]`}},
		{"waf keys at their defaults while off", map[string]string{"wafMode": "block", "wafRateLimit": "2000", "wafCountRuleGroups": `[]`}},
		{"blue/green with a lab account's role", map[string]string{"deploymentStrategy": "blueGreen", "codeDeployRoleArn": "arn:aws:iam::123456789012:role/LabRole", "blueGreenTerminationMinutes": "0"}},
		{"canary of the stack's own at the bounds", map[string]string{"deploymentStrategy": "canary", "canaryPercent": "99", "canaryMinutes": "2880"}},
		{"linear of 1 % a minute", map[string]string{"deploymentStrategy": "linear", "linearPercent": "1", "linearMinutes": "1", "blueGreenTerminationMinutes": "2880"}},
		{"linear of 1 % every 29 minutes: 2871 minutes in all", map[string]string{"deploymentStrategy": "linear", "linearPercent": "1", "linearMinutes": "29"}},
		{"test port open to two networks", map[string]string{"deploymentStrategy": "canary", "testCidrs": `["203.0.113.0/24","198.51.100.0/24"]`, "testListenerPort": "65535"}},
		// The test listener's port is the load balancer's, the container's the
		// tasks': on different hosts, they may be the same number.
		{"test port on the container's port", map[string]string{"deploymentStrategy": "canary", "testListenerPort": "5050"}},
		// Without an HTTP listener its port is free for the test listener.
		{"test port on an unused HTTP port", map[string]string{"deploymentStrategy": "canary", "httpListener": "false", "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666", "testListenerPort": "80"}},
		{"release keys at their defaults with rolling", map[string]string{"testCidrs": `[]`, "canaryPercent": "10", "testListenerPort": "9000"}},
		{"secrets by ARN", map[string]string{"secrets": `{"DB_PASSWORD":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","API_TOKEN":"arn:aws:ssm:us-east-1:123456789012:parameter/api/token"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.raw); err != nil {
				t.Errorf("Parse(%v): %v", tt.raw, err)
			}
		})
	}
}

// FuzzParse feeds arbitrary text to any key: Parse must never panic, every
// problem must be about a known key (possibly indexed) or the unknown key
// itself, and the message must keep one problem per line.
func FuzzParse(f *testing.F) {
	f.Add("cpu", "1024", "memory", "3072")
	f.Add("allowedCidrs", `["0.0.0.0/0"]`, "desiredCount", "-5")
	f.Add("subnetIds", `["subnet-0123456789abcdef0"]`, "vpcId", "vpc-0123456789abcdef0")
	f.Add("environment", `{"A":"b"}`, "secrets", `{"":""}`)
	f.Add("healthCheckPath", "/", "deploymentMaximumPercent", "100")
	f.Add("name", "x\n", "tags", `{"aws:x":"1"}`)
	f.Add("image", "Nginx:latest", "tags", `{"a: b\n":"c"}`)
	f.Add("desiredcount", "1", "certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/x")
	f.Add("domainName", "api.example.com", "hostedZoneId", "Z0EXAMPLE")
	f.Add("alarmEmail", "Ops <ops@example.com>", "alarms", "false")
	f.Add("redeploy", "2026-12-02", "diagnosisLogLines", "101")
	f.Add("alarmOkActions", "yes", "adoptValidationRecord", "true")
	f.Add("fargateSpotPercent", "50", "cpuArchitecture", "ARM64")
	f.Add("domainName", "co.uk", "certificateValidationMinutes", "4321")
	f.Add("domainName", "xn--p1ai", "acceptDelegationMismatch", "true")
	f.Add("domainName", "a.b.c.d.e.github.io", "certificateValidationMinutes", "-1")
	f.Add("waf", "true", "wafExcludedRules", `["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"]`)
	f.Add("waf", "true", "wafManagedRuleGroups", `["AWSManagedRulesSQLiRuleSet","x"]`)
	f.Add("wafRateLimit", "5", "wafForwardedIpHeader", "X-Forwarded-For")
	f.Add("deploymentStrategy", "canary", "canaryPercent", "100")
	f.Add("deploymentStrategy", "linear", "linearMinutes", "2881")
	f.Add("deploymentStrategy", "linear", "linearMinutes", "400")
	f.Add("testCidrs", `["203.0.113.0/24"]`, "deploymentStrategy", "rolling")
	f.Add("deploymentStrategy", "blueGreen", "testListenerPort", "80")
	f.Add("codeDeployRoleArn", "arn:aws:iam::123456789012:role/LabRole", "deploymentStrategy", "canary")
	f.Add("deploymentStrategy", "linear", "canaryMinutes", "0")
	f.Add("blueGreenTerminationMinutes", "-1", "testCidrs", `["::/0"]`)
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k.Name] = true
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		_, err := Parse(map[string]string{k1: v1, k2: v2})
		if err == nil {
			return
		}
		list := field.List(err)
		if len(list) == 0 {
			t.Fatalf("error is not a field list: %v", err)
		}
		if lines := strings.Count(err.Error(), "\n") + 1; lines != len(list) {
			t.Fatalf("%d problems on %d lines:\n%v", len(list), lines, err)
		}
		for _, e := range list {
			root := e.Field
			if i := strings.IndexAny(root, ".["); i > 0 {
				root = root[:i]
			}
			if e.Type == field.Unknown {
				if e.Field != k1 && e.Field != k2 && e.Field != strconv.Quote(k1) && e.Field != strconv.Quote(k2) {
					t.Fatalf("unknown key %q is neither given key", e.Field)
				}
				continue
			}
			if !known[root] {
				t.Fatalf("problem at %q, not a known key: %v", e.Field, e)
			}
		}
	})
}
