package infra

// Rollout estimates how a rolling update of the service behaves with the stack's
// settings, beside the same estimate with AWS's defaults, so a reviewer sees what
// the explicit health-check and deployment settings buy.
type Rollout struct {
	DesiredCount int    `json:"desiredCount"`
	Ours         Timing `json:"ours"`
	AWSDefaults  Timing `json:"awsDefaults"`
	// CheckTimeoutMinutes is how long `pulumi up` waits for the rollout
	// before it fails with a diagnosis (RolloutTimeout).
	CheckTimeoutMinutes int `json:"checkTimeoutMinutes"`
	// Release is what a CodeDeploy release does (blueGreen, canary,
	// linear); nil with the rolling strategy. With it, Ours and AWSDefaults
	// count one replacement task set at full count, then the traffic shift.
	Release *ReleasePlan `json:"release,omitempty"`
}

// Timing is one set of settings and the times that follow from them, in seconds.
type Timing struct {
	HealthCheckIntervalSeconds    int `json:"healthCheckIntervalSeconds"`
	HealthyThreshold              int `json:"healthyThreshold"`
	UnhealthyThreshold            int `json:"unhealthyThreshold"`
	HealthCheckGracePeriodSeconds int `json:"healthCheckGracePeriodSeconds"`
	DeregistrationDelaySeconds    int `json:"deregistrationDelaySeconds"`
	MinimumHealthyPercent         int `json:"minimumHealthyPercent"`
	MaximumPercent                int `json:"maximumPercent"`

	// HealthySeconds: a new task passes healthyThreshold checks, one per interval.
	HealthySeconds int `json:"healthySeconds"`
	// DetectFailureSeconds: worst case before a failing new task is replaced: the
	// grace period, then unhealthyThreshold failed checks.
	DetectFailureSeconds int `json:"detectFailureSeconds"`
	// DrainSeconds: an old task keeps its connections for the deregistration delay.
	DrainSeconds int `json:"drainSeconds"`
	// TasksPerBatch tasks are replaced at once (RollingBatch);
	// Batches = ceil(desiredCount / TasksPerBatch).
	TasksPerBatch int `json:"tasksPerBatch"`
	Batches       int `json:"batches"`
	// RolloutSeconds = Batches × (HealthySeconds + DrainSeconds), not counting
	// image pull and container start, which are the same either way. Under
	// CodeDeploy: FullTrafficSeconds + TerminationWaitSeconds + DrainSeconds.
	RolloutSeconds int `json:"rolloutSeconds"`

	// Under CodeDeploy only: ShiftSeconds production traffic takes to move
	// once the new tasks are healthy (0 all at once), FullTrafficSeconds =
	// HealthySeconds + ShiftSeconds, and TerminationWaitSeconds the original
	// task set keeps running after (blueGreenTerminationMinutes).
	ShiftSeconds           int `json:"shiftSeconds,omitempty"`
	FullTrafficSeconds     int `json:"fullTrafficSeconds,omitempty"`
	TerminationWaitSeconds int `json:"terminationWaitSeconds,omitempty"`
}

// awsDefaults are AWS's defaults for an ALB target group with ip targets over
// HTTP, and for an ECS service, used when a value is not set.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html
var awsDefaults = Timing{
	HealthCheckIntervalSeconds:    30,
	HealthyThreshold:              5,
	UnhealthyThreshold:            2,
	HealthCheckGracePeriodSeconds: 0,
	DeregistrationDelaySeconds:    300,
	MinimumHealthyPercent:         100,
	MaximumPercent:                200,
}

// Rollout computes the rollout estimate of c: of a rolling update, or with a
// CodeDeploy strategy of a release (the traffic shift and the termination
// wait are the stack's in both columns).
func (c Config) Rollout() *Rollout {
	ours := c.ourTiming()
	r := &Rollout{DesiredCount: c.DesiredCount, Ours: ours, AWSDefaults: awsDefaults.estimate(c.DesiredCount), CheckTimeoutMinutes: c.rolloutTimeout(ours)}
	if shift := c.TrafficShift(); shift != nil {
		r.Release = c.Release()
		r.Ours = ours.codeDeployTiming(c.DesiredCount, shift, c.BlueGreenTerminationMinutes)
		r.AWSDefaults = awsDefaults.codeDeployTiming(c.DesiredCount, shift, c.BlueGreenTerminationMinutes)
	}
	return r
}

func (c Config) ourTiming() Timing {
	return Timing{
		HealthCheckIntervalSeconds:    c.HealthCheckIntervalSeconds,
		HealthyThreshold:              c.HealthyThreshold,
		UnhealthyThreshold:            c.UnhealthyThreshold,
		HealthCheckGracePeriodSeconds: c.HealthCheckGracePeriodSeconds,
		DeregistrationDelaySeconds:    c.DeregistrationDelaySeconds,
		MinimumHealthyPercent:         c.DeploymentMinimumHealthyPercent,
		MaximumPercent:                c.DeploymentMaximumPercent,
	}.estimate(c.DesiredCount)
}

func (t Timing) estimate(desired int) Timing {
	t.HealthySeconds = t.HealthyThreshold * t.HealthCheckIntervalSeconds
	t.DetectFailureSeconds = t.HealthCheckGracePeriodSeconds + t.UnhealthyThreshold*t.HealthCheckIntervalSeconds
	t.DrainSeconds = t.DeregistrationDelaySeconds
	if desired <= 0 {
		return t
	}
	t.TasksPerBatch = rollingBatch(desired, t.MinimumHealthyPercent, t.MaximumPercent)
	if t.TasksPerBatch < 1 {
		return t // validation rejects this: the deployment could not progress
	}
	t.Batches = (desired + t.TasksPerBatch - 1) / t.TasksPerBatch
	t.RolloutSeconds = t.Batches * (t.HealthySeconds + t.DrainSeconds)
	return t
}
