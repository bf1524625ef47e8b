package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// WaitOptions say what to wait for, and how.
type WaitOptions struct {
	// DesiredCount healthy targets are needed once the deployment completes.
	DesiredCount int
	// Timeout bounds the wait; Interval is the time between two polls.
	Timeout, Interval time.Duration
	// Progress, when set, is told how the rollout goes every ProgressEvery polls.
	Progress      func(string)
	ProgressEvery int
}

// Error is a rollout that failed, with its diagnosis.
type Error struct {
	Report *Report
}

func (e *Error) Error() string { return e.Report.Text() }

// Wait waits until the deployment of t.TaskDefinition has rolloutState
// COMPLETED and the service's target group has o.DesiredCount healthy targets.
// It fails as soon as that deployment FAILED or was rolled back (ECS then runs
// the previous task definition: the provider's own waiter sees one deployment
// again and reports success), or when o.Timeout runs out; the error is an
// *Error holding the diagnosis.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
func Wait(ctx context.Context, c Clients, t Target, o WaitOptions) error {
	deadline := time.Now().Add(o.Timeout)
	for poll := 1; ; poll++ {
		state, err := pollOnce(ctx, c, t, o.DesiredCount)
		if err != nil {
			return err
		}
		switch {
		case state.done:
			return nil
		case state.failed:
			return diagnosed(ctx, c, t, "")
		case !time.Now().Before(deadline):
			return diagnosed(ctx, c, t, fmt.Sprintf("the rollout did not finish within %s (rolloutTimeoutMinutes): ", o.Timeout))
		}
		if o.Progress != nil && o.ProgressEvery > 0 && poll%o.ProgressEvery == 0 {
			o.Progress(state.progress)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(o.Interval, time.Until(deadline)+time.Millisecond)):
		}
	}
}

type pollState struct {
	done, failed bool
	progress     string
}

// pollOnce reads the deployment of t.TaskDefinition and, once it completed,
// the target group's health.
func pollOnce(ctx context.Context, c Clients, t Target, desired int) (pollState, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.Cluster), Services: []string{t.Service}})
	if err != nil {
		return pollState{}, fmt.Errorf("describe service %s: %w", t.Service, err)
	}
	if len(out.Services) == 0 {
		return pollState{}, fmt.Errorf("%w %s in cluster %s", ErrNoService, t.Service, t.Cluster)
	}
	svc := out.Services[0]
	dep := focusDeployment(deploymentStates(svc), t.TaskDefinition)
	if dep == nil || dep.RolloutState == "FAILED" {
		return pollState{failed: true}, nil // rolled back and gone, or failed
	}
	healthy := 0
	for _, lb := range svc.LoadBalancers {
		th, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: lb.TargetGroupArn})
		if err != nil {
			return pollState{}, fmt.Errorf("describe target health: %w", err)
		}
		for _, d := range th.TargetHealthDescriptions {
			if d.TargetHealth != nil && d.TargetHealth.State == "healthy" {
				healthy++
			}
		}
	}
	progress := fmt.Sprintf("rollout of %s: %d/%d tasks running, %d/%d targets healthy (%s)", revision(dep.TaskDefinition), dep.Running, desired, healthy, desired, dep.RolloutState)
	done := dep.RolloutState == "COMPLETED" && dep.Status == "PRIMARY" && healthy >= desired
	return pollState{done: done, progress: progress}, nil
}

// diagnosed returns the diagnosis of a failed rollout as an *Error.
func diagnosed(ctx context.Context, c Clients, t Target, prefix string) error {
	report, err := Diagnose(ctx, c, t)
	if err != nil {
		return fmt.Errorf("%sthe rollout failed, and the diagnosis too: %w", prefix, err)
	}
	report.Healthy = false
	report.Verdict = prefix + report.Verdict
	if report.Recovery == "" {
		report.Recovery = Recovery
	}
	return &Error{Report: report}
}
