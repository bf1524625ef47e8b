package infra

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/release"
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

// rolloutCheck registers the check as resource hooks of the service: before
// an update, a note of the deployments the service has (so that the check
// follows the one the update starts, by id); after the create and each
// update, the wait. Hooks do not run in preview, nor in the offline plan.
func (s *stack) rolloutCheck() (pulumi.ResourceOption, error) {
	before, err := s.ctx.RegisterResourceHook(s.names.RolloutSnapshot, s.noteDeployments, nil)
	if err != nil {
		return nil, err
	}
	after, err := s.ctx.RegisterResourceHook(s.names.RolloutCheck, s.verifyRollout, nil)
	if err != nil {
		return nil, err
	}
	return pulumi.ResourceHooks(&pulumi.ResourceHookBinding{
		BeforeUpdate: []*pulumi.ResourceHook{before},
		AfterCreate:  []*pulumi.ResourceHook{after},
		AfterUpdate:  []*pulumi.ResourceHook{after},
	}), nil
}

// deploymentsNote is what the before-update hook saw: the ids of the
// service's deployments, and when it looked.
type deploymentsNote struct {
	ids []string
	at  time.Time
}

// noteDeployments is the before-update hook. A failed read does not fail the
// update: the check then follows the newest deployment created after it began.
func (s *stack) noteDeployments(args *pulumi.ResourceHookArgs) error {
	note := deploymentsNote{at: time.Now()}
	if target, err := rolloutTarget(args.OldOutputs); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), accountReadTimeout)
		defer cancel()
		if clients, err := release.Load(ctx, s.settings); err == nil {
			note.ids, _ = release.DeploymentIDs(ctx, clients, target)
		}
	}
	s.notesMu.Lock()
	defer s.notesMu.Unlock()
	s.notes[string(args.URN)] = note
	return nil
}

// clockAllowance covers a local clock ahead of AWS's when the check picks the
// deployment by its creation time.
const clockAllowance = time.Minute

// verifyRollout is the after-create and after-update hook: it waits for the
// deployment the change started (or, for a change that starts none, for the
// service to be steady at its count), telling the Pulumi CLI how it goes.
// Ctrl-C or a CI job's SIGTERM ends the wait at once, with what was left.
func (s *stack) verifyRollout(args *pulumi.ResourceHookArgs) error {
	target, err := rolloutTarget(args.NewOutputs)
	if err != nil {
		return fmt.Errorf("rollout check: %w", err)
	}
	target.LogLines = s.cfg.DiagnosisLogLines
	opts := release.WaitOptions{
		Timeout:       time.Duration(s.cfg.RolloutTimeout()) * time.Minute,
		Interval:      rolloutPollInterval,
		ProgressEvery: rolloutProgressEvery,
	}
	if len(args.OldOutputs) > 0 { // an update
		opts.NoDeployment = !startsDeployment(args.OldInputs, args.NewInputs)
		s.notesMu.Lock()
		note, ok := s.notes[string(args.URN)]
		s.notesMu.Unlock()
		switch {
		case ok && note.ids != nil:
			opts.Before = note.ids
		case ok:
			opts.NotBefore = note.at.Add(-clockAllowance)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout+time.Minute)
	defer cancel()
	clients, err := release.Load(ctx, s.settings)
	if err != nil {
		return fmt.Errorf("rollout check: %w", err)
	}
	log := func(msg string) { _ = s.ctx.Log.Info(msg, nil) }
	return waitForRollout(ctx, clients, target, opts, log)
}

// deploymentInputs are the service's inputs whose change makes ECS start a
// deployment (UpdateService: task definition, network and load balancer
// configuration, capacity providers, platform version; or forced).
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
var deploymentInputs = []resource.PropertyKey{
	"taskDefinition", "networkConfiguration", "loadBalancers", "capacityProviderStrategies", "platformVersion", "launchType", "triggers",
}

// startsDeployment reports whether an update from olds to news starts a
// deployment of the service.
func startsDeployment(olds, news resource.PropertyMap) bool {
	for _, k := range deploymentInputs {
		if !olds[k].DeepEquals(news[k]) {
			return true
		}
	}
	return false
}

// waitForRollout waits for the rollout and says so, or returns its diagnosis.
func waitForRollout(ctx context.Context, clients release.Clients, target release.Target, opts release.WaitOptions, log func(string)) error {
	what := "the rollout of " + target.TaskDefinition
	if opts.NoDeployment {
		what = "service " + target.Service + " (this change starts no deployment)"
	}
	log(fmt.Sprintf("verifying %s: up to %s for its tasks to be healthy targets", what, opts.Timeout))
	opts.Progress = log
	var healthy int
	opts.Healthy = &healthy
	err := release.Wait(ctx, clients, target, opts)
	var interrupted *release.Interrupted
	switch {
	case errors.As(err, &interrupted):
		return fmt.Errorf("rollout check: %w", err)
	case err != nil:
		return fmt.Errorf("the rollout of service %s failed:\n%w", target.Service, err)
	}
	log(fmt.Sprintf("rollout of %s verified: %d healthy targets", target.TaskDefinition, healthy))
	return nil
}

// rolloutTarget reads the service's cluster, name and task definition from
// its outputs.
func rolloutTarget(outputs resource.PropertyMap) (release.Target, error) {
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
		return release.Target{}, err
	}
	name, err := text("name")
	if err != nil {
		return release.Target{}, err
	}
	taskDefinition, err := text("taskDefinition")
	if err != nil {
		return release.Target{}, err
	}
	return release.Target{Cluster: cluster, Service: name, TaskDefinition: taskDefinition}, nil
}
