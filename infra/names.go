package infra

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
)

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
