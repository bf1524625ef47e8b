package fakeaws

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The simulated ECS of Account: services whose deployments take AWS's time.
// Each read of the account first advances the simulation to the account's
// clock, one simulated second at a time, so that a test sees what a real
// account would show at that moment: tasks going PROVISIONING → PENDING →
// RUNNING, becoming healthy targets after the health checks pass, old tasks
// draining, the circuit breaker counting failed tasks and rolling back, the
// rollback taking time of its own. What each step copies:
//   - task states: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
//   - the rolling update's bounds (minimumHealthyPercent, maximumPercent):
//     https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
//   - the circuit breaker: a threshold of 0.5 × desired count, at least 3 and
//     at most 200 failed tasks, reset when a task of the deployment becomes
//     healthy; then a rollback to the last COMPLETED deployment, or, with none,
//     a FAILED deployment that stops launching tasks:
//     https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html
//     https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html
//   - a target's health: healthy after healthyThreshold passed checks one
//     interval apart, unhealthy after unhealthyThreshold failed ones, draining
//     for the deregistration delay; ECS stops a task that fails the load
//     balancer's checks once its grace period is over:
//     https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
//     https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html (healthCheckGracePeriodSeconds)

// Timing is how long the simulated ECS takes, in AWS seconds. The launch
// figures are typical of Fargate (AWS publishes no figure); the rest come
// from the service's and the target group's settings.
type Timing struct {
	// Provision: PROVISIONING → PENDING (capacity and a network interface).
	Provision time.Duration
	// Start: PENDING → RUNNING (image pull, container start), or the stop of
	// a task whose image cannot be pulled.
	Start time.Duration
	// Visible: a new deployment shows in DescribeServices this long after the
	// call that started it (ECS's API is eventually consistent).
	Visible time.Duration
}

// DefaultTiming is Fargate's usual pace.
var DefaultTiming = Timing{Provision: 15 * time.Second, Start: 20 * time.Second, Visible: 2 * time.Second}

// TargetGroup is the health check of a target group, as the stand-in
// provider tells the account when it creates one.
type TargetGroup struct {
	Arn                                  string
	IntervalSeconds                      int
	HealthyThreshold, UnhealthyThreshold int
	DeregistrationDelaySeconds           int
}

// defaultTargetGroup is ELB's default for an IP target group over HTTP.
var defaultTargetGroup = TargetGroup{IntervalSeconds: 30, HealthyThreshold: 5, UnhealthyThreshold: 2, DeregistrationDelaySeconds: 300}

// Failure is what goes wrong with every task of an image (BreakImage).
type Failure struct {
	// StopCode and StoppedReason: the task stops before it runs (an image
	// that cannot be pulled, a secret that cannot be read).
	StopCode, StoppedReason string
	// ExitCode and ContainerReason: the task runs, then its container exits
	// after ExitAfter (out of memory at start, a crash).
	ExitCode        *int
	ContainerReason string
	ExitAfter       time.Duration
	// Unhealthy: the task runs but fails the load balancer's health checks.
	Unhealthy bool
	// LogLines are the container's last log lines.
	LogLines []string
}

type ecsTask struct {
	arn, id     string
	deployment  string // startedBy
	taskDef     string
	ip          string
	status      string // PROVISIONING, PENDING, RUNNING, DEPROVISIONING, STOPPED
	desired     string // RUNNING or STOPPED
	createdAt   time.Time
	pendingAt   time.Time
	startAt     time.Time
	startedAt   time.Time
	stoppedAt   time.Time
	exitAt      time.Time
	stopCode    string
	stopReason  string
	exitCode    *int
	exitReason  string
	failure     *Failure
	health      string // "", initial, healthy, unhealthy, draining
	passed      int
	failedCheck int
	nextCheck   time.Time
	drainUntil  time.Time
	logLines    []string
	counted     bool // counted as a failed task of its deployment
	targetGroup string
	port        int // the container port registered in targetGroup
}

type ecsDeployment struct {
	id, status, taskDef    string
	rollout, reason        string
	createdAt, updatedAt   time.Time
	visibleAt              time.Time
	desired, failed        int
	record                 *serviceDeployment
	rollbackOf             *ecsDeployment
	launchType             string
	capacityProviders      []any
	network, loadBalancers any
	completedAt            time.Time
	// primaryUntil: demoted by a newer deployment, it still shows as PRIMARY
	// to DescribeServices until that one shows.
	primaryUntil time.Time
}

type serviceDeployment struct {
	arn, status, reason string
	revisionArn         string
	taskDef             string
	createdAt           time.Time
	finishedAt          time.Time
}

type ecsEvent struct {
	at      time.Time
	message string
}

type ecsService struct {
	name, arn, clusterArn  string
	status                 string // ACTIVE, DRAINING, INACTIVE
	desired                int
	taskDef                string
	launchType             string
	capacityProviders      []any
	network                any
	loadBalancers          []map[string]any
	minPercent, maxPercent int
	breaker, rollback      bool
	grace                  time.Duration
	platformVersion        string
	tags                   []any
	alarms                 any
	deployments            []*ecsDeployment
	tasks                  []*ecsTask
	history                []*serviceDeployment // oldest first
	events                 []ecsEvent           // oldest first
	createdAt              time.Time
	deletedAt              time.Time
	// lowest is the fewest healthy targets seen since MarkOutages; -1 before.
	lowest int
	marked bool
	// controller is the deployment controller: ECS, or CODE_DEPLOY, whose
	// service runs task sets (tasksets.go) instead of deployments.
	controller string
	taskSets   []*taskSet
}

// simulate advances every service to t, a second at a time.
func (a *Account) simulate(until time.Time) {
	for !a.simAt.After(until) {
		for _, s := range a.serviceList() {
			a.step(s, a.simAt)
		}
		a.stepDeployments(a.simAt)
		a.simAt = a.simAt.Add(time.Second)
	}
}

func (a *Account) serviceList() []*ecsService {
	out := make([]*ecsService, 0, len(a.services))
	for _, s := range a.services {
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y *ecsService) int { return strings.Compare(x.name, y.name) })
	return out
}

func (a *Account) targetGroup(arn string) TargetGroup {
	if tg, ok := a.targetGroups[arn]; ok {
		return tg
	}
	return defaultTargetGroup
}

// step moves one service one second on.
func (a *Account) step(s *ecsService, t time.Time) {
	for _, task := range s.tasks {
		a.stepTask(s, task, t)
	}
	if s.status == "DRAINING" {
		if s.live() == 0 {
			s.status = "INACTIVE"
			s.deployments, s.taskSets = nil, nil
		}
		return
	}
	if s.status != "ACTIVE" {
		return
	}
	if s.controller == "CODE_DEPLOY" {
		a.stepTaskSets(s, t)
		return
	}
	primary := s.primary()
	if primary == nil {
		return
	}
	a.breakCircuit(s, primary, t)
	primary = s.primary()
	a.launch(s, primary, t)
	a.retire(s, primary, t)
	a.complete(s, primary, t)
	// A failed deployment leaves the list once its tasks are gone.
	s.deployments = slices.DeleteFunc(s.deployments, func(d *ecsDeployment) bool {
		return d.status == "ACTIVE" && d.rollout == "FAILED" && len(s.tasksOf(d.id, (*ecsTask).live)) == 0
	})
	if s.marked {
		if h := s.healthyTargets(); s.lowest < 0 || h < s.lowest {
			s.lowest = h
		}
	}
}

// stepTask moves a task along its lifecycle.
func (a *Account) stepTask(s *ecsService, task *ecsTask, t time.Time) {
	tg := a.targetGroup(task.targetGroup)
	switch task.status {
	case "PROVISIONING":
		if !t.Before(task.pendingAt) {
			task.status = "PENDING"
		}
	case "PENDING":
		if t.Before(task.startAt) {
			return
		}
		if f := task.failure; f != nil && f.StoppedReason != "" {
			task.stop(t, f.StopCode, f.StoppedReason)
			return
		}
		task.status, task.startedAt = "RUNNING", t
		if f := task.failure; f != nil && f.ExitCode != nil {
			task.exitAt = t.Add(f.ExitAfter)
		}
		if task.targetGroup != "" {
			task.health, task.nextCheck = "initial", t.Add(time.Duration(tg.IntervalSeconds)*time.Second)
		}
	case "RUNNING":
		if !task.exitAt.IsZero() && !t.Before(task.exitAt) {
			task.exitCode, task.exitReason = task.failure.ExitCode, task.failure.ContainerReason
			task.stop(t, "EssentialContainerExited", "Essential container in task exited")
			return
		}
		if task.desired == "STOPPED" {
			if !t.Before(task.drainUntil) {
				task.stop(t, "ServiceSchedulerInitiated", fmt.Sprintf("Scaling activity initiated by (deployment %s)", s.primaryID()))
			}
			return
		}
		if task.health == "" || t.Before(task.nextCheck) || !a.inUse(task.targetGroup) {
			return // ELB checks no target of a target group no listener uses
		}
		task.nextCheck = t.Add(time.Duration(tg.IntervalSeconds) * time.Second)
		if task.failure != nil && task.failure.Unhealthy {
			task.failedCheck++
			task.passed = 0
			if task.failedCheck >= tg.UnhealthyThreshold {
				task.health = "unhealthy"
			}
			if task.health == "unhealthy" && !t.Before(task.startedAt.Add(s.grace)) {
				task.stop(t, "ServiceSchedulerInitiated", fmt.Sprintf("Task failed ELB health checks in (target-group %s)", task.targetGroup))
			}
			return
		}
		task.passed++
		task.failedCheck = 0
		if task.passed >= tg.HealthyThreshold && task.health != "healthy" {
			task.health = "healthy"
			if d := s.deployment(task.deployment); d != nil {
				d.failed = 0 // resetOnHealthyTask, ECS's default
			}
		}
	}
}

func (task *ecsTask) stop(t time.Time, code, reason string) {
	task.status, task.desired, task.stoppedAt = "STOPPED", "STOPPED", t
	task.stopCode, task.stopReason = code, reason
	task.health = ""
	if f := task.failure; f != nil {
		task.logLines = f.LogLines
	}
}

func (task *ecsTask) live() bool { return task.status != "STOPPED" }

// failedUncounted is a task that failed (stopped other than by the scheduler
// winding its deployment down, or for failing the load balancer's health
// checks) and that its deployment has not counted yet.
func (task *ecsTask) failedUncounted() bool {
	return task.status == "STOPPED" && !task.counted &&
		(task.stopCode != "ServiceSchedulerInitiated" || strings.Contains(task.stopReason, "failed ELB health checks"))
}

// running is a task that serves: RUNNING, not being stopped, and a healthy
// target when it is behind a load balancer.
func (task *ecsTask) serving() bool {
	return task.status == "RUNNING" && task.desired == "RUNNING" && (task.targetGroup == "" || task.health == "healthy")
}

func (s *ecsService) live() int {
	n := 0
	for _, t := range s.tasks {
		if t.live() {
			n++
		}
	}
	return n
}

func (s *ecsService) healthyTargets() int {
	n := 0
	for _, t := range s.tasks {
		if t.serving() {
			n++
		}
	}
	return n
}

func (s *ecsService) primary() *ecsDeployment {
	for _, d := range s.deployments {
		if d.status == "PRIMARY" {
			return d
		}
	}
	return nil
}

func (s *ecsService) primaryID() string {
	if p := s.primary(); p != nil {
		return p.id
	}
	if ts := s.primaryTaskSet(); ts != nil {
		return ts.id
	}
	return ""
}

func (s *ecsService) deployment(id string) *ecsDeployment {
	for _, d := range s.deployments {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (s *ecsService) tasksOf(id string, keep func(*ecsTask) bool) []*ecsTask {
	var out []*ecsTask
	for _, t := range s.tasks {
		if t.deployment == id && keep(t) {
			out = append(out, t)
		}
	}
	return out
}

// breakCircuit fails the primary deployment once it counted the threshold of
// failed tasks, and rolls back to the last completed deployment.
func (a *Account) breakCircuit(s *ecsService, d *ecsDeployment, t time.Time) {
	for _, task := range s.tasksOf(d.id, (*ecsTask).failedUncounted) {
		task.counted = true
		d.failed++
	}
	if !s.breaker || d.rollout != "IN_PROGRESS" {
		return
	}
	threshold := min(max(int(math.Ceil(0.5*float64(d.desired))), 3), 200)
	if d.failed < threshold {
		return
	}
	d.rollout, d.updatedAt = "FAILED", t
	var last *ecsDeployment
	if s.rollback {
		last = a.lastCompleted[s.name]
	}
	if last == nil {
		d.reason = "ECS deployment circuit breaker: tasks failed to start."
		d.record.status, d.record.reason, d.record.finishedAt = "ROLLBACK_FAILED", "ECS deployment circuit breaker: no completed deployment to roll back to.", t
		s.event(t, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, d.id))
		return
	}
	d.reason = fmt.Sprintf("ECS deployment circuit breaker: rolling back to deploymentId %s.", last.id)
	d.record.status, d.record.reason = "ROLLBACK_IN_PROGRESS", d.reason
	s.event(t, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, d.id))
	if slices.Contains(s.deployments, last) {
		// The last completed deployment still has its tasks: ECS makes it
		// the primary one again, IN_PROGRESS until the failed one's tasks are
		// gone (aws/copilot-cli#4838, an ECS engineer's account).
		d.status, d.desired = "ACTIVE", 0
		last.status, last.rollout, last.updatedAt, last.desired, last.rollbackOf = "PRIMARY", "IN_PROGRESS", t, s.desired, d
	} else {
		rollback := a.newDeployment(s, last.taskDef, t, nil)
		rollback.rollbackOf = d
		rollback.launchType, rollback.capacityProviders, rollback.network, rollback.loadBalancers = last.launchType, last.capacityProviders, last.network, last.loadBalancers
	}
	s.taskDef = last.taskDef
	s.event(t, fmt.Sprintf("(service %s) rolling back to deployment %s.", s.name, last.id))
}

// launch starts tasks of the primary deployment, within maximumPercent.
func (a *Account) launch(s *ecsService, d *ecsDeployment, t time.Time) {
	if d.rollout == "FAILED" {
		return
	}
	limit := s.desired * s.maxPercent / 100
	for len(s.tasksOf(d.id, (*ecsTask).live)) < s.desired && s.live() < max(limit, 1) {
		a.startTask(s, d, t)
	}
	// Scale in: a completed deployment with more tasks than wanted.
	for _, task := range s.tasksOf(d.id, func(task *ecsTask) bool { return task.live() && task.desired == "RUNNING" }) {
		if len(s.tasksOf(d.id, func(task *ecsTask) bool { return task.live() && task.desired == "RUNNING" })) <= s.desired {
			break
		}
		a.drain(task, t)
	}
}

func (a *Account) startTask(s *ecsService, d *ecsDeployment, t time.Time) {
	var lb map[string]any
	if len(s.loadBalancers) > 0 {
		lb = s.loadBalancers[0]
	}
	a.launchTask(s, d.id, d.taskDef, lb, t)
}

// launchTask starts a task of taskDef for the deployment or task set id
// (its startedBy), registered in the load balancer's target group.
func (a *Account) launchTask(s *ecsService, id, taskDef string, lb map[string]any, t time.Time) {
	a.taskSerial++
	taskID := fmt.Sprintf("%032x", a.taskSerial)
	task := &ecsTask{
		arn: fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", a.region, AccountID, clusterName(s.clusterArn), taskID), id: taskID,
		deployment: id, taskDef: taskDef, ip: fmt.Sprintf("10.0.%d.%d", a.taskSerial/200%250, 10+a.taskSerial%200),
		status: "PROVISIONING", desired: "RUNNING", createdAt: t,
		pendingAt: t.Add(a.timing.Provision), startAt: t.Add(a.timing.Provision + a.timing.Start),
		failure: a.failureOf(taskDef),
	}
	if lb != nil {
		task.targetGroup, task.port = str(lb, "targetGroupArn"), num(lb, "containerPort")
	}
	s.tasks = append(s.tasks, task)
}

func (a *Account) drain(task *ecsTask, t time.Time) {
	task.desired = "STOPPED"
	if task.status != "RUNNING" {
		task.stop(t, "ServiceSchedulerInitiated", "Scaling activity initiated by the service scheduler")
		return
	}
	delay := time.Duration(a.targetGroup(task.targetGroup).DeregistrationDelaySeconds) * time.Second
	if task.targetGroup == "" || task.health == "" || task.health == "initial" {
		delay = 0
	}
	if task.targetGroup != "" {
		task.health = "draining"
	}
	task.drainUntil = t.Add(delay)
}

// retire stops the other deployments' tasks, keeping minimumHealthyPercent of
// the desired count serving.
func (a *Account) retire(s *ecsService, primary *ecsDeployment, t time.Time) {
	floor := int(math.Ceil(float64(s.desired) * float64(s.minPercent) / 100))
	for _, d := range s.deployments {
		if d == primary {
			continue
		}
		for _, task := range s.tasksOf(d.id, func(task *ecsTask) bool { return task.live() && task.desired == "RUNNING" }) {
			if task.serving() && s.healthyTargets()-1 < floor {
				continue
			}
			a.drain(task, t)
		}
	}
}

// complete marks the primary deployment COMPLETED once its own tasks are the
// desired count of healthy targets and the others' tasks are gone.
func (a *Account) complete(s *ecsService, d *ecsDeployment, t time.Time) {
	if d.rollout != "IN_PROGRESS" || len(s.tasksOf(d.id, (*ecsTask).serving)) < s.desired {
		return
	}
	for _, task := range s.tasks {
		if task.deployment != d.id && task.live() {
			return
		}
	}
	d.rollout, d.reason, d.updatedAt, d.completedAt = "COMPLETED", "ECS deployment "+d.id+" completed.", t, t
	for _, other := range s.deployments {
		if other != d && other.record != nil && other.record.status == "ROLLBACK_IN_PROGRESS" {
			other.record.status, other.record.finishedAt = "ROLLBACK_SUCCESSFUL", t
		}
	}
	s.deployments = []*ecsDeployment{d}
	if d.record != nil {
		d.record.status, d.record.finishedAt = "SUCCESSFUL", t
	}
	if d.rollbackOf != nil && d.rollbackOf.record != nil {
		d.rollbackOf.record.status, d.rollbackOf.record.finishedAt = "ROLLBACK_SUCCESSFUL", t
	}
	a.lastCompleted[s.name] = d
	s.event(t, fmt.Sprintf("(service %s) has reached a steady state.", s.name))
}

func (s *ecsService) event(t time.Time, message string) {
	s.events = append(s.events, ecsEvent{at: t, message: message})
}

// newDeployment makes a PRIMARY deployment of taskDef, the others ACTIVE.
// A deployment of the service's own (not a rollback) gets a service
// deployment record of its own.
func (a *Account) newDeployment(s *ecsService, taskDef string, t time.Time, record *serviceDeployment) *ecsDeployment {
	a.serial++
	d := &ecsDeployment{
		id: fmt.Sprintf("ecs-svc/%019d", 4000000000000000000+a.serial), status: "PRIMARY", taskDef: taskDef,
		rollout: "IN_PROGRESS", createdAt: t, updatedAt: t, visibleAt: t.Add(a.timing.Visible), desired: s.desired, record: record,
		launchType: s.launchType, capacityProviders: s.capacityProviders, network: s.network, loadBalancers: s.loadBalancers,
	}
	for _, other := range s.deployments {
		if other.status == "PRIMARY" {
			other.status, other.primaryUntil = "ACTIVE", d.visibleAt
			if other.rollout == "IN_PROGRESS" && other.record != nil && other.record.status == "IN_PROGRESS" {
				other.record.status, other.record.reason, other.record.finishedAt = "STOPPED", "Stopped by a newer deployment.", t
			}
		}
	}
	s.deployments = append([]*ecsDeployment{d}, s.deployments...)
	return d
}

// deploy starts a deployment of the service's task definition, as
// CreateService and an UpdateService that needs one do.
func (a *Account) deploy(s *ecsService, t time.Time) *ecsDeployment {
	record := &serviceDeployment{
		status: "IN_PROGRESS", taskDef: s.taskDef, createdAt: t,
		revisionArn: fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%d", a.region, AccountID, clusterName(s.clusterArn), s.name, len(s.history)+1+a.serial),
	}
	d := a.newDeployment(s, s.taskDef, t, record)
	record.arn = fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s", a.region, AccountID, clusterName(s.clusterArn), s.name, strings.TrimPrefix(d.id, "ecs-svc/"))
	s.history = append(s.history, record)
	return d
}

func (a *Account) failureOf(taskDef string) *Failure {
	for _, image := range a.images[taskDef] {
		if f, ok := a.broken[image]; ok {
			return &f
		}
	}
	return nil
}

func clusterName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
