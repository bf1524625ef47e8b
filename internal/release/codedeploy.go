package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"gopkg.in/yaml.v3"
)

// The blue/green strategies (blueGreen, canary, linear): CodeDeploy starts
// the declared task definition as a replacement task set in the second
// target group, sends the test listener to it, shifts production traffic to
// it (at once, canary or linear), waits, and ends the original task set;
// a failure or a watched alarm moves traffic back. `pulumi up` starts the
// deployment, follows it by id and ends when the rule below holds, or fails
// with what CodeDeploy and ECS say.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-bluegreen.html
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html
//
// The rule, under CodeDeploy: ECS runs, as the service's one task set, the
// declared task definition (with the declared network, platform version and
// capacity providers), steady, with the desired count of its tasks healthy
// behind its target group, which every production listener sends all
// traffic to; and no CodeDeploy deployment of the group is under way.

// CodeDeploy is what a CodeDeploy release of the declared task definition
// names, besides the service.
type CodeDeploy struct {
	Application, DeploymentGroup string
	// ContainerName and ContainerPort are the container the load balancer
	// sends traffic to.
	ContainerName string
	ContainerPort int
	// ProductionListeners are the listeners production traffic goes through.
	ProductionListeners []string
}

// activeStatuses are the statuses of a CodeDeploy deployment under way: a
// group runs one at a time.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeployments.html
var activeStatuses = []cdtypes.DeploymentStatus{
	cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
	cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady,
}

// appSpec is the AppSpec of a release of d: the declared task definition,
// the container and port the load balancer sends traffic to, the network,
// the platform version and the capacity providers.
// https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
func appSpec(d Declared) string {
	cd, l := d.CodeDeploy, d.Launch
	if l == nil {
		l = &Launch{}
	}
	public := "DISABLED"
	if l.AssignPublicIP {
		public = "ENABLED"
	}
	props := map[string]any{
		"TaskDefinition":   d.TaskDefinition,
		"LoadBalancerInfo": map[string]any{"ContainerName": cd.ContainerName, "ContainerPort": cd.ContainerPort},
		"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{
			"Subnets": l.Subnets, "SecurityGroups": l.SecurityGroups, "AssignPublicIp": public,
		}},
	}
	if l.PlatformVersion != "" {
		props["PlatformVersion"] = l.PlatformVersion
	}
	if len(l.CapacityProviders) > 0 {
		var list []map[string]any
		for _, s := range l.CapacityProviders {
			list = append(list, map[string]any{"CapacityProvider": s.CapacityProvider, "Base": s.Base, "Weight": s.Weight})
		}
		props["CapacityProviderStrategy"] = list
	}
	out, _ := json.Marshal(map[string]any{ // cannot fail: strings, numbers and lists
		"version":   "0.0",
		"Resources": []any{map[string]any{"TargetService": map[string]any{"Type": "AWS::ECS::Service", "Properties": props}}},
	})
	return string(out)
}

// DeploymentTaskDefinition is the task definition a deployment's AppSpec
// names ("" when it cannot tell). An AppSpec is YAML or JSON, which YAML
// reads too (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html).
// GetDeployment's revision is not relied on to carry the AppSpec's content
// (kayac/ecspresso reads it through GetApplicationRevision): when it holds
// only the SHA-256, the content is asked for by it.
func DeploymentTaskDefinition(ctx context.Context, c Clients, info *cdtypes.DeploymentInfo) string {
	if info == nil || info.Revision == nil || info.Revision.AppSpecContent == nil {
		return ""
	}
	content := aws.ToString(info.Revision.AppSpecContent.Content)
	if content == "" {
		out, err := c.CodeDeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: info.ApplicationName, Revision: info.Revision})
		if err != nil || out.Revision == nil || out.Revision.AppSpecContent == nil {
			return ""
		}
		content = aws.ToString(out.Revision.AppSpecContent.Content)
	}
	var spec struct {
		Resources []map[string]struct {
			Properties struct {
				TaskDefinition string `yaml:"TaskDefinition"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if yaml.Unmarshal([]byte(content), &spec) != nil {
		return ""
	}
	for _, r := range spec.Resources {
		for _, target := range r {
			return target.Properties.TaskDefinition
		}
	}
	return ""
}

// activeDeployment is the group's deployment under way, nil when there is none.
func activeDeployment(ctx context.Context, c Clients, cd *CodeDeploy) (*cdtypes.DeploymentInfo, error) {
	list, err := c.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: aws.String(cd.Application), DeploymentGroupName: aws.String(cd.DeploymentGroup), IncludeOnlyStatuses: activeStatuses,
	})
	var noGroup *cdtypes.DeploymentGroupDoesNotExistException
	var noApp *cdtypes.ApplicationDoesNotExistException
	switch {
	case errors.As(err, &noGroup) || errors.As(err, &noApp):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("list deployments of %s: %w", cd.DeploymentGroup, err)
	}
	if len(list.Deployments) == 0 {
		return nil, nil
	}
	return getDeployment(ctx, c, list.Deployments[0])
}

func getDeployment(ctx context.Context, c Clients, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("get deployment %s: %w", id, err)
	}
	return out.DeploymentInfo, nil
}

// taskSets is the service's task sets as the rule judges them.
type taskSets struct {
	svc     *ecstypes.Service
	primary *ecstypes.TaskSet
	healthy int
	// traffic is the share of production traffic the primary's target group
	// gets, in percent (the least over the production listeners).
	traffic int
}

// converged reports whether the task sets meet the rule for d.
func (ts taskSets) converged(d Declared) bool {
	p := ts.primary
	return p != nil && len(ts.svc.TaskSets) == 1 && aws.ToString(p.TaskDefinition) == d.TaskDefinition && sameLaunch(*p, d) &&
		p.StabilityStatus == ecstypes.StabilityStatusSteadyState && int(p.RunningCount) >= int(ts.svc.DesiredCount) &&
		ts.healthy >= int(ts.svc.DesiredCount) && ts.traffic == 100
}

// sameLaunch reports whether a task set runs with the declared network,
// platform version and capacity providers (a change of any of them is a
// release of its own under CodeDeploy).
func sameLaunch(ts ecstypes.TaskSet, d Declared) bool {
	return d.Launch.matches(ts.NetworkConfiguration, ts.PlatformVersion, ts.CapacityProviderStrategy)
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func sortedStrategy(s []StrategyItem) []StrategyItem {
	out := slices.Clone(s)
	slices.SortFunc(out, func(x, y StrategyItem) int { return strings.Compare(x.CapacityProvider, y.CapacityProvider) })
	return out
}

// readTaskSets reads the service's task sets, the primary one's healthy
// targets and its share of production traffic; nil when the service does
// not exist.
func readTaskSets(ctx context.Context, c Clients, d Declared) (*taskSets, error) {
	svc, err := describeService(ctx, c, d.Cluster, d.Service)
	if err != nil || svc == nil {
		return nil, err
	}
	ts := &taskSets{svc: svc}
	for i, s := range svc.TaskSets {
		if aws.ToString(s.Status) == "PRIMARY" {
			ts.primary = &svc.TaskSets[i]
		}
	}
	if ts.primary == nil {
		return ts, nil
	}
	addresses, err := taskAddresses(ctx, c, d.Cluster, d.Service, aws.ToString(ts.primary.Id))
	if err != nil {
		return nil, err
	}
	primarySvc := *svc
	primarySvc.LoadBalancers = ts.primary.LoadBalancers
	if ts.healthy, err = healthyTargets(ctx, c, primarySvc, addresses); err != nil {
		return nil, err
	}
	var group string
	for _, lb := range ts.primary.LoadBalancers {
		group = aws.ToString(lb.TargetGroupArn)
	}
	if ts.traffic, err = trafficTo(ctx, c, d.CodeDeploy.ProductionListeners, group); err != nil {
		return nil, err
	}
	return ts, nil
}

// trafficTo is the share of traffic, in percent, the listeners send to the
// target group (the least of them); 100 with no listener named.
func trafficTo(ctx context.Context, c Clients, listeners []string, targetGroup string) (int, error) {
	if len(listeners) == 0 {
		return 100, nil
	}
	out, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: listeners})
	if err != nil {
		return 0, fmt.Errorf("describe listeners: %w", err)
	}
	least := 100
	for _, l := range out.Listeners {
		share := 0
		for _, a := range l.DefaultActions {
			switch {
			case a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0:
				total, ours := 0, 0
				for _, tg := range a.ForwardConfig.TargetGroups {
					w := int(aws.ToInt32(tg.Weight))
					total += w
					if aws.ToString(tg.TargetGroupArn) == targetGroup {
						ours += w
					}
				}
				if total > 0 {
					share = ours * 100 / total
				}
			case aws.ToString(a.TargetGroupArn) == targetGroup:
				share = 100
			}
		}
		least = min(least, share)
	}
	return least, nil
}

// observeCodeDeploy measures a CodeDeploy-released service against the rule.
func observeCodeDeploy(ctx context.Context, c Clients, d Declared) (Status, error) {
	ts, err := readTaskSets(ctx, c, d)
	if err != nil {
		return Status{}, err
	}
	if ts == nil {
		return Status{Action: Create, Summary: fmt.Sprintf("service %s does not exist yet: `pulumi up` creates it and verifies its first task set", d.Service)}, nil
	}
	declared := revision(d.TaskDefinition)
	active, err := activeDeployment(ctx, c, d.CodeDeploy)
	if err != nil {
		return Status{}, err
	}
	st := Status{Desired: int(ts.svc.DesiredCount), Healthy: ts.healthy}
	if ts.primary != nil {
		st.Running, st.Deployment = aws.ToString(ts.primary.TaskDefinition), aws.ToString(ts.primary.Id)
	}
	switch {
	case active != nil && DeploymentTaskDefinition(ctx, c, active) == d.TaskDefinition:
		st.Action = Follow
		st.Summary = fmt.Sprintf("CodeDeploy is still releasing %s (deployment %s, %s): `pulumi up` follows it to its end and verifies it", declared, aws.ToString(active.DeploymentId), active.Status)
	case active != nil:
		st.Action = Deploy
		st.Summary = fmt.Sprintf("CodeDeploy is releasing %s (deployment %s), not the declared %s: `pulumi up` stops it (traffic goes back to what ran before) and releases %s", revision(DeploymentTaskDefinition(ctx, c, active)), aws.ToString(active.DeploymentId), declared, declared)
	case ts.converged(d):
		st.Action = Nothing
		st.Summary = fmt.Sprintf("ECS runs %s as the service's one task set, %d of %d tasks healthy, all production traffic", declared, ts.healthy, st.Desired)
	case ts.primary != nil && aws.ToString(ts.primary.TaskDefinition) == d.TaskDefinition && sameLaunch(*ts.primary, d) && len(ts.svc.TaskSets) == 1:
		st.Action = Follow
		st.Summary = fmt.Sprintf("ECS's task set of %s is not steady yet (%d of %d tasks running, %d healthy, %d %% of production traffic): `pulumi up` waits for it", declared, ts.primary.RunningCount, st.Desired, ts.healthy, ts.traffic)
	default:
		st.Action = Deploy
		running := "no task set"
		if ts.primary != nil {
			running = revision(st.Running)
		}
		st.Summary = fmt.Sprintf("ECS serves %s, not the declared %s: `pulumi up` releases %s through CodeDeploy and verifies it", running, declared, declared)
	}
	return st, nil
}

// releaseCodeDeploy makes ECS serve the declared task definition through
// CodeDeploy and verifies it:
//   - a deployment of it under way is followed (an earlier up was
//     interrupted or timed out); one of another revision is stopped, traffic
//     going back, before the declared one is released (CodeDeploy runs one
//     deployment per group at a time);
//   - a service that meets the rule needs nothing (unless Force); one whose
//     task set is the declared one but not steady yet is waited for (a new
//     service's first task set, a count change);
//   - else CreateDeployment with the declared AppSpec, followed by id.
func releaseCodeDeploy(ctx context.Context, c Clients, d Declared, o ReleaseOptions) error {
	w := o.Wait
	stopped := map[string]bool{}
	// CreateDeployment fails with DeploymentLimitExceededException while a
	// deployment of the group is under way (one at a time), such as the
	// rollback CodeDeploy starts when one is stopped: the group is settled
	// again, a few times at most.
	for attempt := 1; ; attempt++ {
		following, err := settleCodeDeploy(ctx, c, d, o, stopped)
		if err != nil || following {
			return err
		}
		ts, err := retryRead(ctx, c, w, func() (*taskSets, error) { return readTaskSets(ctx, c, d) })
		if err != nil {
			return err
		}
		if ts == nil {
			return fmt.Errorf("service %s does not exist in cluster %s: if it was deleted outside the stack, run `pulumi refresh`, then `pulumi up` creates it again", d.Service, d.Cluster)
		}
		if !o.Force && ts.primary != nil && len(ts.svc.TaskSets) == 1 && aws.ToString(ts.primary.TaskDefinition) == d.TaskDefinition && sameLaunch(*ts.primary, d) && ts.traffic == 100 {
			return waitTaskSet(ctx, c, d, w)
		}
		var out *codedeploy.CreateDeploymentOutput
		var busy *cdtypes.DeploymentLimitExceededException
		err = retry(ctx, c, time.Minute, time.Second, func() error {
			var err error
			out, err = c.CodeDeploy.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
				ApplicationName: aws.String(d.CodeDeploy.Application), DeploymentGroupName: aws.String(d.CodeDeploy.DeploymentGroup),
				Description: aws.String("pulumi up: " + revision(d.TaskDefinition)),
				Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
					AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appSpec(d))}},
			})
			if err != nil {
				return fmt.Errorf("release %s: %w", revision(d.TaskDefinition), err)
			}
			return nil
		})
		if errors.As(err, &busy) && attempt < maxSettleAttempts {
			continue
		}
		if err != nil {
			return err
		}
		id := aws.ToString(out.DeploymentId)
		if w.Progress != nil {
			w.Progress(fmt.Sprintf("releasing %s: CodeDeploy deployment %s started", revision(d.TaskDefinition), id))
		}
		return followCodeDeploy(ctx, c, d, id, w)
	}
}

// maxSettleAttempts bounds how often the release settles the group again
// after CodeDeploy answered that a deployment is under way.
const maxSettleAttempts = 3

// settleCodeDeploy leaves the group with no deployment under way: a
// deployment of the declared revision is followed (following: true; an
// earlier up was interrupted or timed out); a rollback CodeDeploy started
// (creator codeDeployRollback), or one already stopped, is waited for: it
// puts the previous revision back, and stopping it would leave traffic
// half-way; one of another revision is stopped, traffic going back, and the
// rollback it starts waited for in turn.
func settleCodeDeploy(ctx context.Context, c Clients, d Declared, o ReleaseOptions, stopped map[string]bool) (following bool, err error) {
	w := o.Wait
	for {
		active, err := retryRead(ctx, c, w, func() (*cdtypes.DeploymentInfo, error) { return activeDeployment(ctx, c, d.CodeDeploy) })
		if err != nil || active == nil {
			return false, err
		}
		id := aws.ToString(active.DeploymentId)
		rollback := active.Creator == cdtypes.DeploymentCreatorCodeDeployRollback
		switch {
		case !rollback && !stopped[id] && !o.Force && DeploymentTaskDefinition(ctx, c, active) == d.TaskDefinition:
			return true, followCodeDeploy(ctx, c, d, id, w)
		case rollback || stopped[id]:
			if w.Progress != nil {
				w.Progress(fmt.Sprintf("waiting for CodeDeploy deployment %s to end (%s): traffic goes back to what ran before", id, map[bool]string{true: "a rollback", false: "stopped"}[rollback]))
			}
			if err := waitCodeDeployEnd(ctx, c, id, w, time.Until(w.Deadline)); err != nil {
				return false, err
			}
		default:
			if w.Progress != nil {
				w.Progress(fmt.Sprintf("stopping CodeDeploy deployment %s of another revision: traffic goes back to what ran before", id))
			}
			if err := stopCodeDeploy(ctx, c, id, w, time.Until(w.Deadline)); err != nil {
				return false, err
			}
			stopped[id] = true
		}
	}
}

// retryRead reads with f until it succeeds, fails for good, or a minute runs out.
func retryRead[T any](ctx context.Context, c Clients, w WaitOptions, f func() (T, error)) (T, error) {
	var v T
	err := retry(ctx, c, time.Minute, max(w.Interval, time.Millisecond), func() error {
		var err error
		v, err = f()
		return err
	})
	return v, err
}

// stopCodeDeploy stops a deployment, traffic going back to what ran before,
// and waits until CodeDeploy says it ended, at most within.
func stopCodeDeploy(ctx context.Context, c Clients, id string, w WaitOptions, within time.Duration) error {
	err := retry(ctx, c, time.Minute, time.Second, func() error {
		_, err := c.CodeDeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
		return err
	})
	var completed *cdtypes.DeploymentAlreadyCompletedException
	if err != nil && !errors.As(err, &completed) {
		return fmt.Errorf("stop deployment %s: %w", id, err)
	}
	return waitCodeDeployEnd(ctx, c, id, w, within)
}

// waitCodeDeployEnd waits, at most within, until deployment id is no longer
// under way.
func waitCodeDeployEnd(ctx context.Context, c Clients, id string, w WaitOptions, within time.Duration) error {
	deadline := time.Now().Add(within)
	for interval := firstInterval(w.Interval); time.Now().Before(deadline); interval = nextInterval(interval, w.Interval) {
		info, err := getDeployment(ctx, c, id)
		if err != nil && Permanent(err) {
			return refused(err, c.Identity)
		}
		if err == nil && !slices.Contains(activeStatuses, info.Status) {
			return nil
		}
		select {
		case <-ctx.Done():
			return &Interrupted{Deployment: id, CodeDeploy: true}
		case <-time.After(interval):
		}
	}
	return fmt.Errorf("CodeDeploy deployment %s did not end within %s", id, within)
}

// stopSettle bounds the wait for a deployment `pulumi up` stopped to end,
// so that the diagnosis shows the rollback CodeDeploy started.
const stopSettle = time.Minute

// pastDeadline reports whether a wait begun at start is over.
func pastDeadline(start time.Time, w WaitOptions) bool {
	if !w.Deadline.IsZero() {
		return time.Now().After(w.Deadline)
	}
	return time.Since(start) > w.Timeout
}

// waitTaskSet waits until the service's task set of the declared task
// definition meets the rule (a new service's first one, a new count).
func waitTaskSet(ctx context.Context, c Clients, d Declared, w WaitOptions) error {
	start, lastProgress := time.Now(), time.Now()
	var lastErr error
	for interval := firstInterval(w.Interval); ; interval = nextInterval(interval, w.Interval) {
		ts, err := readTaskSets(ctx, c, d)
		switch {
		case ctx.Err() != nil:
			return &Interrupted{TaskDefinition: d.TaskDefinition, CodeDeploy: true}
		case err != nil && Permanent(err):
			return refused(err, c.Identity)
		case err != nil:
			lastErr = err
		case ts == nil:
			return fmt.Errorf("service %s does not exist in cluster %s", d.Service, d.Cluster)
		case ts.converged(d):
			if w.Healthy != nil {
				*w.Healthy = ts.healthy
			}
			return nil
		default:
			if w.Progress != nil && w.ProgressEvery > 0 && time.Since(lastProgress) >= w.ProgressEvery && ts.primary != nil {
				w.Progress(fmt.Sprintf("task set of %s: %d/%d tasks running, %d/%d targets healthy, %d %% of production traffic", revision(d.TaskDefinition), ts.primary.RunningCount, ts.svc.DesiredCount, ts.healthy, ts.svc.DesiredCount, ts.traffic))
				lastProgress = time.Now()
			}
		}
		if pastDeadline(start, w) {
			report, derr := diagnoseCodeDeploy(ctx, c, d, "")
			prefix := fmt.Sprintf("the task set of %s did not become steady within %s (rolloutTimeoutMinutes): ", revision(d.TaskDefinition), w.Timeout)
			if lastErr != nil {
				prefix += fmt.Sprintf("the last read of AWS failed (%v): ", lastErr)
			}
			if derr != nil {
				return fmt.Errorf("%s%w", prefix, derr)
			}
			report.Verdict = prefix + report.Verdict
			return &Error{Report: report}
		}
		select {
		case <-ctx.Done():
			return &Interrupted{TaskDefinition: d.TaskDefinition, CodeDeploy: true}
		case <-time.After(interval):
		}
	}
}

// followCodeDeploy follows a CodeDeploy deployment by id until it succeeded
// and the service meets the rule, or fails with the diagnosis: at once when
// it failed or was stopped (traffic back on the previous task set), or when
// a task of the replacement task set stopped for a cause that does not pass
// on its own (the deployment is then stopped, traffic staying where it is);
// at the timeout otherwise (CodeDeploy goes on, and the next up follows it).
func followCodeDeploy(ctx context.Context, c Clients, d Declared, id string, w WaitOptions) error {
	start, lastProgress := time.Now(), time.Now()
	seen := map[string]bool{}
	failed := 0 // stopped tasks of the new task set
	var lastErr error
	for interval := firstInterval(w.Interval); ; interval = nextInterval(interval, w.Interval) {
		info, err := getDeployment(ctx, c, id)
		if ctx.Err() != nil {
			return &Interrupted{Deployment: id, TaskDefinition: d.TaskDefinition, CodeDeploy: true}
		}
		switch {
		case err != nil && Permanent(err):
			return refused(err, c.Identity)
		case err != nil:
			lastErr = err
		case info.Status == cdtypes.DeploymentStatusSucceeded:
			return waitTaskSet(ctx, c, d, w)
		case info.Status == cdtypes.DeploymentStatusFailed || info.Status == cdtypes.DeploymentStatusStopped:
			return codeDeployFailed(ctx, c, d, id, "", "")
		default:
			target, err := deploymentTarget(ctx, c, id)
			if err == nil && info.Status == cdtypes.DeploymentStatusReady {
				var moved bool
				if moved, err = continueWhenHealthy(ctx, c, d, id, target, w); err == nil && moved {
					lastProgress = time.Now()
				}
			}
			if err != nil && Permanent(err) {
				return refused(err, c.Identity)
			}
			if why, err := replacementStop(ctx, c, d, target, seen, &failed); err != nil && Permanent(err) {
				return refused(err, c.Identity)
			} else if why != "" {
				_ = stopCodeDeploy(ctx, c, id, w, stopSettle)
				return codeDeployFailed(ctx, c, d, id, why, "`pulumi up` stopped the deployment: production traffic stays on the revision that served it. Fix the cause, then run `pulumi up`: it releases the declared revision again and verifies it")
			}
			if w.Progress != nil && w.ProgressEvery > 0 && time.Since(lastProgress) >= w.ProgressEvery {
				w.Progress(codeDeployProgress(d, id, info, target))
				lastProgress = time.Now()
			}
		}
		if pastDeadline(start, w) {
			if info != nil && info.Status == cdtypes.DeploymentStatusReady {
				// No production traffic moved: stop the release rather than
				// leave it waiting for an up that would find it no healthier.
				_ = stopCodeDeploy(ctx, c, id, w, stopSettle)
				return codeDeployFailed(ctx, c, d, id, fmt.Sprintf("the new task set of %s was not healthy on the test listener within %s (rolloutTimeoutMinutes); `pulumi up` stopped CodeDeploy deployment %s before any production traffic moved: ", revision(d.TaskDefinition), w.Timeout, id),
					"production traffic stayed on the previous task set. Fix the cause (the health check path and port, the image, the start time: `healthCheckGracePeriodSeconds`), then run `pulumi up`: it releases the declared revision again")
			}
			prefix := fmt.Sprintf("the release did not finish within %s (rolloutTimeoutMinutes): CodeDeploy goes on with deployment %s, and the next `pulumi up` follows it: ", w.Timeout, id)
			if lastErr != nil {
				prefix += fmt.Sprintf("the last read of AWS failed (%v): ", lastErr)
			}
			return codeDeployFailed(ctx, c, d, id, prefix, "")
		}
		select {
		case <-ctx.Done():
			return &Interrupted{Deployment: id, TaskDefinition: d.TaskDefinition, CodeDeploy: true}
		case <-time.After(interval):
		}
	}
}

// continueWhenHealthy is the gate of a release at Ready (the group's
// deploymentReadyOption is STOP_DEPLOYMENT): once every task of the new task
// set is healthy behind its target group, which only the test listener
// sends traffic to so far, it lets CodeDeploy move production traffic
// (ContinueDeployment, READY_WAIT) and reports true.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ContinueDeployment.html
func continueWhenHealthy(ctx context.Context, c Clients, d Declared, id string, t *cdtypes.ECSTarget, w WaitOptions) (bool, error) {
	healthy, desired, err := replacementHealth(ctx, c, d, t)
	if err != nil || desired == 0 || healthy < desired {
		return false, err
	}
	_, err = c.CodeDeploy.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeReadyWait})
	var notReady *cdtypes.DeploymentIsNotInReadyStateException
	if errors.As(err, &notReady) {
		return false, nil // continued already (an earlier up, or its own timeout)
	}
	if err != nil {
		return false, fmt.Errorf("continue deployment %s: %w", id, err)
	}
	if w.Progress != nil {
		w.Progress(fmt.Sprintf("the new task set of %s is healthy on the test listener (%d of %d tasks): CodeDeploy moves production traffic to it", revision(d.TaskDefinition), healthy, desired))
	}
	return true, nil
}

// replacementHealth is how many tasks of the release's new (green) task set
// are healthy behind its target group, and how many it wants.
func replacementHealth(ctx context.Context, c Clients, d Declared, t *cdtypes.ECSTarget) (healthy, desired int, err error) {
	var green string
	if t != nil {
		for _, s := range t.TaskSetsInfo {
			if s.TaskSetLabel == cdtypes.TargetLabelGreen {
				green = aws.ToString(s.Identifer)
			}
		}
	}
	if green == "" {
		return 0, 0, nil
	}
	svc, err := describeService(ctx, c, d.Cluster, d.Service)
	if err != nil || svc == nil {
		return 0, 0, err
	}
	for _, ts := range svc.TaskSets {
		if aws.ToString(ts.Id) != green {
			continue
		}
		addresses, err := taskAddresses(ctx, c, d.Cluster, d.Service, green)
		if err != nil {
			return 0, 0, err
		}
		set := *svc
		set.LoadBalancers = ts.LoadBalancers
		healthy, err = healthyTargets(ctx, c, set, addresses)
		return healthy, int(ts.ComputedDesiredCount), err
	}
	return 0, 0, nil
}

// deploymentTarget is the deployment's ECS target (its lifecycle events and
// task sets); nil when CodeDeploy lists none yet.
func deploymentTarget(ctx context.Context, c Clients, id string) (*cdtypes.ECSTarget, error) {
	list, err := c.CodeDeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if err != nil || len(list.TargetIds) == 0 {
		return nil, err
	}
	out, err := c.CodeDeploy.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: list.TargetIds})
	if err != nil {
		return nil, err
	}
	for _, t := range out.DeploymentTargets {
		if t.EcsTarget != nil {
			return t.EcsTarget, nil
		}
	}
	return nil, nil
}

// codeDeployProgress says where the release stands: the lifecycle event
// under way and the traffic each task set gets.
func codeDeployProgress(d Declared, id string, info *cdtypes.DeploymentInfo, t *cdtypes.ECSTarget) string {
	msg := fmt.Sprintf("release of %s (CodeDeploy %s): %s", revision(d.TaskDefinition), id, info.Status)
	if t == nil {
		return msg
	}
	for _, e := range t.LifecycleEvents {
		if e.Status == cdtypes.LifecycleEventStatusInProgress {
			msg += ", " + aws.ToString(e.LifecycleEventName)
		}
	}
	for _, s := range t.TaskSetsInfo {
		label := "previous"
		if s.TaskSetLabel == cdtypes.TargetLabelGreen {
			label = "new"
		}
		msg += fmt.Sprintf("; %s task set: %d/%d running, %.0f %% of traffic", label, s.RunningCount, s.DesiredCount, s.TrafficWeight)
	}
	return msg
}

// replacementStop is why the replacement task set cannot succeed: one of
// its tasks stopped for a cause that leaves no doubt (certainCause), or as
// many of them stopped (*failed counts them) as make ECS's deployment
// circuit breaker fail a rolling deployment. CodeDeploy has no circuit
// breaker: a task set whose tasks keep failing their health checks would
// hold Install for its 60 minutes.
func replacementStop(ctx context.Context, c Clients, d Declared, t *cdtypes.ECSTarget, seen map[string]bool, failed *int) (string, error) {
	if t == nil {
		return "", nil
	}
	var green string
	desired := 0
	for _, s := range t.TaskSetsInfo {
		if s.TaskSetLabel == cdtypes.TargetLabelGreen {
			green, desired = aws.ToString(s.Identifer), int(s.DesiredCount)
		}
	}
	if green == "" {
		return "", nil
	}
	arns, err := listTasks(ctx, c, d.Cluster, d.Service, ecstypes.DesiredStatusStopped)
	if err != nil {
		return "", err
	}
	var fresh []string
	for _, a := range arns {
		if !seen[a] {
			fresh = append(fresh, a)
		}
	}
	tasks, err := describeTasks(ctx, c, d.Cluster, fresh)
	if err != nil {
		return "", err
	}
	var last StoppedTask
	for _, task := range tasks {
		seen[aws.ToString(task.TaskArn)] = true
		if aws.ToString(task.StartedBy) != green {
			continue
		}
		st := stoppedTask(task)
		if cause, ok := certainCause(st); ok {
			return fmt.Sprintf("task %s of the new task set stopped: %s, which does not pass on its own: ", st.ID, cause), nil
		}
		*failed++
		last = st
	}
	if n := circuitBreakerThreshold(desired); *failed >= n {
		return fmt.Sprintf("%d tasks of the new task set stopped (the last, %s: %s), the count at which ECS's circuit breaker fails a rolling deployment of %d tasks: ", *failed, last.ID, last.StoppedReason, desired), nil
	}
	return "", nil
}

// circuitBreakerThreshold is how many failed tasks make ECS's deployment
// circuit breaker fail a deployment of desired tasks: half of them, at
// least 3 and at most 200.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html
func circuitBreakerThreshold(desired int) int {
	return min(200, max(3, (desired+1)/2))
}

// codeDeployFailed is the diagnosis of a release that failed, as an *Error.
func codeDeployFailed(ctx context.Context, c Clients, d Declared, id, prefix, recovery string) error {
	report, err := diagnoseCodeDeploy(ctx, c, d, id)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &Interrupted{Deployment: id, TaskDefinition: d.TaskDefinition, CodeDeploy: true}
		}
		if Permanent(err) {
			return fmt.Errorf("%sthe release failed; %w", prefix, refused(err, c.Identity))
		}
		return fmt.Errorf("%sthe release failed, and the diagnosis too: %w", prefix, err)
	}
	report.Healthy = false
	report.Verdict = prefix + report.Verdict
	if recovery != "" {
		report.Recovery = recovery
	}
	return &Error{Report: report}
}

// diagnoseCodeDeploy reads a CodeDeploy release (id, or the group's newest)
// and the service: CodeDeploy's verdict and rollback, each lifecycle event,
// the task sets, the stopped tasks of the new task set, the targets' health,
// and the known causes.
func diagnoseCodeDeploy(ctx context.Context, c Clients, d Declared, id string) (*Report, error) {
	t := target(d)
	r, err := Diagnose(ctx, c, t)
	if err != nil {
		return nil, err
	}
	if id == "" {
		list, err := c.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
			ApplicationName: aws.String(d.CodeDeploy.Application), DeploymentGroupName: aws.String(d.CodeDeploy.DeploymentGroup),
		})
		if err != nil {
			return nil, fmt.Errorf("list deployments of %s: %w", d.CodeDeploy.DeploymentGroup, err)
		}
		if len(list.Deployments) == 0 {
			return r, nil
		}
		id = list.Deployments[0]
	}
	info, err := getDeployment(ctx, c, id)
	if err != nil {
		return nil, err
	}
	rel := &CodeDeployRelease{Deployment: id, Status: string(info.Status), TaskDefinition: DeploymentTaskDefinition(ctx, c, info), Messages: info.DeploymentStatusMessages}
	if e := info.ErrorInformation; e != nil {
		rel.Error = strings.TrimSpace(string(e.Code) + " " + aws.ToString(e.Message))
	}
	if rb := info.RollbackInfo; rb != nil {
		rel.Rollback = aws.ToString(rb.RollbackMessage)
	}
	if tgt, err := deploymentTarget(ctx, c, id); err == nil && tgt != nil {
		for _, e := range tgt.LifecycleEvents {
			ev := LifecycleEvent{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status)}
			if dg := e.Diagnostics; dg != nil {
				ev.Diagnostics = strings.TrimSpace(string(dg.ErrorCode) + " " + aws.ToString(dg.Message))
			}
			rel.Lifecycle = append(rel.Lifecycle, ev)
		}
		for _, s := range tgt.TaskSetsInfo {
			rel.TaskSets = append(rel.TaskSets, TaskSetState{ID: aws.ToString(s.Identifer), Label: string(s.TaskSetLabel), Status: aws.ToString(s.Status),
				Running: int(s.RunningCount), Desired: int(s.DesiredCount), Traffic: s.TrafficWeight})
		}
	}
	r.Release = rel
	switch info.Status {
	case cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
		r.Verdict = fmt.Sprintf("CodeDeploy deployment %s of %s %s", id, revision(rel.TaskDefinition), strings.ToLower(string(info.Status)))
		if rel.Error != "" {
			r.Verdict += ": " + rel.Error
		}
	default:
		r.Verdict = fmt.Sprintf("CodeDeploy deployment %s of %s is %s", id, revision(rel.TaskDefinition), info.Status)
	}
	r.LeftRunning = servedBy(r)
	if e := info.ErrorInformation; e != nil && e.Code == cdtypes.ErrorCodeAlarmActive {
		r.Causes = append(r.Causes, Cause{Summary: "an alarm the deployment group watches tripped while the release ran: " + aws.ToString(e.Message),
			Fix: "the release answers its health check but fails real requests (5xx): fix the application or `image`; the threshold is `alarm5xxPerMinute`"})
	}
	if r.Recovery == "" {
		r.Recovery = Recovery
	}
	return r, nil
}

// servedBy says which revision production traffic is on, from the task sets.
func servedBy(r *Report) string {
	rel := r.Release
	for _, s := range rel.TaskSets {
		if s.Traffic >= 100 {
			if s.Label == string(cdtypes.TargetLabelBlue) {
				return fmt.Sprintf("all production traffic is on the previous task set (%d of %d tasks running)", s.Running, s.Desired)
			}
			return fmt.Sprintf("all production traffic is on the new task set of %s", revision(rel.TaskDefinition))
		}
	}
	if rel.Rollback != "" {
		return "traffic went back to the previous revision: " + rel.Rollback
	}
	return r.LeftRunning
}

// CodeDeployRelease is a CodeDeploy deployment, as the diagnosis shows it.
type CodeDeployRelease struct {
	Deployment     string           `json:"deployment"`
	Status         string           `json:"status"`
	TaskDefinition string           `json:"taskDefinition,omitempty"`
	Error          string           `json:"error,omitempty"`
	Rollback       string           `json:"rollback,omitempty"`
	Messages       []string         `json:"messages,omitempty"`
	Lifecycle      []LifecycleEvent `json:"lifecycle,omitempty"`
	TaskSets       []TaskSetState   `json:"taskSets,omitempty"`
}

// LifecycleEvent is one step of a CodeDeploy release.
type LifecycleEvent struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Diagnostics string `json:"diagnostics,omitempty"`
}

// TaskSetState is one task set of a CodeDeploy release.
type TaskSetState struct {
	ID      string  `json:"id"`
	Label   string  `json:"label"`
	Status  string  `json:"status"`
	Running int     `json:"running"`
	Desired int     `json:"desired"`
	Traffic float64 `json:"traffic"`
}
