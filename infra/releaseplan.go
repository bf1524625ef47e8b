package infra

// ReleasePlan is what a CodeDeploy release (blueGreen, canary or linear)
// of the stack does, for the plan and the estimate: nil with the rolling
// strategy. Each release, CodeDeploy starts the declared revision as a
// replacement task set at full count in the second target group, points the
// test listener at it, shifts production traffic to it as the deployment
// configuration says, keeps the original task set for the termination wait
// (during which a failed release moves traffic back in seconds), and ends it.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-bluegreen.html
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html
type ReleasePlan struct {
	Strategy string       `json:"strategy"`
	Shift    TrafficShift `json:"shift"`
	// Tasks is the size of the replacement task set: desiredCount, all at once.
	Tasks int `json:"tasks"`
	// ProductionTargetGroup serves production traffic first;
	// TestTargetGroup takes the first release (each release swaps them).
	ProductionTargetGroup string `json:"productionTargetGroup"`
	TestTargetGroup       string `json:"testTargetGroup"`
	// TestListenerPort is the test listener's port; TestCidrs who may reach
	// it (none: only the load balancer's own health checks try the new
	// revision).
	TestListenerPort int      `json:"testListenerPort"`
	TestCidrs        []string `json:"testCidrs"`
	// TerminationMinutes the original task set keeps running after all
	// traffic moved.
	TerminationMinutes int `json:"terminationMinutes"`
	// RollbackEvents are CodeDeploy's automatic rollbacks;
	// RollbackAlarm the alarm whose trip stops and rolls back a release
	// (empty without rollbackOnAlarm). They replace the rolling strategy's
	// circuit breaker and deployment alarm, which ECS does not apply to a
	// CODE_DEPLOY service.
	RollbackEvents []string `json:"rollbackEvents"`
	RollbackAlarm  string   `json:"rollbackAlarm,omitempty"`
	// Role is codeDeployRoleArn, or empty when the stack makes CodeDeploy's
	// role (RoleName).
	Role     string `json:"role,omitempty"`
	RoleName string `json:"roleName,omitempty"`
	// StartSeconds: the replacement task set starts (the start allowance:
	// image pull and container start) and its tasks are judged healthy;
	// FullTrafficSeconds: then traffic shifts, and all of it is on the new
	// revision; EndSeconds: then the termination wait, and the original
	// tasks drain. Both task sets run at full count from the start to the
	// end (the peak the estimate prices).
	StartSeconds       int `json:"startSeconds"`
	FullTrafficSeconds int `json:"fullTrafficSeconds"`
	EndSeconds         int `json:"endSeconds"`
	// StartAllowanceSeconds is the part of StartSeconds allowed for the
	// image pull and the container start.
	StartAllowanceSeconds int `json:"startAllowanceSeconds"`
}

// rollbackEvents are the CodeDeploy events that roll a release back: a
// failure, and with an alarm the group watches, that alarm's trip (without
// one the event could never happen).
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AutoRollbackConfiguration.html
func rollbackEvents(withAlarm bool) []string {
	if withAlarm {
		return []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
	}
	return []string{"DEPLOYMENT_FAILURE"}
}

// Release is what a CodeDeploy release of c does; nil with the rolling
// strategy.
func (c Config) Release() *ReleasePlan {
	shift := c.TrafficShift()
	if shift == nil {
		return nil
	}
	n := c.Names()
	t := c.ourTiming()
	r := &ReleasePlan{
		Strategy: c.DeploymentStrategy, Shift: *shift, Tasks: c.DesiredCount,
		ProductionTargetGroup: n.TargetGroup, TestTargetGroup: n.GreenTargetGroup,
		TestListenerPort: c.TestListenerPort, TestCidrs: append([]string{}, c.TestCidrs...),
		TerminationMinutes: c.BlueGreenTerminationMinutes,
		RollbackEvents:     rollbackEvents(c.Alarms && c.RollbackOnAlarm),
		Role:               c.CodeDeployRoleArn,
	}
	if c.Alarms && c.RollbackOnAlarm {
		r.RollbackAlarm = n.AlarmTarget5xx
	}
	if r.Role == "" {
		r.RoleName = n.CodeDeployRole
	}
	r.StartAllowanceSeconds = startAllowanceSeconds
	r.StartSeconds = startAllowanceSeconds + t.HealthySeconds
	r.FullTrafficSeconds = r.StartSeconds + shift.ShiftMinutes*60
	r.EndSeconds = r.FullTrafficSeconds + c.BlueGreenTerminationMinutes*60 + t.DrainSeconds
	return r
}

// Increments is how many times production traffic moves: once at once,
// twice for a canary, and for a linear shift as many steps as it takes to
// reach 100 % (the last one smaller when the share does not divide 100).
func (t TrafficShift) Increments() int {
	switch {
	case t.Type == "TimeBasedCanary":
		return 2
	case t.Type == "TimeBasedLinear" && t.Percent > 0:
		return (100 + t.Percent - 1) / t.Percent
	}
	return 1
}

// Rest is the share of production traffic a canary moves second.
func (t TrafficShift) Rest() int { return 100 - t.Percent }

// codeDeployTiming is the release estimate of t under CodeDeploy: one
// replacement task set of desired tasks starts at once (no batches), its
// tasks are judged healthy, production traffic shifts, the original task
// set waits and drains. The start allowance is not counted, as the rolling
// estimate leaves it out.
func (t Timing) codeDeployTiming(desired int, shift *TrafficShift, terminationMinutes int) Timing {
	t = t.estimate(0)
	t.TasksPerBatch, t.Batches = desired, 1
	t.ShiftSeconds = shift.ShiftMinutes * 60
	t.TerminationWaitSeconds = terminationMinutes * 60
	t.FullTrafficSeconds = t.HealthySeconds + t.ShiftSeconds
	t.RolloutSeconds = t.FullTrafficSeconds + t.TerminationWaitSeconds + t.DrainSeconds
	return t
}

// ReleaseOutlastsCheck reports whether a CodeDeploy release, as estimated
// with its start allowance, takes longer than `pulumi up` waits for it.
func (r *Rollout) ReleaseOutlastsCheck() bool {
	return r.Release != nil && r.Release.EndSeconds > r.CheckTimeoutMinutes*60
}

// ReplacementDowntimeSeconds estimates how long the API answers nothing when
// the service is replaced (deleted before its successor starts: service.go):
// the old tasks drain, the new ones start (the start allowance) and are
// judged healthy.
func (r *Rollout) ReplacementDowntimeSeconds() int {
	return r.Ours.DrainSeconds + startAllowanceSeconds + r.Ours.HealthySeconds
}
