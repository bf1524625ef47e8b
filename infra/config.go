package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// Config is the stack configuration: one field per key of the project namespace
// (`pulumi config set <key> <value>`), declared once in Keys with its default,
// description and type. Defaults returns the tutorial's values; Parse reads raw
// values over them and Validate checks every AWS rule.
type Config struct {
	Name                            string
	Image                           string
	ContainerName                   string
	ContainerPort                   int
	CPU                             int
	Memory                          int
	MemoryReservation               int
	CPUArchitecture                 string
	DesiredCount                    int
	ListenerPort                    int
	HTTPListener                    bool
	InternalLoadBalancer            bool
	TargetProtocol                  string
	AllowedCidrs                    []string
	HealthCheckPath                 string
	HealthCheckIntervalSeconds      int
	HealthCheckTimeoutSeconds       int
	HealthyThreshold                int
	UnhealthyThreshold              int
	HealthCheckGracePeriodSeconds   int
	DeregistrationDelaySeconds      int
	DeploymentMinimumHealthyPercent int
	DeploymentMaximumPercent        int
	AssignPublicIP                  bool
	VpcID                           string
	SubnetIDs                       []string
	CreateVpc                       bool
	VpcCidr                         string
	AvailabilityZones               int
	NatGateways                     string
	ExecutionRoleArn                string
	TaskRoleArn                     string
	LogRetentionDays                int
	Tags                            map[string]string
	CertificateArn                  string
	HTTPSListenerPort               int
	SslPolicy                       string
	AutoscalingMinCount             int
	AutoscalingMaxCount             int
	AutoscalingCPUTarget            int
	AutoscalingRequestsPerTarget    int
	Environment                     map[string]string
	Secrets                         map[string]string
	AccessLogs                      bool
	DeletionProtection              bool
	ReadonlyRootFilesystem          bool
	User                            string
	ContainerHealthCheckCommand     string
	EnableExecuteCommand            bool
	FargateSpotPercent              int
	RolloutTimeoutMinutes           int
	Redeploy                        string
	AcceptServiceReplacement        bool
	DeploymentStrategy              string
	CanaryPercent                   int
	CanaryMinutes                   int
	LinearPercent                   int
	LinearMinutes                   int
	TestListenerPort                int
	TestCidrs                       []string
	CodeDeployRoleArn               string
	BlueGreenTerminationMinutes     int
	AlarmOkActions                  bool
	AdoptValidationRecord           bool
	AcceptDelegationMismatch        bool
	CertificateValidationMinutes    int
	DiagnosisLogLines               int
	Alarms                          bool
	Alarm5xxPerMinute               int
	RollbackOnAlarm                 bool
	AlarmCPUPercent                 int
	AlarmMemoryPercent              int
	AlarmEmail                      string
	Dashboard                       bool
	DomainName                      string
	LogsKmsKey                      bool
	HostedZoneID                    string
	WAF                             bool
	WAFMode                         string
	WAFManagedRuleGroups            []string
	WAFCountRuleGroups              []string
	WAFExcludedRules                []string
	WAFRateLimit                    int
	WAFForwardedIPHeader            string
	AlarmWAFBlockedPerMinute        int

	// Region is the stack's AWS region (aws:region), not a key of the project:
	// empty when the provider takes it from the environment. Validation uses it
	// to check that ARNs name the stack's region.
	Region string
}

// Key is one configuration key, declared once: Defaults, Parse, the config
// block of Pulumi.yaml and the README's table all come from Keys.
type Key struct {
	// Name is the key in the project namespace (alba-digi:<Name>).
	Name string
	// Default is the value as Pulumi.yaml holds it (string, int, bool or
	// []string); nil when the key has none.
	Default any
	// DerivedDefault describes a default the program computes from other keys.
	DerivedDefault string
	Description    string
	// AppliesWhen says when the key has an effect; empty means always.
	AppliesWhen string
	// Enum lists the accepted values of a string key; empty means any.
	Enum []string
	// field returns a pointer to the key's field of a Config.
	field func(*Config) any
}

// Type is the key's Pulumi.yaml type, from the Go type of its field: string,
// integer, boolean, array (of strings) or object (a map of strings).
func (k Key) Type() string {
	switch k.field(&Config{}).(type) {
	case *int:
		return "integer"
	case *bool:
		return "boolean"
	case *[]string:
		return "array"
	case *map[string]string:
		return "object"
	default:
		return "string"
	}
}

// Enum values of the keys that take one of a fixed set.
var (
	cpuArchitectures = []string{"X86_64", "ARM64"}
	targetProtocols  = []string{"HTTP", "HTTPS"}
	natStrategies    = []string{"single", "onePerAz"}
	// deploymentStrategies are how a new revision reaches users: ECS's
	// rolling update, or a CodeDeploy blue/green release, all at once,
	// canary or linear (release.go, codedeploy.go).
	deploymentStrategies = []string{StrategyRolling, StrategyBlueGreen, StrategyCanary, StrategyLinear}
)

// The deployment strategies.
const (
	StrategyRolling   = "rolling"
	StrategyBlueGreen = "blueGreen"
	StrategyCanary    = "canary"
	StrategyLinear    = "linear"
)

const (
	whenCreateVpc   = "with `createVpc: true`"
	whenVpcID       = "with `vpcId`"
	whenHTTPS       = "with `domainName` or `certificateArn`"
	whenDomain      = "with `domainName`"
	whenAutoscaling = "with autoscaling (`autoscalingMaxCount` > 0)"
	whenAlarms      = "with `alarms: true`"
	whenBlueGreen   = "with `deploymentStrategy` blueGreen, canary or linear"
	whenCanary      = "with `deploymentStrategy: canary`"
	whenLinear      = "with `deploymentStrategy: linear`"
	whenWAF         = "with `waf: true`"
)

// keys is the schema, in README order.
var keys = []Key{
	{Name: "name", Default: "alba-digi", Description: "Prefix of every physical name (cluster, task family, load balancer, service, log groups, alarms): up to 18 letters, digits and hyphens, unique among the stacks of an account and region (dev keeps the tutorial's alba-digi, the prod example sets alba-digi-prod). Preview stops when another stack holds the cluster or a log group of its names.", field: func(c *Config) any { return &c.Name }},
	{Name: "image", Default: "public.ecr.aws/n0h7v2z5/alba-digi-api-rest:latest", Description: "Container image reference (registry/repository:tag or @digest).", field: func(c *Config) any { return &c.Image }},
	{Name: "containerName", DerivedDefault: "<name>-api-rest", Description: "Container name; defaults to <name>-api-rest.", field: func(c *Config) any { return &c.ContainerName }},
	{Name: "containerPort", Default: 5050, Description: "Port the API listens on; also the target group's port.", field: func(c *Config) any { return &c.ContainerPort }},
	{Name: "cpu", Default: 1024, Description: "Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192, 16384).", field: func(c *Config) any { return &c.CPU }},
	{Name: "memory", Default: 3072, Description: "Task memory in MiB, within Fargate's range for the CPU.", field: func(c *Config) any { return &c.Memory }},
	{Name: "memoryReservation", Default: 2048, Description: "Container soft memory limit in MiB (≤ memory).", field: func(c *Config) any { return &c.MemoryReservation }},
	{Name: "cpuArchitecture", Default: "X86_64", Enum: cpuArchitectures, Description: "X86_64 or ARM64.", field: func(c *Config) any { return &c.CPUArchitecture }},
	{Name: "desiredCount", Default: 2, Description: "Number of tasks the service keeps running.", field: func(c *Config) any { return &c.DesiredCount }},
	{Name: "listenerPort", Default: 80, Description: "Load balancer HTTP listener port.", field: func(c *Config) any { return &c.ListenerPort }},
	{Name: "httpListener", Default: true, Description: "Keep the HTTP listener; with HTTPS (domainName or certificateArn) it only redirects to HTTPS.", field: func(c *Config) any { return &c.HTTPListener }},
	{Name: "internalLoadBalancer", Default: false, Description: "Make the load balancer internal (reach it through CloudFront, API Gateway or a VPN).", field: func(c *Config) any { return &c.InternalLoadBalancer }},
	{Name: "targetProtocol", Default: "HTTP", Enum: targetProtocols, Description: "Protocol from the load balancer to the tasks: HTTP, or HTTPS for an image that serves TLS.", field: func(c *Config) any { return &c.TargetProtocol }},
	{Name: "allowedCidrs", Default: []string{"0.0.0.0/0"}, Description: "IPv4 CIDRs allowed to reach the load balancer, each once.", field: func(c *Config) any { return &c.AllowedCidrs }},
	{Name: "healthCheckPath", Default: "/alive", Description: "Target group health-check path.", field: func(c *Config) any { return &c.HealthCheckPath }},
	{Name: "healthCheckIntervalSeconds", Default: 10, Description: "Seconds between health checks (5-300).", field: func(c *Config) any { return &c.HealthCheckIntervalSeconds }},
	{Name: "healthCheckTimeoutSeconds", Default: 5, Description: "Health-check timeout (2-120, below the interval).", field: func(c *Config) any { return &c.HealthCheckTimeoutSeconds }},
	{Name: "healthyThreshold", Default: 2, Description: "Consecutive successes before a target is healthy (2-10).", field: func(c *Config) any { return &c.HealthyThreshold }},
	{Name: "unhealthyThreshold", Default: 3, Description: "Consecutive failures before a target is unhealthy (2-10).", field: func(c *Config) any { return &c.UnhealthyThreshold }},
	{Name: "healthCheckGracePeriodSeconds", Default: 30, Description: "Seconds the service ignores failing health checks of a new task.", field: func(c *Config) any { return &c.HealthCheckGracePeriodSeconds }},
	{Name: "deregistrationDelaySeconds", Default: 30, Description: "Seconds a draining target keeps its connections (0-3600).", field: func(c *Config) any { return &c.DeregistrationDelaySeconds }},
	{Name: "deploymentMinimumHealthyPercent", Default: 100, Description: "Rolling update: tasks kept running, in percent of desiredCount.", field: func(c *Config) any { return &c.DeploymentMinimumHealthyPercent }},
	{Name: "deploymentMaximumPercent", Default: 200, Description: "Rolling update: tasks allowed at once, in percent of desiredCount.", field: func(c *Config) any { return &c.DeploymentMaximumPercent }},
	{Name: "assignPublicIp", Default: true, Description: "Give tasks a public IP (needed in the default VPC, which has no NAT).", field: func(c *Config) any { return &c.AssignPublicIP }},
	{Name: "vpcId", Description: "Existing VPC to use instead of the default VPC (with subnetIds).", field: func(c *Config) any { return &c.VpcID }},
	{Name: "subnetIds", AppliesWhen: whenVpcID, Description: "Subnets of vpcId, in at least two availability zones (checked against the account when the program runs).", field: func(c *Config) any { return &c.SubnetIDs }},
	{Name: "createVpc", Default: false, Description: "Create a VPC with public subnets for the load balancer and private subnets for the tasks.", field: func(c *Config) any { return &c.CreateVpc }},
	{Name: "vpcCidr", Default: "10.0.0.0/16", AppliesWhen: whenCreateVpc, Description: "CIDR of the created VPC (/16 to /24).", field: func(c *Config) any { return &c.VpcCidr }},
	{Name: "availabilityZones", Default: 2, AppliesWhen: whenCreateVpc, Description: "Zones of the created VPC (2-6).", field: func(c *Config) any { return &c.AvailabilityZones }},
	{Name: "natGateways", Default: "single", Enum: natStrategies, AppliesWhen: whenCreateVpc, Description: "NAT gateways of the created VPC: single or onePerAz.", field: func(c *Config) any { return &c.NatGateways }},
	{Name: "executionRoleArn", Description: "Existing task execution role (for example a lab account's LabRole); no role is created.", field: func(c *Config) any { return &c.ExecutionRoleArn }},
	{Name: "taskRoleArn", Description: "Existing task role; no role is created.", field: func(c *Config) any { return &c.TaskRoleArn }},
	{Name: "logsKmsKey", Default: false, Description: "Encrypt the log groups with a customer-managed KMS key the stack makes (rotation on; about $1 a month).", field: func(c *Config) any { return &c.LogsKmsKey }},
	{Name: "logRetentionDays", Default: 14, Description: "Container log retention in days (a CloudWatch Logs value).", field: func(c *Config) any { return &c.LogRetentionDays }},
	{Name: "tags", Description: "Extra tags for every taggable resource (letters, digits, spaces and _ . : / = + - @).", field: func(c *Config) any { return &c.Tags }},
	{Name: "domainName", Description: "The API's domain (api.example.com): an ACM certificate validated by DNS, the HTTPS listener with it (HTTP answers 301), and an alias record to the load balancer; url and aliveUrl use it.", field: func(c *Config) any { return &c.DomainName }},
	{Name: "hostedZoneId", AppliesWhen: whenDomain, Description: "Route 53 public hosted zone that holds domainName; empty: the longest public zone of the account whose name holds it (api.example.com, then example.com).", field: func(c *Config) any { return &c.HostedZoneID }},
	{Name: "adoptValidationRecord", Default: false, AppliesWhen: whenDomain, Description: "Take over the certificate's DNS validation record when it already exists (ACM gives every certificate of a name in the account the same record: one made by hand, or by another stack). The adopted record is kept on destroy, since the other certificate's renewal needs it. Off: a record already there is an error.", field: func(c *Config) any { return &c.AdoptValidationRecord }},
	{Name: "acceptDelegationMismatch", Default: false, AppliesWhen: whenDomain, Description: "Accept a delegation the DNS check finds wrong (the public DNS, asked through a public resolver, names other name servers for the domain's zone than Route 53 gave it, or a more specific zone shadows it): a warning instead of an error, for a mismatch you know about (name servers being moved, a DNS provider that serves the zone under other names). ACM validates through the public DNS: a real mismatch leaves the certificate waiting for certificateValidationMinutes.", field: func(c *Config) any { return &c.AcceptDelegationMismatch }},
	{Name: "certificateValidationMinutes", Default: 75, AppliesWhen: whenDomain, Description: "Minutes `pulumi up` waits for ACM to validate the certificate through DNS (1-4320): the provider's own default wait, 75; ACM itself gives up on a request after 72 hours.", field: func(c *Config) any { return &c.CertificateValidationMinutes }},
	{Name: "certificateArn", Description: "ACM certificate in the stack's region, made elsewhere: adds an HTTPS listener and redirects HTTP to it; with domainName only the alias record is added.", field: func(c *Config) any { return &c.CertificateArn }},
	{Name: "httpsListenerPort", Default: 443, AppliesWhen: whenHTTPS, Description: "HTTPS listener port.", field: func(c *Config) any { return &c.HTTPSListenerPort }},
	{Name: "sslPolicy", Default: "ELBSecurityPolicy-TLS13-1-2-2021-06", AppliesWhen: whenHTTPS, Description: "HTTPS listener security policy (a TLS 1.3 policy).", field: func(c *Config) any { return &c.SslPolicy }},
	{Name: "autoscalingMinCount", Default: 0, AppliesWhen: whenAutoscaling, Description: "Autoscaling minimum task count.", field: func(c *Config) any { return &c.AutoscalingMinCount }},
	{Name: "autoscalingMaxCount", Default: 0, Description: "Autoscaling maximum task count; 0 turns autoscaling off.", field: func(c *Config) any { return &c.AutoscalingMaxCount }},
	{Name: "autoscalingCpuTarget", Default: 60, AppliesWhen: whenAutoscaling, Description: "Target average CPU utilisation in percent.", field: func(c *Config) any { return &c.AutoscalingCPUTarget }},
	{Name: "autoscalingRequestsPerTarget", Default: 1000, AppliesWhen: whenAutoscaling, Description: "Target requests per task per minute.", field: func(c *Config) any { return &c.AutoscalingRequestsPerTarget }},
	{Name: "environment", Description: "Plain environment variables (no secrets: use secrets).", field: func(c *Config) any { return &c.Environment }},
	{Name: "secrets", Description: "Environment variables read from SSM parameter or Secrets Manager ARNs.", field: func(c *Config) any { return &c.Secrets }},
	{Name: "accessLogs", Default: false, Description: "Write load balancer access logs to a new S3 bucket.", field: func(c *Config) any { return &c.AccessLogs }},
	{Name: "deletionProtection", Default: false, Description: "Protect the load balancer from deletion (destroy then fails until it is turned off).", field: func(c *Config) any { return &c.DeletionProtection }},
	{Name: "waf", Default: false, Description: "A regional AWS WAF web ACL in front of the load balancer: AWS managed rule groups (wafManagedRuleGroups), a per-client-IP rate limit (wafRateLimit), CloudWatch metrics, logs to the log group `aws-waf-logs-<name>` with the Authorization and Cookie headers redacted, and an alarm on blocked requests. About $5 a month, $1 per rule or group and $0.60 per million requests.", field: func(c *Config) any { return &c.WAF }},
	{Name: "wafMode", Default: wafBlock, Enum: wafModes, AppliesWhen: whenWAF, Description: "block: the rules block what they match; count: they only count and log it, to try them on real traffic first (docs/production.md says how to read what they would have blocked).", field: func(c *Config) any { return &c.WAFMode }},
	{Name: "wafManagedRuleGroups", Default: defaultManagedRuleGroups, AppliesWhen: whenWAF, Description: "AWS managed rule groups the web ACL runs, in this order, by their AWS names (the free ones: the core rule set, admin protection, known bad inputs, Amazon IP reputation, anonymous IP, SQL database, Linux, POSIX, Windows, PHP, WordPress); [] runs none. Together they must fit the 1,500 capacity units (WCU) the base price includes.", field: func(c *Config) any { return &c.WAFManagedRuleGroups }},
	{Name: "wafCountRuleGroups", AppliesWhen: whenWAF, Description: "Groups of wafManagedRuleGroups that only count and log their matches instead of blocking: a group being tried while the others block.", field: func(c *Config) any { return &c.WAFCountRuleGroups }},
	{Name: "wafExcludedRules", AppliesWhen: whenWAF, Description: "Rules of a managed group that only count instead of blocking, as `<group>/<rule>` (`AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY`): for a rule that blocks the API's legitimate requests.", field: func(c *Config) any { return &c.WAFExcludedRules }},
	{Name: "wafRateLimit", Default: 2000, AppliesWhen: whenWAF, Description: "Requests per 5 minutes one client IP may make before the web ACL blocks it (10 to 2,000,000,000); 0 turns the rate limit off.", field: func(c *Config) any { return &c.WAFRateLimit }},
	{Name: "wafForwardedIpHeader", AppliesWhen: whenWAF, Description: "Header holding the client's IP when a CDN or proxy of yours sits in front (X-Forwarded-For behind CloudFront): the rate limit then counts per its first address, and a request whose header holds no valid IP is treated as over the limit. Empty: the connecting IP. Leave it empty without such a proxy: clients can write any address in the header.", field: func(c *Config) any { return &c.WAFForwardedIPHeader }},
	{Name: "alarmWafBlockedPerMinute", Default: 100, AppliesWhen: "with `alarms: true` and `waf: true`", Description: "Requests a minute the web ACL blocks (counts, with wafMode count) that trip the WAF alarm: an attack, or rules blocking the API's users.", field: func(c *Config) any { return &c.AlarmWAFBlockedPerMinute }},
	{Name: "readonlyRootFilesystem", Default: false, Description: "Mount the container's root filesystem read-only, with a task volume on /tmp. For an image that writes nowhere, or only to /tmp declared as a VOLUME in its Dockerfile and owned by its user: Fargate creates the volume owned by root (mode 0755) unless the image's VOLUME gives it content and owner. Off by default: the tutorial's image is not ours to vouch for.", field: func(c *Config) any { return &c.ReadonlyRootFilesystem }},
	{Name: "user", Default: "", Description: "Non-root user (uid[:gid], or a name the image defines) the container runs as instead of the image's own, often root. The image must let that user read its files and own whatever it writes. Empty (default) keeps the image's user.", field: func(c *Config) any { return &c.User }},
	{Name: "containerHealthCheckCommand", Description: "Container health-check shell command; empty turns it off.", field: func(c *Config) any { return &c.ContainerHealthCheckCommand }},
	{Name: "enableExecuteCommand", Default: false, Description: "Turn on ECS Exec, with its task-role permissions and logging.", field: func(c *Config) any { return &c.EnableExecuteCommand }},
	{Name: "rolloutTimeoutMinutes", DerivedDefault: "from the rollout estimate", Description: "Minutes `pulumi up` waits for the service's rollout (deployment completed, desiredCount healthy targets) before it fails with a diagnosis; 0 derives it from the rollout estimate (twice the estimate plus 3 minutes a batch for image pull and start, at least 10).", field: func(c *Config) any { return &c.RolloutTimeoutMinutes }},
	{Name: "diagnosisLogLines", Default: 20, Description: "Last log lines of each stopped container that the diagnosis of a failed rollout shows (0-100); 0 shows none, where update logs are widely readable (CI logs, Pulumi Cloud).", field: func(c *Config) any { return &c.DiagnosisLogLines }},
	{Name: "redeploy", Default: "", Description: "Any new value makes the next `pulumi up` deploy the service's task definition again and verify it, even if ECS runs it already: after a fix outside the stack that the tasks must pick up (an image pushed again under the same tag, a rotated secret). A run that finds the service not running what the stack declares deploys it again without it. Removing it, or a later change of anything else, starts no deployment.", field: func(c *Config) any { return &c.Redeploy }},
	{Name: "acceptServiceReplacement", Default: false, Description: "Lets `pulumi up` replace the ECS service when a change needs it (fargateSpotPercent from 0 to more, or back): the service is deleted before its successor starts, and the API answers nothing until the new tasks are healthy. Without it, preview and up refuse such a change. Set it for that one `up`, then remove it.", field: func(c *Config) any { return &c.AcceptServiceReplacement }},
	{Name: "alarms", Default: true, Description: "CloudWatch alarms on 5xx answers (tasks and load balancer), unhealthy targets, and the service's CPU and memory.", field: func(c *Config) any { return &c.Alarms }},
	{Name: "rollbackOnAlarm", Default: false, AppliesWhen: whenAlarms, Description: "Make the tasks' 5xx alarm the service's deployment alarm: ECS rolls back a release that answers its health check but fails real requests. ECS then watches each rollout for a bake time (about 5 minutes) before it completes, so `pulumi up` takes that much longer.", field: func(c *Config) any { return &c.RollbackOnAlarm }},
	{Name: "alarm5xxPerMinute", Default: 10, AppliesWhen: whenAlarms, Description: "5xx answers a minute (3 minutes in 5) that trip the 5xx alarms and roll back a release.", field: func(c *Config) any { return &c.Alarm5xxPerMinute }},
	{Name: "alarmCpuPercent", Default: 90, AppliesWhen: whenAlarms, Description: "Average CPU of the service, in percent of what the tasks have, that trips the CPU alarm.", field: func(c *Config) any { return &c.AlarmCPUPercent }},
	{Name: "alarmMemoryPercent", Default: 90, AppliesWhen: whenAlarms, Description: "Average memory of the service, in percent of what the tasks have, that trips the memory alarm.", field: func(c *Config) any { return &c.AlarmMemoryPercent }},
	{Name: "alarmEmail", AppliesWhen: whenAlarms, Description: "Email address the alarms notify, through an SNS topic (AWS emails a confirmation link first); empty: no topic.", field: func(c *Config) any { return &c.AlarmEmail }},
	{Name: "alarmOkActions", Default: false, AppliesWhen: "with `alarmEmail`", Description: "Email when an alarm returns to OK too (and once right after the alarms are created); off: only when one trips.", field: func(c *Config) any { return &c.AlarmOkActions }},
	{Name: "dashboard", Default: false, Description: "A CloudWatch dashboard of the service: requests, latency p50/p99, 5xx, healthy targets, running tasks, CPU and memory; its URL is the dashboardUrl output.", field: func(c *Config) any { return &c.Dashboard }},
	{Name: "deploymentStrategy", Default: StrategyRolling, Enum: deploymentStrategies, Description: "How a new revision reaches users. rolling: ECS replaces the tasks a batch at a time, with its circuit breaker. blueGreen, canary, linear: CodeDeploy starts the new revision as a second set of tasks in a second target group, tries it on the test listener, then moves production traffic to it (at once; canary: canaryPercent for canaryMinutes, then the rest; linear: linearPercent every linearMinutes), and moves it back in seconds if the release fails or an alarm trips. `pulumi up` starts the release and ends when the new revision serves all traffic. Switching between rolling and the others replaces the service (see acceptServiceReplacement).", field: func(c *Config) any { return &c.DeploymentStrategy }},
	{Name: "canaryPercent", Default: 10, AppliesWhen: whenCanary, Description: "Share of production traffic the new revision gets first, in percent (1-99).", field: func(c *Config) any { return &c.CanaryPercent }},
	{Name: "canaryMinutes", Default: 5, AppliesWhen: whenCanary, Description: "Minutes the canary share runs before the rest of the traffic moves (1-2880).", field: func(c *Config) any { return &c.CanaryMinutes }},
	{Name: "linearPercent", Default: 10, AppliesWhen: whenLinear, Description: "Share of production traffic moved at each step, in percent (1-99).", field: func(c *Config) any { return &c.LinearPercent }},
	{Name: "linearMinutes", Default: 1, AppliesWhen: whenLinear, Description: "Minutes between two steps (1-2880).", field: func(c *Config) any { return &c.LinearMinutes }},
	{Name: "testListenerPort", Default: 9000, AppliesWhen: whenBlueGreen, Description: "Load balancer port of the test listener, which sends requests to the new revision before it gets production traffic; open only to testCidrs.", field: func(c *Config) any { return &c.TestListenerPort }},
	{Name: "testCidrs", Default: []string{}, AppliesWhen: whenBlueGreen, Description: "IPv4 CIDRs allowed to reach the test listener (your office, a CI runner), each once; empty: nobody, so the new revision is tried by the load balancer's health checks only.", field: func(c *Config) any { return &c.TestCidrs }},
	{Name: "codeDeployRoleArn", AppliesWhen: whenBlueGreen, Description: "Existing role CodeDeploy acts as (for lab accounts that forbid creating roles); empty: the stack makes one with AWS's managed policy AWSCodeDeployRoleForECS.", field: func(c *Config) any { return &c.CodeDeployRoleArn }},
	{Name: "blueGreenTerminationMinutes", Default: 5, AppliesWhen: whenBlueGreen, Description: "Minutes the previous revision's tasks keep running after all traffic moved (0-2880): during them a failed release moves traffic back in seconds, without starting tasks; `pulumi up` waits for them.", field: func(c *Config) any { return &c.BlueGreenTerminationMinutes }},
	{Name: "fargateSpotPercent", Default: 0, Description: "Share of tasks on Fargate Spot (0-100). From one share to another the service updates in place; from 0 to more, or back, it is replaced (see acceptServiceReplacement).", field: func(c *Config) any { return &c.FargateSpotPercent }},
}

// Keys returns the configuration keys in README order.
func Keys() []Key { return append([]Key(nil), keys...) }

// ProjectDefault is the key's default as Pulumi.yaml declares it: Default, or
// for a key without one the empty value of its type ("", 0, false, [] or {}),
// which the program reads as unset (an empty containerName derives its name, a
// zero rolloutTimeoutMinutes derives its timeout). Every key needs one: the
// Pulumi CLI refuses a stack that lacks a value for a typed key without a
// default ("Stack 'dev' is missing configuration values ...", pulumi
// pkg/workspace/config.go, v3.274.1).
func (k Key) ProjectDefault() any {
	if k.Default != nil {
		return k.Default
	}
	switch k.field(&Config{}).(type) {
	case *int:
		return 0
	case *bool:
		return false
	case *[]string:
		return []string{}
	case *map[string]string:
		return map[string]string{}
	default:
		return ""
	}
}

// Defaults returns the tutorial's configuration with the safe choices where the
// tutorial leaves a value open: every key's ProjectDefault, as the Pulumi CLI
// hands a stack that sets none of them to the program.
func Defaults() Config {
	var c Config
	for _, k := range keys {
		switch dst := k.field(&c).(type) {
		case *string:
			*dst = k.ProjectDefault().(string)
		case *int:
			*dst = k.ProjectDefault().(int)
		case *bool:
			*dst = k.ProjectDefault().(bool)
		case *[]string:
			*dst = append([]string{}, k.ProjectDefault().([]string)...)
		case *map[string]string:
			*dst = maps.Clone(k.ProjectDefault().(map[string]string))
		}
	}
	return c
}

// set parses raw, the text the Pulumi CLI hands the program (numbers and
// booleans as text, lists and maps as JSON), into the key's field of c.
func (k Key) set(c *Config, raw string) error {
	switch dst := k.field(c).(type) {
	case *string:
		*dst = raw
	case *int:
		v, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return errors.New("not an integer")
		}
		*dst = v
	case *bool:
		v, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return errors.New("not a boolean (true or false)")
		}
		*dst = v
	case *[]string:
		var v []string
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return errors.New(`not a list of strings (for example ["a", "b"])`)
		}
		*dst = v
	case *map[string]string:
		var v map[string]string
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return errors.New(`not a map of strings (for example {"KEY": "value"})`)
		}
		*dst = v
	default:
		return fmt.Errorf("key %s has no parser", k.Name)
	}
	return nil
}
