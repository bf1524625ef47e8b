package infra

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/rollout"
)

// The rollout check: `pulumi up` ends only when the deployment of the task
// definition just declared has completed and the target group has desiredCount
// healthy targets, and fails with a diagnosis as soon as that deployment failed
// or was rolled back. The provider's waitForSteadyState cannot do this: it waits
// for one deployment with runningCount == desiredCount, so a first deploy whose
// tasks never become healthy times out after 20 minutes with no reason, and an
// update rolled back by the circuit breaker reports success
// (hashicorp/terraform-provider-aws#20858, #19519).

const (
	// rolloutPollInterval is the time between two reads of the service.
	rolloutPollInterval = 15 * time.Second
	// rolloutProgressEvery polls, the check tells the CLI how the rollout goes.
	rolloutProgressEvery = 4
	// startAllowanceSeconds covers what the estimate leaves out per batch: the
	// image pull and the container's start.
	startAllowanceSeconds = 180
	// minRolloutTimeoutMinutes is the least the check waits.
	minRolloutTimeoutMinutes = 10
)

// RolloutTimeout is how long `pulumi up` waits for a rollout, in minutes:
// rolloutTimeoutMinutes when set, else twice the rollout estimate with the
// grace period and a start allowance per batch (and, with rollbackOnAlarm,
// the deployment alarm's bake time), at least 10 minutes.
func (c Config) RolloutTimeout() int { return c.rolloutTimeout(c.ourTiming()) }

func (c Config) rolloutTimeout(t Timing) int {
	if c.RolloutTimeoutMinutes > 0 {
		return c.RolloutTimeoutMinutes
	}
	batches := max(t.Batches, 1)
	seconds := 2 * (t.RolloutSeconds + batches*(t.HealthCheckGracePeriodSeconds+startAllowanceSeconds))
	if c.Alarms && c.RollbackOnAlarm {
		// ECS's bake time, derived from the deployment alarm: its evaluation window.
		seconds += 2 * alarmEvaluationPeriods * alarmPeriodSeconds
	}
	return max(minRolloutTimeoutMinutes, int(math.Ceil(float64(seconds)/60)))
}

// rolloutCheck registers the check as a resource hook, to run after the
// service is created and after each update. Hooks do not run in preview, nor in
// the offline plan.
func (s *stack) rolloutCheck() (pulumi.ResourceOption, error) {
	hook, err := s.ctx.RegisterResourceHook(s.names.RolloutCheck, s.verifyRollout, nil)
	if err != nil {
		return nil, err
	}
	hooks := []*pulumi.ResourceHook{hook}
	return pulumi.ResourceHooks(&pulumi.ResourceHookBinding{AfterCreate: hooks, AfterUpdate: hooks}), nil
}

// verifyRollout is the hook: it reads the service's outputs and waits,
// telling the Pulumi CLI how the rollout goes.
func (s *stack) verifyRollout(args *pulumi.ResourceHookArgs) error {
	target, desired, err := rolloutTarget(args.NewOutputs)
	if err != nil {
		return fmt.Errorf("rollout check: %w", err)
	}
	timeout := time.Duration(s.cfg.RolloutTimeout()) * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	clients, err := rollout.LoadClients(ctx, s.cfg.Region)
	if err != nil {
		return fmt.Errorf("rollout check: %w", err)
	}
	log := func(msg string) { _ = s.ctx.Log.Info(msg, nil) }
	return waitForRollout(ctx, clients, target, desired, timeout, rolloutPollInterval, log)
}

// waitForRollout waits for the rollout and says so, or returns its diagnosis.
func waitForRollout(ctx context.Context, clients rollout.Clients, target rollout.Target, desired int, timeout, interval time.Duration, log func(string)) error {
	log(fmt.Sprintf("verifying the rollout of %s: up to %s for %d healthy targets", target.TaskDefinition, timeout, desired))
	err := rollout.Wait(ctx, clients, target, rollout.WaitOptions{
		DesiredCount:  desired,
		Timeout:       timeout,
		Interval:      interval,
		ProgressEvery: rolloutProgressEvery,
		Progress:      log,
	})
	if err != nil {
		return fmt.Errorf("the rollout of service %s failed:\n%w", target.Service, err)
	}
	log(fmt.Sprintf("rollout of %s verified: %d healthy targets", target.TaskDefinition, desired))
	return nil
}

// rolloutTarget reads the service's cluster, name, task definition and
// desired count from its outputs.
func rolloutTarget(outputs resource.PropertyMap) (rollout.Target, int, error) {
	text := func(key resource.PropertyKey) (string, error) {
		v, ok := outputs[key]
		if ok && v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !ok || !v.IsString() || v.StringValue() == "" {
			return "", fmt.Errorf("the service's %s output is missing", key)
		}
		return v.StringValue(), nil
	}
	cluster, err := text("cluster")
	if err != nil {
		return rollout.Target{}, 0, err
	}
	name, err := text("name")
	if err != nil {
		return rollout.Target{}, 0, err
	}
	taskDefinition, err := text("taskDefinition")
	if err != nil {
		return rollout.Target{}, 0, err
	}
	v, ok := outputs["desiredCount"]
	if !ok || !v.IsNumber() {
		return rollout.Target{}, 0, fmt.Errorf("the service's desiredCount output is missing")
	}
	return rollout.Target{Cluster: cluster, Service: name, TaskDefinition: taskDefinition}, int(v.NumberValue()), nil
}
