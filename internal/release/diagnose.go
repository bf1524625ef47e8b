package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Target names the service to check.
type Target struct {
	Cluster string
	Service string
	// TaskDefinition is the task definition ARN whose deployment matters (the
	// one `pulumi up` just declared); empty means the newest deployment.
	TaskDefinition string
	// Deployment, when set, is the id of the deployment that matters (the one
	// the update started): it wins over TaskDefinition, which a rollback to the
	// same task definition shares.
	Deployment string
	// LogLines is how many of each stopped container's last log lines the
	// diagnosis shows (at most MaxLogLines); 0 shows none.
	LogLines int
}

// Report is a diagnosis: what the service runs, and why a rollout fails.
type Report struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	// Healthy: the newest deployment completed and the target group has
	// desiredCount healthy targets.
	Healthy      bool              `json:"healthy"`
	Verdict      string            `json:"verdict"`
	LeftRunning  string            `json:"leftRunning,omitempty"`
	DesiredCount int               `json:"desiredCount"`
	HealthyCount int               `json:"healthyTargets"`
	Deployments  []DeploymentState `json:"deployments"`
	Events       []Event           `json:"events"`
	StoppedTasks []StoppedTask     `json:"stoppedTasks"`
	Targets      []TargetState     `json:"targets"`
	// DeploymentAlarms are the alarms the service's deployments watch.
	DeploymentAlarms []string `json:"deploymentAlarms,omitempty"`
	Causes           []Cause  `json:"causes"`
	Recovery         string   `json:"recovery,omitempty"`
	// LastRollout is the service's newest deployment when it failed (rolled
	// back or stopped), as ECS keeps it, read when no deployment is asked for.
	LastRollout *FailedRollout `json:"lastRollout,omitempty"`
}

// DeploymentState is one deployment of the service.
type DeploymentState struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	TaskDefinition string `json:"taskDefinition"`
	RolloutState   string `json:"rolloutState,omitempty"`
	Reason         string `json:"reason,omitempty"`
	Desired        int    `json:"desired"`
	Running        int    `json:"running"`
	Pending        int    `json:"pending"`
	Failed         int    `json:"failed"`
}

// Event is a service event.
type Event struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// StoppedTask is a task of the newest deployment that stopped, with why.
type StoppedTask struct {
	ID             string          `json:"id"`
	TaskDefinition string          `json:"taskDefinition"`
	StopCode       string          `json:"stopCode,omitempty"`
	StoppedReason  string          `json:"stoppedReason"`
	Containers     []ContainerExit `json:"containers"`
	LogLines       []string        `json:"logLines,omitempty"`
}

// ContainerExit is how one container of a stopped task ended.
type ContainerExit struct {
	Name     string `json:"name"`
	ExitCode *int   `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// TargetState is one target of the target group.
type TargetState struct {
	ID          string `json:"id"`
	Port        int    `json:"port"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
}

// Cause is a known reason for a failed rollout and what fixes it: the config
// key to change, or the action to take.
type Cause struct {
	Summary string `json:"summary"`
	Fix     string `json:"fix"`
}

// Recovery says how to get back in step: after a failed rollout the stack's
// state records the new task definition while ECS runs the old one (or
// nothing), and the next `pulumi up` of the program finds that failed
// rollout and deploys the declared task definition again (see
// infra/redeploy.go).
const Recovery = "fix the cause, then run `pulumi up`: a fix in the stack config (image, memory, secrets, network) rolls out with it; after a fix outside the stack (the image pushed again, the secret created) `pulumi up` finds this failed rollout, deploys the same task definition again and verifies it. `pulumi config set redeploy <any new value>` forces one more deployment"

// ErrNoService is returned by Diagnose when the service does not exist.
var ErrNoService = errors.New("no such service")

// DefaultLogLines is how many of a stopped container's last log lines a
// report shows unless told; MaxLogLines the most it shows.
const (
	DefaultLogLines = 20
	MaxLogLines     = 100
)

// Diagnose reads the service, its deployments and events, the stopped tasks of
// the deployment of t.TaskDefinition (or of the newest), the target group's
// health and the log streams of the stopped tasks, and names the known causes.
// It errs only when it cannot tell: the service does not exist, or AWS refuses.
func Diagnose(ctx context.Context, c Clients, t Target) (*Report, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.Cluster), Services: []string{t.Service}})
	if err != nil {
		return nil, fmt.Errorf("describe service %s: %w", t.Service, err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return nil, fmt.Errorf("%w %s in cluster %s", ErrNoService, t.Service, t.Cluster)
	}
	svc := out.Services[0]
	r := &Report{Cluster: t.Cluster, Service: aws.ToString(svc.ServiceName), DesiredCount: int(svc.DesiredCount), Deployments: deploymentStates(svc), Events: []Event{}, StoppedTasks: []StoppedTask{}, Targets: []TargetState{}, Causes: []Cause{}}
	if dc := svc.DeploymentConfiguration; dc != nil && dc.Alarms != nil {
		r.DeploymentAlarms = dc.Alarms.AlarmNames
	}
	for i, e := range svc.Events {
		if i == 5 {
			break // ECS lists the newest first
		}
		r.Events = append(r.Events, Event{At: aws.ToTime(e.CreatedAt), Message: aws.ToString(e.Message)})
	}
	if t.TaskDefinition == "" && t.Deployment == "" {
		// No rollout asked for: the newest one ECS keeps tells whether it was
		// rolled back (the failed deployment may be gone from the service).
		if last, err := newestFailure(ctx, c, t); err == nil && last != nil {
			r.LastRollout = last
			t.TaskDefinition = last.TaskDefinition
		}
	}
	focus := focusDeployment(r.Deployments, t.TaskDefinition)
	if t.Deployment != "" {
		focus = deploymentByID(r.Deployments, t.Deployment)
	}
	if err := r.readStoppedTasks(ctx, c, t, focus); err != nil {
		return nil, err
	}
	for _, lb := range svc.LoadBalancers {
		if err := r.readTargets(ctx, c, aws.ToString(lb.TargetGroupArn)); err != nil {
			return nil, err
		}
	}
	r.judge(focus, t)
	return r, nil
}

// deploymentByID is the deployment with that id, nil when it is gone.
func deploymentByID(deps []DeploymentState, id string) *DeploymentState {
	for i := range deps {
		if deps[i].ID == id {
			return &deps[i]
		}
	}
	return nil
}

// deploymentStates are the service's deployments, as ECS reports them.
func deploymentStates(svc ecstypes.Service) []DeploymentState {
	out := []DeploymentState{}
	for _, d := range svc.Deployments {
		out = append(out, DeploymentState{
			ID: aws.ToString(d.Id), Status: aws.ToString(d.Status), TaskDefinition: aws.ToString(d.TaskDefinition),
			RolloutState: string(d.RolloutState), Reason: aws.ToString(d.RolloutStateReason),
			Desired: int(d.DesiredCount), Running: int(d.RunningCount), Pending: int(d.PendingCount), Failed: int(d.FailedTasks),
		})
	}
	return out
}

// focusDeployment is the deployment of taskDefinition, else the newest
// (PRIMARY) one; nil when there is none.
func focusDeployment(deps []DeploymentState, taskDefinition string) *DeploymentState {
	for i := range deps {
		if taskDefinition != "" && deps[i].TaskDefinition == taskDefinition {
			return &deps[i]
		}
	}
	if taskDefinition != "" {
		return nil
	}
	for i := range deps {
		if deps[i].Status == "PRIMARY" {
			return &deps[i]
		}
	}
	return nil
}

func (r *Report) primary() *DeploymentState {
	return focusDeployment(r.Deployments, "")
}

// readStoppedTasks reads the tasks of the service that stopped (ECS shows
// them for about an hour) and keeps those of the focus deployment (or, when it
// is gone, of t's task definition), with the last lines of their log stream.
func (r *Report) readStoppedTasks(ctx context.Context, c Clients, t Target, focus *DeploymentState) error {
	cluster := t.Cluster
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(t.Service), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		return fmt.Errorf("list stopped tasks: %w", err)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	arns := list.TaskArns[:min(len(list.TaskArns), 100)] // DescribeTasks takes at most 100
	tasks, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		return fmt.Errorf("describe stopped tasks: %w", err)
	}
	logConfigs := map[string]map[string]ecstypes.LogConfiguration{}
	for _, task := range tasks.Tasks {
		switch taskDefinition := aws.ToString(task.TaskDefinitionArn); {
		case focus != nil && aws.ToString(task.StartedBy) != focus.ID && taskDefinition != focus.TaskDefinition:
			continue
		case focus == nil && t.TaskDefinition != "" && taskDefinition != t.TaskDefinition:
			continue
		}
		st := StoppedTask{ID: resourceID(aws.ToString(task.TaskArn)), TaskDefinition: aws.ToString(task.TaskDefinitionArn), StopCode: string(task.StopCode), StoppedReason: aws.ToString(task.StoppedReason)}
		for _, ct := range task.Containers {
			exit := ContainerExit{Name: aws.ToString(ct.Name), Reason: aws.ToString(ct.Reason)}
			if ct.ExitCode != nil {
				code := int(*ct.ExitCode)
				exit.ExitCode = &code
			}
			st.Containers = append(st.Containers, exit)
		}
		if exited(st) {
			configs, ok := logConfigs[st.TaskDefinition]
			if !ok {
				configs, err = containerLogs(ctx, c, st.TaskDefinition)
				if err != nil {
					return err
				}
				logConfigs[st.TaskDefinition] = configs
			}
			st.LogLines = lastLogLines(ctx, c, configs, st, t.LogLines)
		}
		r.StoppedTasks = append(r.StoppedTasks, st)
		if len(r.StoppedTasks) == 3 {
			break // the same reason repeats; three tasks tell it
		}
	}
	return nil
}

// exited reports whether a container of the task ran and exited, so that its
// log stream may say why.
func exited(st StoppedTask) bool {
	for _, c := range st.Containers {
		if c.ExitCode != nil {
			return true
		}
	}
	return false
}

// containerLogs returns the awslogs configuration of each container of a task
// definition.
func containerLogs(ctx context.Context, c Clients, taskDefinition string) (map[string]ecstypes.LogConfiguration, error) {
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDefinition)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", taskDefinition, err)
	}
	configs := map[string]ecstypes.LogConfiguration{}
	if out.TaskDefinition == nil {
		return configs, nil
	}
	for _, cd := range out.TaskDefinition.ContainerDefinitions {
		if cd.LogConfiguration != nil && cd.LogConfiguration.LogDriver == ecstypes.LogDriverAwslogs {
			configs[aws.ToString(cd.Name)] = *cd.LogConfiguration
		}
	}
	return configs, nil
}

// lastLogLines reads the end of the log stream of each exited container: the
// awslogs driver names it <prefix>/<container>/<task id>.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
// A stream that cannot be read is skipped: the rest of the report still holds.
func lastLogLines(ctx context.Context, c Clients, configs map[string]ecstypes.LogConfiguration, st StoppedTask, n int) []string {
	var lines []string
	if n <= 0 {
		return nil
	}
	for _, ct := range st.Containers {
		conf, ok := configs[ct.Name]
		if !ok || ct.ExitCode == nil {
			continue
		}
		group, prefix := conf.Options["awslogs-group"], conf.Options["awslogs-stream-prefix"]
		if group == "" || prefix == "" {
			continue
		}
		out, err := c.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(group),
			LogStreamName: aws.String(prefix + "/" + ct.Name + "/" + st.ID),
			Limit:         aws.Int32(int32(min(n, MaxLogLines))),
			StartFromHead: aws.Bool(false),
		})
		if err != nil {
			continue
		}
		for _, e := range out.Events {
			lines = append(lines, strings.TrimRight(aws.ToString(e.Message), "\n"))
		}
	}
	return lines
}

func (r *Report) readTargets(ctx context.Context, c Clients, targetGroupArn string) error {
	if targetGroupArn == "" {
		return nil
	}
	out, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupArn)})
	if err != nil {
		return fmt.Errorf("describe target health: %w", err)
	}
	for _, d := range out.TargetHealthDescriptions {
		ts := TargetState{}
		if d.Target != nil {
			ts.ID, ts.Port = aws.ToString(d.Target.Id), int(aws.ToInt32(d.Target.Port))
		}
		if d.TargetHealth != nil {
			ts.State, ts.Reason, ts.Description = string(d.TargetHealth.State), string(d.TargetHealth.Reason), aws.ToString(d.TargetHealth.Description)
		}
		if ts.State == "healthy" {
			r.HealthyCount++
		}
		r.Targets = append(r.Targets, ts)
	}
	return nil
}

// judge sets the verdict, what the service was left running, and the causes.
func (r *Report) judge(focus *DeploymentState, t Target) {
	taskDefinition := t.TaskDefinition
	primary := r.primary()
	// A service without the circuit breaker reports no rollout state: one
	// deployment with all its tasks running is its completed one.
	if focus != nil && focus.RolloutState == "" && len(r.Deployments) == 1 && focus.Running >= focus.Desired {
		focus.RolloutState = "COMPLETED"
	}
	switch {
	case r.LastRollout != nil:
		reason := r.LastRollout.Status
		if r.LastRollout.Reason != "" {
			reason += ": " + r.LastRollout.Reason
		}
		r.Verdict = fmt.Sprintf("the last rollout failed: deployment %s of %s ended %s", r.LastRollout.Deployment, revision(r.LastRollout.TaskDefinition), reason)
		if focus != nil && focus.Status == "PRIMARY" {
			focus = nil // the primary deployment is the rollback, not the failed one
		}
	case focus != nil && focus.RolloutState == "COMPLETED" && focus.Status == "PRIMARY" && r.HealthyCount >= r.DesiredCount:
		r.Healthy = true
		r.Verdict = fmt.Sprintf("healthy: deployment %s of %s completed, %d of %d targets healthy", focus.ID, revision(focus.TaskDefinition), r.HealthyCount, r.DesiredCount)
	case focus == nil && t.Deployment != "":
		r.Verdict = fmt.Sprintf("deployment %s of %s is gone: ECS rolled it back", t.Deployment, revision(taskDefinition))
	case focus == nil && taskDefinition != "":
		r.Verdict = fmt.Sprintf("the deployment of %s is gone: ECS rolled it back", revision(taskDefinition))
	case focus == nil:
		r.Verdict = "the service has no deployment"
	case focus.RolloutState == "FAILED":
		r.Verdict = fmt.Sprintf("deployment %s of %s failed: %s", focus.ID, revision(focus.TaskDefinition), orNone(focus.Reason))
	case focus.RolloutState == "COMPLETED":
		r.Verdict = fmt.Sprintf("deployment %s of %s completed, but only %d of %d targets are healthy", focus.ID, revision(focus.TaskDefinition), r.HealthyCount, r.DesiredCount)
	default:
		r.Verdict = fmt.Sprintf("deployment %s of %s is in progress: %d of %d tasks running, %d of %d targets healthy", focus.ID, revision(focus.TaskDefinition), focus.Running, focus.Desired, r.HealthyCount, r.DesiredCount)
	}
	if !r.Healthy {
		switch {
		case primary != nil && focus != nil && primary.TaskDefinition != focus.TaskDefinition:
			r.LeftRunning = fmt.Sprintf("rolled back to %s (%d of %d tasks running)", revision(primary.TaskDefinition), primary.Running, primary.Desired)
		case primary != nil && focus != nil && primary.ID != focus.ID:
			r.LeftRunning = fmt.Sprintf("rolled back to deployment %s of the same %s (%d of %d tasks running)", primary.ID, revision(primary.TaskDefinition), primary.Running, primary.Desired)
		case primary != nil && focus == nil && taskDefinition != "":
			r.LeftRunning = fmt.Sprintf("rolled back to %s (%d of %d tasks running)", revision(primary.TaskDefinition), primary.Running, primary.Desired)
		case r.HealthyCount == 0:
			r.LeftRunning = "no healthy task: the API does not answer"
		default:
			r.LeftRunning = fmt.Sprintf("%d of %d targets healthy", r.HealthyCount, r.DesiredCount)
		}
		r.Recovery = Recovery
	}
	r.Causes = causes(r)
}

// Revision shortens a task definition ARN to family:revision.
func Revision(taskDefinition string) string { return revision(taskDefinition) }

// revision shortens a task definition ARN to family:revision.
func revision(taskDefinition string) string {
	if a, err := arn.Parse(taskDefinition); err == nil {
		return strings.TrimPrefix(a.Resource, "task-definition/")
	}
	return taskDefinition
}

// resourceID is the last part of an ARN's resource (a task's id).
func resourceID(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// causes names the known causes found in the report, each once.
func causes(r *Report) []Cause {
	out := []Cause{}
	add := func(c Cause) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, d := range r.Deployments {
		if c, ok := alarmCause(d, r.DeploymentAlarms); ok {
			add(c)
		}
	}
	for _, st := range r.StoppedTasks {
		for _, c := range taskCauses(st) {
			add(c)
		}
	}
	for _, t := range r.Targets {
		if c, ok := targetCause(t); ok {
			add(c)
		}
	}
	return out
}
