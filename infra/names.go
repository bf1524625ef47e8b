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

	// Logical names of resources whose physical name differs or is auto-named.
	LoadBalancerResource  string
	TargetGroupResource   string
	LogGroupResource      string
	ExecLogGroupResource  string
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
	// RolloutCheck is the resource hook that verifies the service's rollout;
	// RolloutSnapshot the one that notes its deployments before an update.
	RolloutCheck    string
	RolloutSnapshot string

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

	Certificate           string
	CertificateRecord     string
	CertificateValidation string
	AliasRecord           string
	LogsKey               string

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

// Names returns the names of c's resources.
func (c Config) Names() Names {
	n := c.Name
	lbSG, taskSG := n+"-lb-sg", n+"-tasks-sg"
	executionRole, taskRole := n+"-execution-role", n+"-task-role"
	return Names{
		base:                  n,
		Cluster:               n + "-cluster",
		TaskFamily:            n + "-task",
		Service:               n + "-service",
		LoadBalancer:          n + loadBalancerSuffix,
		TargetGroup:           n + targetGroupSuffix,
		LogGroup:              "/ecs/" + n,
		ExecLogGroup:          "/ecs/" + n + "/exec",
		LoadBalancerResource:  elbLogicalName(n + loadBalancerSuffix),
		TargetGroupResource:   elbLogicalName(n + targetGroupSuffix),
		LogGroupResource:      n + "-logs",
		ExecLogGroupResource:  n + "-exec-logs",
		LBSecurityGroup:       lbSG,
		TaskSecurityGroup:     taskSG,
		LBEgress:              lbSG + "-to-tasks",
		TaskIngress:           taskSG + "-from-lb",
		TaskEgress:            taskSG + "-egress",
		ExecutionRole:         executionRole,
		ExecutionRolePolicy:   executionRole + "-ecs",
		SecretsPolicy:         executionRole + "-secrets",
		TaskRole:              taskRole,
		ExecPolicy:            taskRole + "-exec",
		Vpc:                   n + "-vpc",
		DefaultVpc:            n + "-default-vpc",
		HTTPListener:          n + "-http",
		HTTPSListener:         n + "-https",
		ClusterCapacity:       n + "-cluster-capacity",
		ScalingTarget:         n + "-service-scaling",
		ScalingCPUPolicy:      n + "-service-cpu",
		ScalingRequestsPolicy: n + "-service-requests",
		AccessLogsBucket:      n + "-alb-logs",
		RolloutCheck:          n + "-rollout-check",
		RolloutSnapshot:       n + "-rollout-snapshot",
		AlarmTarget5xx:        n + "-target-5xx",
		AlarmLoadBalancer5xx:  n + "-lb-5xx",
		AlarmUnhealthy:        n + "-unhealthy-targets",
		AlarmCPU:              n + "-cpu-high",
		AlarmMemory:           n + "-memory-high",
		AlarmTopic:            n + "-alarms",
		AlarmTopicKey:         n + "-alarms-key",
		AlarmSubscription:     n + "-alarms-email",
		Dashboard:             n + "-dashboard",
		Certificate:           n + "-certificate",
		CertificateRecord:     n + "-certificate-validation-record",
		CertificateValidation: n + "-certificate-validation",
		AliasRecord:           n + "-alias",
		LogsKey:               n + "-logs-key",
		WebACL:                n + "-waf",
		WebACLAssociation:     n + "-waf-association",
		WAFLogging:            n + "-waf-logging",
		WAFLogGroup:           wafLogGroupPrefix + n,
		WAFLogGroupResource:   n + "-waf-logs",
		WAFLogPolicy:          n + "-waf-logs-policy",
		WAFRateRule:           n + "-rate-limit",
		AlarmWAFBlocked:       n + "-waf-blocked",
	}
}

// LBIngress is the logical name of the load balancer's ingress rule for one
// listener port and one allowed CIDR.
func (n Names) LBIngress(port int, cidr string) string {
	return fmt.Sprintf("%s-lb-sg-in-%d-%s", n.base, port, strings.NewReplacer(".", "-", "/", "-").Replace(cidr))
}
