package infra

import (
	"fmt"
	"maps"
	"math"
	"net/mail"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/distribution/reference"

	"alba-digi/internal/dnscheck"
	"alba-digi/internal/field"
	"alba-digi/internal/release"
)

// The rules below are AWS's, each with the page that documents it. Mocks
// validate nothing, so every rule that AWS would apply at deploy time is checked
// here, before any resource is declared.

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
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// maxImageLength is ECS's limit on a container definition's image.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
const maxImageLength = 255

var (
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
	elbNameRe = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	ecsNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// The shape of VPC and subnet ids; whether they exist, and belong together,
	// the program asks the account (checkSubnets).
	vpcIDRe    = regexp.MustCompile(`^vpc-[0-9A-Za-z]+$`)
	subnetIDRe = regexp.MustCompile(`^subnet-[0-9A-Za-z]+$`)
	// An IAM role name: 1 to 64 of letters, digits and + = , . @ _ -, after an optional path.
	// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
	roleResourceRe = regexp.MustCompile(`^role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	accountRe      = regexp.MustCompile(`^\d{12}$`)
	envNameRe      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	userRe         = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	// Tag keys and values: Unicode letters, digits, spaces and _ . : / = + - @.
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Tag.html
	tagCharsRe = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// A health-check path: "/" then the characters RFC 3986 allows in a path and
	// query (unreserved, sub-delims, ":", "@", "/", "?", percent-encoding); ELB
	// sends it in the request line, where a space or control character cannot go.
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
	healthPathRe    = regexp.MustCompile(`^/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$`)
	awsAccessKeyRe  = regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)
	secretLookingRe = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|aws_access_key_id|aws_secret_access_key|aws_session_token)`)
)

// validator collects every problem as a field error. secret names the keys
// whose values are secrets: their values are never shown.
type validator struct {
	errs   field.ErrorList
	secret map[string]bool
}

// shown is value, or field.Hidden when the key at p holds a secret.
func (v *validator) shown(p *field.Path, value any) any {
	if v.secret[p.Root()] {
		return field.Hidden
	}
	return value
}

func (v *validator) invalid(p *field.Path, value any, format string, args ...any) {
	v.errs = append(v.errs, field.NewInvalid(p, v.shown(p, value), fmt.Sprintf(format, args...)))
}

func (v *validator) notSupported(p *field.Path, value string, valid []string) {
	if !slices.Contains(valid, value) {
		v.errs = append(v.errs, field.NewNotSupported(p, v.shown(p, value), valid))
	}
}

func (v *validator) required(p *field.Path, format string, args ...any) {
	v.errs = append(v.errs, field.NewRequired(p, fmt.Sprintf(format, args...)))
}

func (v *validator) duplicate(p *field.Path, value any, detail string) {
	v.errs = append(v.errs, field.NewDuplicate(p, v.shown(p, value), detail))
}

func (v *validator) tooLong(p *field.Path, value string, max int) {
	v.errs = append(v.errs, field.NewTooLong(p, v.shown(p, value), max))
}

func (v *validator) intRange(key string, value, lo, hi int) {
	if value < lo || value > hi {
		v.invalid(field.NewPath(key), value, "must be from %d to %d", lo, hi)
	}
}

func (v *validator) port(key string, value int) { v.intRange(key, value, 1, 65535) }

// cidrs checks a list of IPv4 CIDRs a security group lets in. A security
// group refuses the same rule twice (InvalidPermission.Duplicate).
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
func (v *validator) cidrs(key string, list []string) {
	path := field.NewPath(key)
	seen := map[netip.Prefix]int{}
	for i, cidr := range list {
		p := path.Index(i)
		prefix, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			v.invalid(p, cidr, "an IPv4 CIDR such as 203.0.113.0/24")
		case !prefix.Addr().Is4():
			v.invalid(p, cidr, "the load balancer is IPv4-only: use an IPv4 CIDR")
		case prefix.Masked() != prefix:
			v.invalid(p, cidr, "host bits are set: did you mean %s?", prefix.Masked())
		default:
			if first, dup := seen[prefix]; dup {
				v.duplicate(p, cidr, fmt.Sprintf("also %s[%d]: AWS refuses the same rule twice", key, first))
			} else {
				seen[prefix] = i
			}
		}
	}
}

// Validate checks c against AWS's rules and the combinations this program
// supports. It returns every problem at once (a field.ErrorList as an error), or nil.
func (c Config) Validate() error { return c.validate(nil).ToAggregate() }

func (c Config) validate(secret map[string]bool) field.ErrorList {
	v := &validator{secret: secret}
	for _, k := range keys {
		if len(k.Enum) > 0 {
			v.notSupported(field.NewPath(k.Name), *k.field(&c).(*string), k.Enum)
		}
	}
	c.validateNames(v)
	c.validateTags(v)
	c.validateTask(v)
	c.validateLoadBalancer(v)
	c.validateService(v)
	c.validateRelease(v)
	c.validateNetwork(v)
	c.validateIAMAndLogs(v)
	c.validateEnvironment(v)
	c.validateWAF(v)
	return v.errs
}

func (c Config) validateNames(v *validator) {
	// The load balancer and target group names derive from name and must fit ELB's
	// 32-character limit of letters, digits and hyphens.
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
	name := field.NewPath("name")
	switch {
	case c.Name == "":
		v.required(name, "the base of every physical name")
	case !elbNameRe.MatchString(c.Name):
		v.invalid(name, c.Name, "use letters, digits and hyphens, starting and ending with a letter or digit (load balancer names derive from it)")
	case len(c.Names().LoadBalancer) > 32 || len(c.Names().TargetGroup) > 32:
		v.invalid(name, c.Name, "at most %d characters: %q must fit the load balancer's 32-character limit", 32-len(loadBalancerSuffix), c.Names().LoadBalancer)
	case strings.HasPrefix(strings.ToLower(c.Name), "internal-"):
		v.invalid(name, c.Name, `must not start with "internal-" (reserved for internal load balancers)`)
	case strings.HasPrefix(strings.ToLower(c.Name), "sg-"):
		// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
		v.invalid(name, c.Name, `must not start with "sg-" (security group names derive from it, and AWS reserves the prefix for ids)`)
	}
	if !ecsNameRe.MatchString(c.ContainerName) {
		v.invalid(field.NewPath("containerName"), c.ContainerName, "1 to 255 letters, digits, hyphens and underscores")
	}
	c.validateImage(v)
}

// validateImage parses the image reference with the parser Docker and
// containerd use: a lower-case repository, an optional tag of at most 128
// characters and an optional digest.
// https://github.com/distribution/reference/blob/main/reference.go
func (c Config) validateImage(v *validator) {
	p := field.NewPath("image")
	if utf8.RuneCountInString(c.Image) > maxImageLength {
		v.tooLong(p, c.Image, maxImageLength)
		return
	}
	if c.Image == "" {
		v.required(p, "a container image reference such as public.ecr.aws/n0h7v2z5/alba-digi-api-rest:latest")
		return
	}
	if _, err := reference.ParseNormalizedNamed(c.Image); err != nil {
		v.invalid(p, c.Image, "%v: want [registry/]repository[:tag][@digest], the repository lower-case and a tag of at most 128 letters, digits, _ . and -", err)
	}
}

// validateTags checks the tags that every resource gets against the rules of
// ECS and Elastic Load Balancing, the strictest of the services tagged.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html
func (c Config) validateTags(v *validator) {
	tags := field.NewPath("tags")
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		val := c.Tags[k]
		p := tags.Key(k)
		switch {
		case k == "":
			v.invalid(p, k, "tag keys have 1 to 128 characters")
		case utf8.RuneCountInString(k) > 128:
			v.tooLong(p, k, 128)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.invalid(p, k, `tag keys must not start with "aws:" (reserved by AWS)`)
		case !tagCharsRe.MatchString(k):
			v.invalid(p, k, "tag keys may hold letters, digits, spaces and _ . : / = + - @ only")
		case utf8.RuneCountInString(val) > 256:
			v.tooLong(p, val, 256)
		case !tagCharsRe.MatchString(val):
			v.invalid(p, val, "tag values may hold letters, digits, spaces and _ . : / = + - @ only")
		}
	}
	if n := len(withoutReserved(c.Tags)) + len(reservedTagKeys); n > 50 {
		v.invalid(tags, len(c.Tags), "at most %d tags: AWS allows 50 per resource and this program adds %d", 50-len(reservedTagKeys), len(reservedTagKeys))
	}
}

func (c Config) validateTask(v *validator) {
	mem, ok := fargateMemory[c.CPU]
	if !ok {
		v.notSupported(field.NewPath("cpu"), fmt.Sprint(c.CPU), []string{"256", "512", "1024", "2048", "4096", "8192", "16384"})
	} else if c.Memory < mem.min || c.Memory > mem.max || (c.Memory-mem.min)%mem.step != 0 || (c.CPU == 256 && c.Memory == 1536) {
		valid := fmt.Sprintf("%d to %d in steps of %d", mem.min, mem.max, mem.step)
		if c.CPU == 256 {
			valid = "512, 1024 or 2048"
		}
		v.invalid(field.NewPath("memory"), c.Memory, "with cpu %d Fargate accepts %s MiB", c.CPU, valid)
	}
	// ECS requires a soft limit of at least 6 MiB, and no more than the task has.
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
	if c.MemoryReservation < 6 || c.MemoryReservation > c.Memory {
		v.invalid(field.NewPath("memoryReservation"), c.MemoryReservation, "must be from 6 to memory (%d) MiB", c.Memory)
	}
	v.port("containerPort", c.ContainerPort)
	if c.ReadonlyRootFilesystem && c.EnableExecuteCommand {
		// ECS Exec's agent writes to the root filesystem.
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html
		v.invalid(field.NewPath("readonlyRootFilesystem"), c.ReadonlyRootFilesystem, "ECS Exec (enableExecuteCommand) needs a writable root filesystem; turn one of them off")
	}
	if c.User != "" {
		user := field.NewPath("user")
		switch {
		case !userRe.MatchString(c.User):
			v.invalid(user, c.User, "a user name or uid, optionally with :group or :gid")
		case c.User == "root" || c.User == "0" || strings.HasPrefix(c.User, "0:") || strings.HasPrefix(c.User, "root:"):
			v.invalid(user, c.User, "must be a non-root user (or empty to keep the image's)")
		}
	}
	if c.ContainerHealthCheckCommand != "" && strings.TrimSpace(c.ContainerHealthCheckCommand) == "" {
		v.invalid(field.NewPath("containerHealthCheckCommand"), c.ContainerHealthCheckCommand, "a shell command, or empty to turn the check off")
	}
}

func (c Config) validateLoadBalancer(v *validator) {
	v.port("listenerPort", c.ListenerPort)
	if len(c.AllowedCidrs) == 0 {
		v.required(field.NewPath("allowedCidrs"), "list at least one IPv4 CIDR, or nobody can reach the load balancer")
	}
	v.cidrs("allowedCidrs", c.AllowedCidrs)
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
	health := field.NewPath("healthCheckPath")
	switch {
	case len(c.HealthCheckPath) > 1024:
		v.tooLong(health, c.HealthCheckPath, 1024)
	case !healthPathRe.MatchString(c.HealthCheckPath):
		v.invalid(health, c.HealthCheckPath, `a path starting with "/" of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ / ? or %%XX escapes (no spaces)`)
	}
	v.intRange("healthCheckIntervalSeconds", c.HealthCheckIntervalSeconds, 5, 300)
	v.intRange("healthCheckTimeoutSeconds", c.HealthCheckTimeoutSeconds, 2, 120)
	if c.HealthCheckTimeoutSeconds >= c.HealthCheckIntervalSeconds {
		v.invalid(field.NewPath("healthCheckTimeoutSeconds"), c.HealthCheckTimeoutSeconds, "must be less than healthCheckIntervalSeconds (%d)", c.HealthCheckIntervalSeconds)
	}
	v.intRange("healthyThreshold", c.HealthyThreshold, 2, 10)
	v.intRange("unhealthyThreshold", c.UnhealthyThreshold, 2, 10)
	v.intRange("deregistrationDelaySeconds", c.DeregistrationDelaySeconds, 0, 3600)
	if !c.HTTPListener && !c.HTTPS() {
		v.invalid(field.NewPath("httpListener"), c.HTTPListener, "without domainName or certificateArn the load balancer would have no listener; keep it true, or set one of them")
	}
	c.validateDomain(v)
	if c.CertificateArn != "" {
		c.validateCertificate(v)
	}
	if c.HTTPS() {
		v.port("httpsListenerPort", c.HTTPSListenerPort)
		if c.HTTPSListenerPort == c.ListenerPort {
			v.invalid(field.NewPath("httpsListenerPort"), c.HTTPSListenerPort, "must differ from listenerPort")
		}
		// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
		if !strings.HasPrefix(c.SslPolicy, "ELBSecurityPolicy-TLS13-") {
			v.invalid(field.NewPath("sslPolicy"), c.SslPolicy, `a TLS 1.3 policy, such as "ELBSecurityPolicy-TLS13-1-2-2021-06" or "ELBSecurityPolicy-TLS13-1-3-2021-06"`)
		}
	}
}

// dnsLabelRe is one label of a host name: letters, digits and hyphens, not at
// either end, at most 63 characters; Route 53 and ACM take lower case.
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html
var dnsLabelRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// zoneIDRe is the shape of a Route 53 hosted zone id.
var zoneIDRe = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)

// validateDomain checks domainName and hostedZoneId; whether the zone exists,
// is public and holds the domain, the program asks the account (lookupZone).
func (c Config) validateDomain(v *validator) {
	domain, zoneID := field.NewPath("domainName"), field.NewPath("hostedZoneId")
	if c.DomainName == "" {
		if c.HostedZoneID != "" {
			v.invalid(zoneID, c.HostedZoneID, "a hosted zone without domainName does nothing: set domainName too, or leave hostedZoneId empty")
		}
		if c.AdoptValidationRecord {
			v.invalid(field.NewPath("adoptValidationRecord"), c.AdoptValidationRecord, "without domainName the stack makes no certificate and no validation record: set domainName too, or leave it false")
		}
		if c.AcceptDelegationMismatch {
			v.invalid(field.NewPath("acceptDelegationMismatch"), c.AcceptDelegationMismatch, "without domainName there is no delegation to check: set domainName too, or leave it false")
		}
		return
	}
	// "ACM makes repeated attempts to validate a certificate for 72 hours
	// and then times out."
	// https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html
	v.intRange("certificateValidationMinutes", c.CertificateValidationMinutes, 1, maxValidationMinutes)
	labels := strings.Split(c.DomainName, ".")
	valid := len(c.DomainName) <= 253 && len(labels) >= 2
	for _, l := range labels {
		valid = valid && dnsLabelRe.MatchString(l)
	}
	if !valid {
		v.invalid(domain, c.DomainName, "a lower-case DNS name of at least two labels such as api.example.com (letters, digits and hyphens, no wildcard)")
	} else if _, err := dnscheck.Registrable(c.DomainName); err != nil {
		// A public suffix (co.uk, github.io) is no one's zone: nobody can
		// validate a certificate for it, nor hold its hosted zone.
		// https://publicsuffix.org/
		v.invalid(domain, c.DomainName, "a public suffix, which no one registers: use a name under a domain of your own, such as api.example.co.uk")
	}
	if c.HostedZoneID != "" && !zoneIDRe.MatchString(c.HostedZoneID) {
		v.invalid(zoneID, c.HostedZoneID, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
	}
	if c.InternalLoadBalancer {
		v.invalid(domain, c.DomainName, "the domain's record would be public, in a public hosted zone, while the load balancer is internal (internalLoadBalancer): reach it through a private zone of your own, or make the load balancer internet-facing")
	}
}

// maxValidationMinutes is 72 hours, after which ACM gives up on a request.
const maxValidationMinutes = 72 * 60

// validateCertificate accepts an ACM certificate of the stack's region (a load
// balancer uses certificates of its own region only) or an IAM server
// certificate.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html
func (c Config) validateCertificate(v *validator) {
	p := field.NewPath("certificateArn")
	a, err := arn.Parse(c.CertificateArn)
	switch {
	case err != nil || !accountRe.MatchString(a.AccountID):
		v.invalid(p, c.CertificateArn, "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "server-certificate/"):
	case a.Service != "acm" || !strings.HasPrefix(a.Resource, "certificate/") || a.Region == "":
		v.invalid(p, c.CertificateArn, "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
	case c.Region != "" && a.Region != c.Region:
		v.invalid(p, c.CertificateArn, "the certificate is in %s but the stack deploys to %s (aws:region): the load balancer can use only a certificate of its own region", a.Region, c.Region)
	}
}

func (c Config) validateService(v *validator) {
	if c.DesiredCount < 0 {
		v.invalid(field.NewPath("desiredCount"), c.DesiredCount, "must be 0 or more")
	}
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
	v.intRange("healthCheckGracePeriodSeconds", c.HealthCheckGracePeriodSeconds, 0, math.MaxInt32)
	v.intRange("deploymentMinimumHealthyPercent", c.DeploymentMinimumHealthyPercent, 0, 100)
	v.intRange("deploymentMaximumPercent", c.DeploymentMaximumPercent, 100, 200)
	// A rolling update needs room to start a new task (maximum) or to stop an old
	// one (minimum); with neither, the deployment never progresses.
	if c.DesiredCount > 0 && c.RollingBatch() < 1 && !c.CodeDeploy() {
		upper, lower := c.rollingBounds()
		v.invalid(field.NewPath("deploymentMaximumPercent"), c.DeploymentMaximumPercent,
			"with deploymentMinimumHealthyPercent %d and desiredCount %d the scheduler can neither start nor stop a task (%d allowed, %d kept); raise the maximum or lower the minimum",
			c.DeploymentMinimumHealthyPercent, c.DesiredCount, upper, lower)
	}
	if c.AutoscalingMaxCount != 0 || c.AutoscalingMinCount != 0 {
		if c.AutoscalingMinCount < 1 {
			v.invalid(field.NewPath("autoscalingMinCount"), c.AutoscalingMinCount, "must be 1 or more when autoscaling is on")
		}
		if c.AutoscalingMaxCount < c.AutoscalingMinCount || c.AutoscalingMaxCount < 1 {
			v.invalid(field.NewPath("autoscalingMaxCount"), c.AutoscalingMaxCount, "must be at least autoscalingMinCount (%d)", c.AutoscalingMinCount)
		}
		if c.DesiredCount < c.AutoscalingMinCount || c.DesiredCount > c.AutoscalingMaxCount {
			v.invalid(field.NewPath("desiredCount"), c.DesiredCount, "must be from autoscalingMinCount (%d) to autoscalingMaxCount (%d)", c.AutoscalingMinCount, c.AutoscalingMaxCount)
		}
		v.intRange("autoscalingCpuTarget", c.AutoscalingCPUTarget, 10, 90)
		v.intRange("autoscalingRequestsPerTarget", c.AutoscalingRequestsPerTarget, 1, 1000000)
	}
	v.intRange("fargateSpotPercent", c.FargateSpotPercent, 0, 100)
	if c.FargateSpotPercent > 0 && c.CPUArchitecture == "ARM64" {
		// "Linux tasks with the ARM64 architecture don't support the Fargate
		// Spot capacity provider."
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
		v.invalid(field.NewPath("fargateSpotPercent"), c.FargateSpotPercent, "Fargate Spot runs X86_64 tasks only and cpuArchitecture is ARM64: set fargateSpotPercent to 0, or cpuArchitecture to X86_64")
	}
	v.intRange("rolloutTimeoutMinutes", c.RolloutTimeoutMinutes, 0, 720)
	v.intRange("diagnosisLogLines", c.DiagnosisLogLines, 0, release.MaxLogLines)
	if c.Alarms {
		v.intRange("alarm5xxPerMinute", c.Alarm5xxPerMinute, 1, 1000000)
		v.intRange("alarmCpuPercent", c.AlarmCPUPercent, 1, 100)
		v.intRange("alarmMemoryPercent", c.AlarmMemoryPercent, 1, 100)
		if c.AlarmOkActions && c.AlarmEmail == "" {
			v.invalid(field.NewPath("alarmOkActions"), c.AlarmOkActions, "without alarmEmail no one is notified, of trips or of returns to OK: set alarmEmail too, or leave it false")
		}
		if c.AlarmEmail != "" {
			// An SNS email endpoint is a bare address.
			// https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html
			if a, err := mail.ParseAddress(c.AlarmEmail); err != nil || a.Address != c.AlarmEmail || a.Name != "" {
				v.invalid(field.NewPath("alarmEmail"), c.AlarmEmail, "an email address such as ops@example.com")
			}
		}
	} else {
		if c.AlarmEmail != "" {
			v.invalid(field.NewPath("alarmEmail"), c.AlarmEmail, "alarms are off (alarms: false): turn them on, or leave alarmEmail empty")
		}
		if c.RollbackOnAlarm {
			v.invalid(field.NewPath("rollbackOnAlarm"), c.RollbackOnAlarm, "alarms are off (alarms: false): the deployment alarm is one of them; turn them on, or rollbackOnAlarm off")
		}
	}
}

func (c Config) validateNetwork(v *validator) {
	vpcID, subnets := field.NewPath("vpcId"), field.NewPath("subnetIds")
	if (c.VpcID == "") != (len(c.SubnetIDs) == 0) {
		if c.VpcID == "" {
			v.required(vpcID, "set vpcId together with subnetIds, or neither to use the default VPC")
		} else {
			v.required(subnets, "set at least two subnets of vpcId %s, in different zones", c.VpcID)
		}
	}
	if c.VpcID != "" && !vpcIDRe.MatchString(c.VpcID) {
		v.invalid(vpcID, c.VpcID, "a VPC id such as vpc-0123456789abcdef0")
	}
	if len(c.SubnetIDs) > 0 {
		// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html
		if len(c.SubnetIDs) < 2 || len(c.SubnetIDs) > 16 {
			v.invalid(subnets, c.SubnetIDs, "2 to 16 subnets: the load balancer needs two zones and a service takes at most 16 subnets")
		}
		seen := map[string]int{}
		for i, id := range c.SubnetIDs {
			p := subnets.Index(i)
			if !subnetIDRe.MatchString(id) {
				v.invalid(p, id, "a subnet id such as subnet-0123456789abcdef0")
			}
			if first, dup := seen[id]; dup {
				v.duplicate(p, id, fmt.Sprintf("also subnetIds[%d]", first))
			} else {
				seen[id] = i
			}
		}
	}
	if c.CreateVpc {
		if c.VpcID != "" || len(c.SubnetIDs) > 0 {
			v.invalid(field.NewPath("createVpc"), c.CreateVpc, "use either createVpc or vpcId/subnetIds, not both")
		}
		if c.AssignPublicIP {
			v.invalid(field.NewPath("assignPublicIp"), c.AssignPublicIP, "tasks run in the new VPC's private subnets and reach the internet through NAT; set assignPublicIp to false")
		}
		cidr := field.NewPath("vpcCidr")
		prefix, err := netip.ParsePrefix(c.VpcCidr)
		// https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
		if err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix {
			v.invalid(cidr, c.VpcCidr, "an IPv4 network CIDR such as 10.0.0.0/16")
		} else if bits := prefix.Bits(); bits < 16 || bits > 24 {
			v.invalid(cidr, c.VpcCidr, "a /16 to /24 network, with room for public and private subnets in every zone")
		}
		v.intRange("availabilityZones", c.AvailabilityZones, 2, 6)
	} else if c.NetworkKind() == DefaultVPC && !c.AssignPublicIP {
		v.invalid(field.NewPath("assignPublicIp"), c.AssignPublicIP, "the default VPC has no NAT gateway, so tasks without a public IP cannot pull their image; keep it true, or set createVpc or vpcId/subnetIds")
	}
}

// validateRelease checks the keys of a CodeDeploy release.
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
func (c Config) validateRelease(v *validator) {
	// A key of a strategy the stack does not use would do nothing: testCidrs
	// under rolling opens no port, canaryPercent under linear shifts nothing.
	c.inert(v, func(k Key) bool {
		strategies, ok := releaseKeyStrategies[k.AppliesWhen]
		return ok && !slices.Contains(strategies, c.DeploymentStrategy)
	}, func(k Key) string {
		strategies := releaseKeyStrategies[k.AppliesWhen]
		return fmt.Sprintf("it applies %s only, and deploymentStrategy is %s, so it would do nothing: leave %s unset, or set deploymentStrategy to %s",
			k.AppliesWhen, c.DeploymentStrategy, k.Name, orList(strategies))
	})
	if !c.CodeDeploy() {
		return
	}
	// ECS does not use these for Fargate tasks of a CODE_DEPLOY service: the
	// release starts the new revision as a whole second task set.
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
	c.inert(v, func(k Key) bool {
		return k.Name == "deploymentMinimumHealthyPercent" || k.Name == "deploymentMaximumPercent"
	}, func(k Key) string {
		return fmt.Sprintf("it sizes ECS's rolling update, and deploymentStrategy %s releases through CodeDeploy, which starts the new revision as a whole second task set (ECS does not use it for Fargate tasks then): leave %s unset, or set deploymentStrategy to rolling", c.DeploymentStrategy, k.Name)
	})
	switch c.DeploymentStrategy {
	case StrategyCanary:
		v.intRange("canaryPercent", c.CanaryPercent, 1, 99)
		v.intRange("canaryMinutes", c.CanaryMinutes, 1, maxCodeDeployMinutes)
	case StrategyLinear:
		v.intRange("linearPercent", c.LinearPercent, 1, 99)
		v.intRange("linearMinutes", c.LinearMinutes, 1, maxCodeDeployMinutes)
		if shift := c.TrafficShift(); c.LinearPercent >= 1 && c.LinearMinutes >= 1 && shift.ShiftMinutes > maxCodeDeployMinutes {
			v.invalid(field.NewPath("linearMinutes"), c.LinearMinutes, "with linearPercent %d the traffic shift would take %d minutes, more than the %d (two days) the program allows a release: make linearMinutes at most %d, or linearPercent larger",
				c.LinearPercent, shift.ShiftMinutes, maxCodeDeployMinutes, maxCodeDeployMinutes/max(1, shift.ShiftMinutes/c.LinearMinutes))
		}
	}
	// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BlueInstanceTerminationOption.html
	v.intRange("blueGreenTerminationMinutes", c.BlueGreenTerminationMinutes, 0, maxCodeDeployMinutes)
	v.port("testListenerPort", c.TestListenerPort)
	if slices.Contains(c.ListenerPorts(), c.TestListenerPort) {
		v.invalid(field.NewPath("testListenerPort"), c.TestListenerPort, "must differ from the production listeners' ports (%s)", joinInts(c.ListenerPorts()))
	}
	v.cidrs("testCidrs", c.TestCidrs)
	if c.CodeDeployRoleArn != "" && !roleARN(c.CodeDeployRoleArn) {
		v.invalid(field.NewPath("codeDeployRoleArn"), c.CodeDeployRoleArn, "an IAM role ARN such as arn:aws:iam::123456789012:role/LabRole")
	}
}

// releaseKeyStrategies are, by a key's AppliesWhen, the strategies a release
// key applies to.
var releaseKeyStrategies = map[string][]string{
	whenBlueGreen: {StrategyBlueGreen, StrategyCanary, StrategyLinear},
	whenCanary:    {StrategyCanary},
	whenLinear:    {StrategyLinear},
}

// inert refuses each key pick selects whose value is not its default: the
// key would do nothing (why says when it would, and what to do).
func (c Config) inert(v *validator, pick func(Key) bool, why func(Key) string) {
	d := Defaults()
	for _, k := range keys {
		if !pick(k) {
			continue
		}
		// Printed, so that an empty list and no list are the same.
		value := reflect.ValueOf(k.field(&c)).Elem().Interface()
		if fmt.Sprint(value) != fmt.Sprint(reflect.ValueOf(k.field(&d)).Elem().Interface()) {
			v.invalid(field.NewPath(k.Name), value, "%s", why(k))
		}
	}
}

// maxCodeDeployMinutes is the longest termination wait CodeDeploy takes: two
// days (BlueInstanceTerminationOption.terminationWaitTimeInMinutes). The
// program holds the canary interval and the whole linear shift to it too: its
// own limit, not AWS's.
const maxCodeDeployMinutes = 2880

// roleARN reports whether s is an IAM role's ARN.
func roleARN(s string) bool {
	a, err := arn.Parse(s)
	return err == nil && a.Service == "iam" && a.Region == "" && accountRe.MatchString(a.AccountID) && roleResourceRe.MatchString(a.Resource)
}

func (c Config) validateIAMAndLogs(v *validator) {
	for _, r := range []struct{ key, arn string }{{"executionRoleArn", c.ExecutionRoleArn}, {"taskRoleArn", c.TaskRoleArn}} {
		if r.arn == "" {
			continue
		}
		if !roleARN(r.arn) {
			v.invalid(field.NewPath(r.key), r.arn, "an IAM role ARN such as arn:aws:iam::123456789012:role/LabRole")
		}
	}
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		v.invalid(field.NewPath("logRetentionDays"), c.LogRetentionDays, "one of CloudWatch Logs' values: %s", joinInts(logRetentionDays))
	}
}

// secretSource reports whether valueFrom is an SSM parameter or a Secrets
// Manager secret ARN, the two sources ECS reads secrets from.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html
func secretSource(valueFrom string) (arn.ARN, bool) {
	a, err := arn.Parse(valueFrom)
	if err != nil || a.Region == "" || !accountRe.MatchString(a.AccountID) {
		return a, false
	}
	switch {
	case a.Service == "ssm" && strings.HasPrefix(a.Resource, "parameter/") && len(a.Resource) > len("parameter/"):
		return a, true
	case a.Service == "secretsmanager" && strings.HasPrefix(a.Resource, "secret:") && len(a.Resource) > len("secret:"):
		return a, true
	}
	return a, false
}

func (c Config) validateEnvironment(v *validator) {
	env := field.NewPath("environment")
	for _, name := range slices.Sorted(maps.Keys(c.Environment)) {
		value := c.Environment[name]
		p := env.Key(name)
		switch {
		case !envNameRe.MatchString(name):
			v.invalid(p, name, "variable names are letters, digits and underscores, not starting with a digit")
		case secretLookingRe.MatchString(name):
			v.invalid(p, field.Hidden, "the name looks like a secret: pass it through secrets (an SSM parameter or Secrets Manager ARN) instead of plain environment")
		case awsAccessKeyRe.MatchString(value):
			v.invalid(p, field.Hidden, "the value looks like an AWS access key: use the task role instead of keys")
		}
	}
	secrets := field.NewPath("secrets")
	for _, name := range slices.Sorted(maps.Keys(c.Secrets)) {
		valueFrom := c.Secrets[name]
		p := secrets.Key(name)
		switch {
		case !envNameRe.MatchString(name):
			v.invalid(p, name, "variable names are letters, digits and underscores, not starting with a digit")
		default:
			if _, ok := secretSource(valueFrom); !ok {
				v.invalid(p, valueFrom, "an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>) or a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)")
			}
		}
		if _, dup := c.Environment[name]; dup {
			v.duplicate(p, name, "also in environment; a variable comes from one of them")
		}
	}
}

// orList is "a", "a or b", "a, b or c".
func orList(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, x := range list {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// wafHeaderRe is a forwarded-IP header name as AWS WAF accepts it.
// https://docs.aws.amazon.com/waf/latest/APIReference/API_ForwardedIPConfig.html
var wafHeaderRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,255}$`)

// validateWAF checks the web application firewall's keys: with waf off, none
// may differ from its default (it would do nothing); with it on, the managed
// groups and rules must be AWS's, the rate limit in AWS's range, and the whole
// web ACL within the capacity its base price includes.
func (c Config) validateWAF(v *validator) {
	if !c.WAF {
		c.inert(v, func(k Key) bool { return strings.HasPrefix(k.Name, "waf") && k.Name != "waf" }, func(k Key) string {
			return fmt.Sprintf("the web application firewall is off (waf: false): turn it on, or leave %s unset", k.Name)
		})
		return
	}
	before := len(v.errs)
	groups := field.NewPath("wafManagedRuleGroups")
	seen := map[string]int{}
	for i, name := range c.WAFManagedRuleGroups {
		p := groups.Index(i)
		if _, ok := findManagedRuleGroup(name); !ok {
			v.notSupported(p, name, managedRuleGroupNames())
		} else if first, dup := seen[name]; dup {
			v.duplicate(p, name, fmt.Sprintf("also wafManagedRuleGroups[%d]", first))
		} else {
			seen[name] = i
		}
	}
	counting := field.NewPath("wafCountRuleGroups")
	seenCount := map[string]int{}
	for i, name := range c.WAFCountRuleGroups {
		p := counting.Index(i)
		if first, dup := seenCount[name]; dup {
			v.duplicate(p, name, fmt.Sprintf("also wafCountRuleGroups[%d]", first))
			continue
		}
		seenCount[name] = i
		if !slices.Contains(c.WAFManagedRuleGroups, name) {
			v.invalid(p, name, "not one of wafManagedRuleGroups (%s): a group counts only if the web ACL runs it", strings.Join(c.WAFManagedRuleGroups, ", "))
		}
	}
	c.validateExcludedRules(v)
	if c.WAFRateLimit != 0 && (c.WAFRateLimit < wafRateLimitMin || c.WAFRateLimit > wafRateLimitMax) {
		v.invalid(field.NewPath("wafRateLimit"), c.WAFRateLimit, "requests per 5 minutes from %d to %d, or 0 for no rate limit", wafRateLimitMin, wafRateLimitMax)
	}
	if c.WAFForwardedIPHeader != "" {
		if !wafHeaderRe.MatchString(c.WAFForwardedIPHeader) {
			v.invalid(field.NewPath("wafForwardedIpHeader"), c.WAFForwardedIPHeader, "a header name of 1 to 255 letters, digits and hyphens, such as X-Forwarded-For")
		} else if c.WAFRateLimit == 0 {
			v.invalid(field.NewPath("wafForwardedIpHeader"), c.WAFForwardedIPHeader, "only the rate limit reads it, and it is off (wafRateLimit: 0): set a rate limit, or leave the header empty")
		}
	}
	if c.Alarms {
		v.intRange("alarmWafBlockedPerMinute", c.AlarmWAFBlockedPerMinute, 1, 1000000)
	}
	if len(v.errs) > before {
		return // the capacity is only meaningful for a web ACL AWS would take
	}
	f := c.Firewall()
	switch {
	case len(f.Rules) == 0:
		v.invalid(groups, c.WAFManagedRuleGroups, "with no managed rule group and no rate limit (wafRateLimit: 0) the web ACL would inspect nothing: name a group, set a rate limit, or turn waf off")
	case f.Capacity > wafIncludedCapacity:
		v.invalid(groups, c.WAFManagedRuleGroups, "the web ACL would use %d capacity units (WCU) and its base price includes %d; AWS charges more above that, which this stack's estimate does not price: run fewer groups", f.Capacity, wafIncludedCapacity)
	}
}

// validateExcludedRules checks that each excluded rule is <group>/<rule>, of
// a group the web ACL runs, and a rule of that group.
func (c Config) validateExcludedRules(v *validator) {
	excluded := field.NewPath("wafExcludedRules")
	seen := map[string]int{}
	for i, entry := range c.WAFExcludedRules {
		p := excluded.Index(i)
		group, rule, ok := strings.Cut(entry, "/")
		g, known := findManagedRuleGroup(group)
		switch {
		case !ok || group == "" || rule == "":
			v.invalid(p, entry, "a managed group and one of its rules, as <group>/<rule> (AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY)")
		case !known:
			v.invalid(p, entry, "%q is not an AWS managed rule group this stack knows: valid: %s", group, strings.Join(managedRuleGroupNames(), ", "))
		case !slices.Contains(c.WAFManagedRuleGroups, group):
			v.invalid(p, entry, "the web ACL does not run %s (wafManagedRuleGroups: %s)", group, strings.Join(c.WAFManagedRuleGroups, ", "))
		case !slices.Contains(g.Rules, rule):
			v.invalid(p, entry, "%s has no rule %q: its rules are %s", group, rule, strings.Join(g.Rules, ", "))
		default:
			if first, dup := seen[entry]; dup {
				v.duplicate(p, entry, fmt.Sprintf("also wafExcludedRules[%d]", first))
			} else {
				seen[entry] = i
			}
		}
	}
}
