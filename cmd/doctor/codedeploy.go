package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"alba-digi/internal/release"
)

// The doctor of a service CodeDeploy releases (deploymentStrategy blueGreen,
// canary or linear). ECS reports task sets for such a service, not
// deployments (aws/copilot-cli#1061: "For CodeDeploy or External deployment
// controllers, services will have TaskSets but the deployments field is
// empty"), so its health is told by the deployment group's newest CodeDeploy
// deployment (its status, lifecycle events, task sets and their share of
// traffic) and by the service's task sets.
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html

// codeDeployGroup names the stack's CodeDeploy application and deployment
// group.
type codeDeployGroup struct{ Application, Group string }

// lastRelease is the group's newest release: the deployment a user started
// (`pulumi up`), and CodeDeploy's automatic rollback of it when there is one.
type lastRelease struct {
	info, rollback *cdtypes.DeploymentInfo
	state          *release.CodeDeployRelease
}

// activeStatuses are the statuses of a deployment under way.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
var activeStatuses = []cdtypes.DeploymentStatus{
	cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
	cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady,
}

// readRelease reads the group's newest release (nil when the group has
// none yet). An automatic rollback is a deployment of its own (creator
// codeDeployRollback) that names the one it rolls back in its rollbackInfo:
// the release shown is that one, with the rollback beside it.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_RollbackInfo.html
func readRelease(ctx context.Context, c release.Clients, g codeDeployGroup) (*lastRelease, error) {
	list, err := c.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(g.Application), DeploymentGroupName: aws.String(g.Group)})
	var noGroup *cdtypes.DeploymentGroupDoesNotExistException
	var noApp *cdtypes.ApplicationDoesNotExistException
	switch {
	case errors.As(err, &noGroup) || errors.As(err, &noApp):
		return nil, fmt.Errorf("CodeDeploy has no deployment group %s of application %s: the stack's deploymentStrategy is not rolling, but the stack has not made its CodeDeploy resources yet (run `pulumi up`), or they were deleted outside it (run `pulumi refresh`, then `pulumi up`): %w", g.Group, g.Application, err)
	case err != nil:
		return nil, fmt.Errorf("list deployments of %s: %w", g.Group, err)
	case len(list.Deployments) == 0:
		return nil, nil // ListDeployments lists the newest first
	}
	newest, err := getDeployment(ctx, c, list.Deployments[0])
	if err != nil {
		return nil, err
	}
	out := &lastRelease{info: newest}
	if rb := newest.RollbackInfo; newest.Creator == cdtypes.DeploymentCreatorCodeDeployRollback && rb != nil && rb.RollbackTriggeringDeploymentId != nil {
		if out.info, err = getDeployment(ctx, c, aws.ToString(rb.RollbackTriggeringDeploymentId)); err != nil {
			return nil, err
		}
		out.rollback = newest
	}
	out.state, err = releaseState(ctx, c, out.info)
	return out, err
}

func getDeployment(ctx context.Context, c release.Clients, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("get deployment %s: %w", id, err)
	}
	return out.DeploymentInfo, nil
}

// releaseState is a deployment as the report shows it: its status, error
// and rollback, each lifecycle event of its ECS target and its task sets.
func releaseState(ctx context.Context, c release.Clients, info *cdtypes.DeploymentInfo) (*release.CodeDeployRelease, error) {
	id := aws.ToString(info.DeploymentId)
	rel := &release.CodeDeployRelease{Deployment: id, Status: string(info.Status), TaskDefinition: release.DeploymentTaskDefinition(ctx, c, info), Messages: info.DeploymentStatusMessages}
	if e := info.ErrorInformation; e != nil {
		rel.Error = strings.TrimSpace(string(e.Code) + " " + aws.ToString(e.Message))
	}
	if rb := info.RollbackInfo; rb != nil {
		rel.Rollback = aws.ToString(rb.RollbackMessage)
	}
	targets, err := c.CodeDeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("list targets of deployment %s: %w", id, err)
	}
	if len(targets.TargetIds) == 0 {
		return rel, nil
	}
	out, err := c.CodeDeploy.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: targets.TargetIds})
	if err != nil {
		return nil, fmt.Errorf("get targets of deployment %s: %w", id, err)
	}
	for _, t := range out.DeploymentTargets {
		if t.EcsTarget == nil {
			continue
		}
		for _, e := range t.EcsTarget.LifecycleEvents {
			ev := release.LifecycleEvent{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status)}
			if d := e.Diagnostics; d != nil {
				ev.Diagnostics = strings.TrimSpace(string(d.ErrorCode) + " " + aws.ToString(d.Message))
			}
			rel.Lifecycle = append(rel.Lifecycle, ev)
		}
		for _, s := range t.EcsTarget.TaskSetsInfo {
			rel.TaskSets = append(rel.TaskSets, release.TaskSetState{ID: aws.ToString(s.Identifer), Label: string(s.TaskSetLabel), Status: aws.ToString(s.Status),
				Running: int(s.RunningCount), Desired: int(s.DesiredCount), Traffic: s.TrafficWeight})
		}
	}
	return rel, nil
}

// judgeCodeDeploy puts the release in r and says, from it and the
// service's task sets, whether the service is healthy: its last release
// succeeded (or there was none yet), one task set serves it, steady, with
// every task a healthy target; else what is under way or what failed, and
// what runs now.
func judgeCodeDeploy(ctx context.Context, c release.Clients, r *release.Report, last *lastRelease) error {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(r.Cluster), Services: []string{r.Service}})
	if err != nil {
		return fmt.Errorf("describe service %s: %w", r.Service, err)
	}
	var svc ecstypes.Service
	if len(out.Services) > 0 {
		svc = out.Services[0]
	}
	var primary *ecstypes.TaskSet
	for i, ts := range svc.TaskSets {
		if aws.ToString(ts.Status) == "PRIMARY" {
			primary = &svc.TaskSets[i]
		}
	}
	serving := func() string {
		if primary == nil {
			return "no primary task set: the API does not answer"
		}
		return fmt.Sprintf("%s as its primary task set (%d of %d tasks running, %d of %d targets healthy)",
			release.Revision(aws.ToString(primary.TaskDefinition)), primary.RunningCount, primary.ComputedDesiredCount, r.HealthyCount, r.DesiredCount)
	}
	steady := primary != nil && len(svc.TaskSets) == 1 && primary.StabilityStatus == ecstypes.StabilityStatusSteadyState && r.HealthyCount >= r.DesiredCount
	// What Diagnose said of ECS deployments does not apply: a CODE_DEPLOY
	// service has none.
	r.Healthy, r.LeftRunning, r.Recovery = false, "", ""
	if last == nil {
		r.Verdict = "no CodeDeploy release yet"
		if steady {
			r.Healthy = true
			r.Verdict = fmt.Sprintf("healthy: no CodeDeploy release yet, the first task set of %s serves, %d of %d targets healthy", release.Revision(aws.ToString(primary.TaskDefinition)), r.HealthyCount, r.DesiredCount)
		} else {
			r.LeftRunning = serving()
		}
		return nil
	}
	rel, info := last.state, last.info
	r.Release = rel
	rev := release.Revision(rel.TaskDefinition)
	switch {
	case slices.Contains(activeStatuses, info.Status):
		r.Verdict = fmt.Sprintf("a release is under way: CodeDeploy deployment %s of %s is %s", rel.Deployment, rev, info.Status)
		for _, e := range rel.Lifecycle {
			if e.Status == string(cdtypes.LifecycleEventStatusInProgress) {
				r.Verdict += " (" + e.Name + ")"
			}
		}
		r.LeftRunning = serving() + "; " + trafficShares(rel)
	case info.Status == cdtypes.DeploymentStatusFailed || info.Status == cdtypes.DeploymentStatusStopped:
		r.Verdict = fmt.Sprintf("the last release failed: CodeDeploy deployment %s of %s ended %s", rel.Deployment, rev, info.Status)
		if rel.Error != "" {
			r.Verdict += ": " + rel.Error
		}
		r.LeftRunning = serving()
		if rb := last.rollback; rb != nil && slices.Contains(activeStatuses, rb.Status) {
			r.LeftRunning += fmt.Sprintf("; CodeDeploy is rolling back with deployment %s: traffic went back to the previous revision, whose task set it keeps", aws.ToString(rb.DeploymentId))
		} else if rb != nil {
			r.LeftRunning += fmt.Sprintf("; CodeDeploy rolled back with deployment %s (%s): traffic went back to the previous revision", aws.ToString(rb.DeploymentId), rb.Status)
		}
		if e := info.ErrorInformation; e != nil && e.Code == cdtypes.ErrorCodeAlarmActive {
			r.Causes = append(r.Causes, release.Cause{Summary: "an alarm the deployment group watches tripped while the release ran: " + aws.ToString(e.Message),
				Fix: "the release answers its health check but fails real requests (5xx): fix the application or `image`; the threshold is `alarm5xxPerMinute`"})
		}
		r.Recovery = release.Recovery
	case steady:
		r.Healthy = true
		r.Verdict = fmt.Sprintf("healthy: CodeDeploy deployment %s of %s succeeded, its task set serves, %d of %d targets healthy", rel.Deployment, rev, r.HealthyCount, r.DesiredCount)
	default:
		// CodeDeploy checks the new tasks' health only once traffic reaches
		// them: an all-at-once release of tasks that fail their health checks
		// succeeds ("Even though my deployment succeeded, the replacement task
		// set fails the Elastic Load Balancing health checks").
		// https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-ecs.html
		r.Verdict = fmt.Sprintf("CodeDeploy deployment %s of %s succeeded, but the service is not steady: %d task sets, %d of %d targets healthy", rel.Deployment, rev, len(svc.TaskSets), r.HealthyCount, r.DesiredCount)
		r.LeftRunning = serving()
		r.Recovery = release.Recovery
	}
	return nil
}

// trafficShares says the share of production traffic each task set of a
// release gets.
func trafficShares(rel *release.CodeDeployRelease) string {
	var parts []string
	for _, s := range rel.TaskSets {
		label := "the original task set"
		if s.Label == string(cdtypes.TargetLabelGreen) {
			label = "the new task set"
		}
		parts = append(parts, fmt.Sprintf("%s %.0f %%", label, s.Traffic))
	}
	if len(parts) == 0 {
		return "no traffic has moved yet"
	}
	return "production traffic: " + strings.Join(parts, ", ")
}
