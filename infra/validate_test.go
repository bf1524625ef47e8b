package infra

import (
	"strconv"
	"strings"
	"testing"
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

// TestParseRejects checks each rule with a bad value: the error must name the
// key, show the value and say what is valid.
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
		want string
	}{
		{"cpu not an integer", map[string]string{"cpu": "abc"}, `cpu: invalid value "abc": not an integer`},
		{"cpu not a Fargate size", map[string]string{"cpu": "1000"}, "cpu: invalid value 1000: Fargate accepts 256, 512, 1024, 2048, 4096, 8192 or 16384"},
		{"memory outside the cpu's range", map[string]string{"memory": "1024"}, "memory: invalid value 1024: with cpu 1024 Fargate accepts 2048 to 8192 in steps of 1024 MiB"},
		{"memory off the step", map[string]string{"memory": "2500"}, "memory: invalid value 2500: with cpu 1024 Fargate accepts 2048 to 8192 in steps of 1024 MiB"},
		{"memory 1536 with cpu 256", map[string]string{"cpu": "256", "memory": "1536", "memoryReservation": "512"}, "memory: invalid value 1536: with cpu 256 Fargate accepts 512, 1024 or 2048 MiB"},
		{"memory 8192 step with cpu 8192", map[string]string{"cpu": "8192", "memory": "17408"}, "memory: invalid value 17408: with cpu 8192 Fargate accepts 16384 to 61440 in steps of 4096 MiB"},
		{"reservation above memory", map[string]string{"memoryReservation": "4096"}, "memoryReservation: invalid value 4096: must be from 6 to memory (3072) MiB"},
		{"reservation zero", map[string]string{"memoryReservation": "0"}, "memoryReservation: invalid value 0: must be from 6 to memory (3072) MiB"},
		{"container port zero", map[string]string{"containerPort": "0"}, "containerPort: invalid value 0: must be from 1 to 65535"},
		{"container port too high", map[string]string{"containerPort": "70000"}, "containerPort: invalid value 70000: must be from 1 to 65535"},
		{"listener port too high", map[string]string{"listenerPort": "65536"}, "listenerPort: invalid value 65536: must be from 1 to 65535"},
		{"interval too short", map[string]string{"healthCheckIntervalSeconds": "4", "healthCheckTimeoutSeconds": "2"}, "healthCheckIntervalSeconds: invalid value 4: must be from 5 to 300"},
		{"interval too long", map[string]string{"healthCheckIntervalSeconds": "301"}, "healthCheckIntervalSeconds: invalid value 301: must be from 5 to 300"},
		{"timeout too short", map[string]string{"healthCheckTimeoutSeconds": "1"}, "healthCheckTimeoutSeconds: invalid value 1: must be from 2 to 120"},
		{"timeout not below interval", map[string]string{"healthCheckTimeoutSeconds": "10"}, "healthCheckTimeoutSeconds: invalid value 10: must be less than healthCheckIntervalSeconds (10)"},
		{"healthy threshold too low", map[string]string{"healthyThreshold": "1"}, "healthyThreshold: invalid value 1: must be from 2 to 10"},
		{"unhealthy threshold too high", map[string]string{"unhealthyThreshold": "11"}, "unhealthyThreshold: invalid value 11: must be from 2 to 10"},
		{"path without slash", map[string]string{"healthCheckPath": "alive"}, `healthCheckPath: invalid value "alive": a path of 1 to 1024 characters starting with "/"`},
		{"path too long", map[string]string{"healthCheckPath": "/" + strings.Repeat("a", 1024)}, `a path of 1 to 1024 characters starting with "/"`},
		{"grace period negative", map[string]string{"healthCheckGracePeriodSeconds": "-1"}, "healthCheckGracePeriodSeconds: invalid value -1: must be from 0 to 2147483647"},
		{"deregistration delay too long", map[string]string{"deregistrationDelaySeconds": "3601"}, "deregistrationDelaySeconds: invalid value 3601: must be from 0 to 3600"},
		{"desired count negative", map[string]string{"desiredCount": "-1"}, "desiredCount: invalid value -1: must be 0 or more"},
		{"minimum above 100", map[string]string{"deploymentMinimumHealthyPercent": "101"}, "deploymentMinimumHealthyPercent: invalid value 101: must be from 0 to 100"},
		{"maximum below 100", map[string]string{"deploymentMaximumPercent": "50"}, "deploymentMaximumPercent: invalid value 50: must be from 100 to 200"},
		{"percentages that deadlock", map[string]string{"deploymentMaximumPercent": "100"}, "deploymentMaximumPercent: invalid value 100: with deploymentMinimumHealthyPercent 100 and desiredCount 2 the scheduler can neither start nor stop a task"},
		{"percentages that deadlock one task", map[string]string{"desiredCount": "1", "deploymentMaximumPercent": "150"}, "deploymentMaximumPercent: invalid value 150: with deploymentMinimumHealthyPercent 100 and desiredCount 1"},
		{"cidr does not parse", map[string]string{"allowedCidrs": `["10.0.0.0/33"]`}, `allowedCidrs[0]: invalid value "10.0.0.0/33": an IPv4 CIDR such as 203.0.113.0/24`},
		{"cidr not a list", map[string]string{"allowedCidrs": "0.0.0.0/0"}, `allowedCidrs: invalid value "0.0.0.0/0": not a list of strings`},
		{"cidr with host bits", map[string]string{"allowedCidrs": `["0.0.0.0/0", "10.1.2.3/16"]`}, `allowedCidrs[1]: invalid value "10.1.2.3/16": host bits are set: did you mean 10.1.0.0/16?`},
		{"cidr IPv6", map[string]string{"allowedCidrs": `["::/0"]`}, `allowedCidrs[0]: invalid value "::/0": the load balancer is IPv4-only`},
		{"no cidrs", map[string]string{"allowedCidrs": `[]`}, "allowedCidrs: invalid value []: list at least one IPv4 CIDR"},
		{"vpc without subnets", map[string]string{"vpcId": vpc}, `subnetIds: invalid value []: set at least two subnets of vpcId ` + vpc},
		{"subnets without vpc", map[string]string{"subnetIds": `["` + subA + `","` + subB + `"]`}, `vpcId: invalid value "": set vpcId together with subnetIds`},
		{"one subnet", map[string]string{"vpcId": vpc, "subnetIds": `["` + subA + `"]`}, "subnetIds: invalid value [\"" + subA + "\"]: 2 to 16 subnets"},
		{"subnet id malformed", map[string]string{"vpcId": vpc, "subnetIds": `["` + subA + `","sn-1"]`}, `subnetIds[1]: invalid value "sn-1": a subnet id such as subnet-0123456789abcdef0`},
		{"subnet listed twice", map[string]string{"vpcId": vpc, "subnetIds": `["` + subA + `","` + subA + `"]`}, `subnetIds[1]: invalid value "` + subA + `": listed twice`},
		{"vpc id is a subnet id", map[string]string{"vpcId": "subnet-0123456789abcdef0", "subnetIds": `["` + subA + `","` + subB + `"]`}, `vpcId: invalid value "subnet-0123456789abcdef0": a VPC id such as vpc-0123456789abcdef0`},
		{"retention not accepted", map[string]string{"logRetentionDays": "10"}, "logRetentionDays: invalid value 10: one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30"},
		{"execution role not an ARN", map[string]string{"executionRoleArn": "LabRole"}, `executionRoleArn: invalid value "LabRole": an IAM role ARN such as arn:aws:iam::123456789012:role/LabRole`},
		{"task role is a user", map[string]string{"taskRoleArn": "arn:aws:iam::123456789012:user/bob"}, `taskRoleArn: invalid value "arn:aws:iam::123456789012:user/bob": an IAM role ARN`},
		{"name too long for the load balancer", map[string]string{"name": "a-very-long-api-name"}, `name: invalid value "a-very-long-api-name": at most 18 characters: "a-very-long-api-name-load-balancer" must fit the load balancer's 32-character limit`},
		{"name with underscore", map[string]string{"name": "alba_digi"}, `name: invalid value "alba_digi": use letters, digits and hyphens`},
		{"name with trailing hyphen", map[string]string{"name": "alba-"}, `name: invalid value "alba-": use letters, digits and hyphens, starting and ending with a letter or digit`},
		{"name internal-", map[string]string{"name": "internal-api"}, `name: invalid value "internal-api": must not start with "internal-"`},
		{"name sg-", map[string]string{"name": "sg-api"}, `name: invalid value "sg-api": must not start with "sg-"`},
		{"name empty", map[string]string{"name": ""}, `name: invalid value "": must not be empty`},
		{"container name with dot", map[string]string{"containerName": "api.rest"}, `containerName: invalid value "api.rest": 1 to 255 letters, digits, hyphens and underscores`},
		{"image with space", map[string]string{"image": "nginx latest"}, `image: invalid value "nginx latest": an image reference`},
		{"assignPublicIp not a boolean", map[string]string{"assignPublicIp": "yes"}, `assignPublicIp: invalid value "yes": not a boolean (true or false)`},
		{"no public IP in the default VPC", map[string]string{"assignPublicIp": "false"}, "assignPublicIp: invalid value false: the default VPC has no NAT gateway"},
		{"unknown key", map[string]string{"cpus": "1024"}, "cpus: unknown key"},
		{"tag with aws: prefix", map[string]string{"tags": `{"aws:owner":"me"}`}, `tags: invalid value "aws:owner": tag keys must not start with "aws:"`},
		{"certificate not an ARN", map[string]string{"certificateArn": "my-cert"}, `certificateArn: invalid value "my-cert": an ACM certificate ARN`},
		{"TLS 1.2 policy", map[string]string{"certificateArn": cert, "sslPolicy": "ELBSecurityPolicy-2016-08"}, `sslPolicy: invalid value "ELBSecurityPolicy-2016-08": a TLS 1.3 policy`},
		{"https on the http port", map[string]string{"certificateArn": cert, "httpsListenerPort": "80"}, "httpsListenerPort: invalid value 80: must differ from listenerPort"},
		{"secret in plain environment", map[string]string{"environment": `{"DB_PASSWORD":"hunter2"}`}, `environment.DB_PASSWORD: invalid value "(hidden)": the name looks like a secret: pass it through secrets`},
		{"AWS key in plain environment", map[string]string{"environment": `{"KEY_ID":"AKIAIOSFODNN7EXAMPLE"}`}, `environment.KEY_ID: invalid value "(hidden)": the value looks like an AWS access key`},
		{"secret not an ARN", map[string]string{"secrets": `{"DB_PASSWORD":"hunter2"}`}, `secrets.DB_PASSWORD: invalid value "hunter2": an SSM parameter ARN`},
		{"autoscaling max below min", map[string]string{"autoscalingMinCount": "2", "autoscalingMaxCount": "1"}, "autoscalingMaxCount: invalid value 1: must be at least autoscalingMinCount (2)"},
		{"desired count outside scaling range", map[string]string{"autoscalingMinCount": "3", "autoscalingMaxCount": "6"}, "desiredCount: invalid value 2: must be from autoscalingMinCount (3) to autoscalingMaxCount (6)"},
		{"cpu target too high", map[string]string{"autoscalingMinCount": "2", "autoscalingMaxCount": "4", "autoscalingCpuTarget": "95"}, "autoscalingCpuTarget: invalid value 95: must be from 10 to 90"},
		{"createVpc with public IP", map[string]string{"createVpc": "true"}, "assignPublicIp: invalid value true: tasks run in the new VPC's private subnets"},
		{"createVpc with vpcId", map[string]string{"createVpc": "true", "assignPublicIp": "false", "vpcId": vpc, "subnetIds": `["` + subA + `","` + subB + `"]`}, "createVpc: invalid value true: use either createVpc or vpcId/subnetIds, not both"},
		{"vpc cidr too small", map[string]string{"createVpc": "true", "assignPublicIp": "false", "vpcCidr": "10.0.0.0/26"}, `vpcCidr: invalid value "10.0.0.0/26": a /16 to /24 network`},
		{"one zone", map[string]string{"createVpc": "true", "assignPublicIp": "false", "availabilityZones": "1"}, "availabilityZones: invalid value 1: must be from 2 to 6"},
		{"nat strategy unknown", map[string]string{"createVpc": "true", "assignPublicIp": "false", "natGateways": "none"}, `natGateways: invalid value "none": single or onePerAz`},
		{"root user", map[string]string{"user": "0:0"}, `user: invalid value "0:0": must be a non-root user`},
		{"read-only root with exec", map[string]string{"readonlyRootFilesystem": "true", "enableExecuteCommand": "true"}, "readonlyRootFilesystem: invalid value true: ECS Exec (enableExecuteCommand) needs a writable root filesystem"},
		{"spot share above 100", map[string]string{"fargateSpotPercent": "120"}, "fargateSpotPercent: invalid value 120: must be from 0 to 100"},
		{"no listener at all", map[string]string{"httpListener": "false"}, "httpListener: invalid value false: without certificateArn the load balancer would have no listener"},
		{"target protocol unknown", map[string]string{"targetProtocol": "TCP"}, `targetProtocol: invalid value "TCP": HTTP or HTTPS`},
		{"architecture unknown", map[string]string{"cpuArchitecture": "arm"}, `cpuArchitecture: invalid value "arm": X86_64 or ARM64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.raw)
			if err == nil {
				t.Fatalf("Parse(%v) accepted it, want error %q", tt.raw, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%v) error:\n%v\nwant it to contain:\n%s", tt.raw, err, tt.want)
			}
		})
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Parse(map[string]string{"cpu": "abc", "memoryReservation": "9999", "healthCheckPath": "x", "logRetentionDays": "2"})
	if err == nil {
		t.Fatal("accepted four bad values")
	}
	for _, key := range []string{"cpu:", "memoryReservation:", "healthCheckPath:", "logRetentionDays:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not report %s\n%v", key, err)
		}
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

// FuzzParse feeds arbitrary text to any key: Parse must never panic, and every
// line of an error must start with the key it is about (a known key, possibly
// indexed, or the unknown key itself).
func FuzzParse(f *testing.F) {
	f.Add("cpu", "1024", "memory", "3072")
	f.Add("allowedCidrs", `["0.0.0.0/0"]`, "desiredCount", "-5")
	f.Add("subnetIds", `["subnet-0123456789abcdef0"]`, "vpcId", "vpc-0123456789abcdef0")
	f.Add("environment", `{"A":"b"}`, "secrets", `{"":""}`)
	f.Add("healthCheckPath", "/", "deploymentMaximumPercent", "100")
	f.Add("name", "x\n", "tags", `{"aws:x":"1"}`)
	known := map[string]bool{}
	for _, k := range (&Config{}).Keys() {
		known[k.Name] = true
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		_, err := Parse(map[string]string{k1: v1, k2: v2})
		if err == nil {
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			key, _, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("error line names no key: %q", line)
			}
			base := key
			if i := strings.IndexAny(base, ".["); i > 0 {
				base = base[:i]
			}
			if !known[base] && key != k1 && key != k2 && key != strconv.Quote(k1) && key != strconv.Quote(k2) {
				t.Fatalf("error line names %q, not a key: %q", key, line)
			}
		}
	})
}
