package infra

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"regexp"
	"slices"
	"strings"
)

// The rules below are AWS's, gathered in ../shared/reference/aws-rules.md with the
// page that documents each. Mocks validate nothing, so every rule that AWS would
// apply at deploy time is checked here, before any resource is declared.

// fargateMemory lists, per task CPU size, the memory range and step in MiB.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
var fargateMemory = map[int]struct{ min, max, step int }{
	256:   {512, 2048, 512}, // 512, 1024, 2048: 1536 is not offered, checked below
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

// logRetentionDays are the values CloudWatch Logs' PutRetentionPolicy accepts.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	elbNameRe       = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	ecsNameRe       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	imageRe         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@#-]{0,254}$`)
	vpcIDRe         = regexp.MustCompile(`^vpc-[0-9A-Za-z]+$`)
	subnetIDRe      = regexp.MustCompile(`^subnet-[0-9A-Za-z]+$`)
	roleArnRe       = regexp.MustCompile(`^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	certificateRe   = regexp.MustCompile(`^arn:aws(?:-cn|-us-gov)?:(?:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+|iam::\d{12}:server-certificate/\S+)$`)
	ssmParamArnRe   = regexp.MustCompile(`^arn:aws(?:-cn|-us-gov)?:ssm:[a-z0-9-]+:\d{12}:parameter/\S+$`)
	smSecretArnRe   = regexp.MustCompile(`^arn:aws(?:-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$`)
	envNameRe       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	userRe          = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	awsAccessKeyRe  = regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)
	secretLookingRe = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|aws_access_key_id|aws_secret_access_key|aws_session_token)`)
)

// validator collects every problem, each naming its key, its value and what is valid.
type validator struct{ errs []error }

func (v *validator) add(key string, value any, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: invalid value %s: %s", key, show(value), fmt.Sprintf(format, args...)))
}

func show(value any) string {
	switch x := value.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []string:
		return fmt.Sprintf("%q", x)
	default:
		return fmt.Sprint(x)
	}
}

func (v *validator) intRange(key string, value, lo, hi int) {
	if value < lo || value > hi {
		v.add(key, value, "must be from %d to %d", lo, hi)
	}
}

func (v *validator) port(key string, value int) { v.intRange(key, value, 1, 65535) }

// Validate checks c against AWS's rules and the combinations this program
// supports. It returns every problem at once, joined, or nil.
func (c Config) Validate() error {
	v := &validator{}
	c.validateNames(v)
	c.validateTask(v)
	c.validateLoadBalancer(v)
	c.validateService(v)
	c.validateNetwork(v)
	c.validateIAMAndLogs(v)
	c.validateEnvironment(v)
	return errors.Join(v.errs...)
}

func (c Config) validateNames(v *validator) {
	// The load balancer and target group names derive from name and must fit ELB's
	// 32-character limit of letters, digits and hyphens.
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
	switch {
	case c.Name == "":
		v.add("name", c.Name, "must not be empty")
	case !elbNameRe.MatchString(c.Name):
		v.add("name", c.Name, "use letters, digits and hyphens, starting and ending with a letter or digit (load balancer names derive from it)")
	case len(c.names().LoadBalancer) > 32 || len(c.names().TargetGroup) > 32:
		v.add("name", c.Name, "at most %d characters: %q must fit the load balancer's 32-character limit", 32-len(loadBalancerSuffix), c.names().LoadBalancer)
	case strings.HasPrefix(strings.ToLower(c.Name), "internal-"):
		v.add("name", c.Name, `must not start with "internal-" (reserved for internal load balancers)`)
	case strings.HasPrefix(strings.ToLower(c.Name), "sg-"):
		v.add("name", c.Name, `must not start with "sg-" (security group names derive from it, and AWS reserves the prefix for ids)`)
	}
	if !ecsNameRe.MatchString(c.ContainerName) {
		v.add("containerName", c.ContainerName, "1 to 255 letters, digits, hyphens and underscores")
	}
	if !imageRe.MatchString(c.Image) {
		v.add("image", c.Image, "an image reference of up to 255 characters (letters, digits and . _ : / @ # -)")
	}
	for k, val := range c.Tags {
		switch {
		case k == "" || len(k) > 128:
			v.add("tags", k, "tag keys have 1 to 128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.add("tags", k, `tag keys must not start with "aws:" (reserved by AWS)`)
		case len(val) > 256:
			v.add("tags."+k, val, "tag values have at most 256 characters")
		}
	}
	if n := len(withoutReserved(c.Tags)) + len(reservedTagKeys); n > 50 {
		v.add("tags", len(c.Tags), "at most %d tags: AWS allows 50 per resource and this program adds %d", 50-len(reservedTagKeys), len(reservedTagKeys))
	}
}

func (c Config) validateTask(v *validator) {
	mem, ok := fargateMemory[c.CPU]
	if !ok {
		v.add("cpu", c.CPU, "Fargate accepts 256, 512, 1024, 2048, 4096, 8192 or 16384")
	} else if c.Memory < mem.min || c.Memory > mem.max || (c.Memory-mem.min)%mem.step != 0 || (c.CPU == 256 && c.Memory == 1536) {
		valid := fmt.Sprintf("%d to %d in steps of %d", mem.min, mem.max, mem.step)
		if c.CPU == 256 {
			valid = "512, 1024 or 2048"
		}
		v.add("memory", c.Memory, "with cpu %d Fargate accepts %s MiB", c.CPU, valid)
	}
	// ECS requires a soft limit of at least 6 MiB, and no more than the task has.
	if c.MemoryReservation < 6 || c.MemoryReservation > c.Memory {
		v.add("memoryReservation", c.MemoryReservation, "must be from 6 to memory (%d) MiB", c.Memory)
	}
	if c.CPUArchitecture != "X86_64" && c.CPUArchitecture != "ARM64" {
		v.add("cpuArchitecture", c.CPUArchitecture, "X86_64 or ARM64")
	}
	v.port("containerPort", c.ContainerPort)
	if c.ReadonlyRootFilesystem && c.EnableExecuteCommand {
		// ECS Exec's agent writes to the root filesystem.
		v.add("readonlyRootFilesystem", c.ReadonlyRootFilesystem, "ECS Exec (enableExecuteCommand) needs a writable root filesystem; turn one of them off")
	}
	if c.User != "" {
		switch {
		case !userRe.MatchString(c.User):
			v.add("user", c.User, "a user name or uid, optionally with :group or :gid")
		case c.User == "root" || c.User == "0" || strings.HasPrefix(c.User, "0:") || strings.HasPrefix(c.User, "root:"):
			v.add("user", c.User, "must be a non-root user (or empty to keep the image's)")
		}
	}
	if c.ContainerHealthCheckCommand != "" && strings.TrimSpace(c.ContainerHealthCheckCommand) == "" {
		v.add("containerHealthCheckCommand", c.ContainerHealthCheckCommand, "a shell command, or empty to turn the check off")
	}
}

func (c Config) validateLoadBalancer(v *validator) {
	v.port("listenerPort", c.ListenerPort)
	if len(c.AllowedCidrs) == 0 {
		v.add("allowedCidrs", c.AllowedCidrs, "list at least one IPv4 CIDR, or nobody can reach the load balancer")
	}
	for i, cidr := range c.AllowedCidrs {
		key := fmt.Sprintf("allowedCidrs[%d]", i)
		ip, ipnet, err := net.ParseCIDR(cidr)
		switch {
		case err != nil:
			v.add(key, cidr, "an IPv4 CIDR such as 203.0.113.0/24")
		case ip.To4() == nil:
			v.add(key, cidr, "the load balancer is IPv4-only: use an IPv4 CIDR")
		case !ip.Equal(ipnet.IP):
			v.add(key, cidr, "host bits are set: did you mean %s?", ipnet)
		}
	}
	if !strings.HasPrefix(c.HealthCheckPath, "/") || len(c.HealthCheckPath) > 1024 {
		v.add("healthCheckPath", c.HealthCheckPath, `a path of 1 to 1024 characters starting with "/"`)
	}
	v.intRange("healthCheckIntervalSeconds", c.HealthCheckIntervalSeconds, 5, 300)
	v.intRange("healthCheckTimeoutSeconds", c.HealthCheckTimeoutSeconds, 2, 120)
	if c.HealthCheckTimeoutSeconds >= c.HealthCheckIntervalSeconds {
		v.add("healthCheckTimeoutSeconds", c.HealthCheckTimeoutSeconds, "must be less than healthCheckIntervalSeconds (%d)", c.HealthCheckIntervalSeconds)
	}
	v.intRange("healthyThreshold", c.HealthyThreshold, 2, 10)
	v.intRange("unhealthyThreshold", c.UnhealthyThreshold, 2, 10)
	v.intRange("deregistrationDelaySeconds", c.DeregistrationDelaySeconds, 0, 3600)
	if c.TargetProtocol != "HTTP" && c.TargetProtocol != "HTTPS" {
		v.add("targetProtocol", c.TargetProtocol, "HTTP or HTTPS")
	}
	if !c.HTTPListener && c.CertificateArn == "" {
		v.add("httpListener", c.HTTPListener, "without certificateArn the load balancer would have no listener; keep it true or set certificateArn")
	}
	if c.CertificateArn != "" {
		if !certificateRe.MatchString(c.CertificateArn) {
			v.add("certificateArn", c.CertificateArn, "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
		}
		v.port("httpsListenerPort", c.HTTPSListenerPort)
		if c.HTTPSListenerPort == c.ListenerPort {
			v.add("httpsListenerPort", c.HTTPSListenerPort, "must differ from listenerPort")
		}
		if !strings.HasPrefix(c.SslPolicy, "ELBSecurityPolicy-TLS13-") {
			v.add("sslPolicy", c.SslPolicy, `a TLS 1.3 policy, such as "ELBSecurityPolicy-TLS13-1-2-2021-06" or "ELBSecurityPolicy-TLS13-1-3-2021-06"`)
		}
	}
}

func (c Config) validateService(v *validator) {
	if c.DesiredCount < 0 {
		v.add("desiredCount", c.DesiredCount, "must be 0 or more")
	}
	v.intRange("healthCheckGracePeriodSeconds", c.HealthCheckGracePeriodSeconds, 0, math.MaxInt32)
	v.intRange("deploymentMinimumHealthyPercent", c.DeploymentMinimumHealthyPercent, 0, 100)
	v.intRange("deploymentMaximumPercent", c.DeploymentMaximumPercent, 100, 200)
	// A rolling update needs room to start a new task (maximum) or to stop an old
	// one (minimum); with neither, the deployment never progresses.
	if d := c.DesiredCount; d > 0 {
		upper := d * c.DeploymentMaximumPercent / 100
		lower := (d*c.DeploymentMinimumHealthyPercent + 99) / 100
		if upper-lower < 1 {
			v.add("deploymentMaximumPercent", c.DeploymentMaximumPercent,
				"with deploymentMinimumHealthyPercent %d and desiredCount %d the scheduler can neither start nor stop a task (%d allowed, %d kept); raise the maximum or lower the minimum",
				c.DeploymentMinimumHealthyPercent, d, upper, lower)
		}
	}
	if c.AutoscalingMaxCount != 0 || c.AutoscalingMinCount != 0 {
		if c.AutoscalingMinCount < 1 {
			v.add("autoscalingMinCount", c.AutoscalingMinCount, "must be 1 or more when autoscaling is on")
		}
		if c.AutoscalingMaxCount < c.AutoscalingMinCount || c.AutoscalingMaxCount < 1 {
			v.add("autoscalingMaxCount", c.AutoscalingMaxCount, "must be at least autoscalingMinCount (%d)", c.AutoscalingMinCount)
		}
		if c.DesiredCount < c.AutoscalingMinCount || c.DesiredCount > c.AutoscalingMaxCount {
			v.add("desiredCount", c.DesiredCount, "must be from autoscalingMinCount (%d) to autoscalingMaxCount (%d)", c.AutoscalingMinCount, c.AutoscalingMaxCount)
		}
		v.intRange("autoscalingCpuTarget", c.AutoscalingCPUTarget, 10, 90)
		v.intRange("autoscalingRequestsPerTarget", c.AutoscalingRequestsPerTarget, 1, 1000000)
	}
	v.intRange("fargateSpotPercent", c.FargateSpotPercent, 0, 100)
}

func (c Config) validateNetwork(v *validator) {
	if (c.VpcID == "") != (len(c.SubnetIDs) == 0) {
		if c.VpcID == "" {
			v.add("vpcId", c.VpcID, "set vpcId together with subnetIds, or neither to use the default VPC")
		} else {
			v.add("subnetIds", c.SubnetIDs, "set at least two subnets of vpcId %s, in different zones", c.VpcID)
		}
	}
	if c.VpcID != "" && !vpcIDRe.MatchString(c.VpcID) {
		v.add("vpcId", c.VpcID, "a VPC id such as vpc-0123456789abcdef0")
	}
	if len(c.SubnetIDs) > 0 {
		if len(c.SubnetIDs) < 2 || len(c.SubnetIDs) > 16 {
			v.add("subnetIds", c.SubnetIDs, "2 to 16 subnets: the load balancer needs two zones and a service takes at most 16 subnets")
		}
		seen := map[string]bool{}
		for i, id := range c.SubnetIDs {
			key := fmt.Sprintf("subnetIds[%d]", i)
			if !subnetIDRe.MatchString(id) {
				v.add(key, id, "a subnet id such as subnet-0123456789abcdef0")
			}
			if seen[id] {
				v.add(key, id, "listed twice")
			}
			seen[id] = true
		}
	}
	if c.CreateVpc {
		if c.VpcID != "" || len(c.SubnetIDs) > 0 {
			v.add("createVpc", c.CreateVpc, "use either createVpc or vpcId/subnetIds, not both")
		}
		if c.AssignPublicIP {
			v.add("assignPublicIp", c.AssignPublicIP, "tasks run in the new VPC's private subnets and reach the internet through NAT; set assignPublicIp to false")
		}
		ip, ipnet, err := net.ParseCIDR(c.VpcCidr)
		if err != nil || ip.To4() == nil || !ip.Equal(ipnet.IP) {
			v.add("vpcCidr", c.VpcCidr, "an IPv4 network CIDR such as 10.0.0.0/16")
		} else if ones, _ := ipnet.Mask.Size(); ones < 16 || ones > 24 {
			v.add("vpcCidr", c.VpcCidr, "a /16 to /24 network, with room for public and private subnets in every zone")
		}
		v.intRange("availabilityZones", c.AvailabilityZones, 2, 6)
		if c.NatGateways != "single" && c.NatGateways != "onePerAz" {
			v.add("natGateways", c.NatGateways, "single or onePerAz")
		}
	} else if c.VpcID == "" && !c.AssignPublicIP {
		v.add("assignPublicIp", c.AssignPublicIP, "the default VPC has no NAT gateway, so tasks without a public IP cannot pull their image; keep it true, or set createVpc or vpcId/subnetIds")
	}
}

func (c Config) validateIAMAndLogs(v *validator) {
	for _, r := range []struct{ key, arn string }{{"executionRoleArn", c.ExecutionRoleArn}, {"taskRoleArn", c.TaskRoleArn}} {
		if r.arn != "" && !roleArnRe.MatchString(r.arn) {
			v.add(r.key, r.arn, "an IAM role ARN such as arn:aws:iam::123456789012:role/LabRole")
		}
	}
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		v.add("logRetentionDays", c.LogRetentionDays, "one of CloudWatch Logs' values: %s", joinInts(logRetentionDays))
	}
}

func (c Config) validateEnvironment(v *validator) {
	for _, name := range slices.Sorted(maps.Keys(c.Environment)) {
		value := c.Environment[name]
		key := "environment." + name
		switch {
		case !envNameRe.MatchString(name):
			v.add("environment", name, "variable names are letters, digits and underscores, not starting with a digit")
		case secretLookingRe.MatchString(name):
			v.add(key, "(hidden)", "the name looks like a secret: pass it through secrets (an SSM parameter or Secrets Manager ARN) instead of plain environment")
		case awsAccessKeyRe.MatchString(value):
			v.add(key, "(hidden)", "the value looks like an AWS access key: use the task role instead of keys")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Secrets)) {
		arn := c.Secrets[name]
		key := "secrets." + name
		switch {
		case !envNameRe.MatchString(name):
			v.add("secrets", name, "variable names are letters, digits and underscores, not starting with a digit")
		case !ssmParamArnRe.MatchString(arn) && !smSecretArnRe.MatchString(arn):
			v.add(key, arn, "an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>) or a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)")
		}
		if _, dup := c.Environment[name]; dup {
			v.add(key, arn, "%s is also in environment; a variable comes from one of them", name)
		}
	}
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, x := range list {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
