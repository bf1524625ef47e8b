package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// WaitOptions say what to wait for, and how.
type WaitOptions struct {
	// Before are the ids of the service's deployments before the change, and
	// NotBefore when the change began: the wait follows the deployment that is
	// not among them (and not older). Both empty: a new service, whose first
	// deployment is followed.
	Before    []string
	NotBefore time.Time
	// NoDeployment: the change starts no deployment (desiredCount, tags): the
	// wait checks that the PRIMARY deployment is complete at the count ECS
	// now wants, with that many healthy targets.
	NoDeployment bool
	// Timeout bounds the wait; Interval is the time between two polls.
	Timeout, Interval time.Duration
	// AppearWithin bounds the wait for the new deployment to show in
	// DescribeServices: ECS's API is eventually consistent.
	AppearWithin time.Duration
	// Progress, when set, is told how the rollout goes every ProgressEvery polls.
	Progress      func(string)
	ProgressEvery int
	// Healthy, when set, is given the count of healthy targets the verified
	// deployment has.
	Healthy *int
}

// DefaultAppearWithin is how long the check waits for ECS to show the
// deployment an update started.
const DefaultAppearWithin = 2 * time.Minute

// Error is a rollout that failed, with its diagnosis.
type Error struct {
	Report *Report
}

func (e *Error) Error() string { return e.Report.Text() }

// Interrupted is a wait the engine or the user stopped before the rollout
// ended; ECS goes on with it.
type Interrupted struct {
	Deployment, TaskDefinition string
}

func (e *Interrupted) Error() string {
	what := "the rollout of " + revision(e.TaskDefinition)
	if e.Deployment != "" {
		what = fmt.Sprintf("deployment %s of %s", e.Deployment, revision(e.TaskDefinition))
	}
	return fmt.Sprintf("the rollout check was interrupted before %s ended: ECS goes on with it. `go run ./cmd/doctor` tells how it ends; if it fails, the next `pulumi up` deploys it again and verifies it", what)
}

// Wait follows the deployment the change started (see WaitOptions) until it
// has rolloutState COMPLETED, is the service's PRIMARY deployment and its
// own tasks are healthy targets, desiredCount of them (the count ECS wants
// now, which autoscaling may change). It fails as soon as that deployment
// FAILED, stopped being PRIMARY or vanished after it was seen (ECS rolled it
// back, whatever its task definition), when no new deployment shows within
// AppearWithin, or when Timeout runs out; the error is an *Error holding the
// diagnosis. A failed read of AWS (throttling, a timeout, an expired
// session) is read again until the deadline, and named if it lasts. A
// cancelled ctx ends the wait with an *Interrupted.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
func Wait(ctx context.Context, c Clients, t Target, o WaitOptions) error {
	w := &waiter{c: c, t: t, o: o, start: time.Now()}
	if w.o.AppearWithin <= 0 {
		w.o.AppearWithin = DefaultAppearWithin
	}
	deadline := w.start.Add(o.Timeout)
	for poll := 1; ; poll++ {
		state, err := w.poll(ctx)
		if ctx.Err() != nil {
			return &Interrupted{Deployment: w.followed, TaskDefinition: t.TaskDefinition}
		}
		w.lastErr = err
		switch {
		case err != nil:
			state.progress = fmt.Sprintf("rollout of %s: reading AWS failed, trying again: %v", revision(t.TaskDefinition), err)
		case state.done:
			if o.Healthy != nil {
				*o.Healthy = w.healthy
			}
			return nil
		case state.failed:
			return w.diagnosed(ctx, state.why)
		}
		if !time.Now().Before(deadline) {
			prefix := fmt.Sprintf("the rollout did not finish within %s (rolloutTimeoutMinutes): ", o.Timeout)
			if w.lastErr != nil {
				prefix += fmt.Sprintf("the last read of AWS failed (%v): ", w.lastErr)
			}
			return w.diagnosed(ctx, prefix)
		}
		if o.Progress != nil && o.ProgressEvery > 0 && poll%o.ProgressEvery == 0 {
			o.Progress(state.progress)
		}
		select {
		case <-ctx.Done():
			return &Interrupted{Deployment: w.followed, TaskDefinition: t.TaskDefinition}
		case <-time.After(min(o.Interval, time.Until(deadline)+time.Millisecond)):
		}
	}
}

type waiter struct {
	c     Clients
	t     Target
	o     WaitOptions
	start time.Time
	// followed is the id of the deployment the wait follows, once seen.
	followed string
	lastErr  error
	// Desired is the count ECS wanted at the last read; Healthy how many of
	// the followed deployment's tasks were healthy targets.
	desired, healthy int
}

type pollState struct {
	done, failed bool
	// why says why the rollout failed, when the diagnosis does not (its prefix).
	why      string
	progress string
}

// poll reads the service and, once the deployment it follows is known, how
// many of that deployment's tasks are healthy targets.
func (w *waiter) poll(ctx context.Context) (pollState, error) {
	out, err := w.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(w.t.Cluster), Services: []string{w.t.Service}})
	if err != nil {
		return pollState{}, fmt.Errorf("describe service %s: %w", w.t.Service, err)
	}
	if len(out.Services) == 0 {
		// A service just created may not show yet.
		if time.Since(w.start) > w.o.AppearWithin {
			return pollState{failed: true, why: fmt.Sprintf("service %s does not show in cluster %s %s after it was created: ", w.t.Service, w.t.Cluster, w.o.AppearWithin)}, nil
		}
		return pollState{progress: fmt.Sprintf("waiting for ECS to show service %s", w.t.Service)}, nil
	}
	svc := out.Services[0]
	w.desired = int(svc.DesiredCount)
	dep, state := w.deployment(svc)
	if dep == nil {
		return state, nil
	}
	id := aws.ToString(dep.Id)
	if err := w.countHealthy(ctx, svc, id); err != nil {
		return pollState{}, err
	}
	state.progress = fmt.Sprintf("rollout of %s: %d/%d tasks running, %d/%d targets healthy (%s)", revision(aws.ToString(dep.TaskDefinition)), dep.RunningCount, w.desired, w.healthy, w.desired, dep.RolloutState)
	state.done = dep.RolloutState == ecstypes.DeploymentRolloutStateCompleted && aws.ToString(dep.Status) == "PRIMARY" &&
		int(dep.RunningCount) >= w.desired && w.healthy >= w.desired
	return state, nil
}

// deployment is the deployment the wait follows: the PRIMARY one when the
// change starts none, else the newest one the change started, once it shows.
// It returns nil and the state to report when there is none to follow yet, or
// when it failed.
func (w *waiter) deployment(svc ecstypes.Service) (*ecstypes.Deployment, pollState) {
	if w.o.NoDeployment {
		for i, d := range svc.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" {
				w.followed = aws.ToString(d.Id)
				if d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
					return nil, pollState{failed: true}
				}
				return &svc.Deployments[i], pollState{}
			}
		}
		return nil, pollState{progress: "waiting for the service's primary deployment"}
	}
	if w.followed == "" {
		// The update's deployment is the first one created after it began: a
		// rollback comes later. Of two created at once, the one of the
		// declared task definition.
		var first *ecstypes.Deployment
		for i, d := range svc.Deployments {
			if slices.Contains(w.o.Before, aws.ToString(d.Id)) || (!w.o.NotBefore.IsZero() && aws.ToTime(d.CreatedAt).Before(w.o.NotBefore)) {
				continue
			}
			if first == nil {
				first = &svc.Deployments[i]
				continue
			}
			at, firstAt := aws.ToTime(d.CreatedAt), aws.ToTime(first.CreatedAt)
			if at.Before(firstAt) || (at.Equal(firstAt) && aws.ToString(d.TaskDefinition) == w.t.TaskDefinition && aws.ToString(first.TaskDefinition) != w.t.TaskDefinition) {
				first = &svc.Deployments[i]
			}
		}
		if first == nil {
			if time.Since(w.start) > w.o.AppearWithin {
				return nil, pollState{failed: true, why: fmt.Sprintf("ECS shows no deployment started by this update %s after it: ", w.o.AppearWithin)}
			}
			return nil, pollState{progress: "waiting for ECS to show the deployment this update started"}
		}
		w.followed = aws.ToString(first.Id)
	}
	for i, d := range svc.Deployments {
		if aws.ToString(d.Id) != w.followed {
			continue
		}
		switch {
		case d.RolloutState == ecstypes.DeploymentRolloutStateFailed:
			return nil, pollState{failed: true}
		case aws.ToString(d.Status) != "PRIMARY":
			return nil, pollState{failed: true, why: fmt.Sprintf("deployment %s is no longer the service's primary one (ECS rolled it back or replaced it): ", w.followed)}
		}
		return &svc.Deployments[i], pollState{}
	}
	return nil, pollState{failed: true} // seen, now gone: rolled back
}

// countHealthy counts the healthy targets that are tasks of deployment id:
// the addresses of its running tasks (ECS tags each task with the deployment
// that started it) among the target group's healthy targets. An old
// deployment's tasks, or another service's, do not count.
func (w *waiter) countHealthy(ctx context.Context, svc ecstypes.Service, id string) error {
	addresses, err := taskAddresses(ctx, w.c, w.t.Cluster, w.t.Service, id)
	if err != nil {
		return err
	}
	w.healthy = 0
	for _, lb := range svc.LoadBalancers {
		th, err := w.c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: lb.TargetGroupArn})
		if err != nil {
			return fmt.Errorf("describe target health: %w", err)
		}
		for _, d := range th.TargetHealthDescriptions {
			if d.TargetHealth != nil && d.TargetHealth.State == "healthy" && d.Target != nil && addresses[aws.ToString(d.Target.Id)] {
				w.healthy++
			}
		}
	}
	return nil
}

// taskAddresses are the private IPv4 addresses of the running tasks that
// deployment started (the targets of an IP target group).
func taskAddresses(ctx context.Context, c Clients, cluster, service, deployment string) (map[string]bool, error) {
	addresses := map[string]bool{}
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil {
		return nil, fmt.Errorf("list running tasks: %w", err)
	}
	if len(list.TaskArns) == 0 {
		return addresses, nil
	}
	tasks, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil, fmt.Errorf("describe running tasks: %w", err)
	}
	for _, task := range tasks.Tasks {
		if aws.ToString(task.StartedBy) != deployment {
			continue
		}
		for _, a := range task.Attachments {
			for _, d := range a.Details {
				if aws.ToString(d.Name) == "privateIPv4Address" {
					addresses[aws.ToString(d.Value)] = true
				}
			}
		}
	}
	return addresses, nil
}

// DeploymentIDs are the ids of the service's deployments now.
func DeploymentIDs(ctx context.Context, c Clients, t Target) ([]string, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.Cluster), Services: []string{t.Service}})
	if err != nil {
		return nil, fmt.Errorf("describe service %s: %w", t.Service, err)
	}
	ids := []string{}
	for _, s := range out.Services {
		for _, d := range s.Deployments {
			ids = append(ids, aws.ToString(d.Id))
		}
	}
	return ids, nil
}

// diagnosed returns the diagnosis of a failed rollout as an *Error.
func (w *waiter) diagnosed(ctx context.Context, prefix string) error {
	t := w.t
	t.Deployment = w.followed
	report, err := Diagnose(ctx, w.c, t)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &Interrupted{Deployment: w.followed, TaskDefinition: t.TaskDefinition}
		}
		return fmt.Errorf("%sthe rollout failed, and the diagnosis too: %w", prefix, err)
	}
	report.Healthy = false
	report.Verdict = prefix + report.Verdict
	if report.Recovery == "" {
		report.Recovery = Recovery
	}
	return &Error{Report: report}
}
