package infra

import "strings"

// Names are the physical (and logical) names of the stack's resources, all
// derived from the name key so that the tutorial's names (alba-digi-cluster,
// alba-digi-task, ...) come out of the default and a second stack can pick another
// base. Logical names are a public API: renaming one replaces the resource.
type Names struct {
	Cluster       string
	TaskFamily    string
	Service       string
	LoadBalancer  string
	TargetGroup   string
	LogGroup      string
	ExecLogGroup  string
	LBSecurityGrp string
	TaskSecGroup  string
	ExecutionRole string
	TaskRole      string
	Vpc           string
}

const (
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

func (c Config) names() Names {
	n := c.Name
	return Names{
		Cluster:       n + "-cluster",
		TaskFamily:    n + "-task",
		Service:       n + "-service",
		LoadBalancer:  n + loadBalancerSuffix,
		TargetGroup:   n + targetGroupSuffix,
		LogGroup:      "/ecs/" + n,
		ExecLogGroup:  "/ecs/" + n + "/exec",
		LBSecurityGrp: n + "-lb-sg",
		TaskSecGroup:  n + "-tasks-sg",
		ExecutionRole: n + "-execution-role",
		TaskRole:      n + "-task-role",
		Vpc:           n + "-vpc",
	}
}
