package infra

import (
	"fmt"
	"strings"
)

// Names are the logical and physical names of the stack's resources, all
// derived from the name key so that the tutorial's names (alba-digi-cluster,
// alba-digi-task, ...) come out of the default and a second stack can pick
// another base. Every resource takes its logical name from here. Logical names
// are a public API: renaming one replaces the resource.
type Names struct {
	base string

	// Fixed physical names, which are also the resources' logical names
	// (cluster, task family, service) or their Name tags (load balancer,
	// target group).
	Cluster      string
	TaskFamily   string
	Service      string
	LoadBalancer string
	TargetGroup  string
	LogGroup     string
	ExecLogGroup string
	// InsightsLogGroup is where Container Insights writes the cluster's
	// performance log events; ECS names it after the cluster.
	InsightsLogGroup string

	// Logical names of resources whose physical name differs or is auto-named.
	LoadBalancerResource  string
	TargetGroupResource   string
	LogGroupResource      string
	ExecLogGroupResource  string
	InsightsLogResource   string
	LBSecurityGroup       string
	TaskSecurityGroup     string
	LBEgress              string
	TaskIngress           string
	TaskEgress            string
	ExecutionRole         string
	ExecutionRolePolicy   string
	SecretsPolicy         string
	TaskRole              string
	ExecPolicy            string
	Vpc                   string
	DefaultVpc            string
	HTTPListener          string
	HTTPSListener         string
	ClusterCapacity       string
	ScalingTarget         string
	ScalingCPUPolicy      string
	ScalingRequestsPolicy string
	AccessLogsBucket      string
	// Release is the release component (release.go); RolloutCheck its hook
	// that verifies the rollout; FirstRolloutCheck the service's hook that
	// verifies its first rollout; RolloutSnapshot the service's hook that
	// notes its deployments before an update.
	Release           string
	RolloutCheck      string
	FirstRolloutCheck string
	RolloutSnapshot   string

	AlarmTarget5xx       string
	AlarmLoadBalancer5xx string
	AlarmUnhealthy       string
	AlarmCPU             string
	AlarmMemory          string
	AlarmTopic           string
	AlarmTopicKey        string
	AlarmSubscription    string
	// Dashboard is the dashboard's fixed name (and logical name).
	Dashboard string

	// Blue/green (CodeDeploy): the second target group (its Name tag, and
	// logical name), the test listener, the CodeDeploy application,
	// deployment group, custom deployment configuration, and role.
	GreenTargetGroup         string
	GreenTargetGroupResource string
	TestListener             string
	CodeDeployApp            string
	DeploymentGroup          string
	DeploymentConfig         string
	CodeDeployRole           string
	CodeDeployRolePolicy     string

	Certificate           string
	CertificateValidation string
	LogsKey               string

	// The domain's records have fixed physical names that do not derive from
	// the prefix (the domain's, and the validation name ACM gives every
	// certificate of the domain in the account), so their logical names do
	// not either: a new prefix (the name key) then leaves them as they are,
	// where records of new logical names would be created beside the old
	// ones and fail ("already exists"). The prefixed names they had before
	// are their aliases, so a stack that has them keeps them.
	CertificateRecord    string
	AliasRecord          string
	CertificateRecordWas string
	AliasRecordWas       string
	// WebACL is the web ACL's fixed name (and logical name); WAFLogGroup the
	// physical name of its log group, which AWS requires to start with
	// aws-waf-logs-.
	WebACL              string
	WebACLAssociation   string
	WAFLogging          string
	WAFLogGroup         string
	WAFLogGroupResource string
	WAFLogPolicy        string
	WAFRateRule         string
	AlarmWAFBlocked     string
}

const (
	// wafLogGroupPrefix starts the name of every log group AWS WAF logs to.
	// https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
	wafLogGroupPrefix  = "aws-waf-logs-"
	loadBalancerSuffix = "-load-balancer"
	targetGroupSuffix  = "-target-group"
	// greenTargetGroupSuffix names the second target group of a blue/green
	// release; the first keeps the rolling strategy's name, so switching
	// strategy does not replace it.
	greenTargetGroupSuffix = "-target-green"
	// elbAutoNameBase is the longest logical name the provider can auto-name
	// within ELB's 32 characters: it appends a hyphen and seven random
	// characters, and fails a longer name rather than trim it.
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
	elbAutoNameBase = 32 - 8
)

// elbLogicalName is the logical name of a load balancer or target group named
// full: the whole name when the provider can auto-name it (the tutorial's
// names fit), else its first 24 characters. The Name tag keeps the full name.
func elbLogicalName(full string) string {
	if len(full) <= elbAutoNameBase {
		return full
	}
	return strings.TrimRight(full[:elbAutoNameBase], "-")
}

// greenLogicalName is the second target group's logical name:
// <name>-target-green, unless its first 24 characters are the first target
// group's (a name of 14 characters or more: alba-digi-prod-target-gr), then
// <name>-green, which fits. Two resources of one type cannot share a logical
// name (the engine refuses a duplicate URN), and the provider would give
// both the same auto-name prefix.
func greenLogicalName(n string) string {
	if green := elbLogicalName(n + greenTargetGroupSuffix); green != elbLogicalName(n+targetGroupSuffix) {
		return green
	}
	return elbLogicalName(n + "-green")
}

// Names returns the names of c's resources.
func (c Config) Names() Names {
	n := c.Name
	lbSG, taskSG := n+"-lb-sg", n+"-tasks-sg"
	executionRole, taskRole := n+"-execution-role", n+"-task-role"
	cluster := n + "-cluster"
	return Names{
		base:                     n,
		Cluster:                  cluster,
		TaskFamily:               n + "-task",
		Service:                  n + "-service",
		LoadBalancer:             n + loadBalancerSuffix,
		TargetGroup:              n + targetGroupSuffix,
		LogGroup:                 "/ecs/" + n,
		ExecLogGroup:             "/ecs/" + n + "/exec",
		LoadBalancerResource:     elbLogicalName(n + loadBalancerSuffix),
		TargetGroupResource:      elbLogicalName(n + targetGroupSuffix),
		InsightsLogGroup:         "/aws/ecs/containerinsights/" + cluster + "/performance",
		LogGroupResource:         n + "-logs",
		ExecLogGroupResource:     n + "-exec-logs",
		InsightsLogResource:      n + "-insights-logs",
		LBSecurityGroup:          lbSG,
		TaskSecurityGroup:        taskSG,
		LBEgress:                 lbSG + "-to-tasks",
		TaskIngress:              taskSG + "-from-lb",
		TaskEgress:               taskSG + "-egress",
		ExecutionRole:            executionRole,
		ExecutionRolePolicy:      executionRole + "-ecs",
		SecretsPolicy:            executionRole + "-secrets",
		TaskRole:                 taskRole,
		ExecPolicy:               taskRole + "-exec",
		Vpc:                      n + "-vpc",
		DefaultVpc:               n + "-default-vpc",
		HTTPListener:             n + "-http",
		HTTPSListener:            n + "-https",
		ClusterCapacity:          n + "-cluster-capacity",
		ScalingTarget:            n + "-service-scaling",
		ScalingCPUPolicy:         n + "-service-cpu",
		ScalingRequestsPolicy:    n + "-service-requests",
		AccessLogsBucket:         n + "-alb-logs",
		Release:                  n + "-release",
		RolloutCheck:             n + "-rollout-check",
		FirstRolloutCheck:        n + "-first-rollout-check",
		RolloutSnapshot:          n + "-rollout-snapshot",
		AlarmTarget5xx:           alarmBase(n) + "target-5xx",
		AlarmLoadBalancer5xx:     alarmBase(n) + "lb-5xx",
		AlarmUnhealthy:           alarmBase(n) + "unhealthy-targets",
		AlarmCPU:                 alarmBase(n) + "cpu-high",
		AlarmMemory:              alarmBase(n) + "memory-high",
		AlarmTopic:               n + "-alarms",
		AlarmTopicKey:            n + "-alarms-key",
		AlarmSubscription:        n + "-alarms-email",
		Dashboard:                n + "-dashboard",
		GreenTargetGroup:         n + greenTargetGroupSuffix,
		GreenTargetGroupResource: greenLogicalName(n),
		TestListener:             n + "-test-listener",
		CodeDeployApp:            n + "-app",
		DeploymentGroup:          n + "-deployment-group",
		DeploymentConfig:         n + "-traffic-shift",
		CodeDeployRole:           n + "-codedeploy-role",
		CodeDeployRolePolicy:     n + "-codedeploy-role-ecs",
		Certificate:              n + "-certificate",
		CertificateValidation:    n + "-certificate-validation",
		CertificateRecord:        "domain-validation-record",
		AliasRecord:              "domain-alias",
		CertificateRecordWas:     n + "-certificate-validation-record",
		AliasRecordWas:           n + "-alias",
		LogsKey:                  n + "-logs-key",
		WebACL:                   n + "-waf",
		WebACLAssociation:        n + "-waf-association",
		WAFLogging:               n + "-waf-logging",
		WAFLogGroup:              wafLogGroupPrefix + n,
		WAFLogGroupResource:      n + "-waf-logs",
		WAFLogPolicy:             n + "-waf-logs-policy",
		WAFRateRule:              n + "-rate-limit",
		AlarmWAFBlocked:          alarmBase(n) + "waf-blocked",
	}
}

// alarmDelimiter ends the prefix in the alarms' names. A prefix holds letters,
// digits and hyphens only, so "<prefix>." starts this stack's alarm names and
// no other prefix's: the alarm key's policy lets CloudWatch publish for the
// alarms whose names start so (alarmTopicKeyPolicy), and an ARN pattern of
// "<prefix>-*" would also take in every alarm of a longer prefix
// (alba-digi-prod-target-5xx of the prod stack matches alba-digi-*).
// CloudWatch takes any UTF-8 character but control characters in an alarm name.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
const alarmDelimiter = "."

// alarmBase is how the names of the alarms of prefix n begin.
func alarmBase(n string) string { return n + alarmDelimiter }

// LBIngress is the logical name of the load balancer's ingress rule for one
// listener port and one allowed CIDR.
func (n Names) LBIngress(port int, cidr string) string {
	return fmt.Sprintf("%s-lb-sg-in-%d-%s", n.base, port, strings.NewReplacer(".", "-", "/", "-").Replace(cidr))
}
