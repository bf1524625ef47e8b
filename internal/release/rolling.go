package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The rolling strategy: ECS's rolling update, with its circuit breaker
// rolling back a deployment whose tasks never become healthy. `pulumi up`
// follows the deployment that makes ECS run the declared task definition,
// by its id, until the rule of converge.go holds, and fails with a diagnosis
// as soon as the deployment failed, was rolled back, or stopped a task for a
// cause that does not pass on its own.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html

// ReleaseOptions say how the rolling release goes.
type ReleaseOptions struct {
	// Before are the ids of the service's deployments before this run
	// updated it, and NotBefore when that update began (set when ids could
	// not be read): a deployment among the others was started by the update.
	// Both empty: the service was not updated by this run (or was created).
	Before    []string
	NotBefore time.Time
	// Updated: this run's update of the service changed an input that makes
	// ECS start a deployment (task definition, network, load balancers,
	// capacity providers, platform version), so one is expected.
	Updated bool
	// Force: deploy again even if ECS runs the declared task definition (the
	// redeploy key got a new value).
	Force bool
	// Wait says how to follow the deployment.
	Wait WaitOptions
}

// Release makes ECS run the declared task definition and verifies that the
// service converges on it:
//   - the deployment this run's update of the service started is followed,
//     when it deploys the declared task definition;
//   - else, unless Force, a deployment of the declared task definition that
//     ECS runs or is rolling out is followed (an earlier check timed out or
//     was interrupted; or tasks are being replaced, or the count changed);
//   - else (ECS runs another revision, rolled back, or the last deployment
//     of the declared one failed, or Force), UpdateService starts one with
//     the declared task definition given, whatever the provider's state or
//     diff believed, and that one is followed.
func Release(ctx context.Context, c Clients, d Declared, o ReleaseOptions) error {
	if o.Wait.Deadline.IsZero() {
		o.Wait.Deadline = time.Now().Add(o.Wait.Timeout)
	}
	if d.CodeDeploy != nil {
		return releaseCodeDeploy(ctx, c, d, o)
	}
	w := o.Wait
	w.Deployment = ""
	svc, err := readService(ctx, c, d, w)
	if err != nil {
		return err
	}
	if svc == nil {
		return fmt.Errorf("service %s does not exist in cluster %s: if it was deleted outside the stack, run `pulumi refresh`, then `pulumi up` creates it again", d.Service, d.Cluster)
	}
	if o.Updated && (len(o.Before) > 0 || !o.NotBefore.IsZero()) {
		// The update's deployment, once ECS shows it.
		w.Before, w.NotBefore = o.Before, o.NotBefore
		started, err := appeared(ctx, c, d, w)
		if err != nil {
			return err
		}
		if started != nil && d.deploymentMatches(*started) {
			w.Deployment = aws.ToString(started.Id)
			return Wait(ctx, c, target(d), w)
		}
		if svc, err = readService(ctx, c, d, w); err != nil {
			return err
		}
	}
	primary := primaryDeployment(*svc)
	if !o.Force && primary != nil && d.deploymentMatches(*primary) && primary.RolloutState != ecstypes.DeploymentRolloutStateFailed {
		w.Deployment = aws.ToString(primary.Id)
		return Wait(ctx, c, target(d), w)
	}
	if w.Deployment, err = Start(ctx, c, d); err != nil {
		return err
	}
	if w.Progress != nil {
		w.Progress(fmt.Sprintf("deploying %s: deployment %s started", revision(d.TaskDefinition), w.Deployment))
	}
	return Wait(ctx, c, target(d), w)
}

func target(d Declared) Target {
	return Target{Cluster: d.Cluster, Service: d.Service, TaskDefinition: d.TaskDefinition}
}

// readService reads the service, trying again on a passing failure for up
// to a minute.
func readService(ctx context.Context, c Clients, d Declared, o WaitOptions) (*ecstypes.Service, error) {
	var svc *ecstypes.Service
	err := retry(ctx, c, time.Minute, o.Interval, func() error {
		var err error
		svc, err = describeService(ctx, c, d.Cluster, d.Service)
		return err
	})
	return svc, err
}

// appeared waits up to AppearWithin for the deployment this run's update
// started; nil when none shows.
func appeared(ctx context.Context, c Clients, d Declared, o WaitOptions) (*ecstypes.Deployment, error) {
	w := &waiter{c: c, t: target(d), o: o, start: time.Now()}
	within := o.AppearWithin
	if within <= 0 {
		within = DefaultAppearWithin
	}
	for interval := firstInterval(o.Interval); ; interval = nextInterval(interval, o.Interval) {
		svc, err := readService(ctx, c, d, o)
		if err != nil {
			return nil, err
		}
		if svc != nil {
			if dep := w.firstNew(*svc); dep != nil {
				return dep, nil
			}
		}
		if time.Since(w.start) > within || (!o.Deadline.IsZero() && time.Now().After(o.Deadline)) {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, &Interrupted{TaskDefinition: d.TaskDefinition}
		case <-time.After(interval):
		}
	}
}

// Start makes ECS deploy the declared task definition: UpdateService with
// that task definition (and the declared network and capacity providers)
// and forceNewDeployment, so that ECS deploys it even when its service
// already names it. It returns the new deployment's id.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
func Start(ctx context.Context, c Clients, d Declared) (string, error) {
	var out *ecs.UpdateServiceOutput
	err := retry(ctx, c, time.Minute, time.Second, func() error {
		var err error
		in := &ecs.UpdateServiceInput{
			Cluster: aws.String(d.Cluster), Service: aws.String(d.Service),
			TaskDefinition: aws.String(d.TaskDefinition), ForceNewDeployment: true,
		}
		if l := d.Launch; l != nil {
			// What the stack declares, not what ECS kept after a rollback.
			public := ecstypes.AssignPublicIpDisabled
			if l.AssignPublicIP {
				public = ecstypes.AssignPublicIpEnabled
			}
			in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets: l.Subnets, SecurityGroups: l.SecurityGroups, AssignPublicIp: public,
			}}
			for _, s := range l.CapacityProviders {
				in.CapacityProviderStrategy = append(in.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{
					CapacityProvider: aws.String(s.CapacityProvider), Base: int32(s.Base), Weight: int32(s.Weight),
				})
			}
		}
		out, err = c.ECS.UpdateService(ctx, in)
		if err != nil {
			return fmt.Errorf("deploy %s: %w", revision(d.TaskDefinition), err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if out.Service != nil {
		if p := primaryDeployment(*out.Service); p != nil {
			return aws.ToString(p.Id), nil
		}
	}
	return "", fmt.Errorf("deploy %s: ECS answered with no primary deployment", revision(d.TaskDefinition))
}

// retry calls f until it succeeds, fails for good (Permanent: a *Refused
// naming the action and the identity), or within runs out (the last
// failure), waiting interval between tries.
func retry(ctx context.Context, c Clients, within, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil || Permanent(err) || !time.Now().Add(interval).Before(deadline) {
			return refused(err, c.Identity)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// WaitOptions say what to wait for, and how.
type WaitOptions struct {
	// Deployment is the id of the deployment to follow. When empty, the wait
	// follows the first deployment that is not among Before (nor older than
	// NotBefore), once ECS shows it: a new service's first one, when both are
	// empty too.
	Deployment string
	Before     []string
	NotBefore  time.Time
	// Timeout bounds the wait; Interval is the longest time between two
	// polls (the first ones come sooner). Deadline, when set, ends the wait
	// instead: Release sets it when it begins, so that what it does before
	// the wait (looking for the update's deployment, starting one) counts
	// against the same Timeout.
	Timeout, Interval time.Duration
	Deadline          time.Time
	// AppearWithin bounds the wait for a new deployment to show in
	// DescribeServices: ECS's API is eventually consistent.
	AppearWithin time.Duration
	// Progress, when set, is told how the rollout goes every ProgressEvery.
	Progress      func(string)
	ProgressEvery time.Duration
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
	// CodeDeploy: the deployment is CodeDeploy's, not ECS's.
	CodeDeploy bool
}

func (e *Interrupted) Error() string {
	what := "the rollout of " + revision(e.TaskDefinition)
	if e.Deployment != "" {
		what = fmt.Sprintf("deployment %s of %s", e.Deployment, revision(e.TaskDefinition))
	}
	if e.CodeDeploy {
		if e.Deployment != "" {
			what = "CodeDeploy " + what
		}
		return fmt.Sprintf("the rollout check was interrupted before %s ended: CodeDeploy goes on with it (one that has not moved production traffic yet waits for a `pulumi up` to see the new task set healthy on the test listener, and stops after rolloutTimeoutMinutes without one). The next `pulumi up` follows it to its end and verifies it (or releases %s again if it failed); `go run ./cmd/doctor` tells how it goes", what, revision(e.TaskDefinition))
	}
	return fmt.Sprintf("the rollout check was interrupted before %s ended: ECS goes on with it. The next `pulumi up` follows it to its end and verifies it (or deploys %s again if it failed); `go run ./cmd/doctor` tells how it goes", what, revision(e.TaskDefinition))
}

// Wait follows a deployment (see WaitOptions) until the service converges
// on it: it is the service's one deployment, PRIMARY and COMPLETED, with the
// desired count (the count ECS wants now, which autoscaling may change) of
// its own tasks running and healthy targets. It fails as soon as that
// deployment FAILED, stopped being PRIMARY or vanished after it was seen (ECS
// rolled it back, whatever its task definition), stopped a task for a cause
// that does not pass on its own (an image that does not exist, a secret or
// registry it may not read, a container killed for memory), when no new
// deployment shows within AppearWithin, or when Timeout runs out; the error
// is an *Error holding the diagnosis. A read that AWS refuses for good fails
// at once (a *Refused naming the permission); one that fails for a passing
// reason (throttling, a fault of AWS, the network) is read again until the
// deadline, and named if it lasts. A cancelled ctx ends the wait with an
// *Interrupted.
func Wait(ctx context.Context, c Clients, t Target, o WaitOptions) error {
	w := &waiter{c: c, t: t, o: o, start: time.Now(), followed: o.Deployment, seenStopped: map[string]bool{}}
	if w.o.AppearWithin <= 0 {
		w.o.AppearWithin = DefaultAppearWithin
	}
	deadline := o.Deadline
	if deadline.IsZero() {
		deadline = w.start.Add(o.Timeout)
	}
	lastProgress := w.start
	for interval := firstInterval(o.Interval); ; interval = nextInterval(interval, o.Interval) {
		state, err := w.poll(ctx)
		if ctx.Err() != nil {
			return &Interrupted{Deployment: w.followed, TaskDefinition: t.TaskDefinition}
		}
		switch {
		case err != nil && Permanent(err):
			return refused(err, c.Identity)
		case err != nil:
			w.lastErr = err
			state.progress = fmt.Sprintf("rollout of %s: reading AWS failed, trying again: %v", revision(t.TaskDefinition), err)
		case state.done:
			if o.Healthy != nil {
				*o.Healthy = w.healthy
			}
			return nil
		case state.failed:
			return w.diagnosed(ctx, state.why, state.recovery)
		}
		if !time.Now().Before(deadline) {
			prefix := fmt.Sprintf("the rollout did not finish within %s (rolloutTimeoutMinutes): ", o.Timeout)
			if w.lastErr != nil {
				prefix += fmt.Sprintf("the last read of AWS failed (%v): ", w.lastErr)
			}
			return w.diagnosed(ctx, prefix, "")
		}
		if o.Progress != nil && o.ProgressEvery > 0 && time.Since(lastProgress) >= o.ProgressEvery {
			o.Progress(state.progress)
			lastProgress = time.Now()
		}
		select {
		case <-ctx.Done():
			return &Interrupted{Deployment: w.followed, TaskDefinition: t.TaskDefinition}
		case <-time.After(min(interval, time.Until(deadline)+time.Millisecond)):
		}
	}
}

// firstInterval and nextInterval space the polls: soon at first (a change
// that starts no deployment, or a count change, settles in seconds), then
// half as long again each time, up to longest.
func firstInterval(longest time.Duration) time.Duration { return min(2*time.Second, longest) }

func nextInterval(d, longest time.Duration) time.Duration { return min(d*3/2, longest) }

type waiter struct {
	c     Clients
	t     Target
	o     WaitOptions
	start time.Time
	// followed is the id of the deployment the wait follows, once known;
	// seen, once DescribeServices showed it.
	followed string
	seen     bool
	lastErr  error
	// desired is the count ECS wanted at the last read; healthy how many of
	// the followed deployment's tasks were healthy targets.
	desired, healthy int
	// seenStopped are the stopped tasks already judged.
	seenStopped map[string]bool
}

type pollState struct {
	done, failed bool
	// why says why the rollout failed, when the diagnosis does not (its
	// prefix); recovery what to do, when not the usual.
	why, recovery string
	progress      string
}

// poll reads the service and, once the deployment it follows is known, how
// many of that deployment's tasks are healthy targets, and whether one
// stopped for a cause that does not pass.
func (w *waiter) poll(ctx context.Context) (pollState, error) {
	svc, err := describeService(ctx, w.c, w.t.Cluster, w.t.Service)
	if err != nil {
		return pollState{}, err
	}
	if svc == nil {
		// A service just created may not show yet.
		if time.Since(w.start) > w.o.AppearWithin {
			return pollState{failed: true, why: fmt.Sprintf("service %s does not show in cluster %s %s after it was created: ", w.t.Service, w.t.Cluster, w.o.AppearWithin)}, nil
		}
		return pollState{progress: fmt.Sprintf("waiting for ECS to show service %s", w.t.Service)}, nil
	}
	w.desired = int(svc.DesiredCount)
	dep, state := w.deployment(*svc)
	if dep == nil {
		return state, nil
	}
	id := aws.ToString(dep.Id)
	addresses, err := taskAddresses(ctx, w.c, w.t.Cluster, w.t.Service, id)
	if err != nil {
		return pollState{}, err
	}
	if w.healthy, err = healthyTargets(ctx, w.c, *svc, addresses); err != nil {
		return pollState{}, err
	}
	if why, err := w.certainStop(ctx, id); err != nil {
		return pollState{}, err
	} else if why != "" {
		return pollState{failed: true, why: why, recovery: fastRecovery}, nil
	}
	state.progress = fmt.Sprintf("rollout of %s: %d/%d tasks running, %d/%d targets healthy (%s)", revision(aws.ToString(dep.TaskDefinition)), dep.RunningCount, w.desired, w.healthy, w.desired, dep.RolloutState)
	state.done = dep.RolloutState == ecstypes.DeploymentRolloutStateCompleted && aws.ToString(dep.Status) == "PRIMARY" &&
		len(svc.Deployments) == 1 && int(dep.RunningCount) >= w.desired && w.healthy >= w.desired
	return state, nil
}

// deployment is the deployment the wait follows, once it shows. It returns
// nil and the state to report when there is none to follow yet, or when it
// failed.
func (w *waiter) deployment(svc ecstypes.Service) (*ecstypes.Deployment, pollState) {
	if w.followed == "" {
		first := w.firstNew(svc)
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
		w.seen = true
		switch {
		case d.RolloutState == ecstypes.DeploymentRolloutStateFailed:
			return nil, pollState{failed: true}
		case aws.ToString(d.Status) != "PRIMARY":
			return nil, pollState{failed: true, why: fmt.Sprintf("deployment %s is no longer the service's primary one (ECS rolled it back or replaced it): ", w.followed)}
		}
		return &svc.Deployments[i], pollState{}
	}
	if !w.seen && time.Since(w.start) < w.o.AppearWithin {
		// A deployment just started may not show yet: ECS's API is
		// eventually consistent.
		return nil, pollState{progress: "waiting for ECS to show deployment " + w.followed}
	}
	return nil, pollState{failed: true} // seen, now gone: rolled back
}

// firstNew is the first deployment created after the update began (not
// among Before, nor older than NotBefore): a rollback comes later. Of two
// created at once, the one of the declared task definition.
func (w *waiter) firstNew(svc ecstypes.Service) *ecstypes.Deployment {
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
	return first
}

// fastRecovery is what to do after a verdict given before ECS's circuit
// breaker ended the deployment.
const fastRecovery = "ECS goes on launching tasks of this deployment until its circuit breaker rolls it back (after at least 3 failed tasks). Fix the cause, then run `pulumi up`: it follows the deployment if ECS still runs it, or deploys the declared revision again once ECS rolled it back, and verifies it"

// certainStop is why the followed deployment cannot succeed, when one of its
// tasks stopped for a cause that does not pass on its own: an image or tag
// that does not exist or may not be pulled, a secret or registry the
// execution role may not read, the essential container killed for memory.
// Such a task says it the first time; ECS's circuit breaker would wait for
// at least three. A cause that may pass (a health check failing, a network
// timeout, an exit code seen once) returns "".
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
func (w *waiter) certainStop(ctx context.Context, deployment string) (string, error) {
	arns, err := listTasks(ctx, w.c, w.t.Cluster, w.t.Service, ecstypes.DesiredStatusStopped)
	if err != nil {
		return "", err
	}
	var fresh []string
	for _, a := range arns {
		if !w.seenStopped[a] {
			fresh = append(fresh, a)
		}
	}
	tasks, err := describeTasks(ctx, w.c, w.t.Cluster, fresh)
	if err != nil {
		return "", err
	}
	for _, task := range tasks {
		w.seenStopped[aws.ToString(task.TaskArn)] = true
		if aws.ToString(task.StartedBy) != deployment || aws.ToString(task.LastStatus) != "STOPPED" {
			if aws.ToString(task.LastStatus) != "STOPPED" {
				delete(w.seenStopped, aws.ToString(task.TaskArn)) // judge it once it stopped
			}
			continue
		}
		st := stoppedTask(task)
		if c, ok := certainCause(st); ok {
			return fmt.Sprintf("task %s of deployment %s stopped: %s, which does not pass on its own: ", st.ID, deployment, c), nil
		}
	}
	return "", nil
}

// certainCause names a stopped task's cause when it leaves no doubt.
func certainCause(st StoppedTask) (string, bool) {
	lower := strings.ToLower(st.StoppedReason)
	switch {
	case networkTrouble(lower):
		return "", false
	case strings.Contains(st.StoppedReason, "CannotPullContainerError"):
		for _, s := range []string{"not found", "manifest unknown", "does not exist", "repository does not exist", "pull access denied", "accessdenied", "access denied", "403 forbidden", "unauthorized"} {
			if strings.Contains(lower, s) {
				return "the image cannot be pulled (" + st.StoppedReason + ")", true
			}
		}
	case strings.Contains(st.StoppedReason, "ResourceInitializationError"):
		for _, s := range []string{"accessdenied", "access denied", "not authorized", "resourcenotfoundexception", "parameternotfound", "does not exist"} {
			if strings.Contains(lower, s) {
				return "a secret or the registry's credentials cannot be read (" + st.StoppedReason + ")", true
			}
		}
	}
	for _, c := range st.Containers {
		// Killed for memory at start: the new revision needs more than the
		// task has. Later, it may be a load spike, which another task survives.
		if strings.Contains(c.Reason, "OutOfMemoryError") && st.ranFor <= memoryAtStart {
			return fmt.Sprintf("container %s was killed for memory %s after it started (%s)", c.Name, st.ranFor.Round(time.Second), c.Reason), true
		}
	}
	return "", false
}

// memoryAtStart is how soon after its start a task killed for memory was
// killed by what it does at start, not by its load.
const memoryAtStart = 2 * time.Minute

// stoppedTask is a task as the diagnosis shows it.
func stoppedTask(task ecstypes.Task) StoppedTask {
	st := StoppedTask{ID: resourceID(aws.ToString(task.TaskArn)), TaskDefinition: aws.ToString(task.TaskDefinitionArn), StopCode: string(task.StopCode), StoppedReason: aws.ToString(task.StoppedReason)}
	if task.StartedAt != nil && task.StoppedAt != nil {
		st.ranFor = task.StoppedAt.Sub(*task.StartedAt)
	}
	for _, ct := range task.Containers {
		exit := ContainerExit{Name: aws.ToString(ct.Name), Reason: aws.ToString(ct.Reason)}
		if ct.ExitCode != nil {
			code := int(*ct.ExitCode)
			exit.ExitCode = &code
		}
		st.Containers = append(st.Containers, exit)
	}
	return st
}

// healthyTargets counts the healthy targets of the service's target groups
// that are at addresses (a deployment's own tasks). An old deployment's
// tasks, or another service's, do not count.
func healthyTargets(ctx context.Context, c Clients, svc ecstypes.Service, addresses map[string]bool) (int, error) {
	healthy := 0
	for _, lb := range svc.LoadBalancers {
		if aws.ToString(lb.TargetGroupArn) == "" {
			continue
		}
		th, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: lb.TargetGroupArn})
		if err != nil {
			return 0, fmt.Errorf("describe target health: %w", err)
		}
		for _, d := range th.TargetHealthDescriptions {
			if d.TargetHealth != nil && d.TargetHealth.State == "healthy" && d.Target != nil && addresses[aws.ToString(d.Target.Id)] {
				healthy++
			}
		}
	}
	return healthy, nil
}

// taskAddresses are the private IPv4 addresses of the running tasks that
// deployment started (the targets of an IP target group): ECS tags each
// task of a service with the deployment that started it (startedBy).
func taskAddresses(ctx context.Context, c Clients, cluster, service, deployment string) (map[string]bool, error) {
	arns, err := listTasks(ctx, c, cluster, service, ecstypes.DesiredStatusRunning)
	if err != nil {
		return nil, err
	}
	tasks, err := describeTasks(ctx, c, cluster, arns)
	if err != nil {
		return nil, err
	}
	addresses := map[string]bool{}
	for _, task := range tasks {
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

// listTasks lists the service's tasks of a desired status, every page (at
// most 100 a page).
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
func listTasks(ctx context.Context, c Clients, cluster, service string, status ecstypes.DesiredStatus) ([]string, error) {
	var arns []string
	pages := ecs.NewListTasksPaginator(c.ECS, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: status})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s tasks: %w", strings.ToLower(string(status)), err)
		}
		arns = append(arns, page.TaskArns...)
	}
	return arns, nil
}

// describeTasksBatch is the most tasks DescribeTasks takes at once.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
const describeTasksBatch = 100

// describeTasks describes tasks, a hundred at a time.
func describeTasks(ctx context.Context, c Clients, cluster string, arns []string) ([]ecstypes.Task, error) {
	var tasks []ecstypes.Task
	for start := 0; start < len(arns); start += describeTasksBatch {
		out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[start:min(start+describeTasksBatch, len(arns))]})
		if err != nil {
			return nil, fmt.Errorf("describe tasks: %w", err)
		}
		tasks = append(tasks, out.Tasks...)
	}
	return tasks, nil
}

// DeploymentIDs are the ids of the service's deployments now.
func DeploymentIDs(ctx context.Context, c Clients, t Target) ([]string, error) {
	svc, err := describeService(ctx, c, t.Cluster, t.Service)
	if err != nil || svc == nil {
		return nil, err
	}
	ids := []string{}
	for _, d := range svc.Deployments {
		ids = append(ids, aws.ToString(d.Id))
	}
	return ids, nil
}

// diagnosed returns the diagnosis of a failed rollout as an *Error.
func (w *waiter) diagnosed(ctx context.Context, prefix, recovery string) error {
	t := w.t
	t.Deployment = w.followed
	report, err := Diagnose(ctx, w.c, t)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &Interrupted{Deployment: w.followed, TaskDefinition: t.TaskDefinition}
		}
		if Permanent(err) {
			return fmt.Errorf("%sthe rollout failed; %w", prefix, refused(err, w.c.Identity))
		}
		return fmt.Errorf("%sthe rollout failed, and the diagnosis too: %w", prefix, err)
	}
	report.Healthy = false
	report.Verdict = prefix + report.Verdict
	switch {
	case recovery != "":
		report.Recovery = recovery
	case report.Recovery == "":
		report.Recovery = Recovery
	}
	return &Error{Report: report}
}
