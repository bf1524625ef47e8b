package infra

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/release"
)

// The release: how a new revision reaches users, and how `pulumi up` knows
// that it did (the strategies themselves are internal/release's).
//
// It is a component of the stack, declared after the service, whose inputs
// are what the stack declares for the service's release: the task
// definition, the count, the inputs whose change makes ECS start a
// deployment, and the redeploy key. Its after-create and after-update hooks
// make ECS converge on them (release.Release) and fail `pulumi up` with a
// diagnosis when it does not. A change of any of them updates the component,
// so `pulumi up` verifies every change that matters to what runs, and the
// component shows in the plan and the preview's diff as the release it is.
//
// Why a component of its own, rather than the service's hooks and
// forceNewDeployment: the provider sends forceNewDeployment's current value
// on every update of the service that is not tags-only (terraform-provider-aws
// resourceServiceUpdate), so a service left with it on after a retry rolls
// every task again at the next count or grace-period change; and triggers
// without it change nothing (triggersCustomizeDiff). The service keeps
// forceNewDeployment off; when ECS must deploy again, the release's hook asks
// it to, with UpdateService and the declared task definition.
//
// What the service runs is read at every preview and up, not remembered: the
// engine saves the service with its new outputs even when the release
// fails, and after a rollback ECS runs another task definition than the
// state says. So each run reads ECS (release.Observe) and, when the service
// is not converged on what the stack declares, puts what it saw, with the
// time, in the component's `observed` input: the component updates and its
// hook deploys or follows until ECS converges.
//
// A run that begins with the service settled (release.LiveService.Settled:
// converged on the family's latest revision, which is what the stack
// declared last) ignores `observed`, so that a settled service shows no
// diff, whatever the last run left in the state's `observed` ("no service"
// from the first up, the rollback an up then fixed). That is decided before
// anything is declared, from a read of ECS: the declared task definition's
// ARN is an output, unknown when the component registers, and a transform
// sees the inputs as those unresolved outputs (seen under the real CLI), so
// `observed` itself cannot decide it.

const (
	// releaseType and codeDeployReleaseType are the release component's
	// types: ECS's rolling update, or a CodeDeploy release (blue/green,
	// canary, linear).
	releaseType           = "alba-digi:release:Rolling"
	codeDeployReleaseType = "alba-digi:release:CodeDeploy"
	// observedKey is the release input that holds what ECS runs when it is
	// not what the stack declares.
	observedKey = "observed"
)

// deploymentInputs are the service's inputs whose change makes ECS start a
// deployment (UpdateService: task definition, network and load balancer
// configuration, capacity providers, platform version, launch type).
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
var deploymentInputs = []resource.PropertyKey{
	"taskDefinition", "networkConfiguration", "loadBalancers", "capacityProviderStrategies", "launchType", "platformVersion",
}

// releaseComponent is the release's component resource.
type releaseComponent struct {
	pulumi.ResourceState
}

// release declares the release of service, whose args are what the stack
// declares for it; cd is CodeDeploy's part when it releases the service.
func (s *stack) release(service *ecs.Service, args *ecs.ServiceArgs, cd *codeDeployResources) error {
	c := s.cfg
	inputs := pulumi.Map{
		"cluster":        args.Cluster,
		"service":        pulumi.String(s.names.Service),
		"taskDefinition": args.TaskDefinition,
		"redeploy":       pulumi.String(c.Redeploy),
	}
	if !c.Autoscaling() {
		inputs["desiredCount"] = args.DesiredCount // the scaler owns it otherwise
	}
	for k, v := range map[string]pulumi.Input{
		"networkConfiguration": args.NetworkConfiguration, "loadBalancers": args.LoadBalancers,
		"capacityProviderStrategies": args.CapacityProviderStrategies, "launchType": args.LaunchType, "platformVersion": args.PlatformVersion,
	} {
		if v != nil {
			inputs[k] = v
		}
	}
	typ, dependsOn := releaseType, []pulumi.Resource{service}
	if cd != nil {
		typ, dependsOn = codeDeployReleaseType, append(dependsOn, cd.group)
		inputs["application"] = cd.app.Name
		inputs["deploymentGroup"] = cd.group.DeploymentGroupName
		inputs["containerName"] = pulumi.String(c.ContainerName)
		inputs["containerPort"] = pulumi.Int(c.ContainerPort)
		inputs["productionListeners"] = cd.productionListeners
		inputs["trafficShift"] = cd.group.DeploymentConfigName
	}
	inputs[observedKey] = s.observe(s.declared(args, cd))
	check, err := s.ctx.RegisterResourceHook(s.names.RolloutCheck, s.verifyRelease, nil)
	if err != nil {
		return err
	}
	opts := []pulumi.ResourceOption{
		pulumi.DependsOn(dependsOn),
		pulumi.ResourceHooks(&pulumi.ResourceHookBinding{
			AfterCreate: []*pulumi.ResourceHook{check},
			AfterUpdate: []*pulumi.ResourceHook{check},
		}),
	}
	if s.live.LiveService != nil && s.live.Settled {
		opts = append(opts, pulumi.IgnoreChanges([]string{observedKey}))
	}
	var r releaseComponent
	err = s.ctx.RegisterComponentResourceV2(typ, s.names.Release, inputs, &r, opts...)
	if err != nil {
		return err
	}
	// A component's after hooks run when its outputs are registered.
	return s.ctx.RegisterResourceOutputs(&r, pulumi.Map{"taskDefinition": args.TaskDefinition})
}

// declaredFrom is the release a release component's inputs declare.
func declaredFrom(in resource.PropertyMap) release.Declared {
	d := release.Declared{Cluster: text(in, "cluster"), Service: text(in, "service"), TaskDefinition: text(in, "taskDefinition")}
	if n := object(in, "networkConfiguration"); n != nil {
		l := &release.Launch{Subnets: texts(n, "subnets"), SecurityGroups: texts(n, "securityGroups"), PlatformVersion: text(in, "platformVersion")}
		l.AssignPublicIP = n["assignPublicIp"].IsBool() && n["assignPublicIp"].BoolValue()
		if v := in["capacityProviderStrategies"]; v.IsArray() {
			for _, item := range v.ArrayValue() {
				if item.IsObject() {
					o := item.ObjectValue()
					l.CapacityProviders = append(l.CapacityProviders, release.StrategyItem{
						CapacityProvider: text(o, "capacityProvider"), Base: int(number(o, "base")), Weight: int(number(o, "weight")),
					})
				}
			}
		}
		d.Launch = l
	}
	if text(in, "deploymentGroup") != "" {
		d.CodeDeploy = &release.CodeDeploy{
			Application: text(in, "application"), DeploymentGroup: text(in, "deploymentGroup"),
			ContainerName: text(in, "containerName"), ContainerPort: int(number(in, "containerPort")),
			ProductionListeners: texts(in, "productionListeners"),
		}
	}
	return d
}

// declared is the release the service's args (and CodeDeploy's part)
// declare, once their outputs are known: what observe measures ECS against,
// as declaredFrom reads it from the release's inputs in the hooks.
func (s *stack) declared(args *ecs.ServiceArgs, cd *codeDeployResources) pulumi.AnyOutput {
	c := s.cfg
	network := args.NetworkConfiguration.ToServiceNetworkConfigurationPtrOutput().Elem()
	listeners := pulumi.StringArray{}.ToStringArrayOutput()
	if cd != nil {
		listeners = cd.productionListeners.ToStringArrayOutput()
	}
	strategy := declaredStrategy(c)
	return pulumi.All(args.TaskDefinition.ToStringPtrOutput().Elem(), network.Subnets(), network.SecurityGroups(), listeners).ApplyT(func(all []any) release.Declared {
		d := release.Declared{
			Cluster: s.names.Cluster, Service: s.names.Service, TaskDefinition: all[0].(string),
			Launch: &release.Launch{Subnets: all[1].([]string), SecurityGroups: all[2].([]string), AssignPublicIP: c.AssignPublicIP,
				PlatformVersion: "LATEST", CapacityProviders: strategy},
		}
		if cd != nil {
			d.CodeDeploy = &release.CodeDeploy{
				Application: s.names.CodeDeployApp, DeploymentGroup: s.names.DeploymentGroup,
				ContainerName: c.ContainerName, ContainerPort: c.ContainerPort, ProductionListeners: all[3].([]string),
			}
		}
		return d
	}).(pulumi.AnyOutput)
}

// observe reads whether the service runs what the release's inputs declare
// (offline: nothing is read) and returns the release's `observed` input:
// empty when it is converged, else what ECS runs, with the time, so that
// every run that finds it so updates the release. Preview says what up will
// do about it.
func (s *stack) observe(declared pulumi.AnyOutput) pulumi.StringOutput {
	return declared.ApplyTWithContext(s.ctx.Context(), func(ctx context.Context, v any) (string, error) {
		if s.account == nil {
			return "", nil
		}
		ctx, cancel := context.WithTimeout(ctx, accountReadTimeout)
		defer cancel()
		d := v.(release.Declared)
		st, err := s.account.Observe(ctx, s.settings, d)
		now := time.Now().UTC().Format(time.RFC3339)
		switch {
		case err != nil:
			// Unknown: the release's hook reads again, and fails if it must.
			if s.ctx.DryRun() {
				_ = s.ctx.Log.Warn(fmt.Sprintf("could not read service %s (%v): `pulumi up` checks it after its changes, and fails if the service does not run %s", s.names.Service, err, release.Revision(d.TaskDefinition)), nil)
			}
			return fmt.Sprintf("could not read the service at %s: %v", now, err), nil
		case st.Action == release.Nothing:
			return "", nil
		case st.Action == release.Create:
			// On a new stack the release is created anyway; on a stack whose
			// service was deleted outside it, the release must update, and its
			// hook fails, telling how to get it back.
			return fmt.Sprintf("no service (seen %s)", now), nil
		}
		if s.ctx.DryRun() {
			hint := ""
			if st.Action == release.Deploy {
				hint = ". If the cause is not fixed yet (the image, a secret, the network: see `go run ./cmd/doctor`), fix it first, in the stack config or outside it"
			}
			_ = s.ctx.Log.Warn(fmt.Sprintf("service %s is not converged: %s%s", s.names.Service, st.Summary, hint), nil)
		}
		return fmt.Sprintf("%s (seen %s)", st.Summary, now), nil
	}).(pulumi.StringOutput)
}

const (
	// rolloutPollInterval is the longest time between two reads of the
	// service (the first ones come sooner).
	rolloutPollInterval = 15 * time.Second
	// rolloutProgressEvery, the check tells the CLI how the rollout goes.
	rolloutProgressEvery = time.Minute
	// startAllowanceSeconds covers what the estimate leaves out per batch: the
	// image pull and the container's start.
	startAllowanceSeconds = 180
	// minRolloutTimeoutMinutes is the least the check waits.
	minRolloutTimeoutMinutes = 10
	// accountReadTimeout bounds the reads a run makes before it declares.
	accountReadTimeout = 30 * time.Second
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
	if shift := c.TrafficShift(); shift != nil {
		// CodeDeploy starts one new task set at full count, then moves
		// traffic as its configuration says and keeps the old task set for
		// the termination wait: the estimate of the first, doubled, and the
		// fixed minutes of the others.
		seconds = 2*(t.HealthySeconds+t.HealthCheckGracePeriodSeconds+startAllowanceSeconds) +
			60*(shift.ShiftMinutes+c.BlueGreenTerminationMinutes) + t.DrainSeconds
	}
	if c.Alarms && c.RollbackOnAlarm {
		// ECS's bake time, derived from the deployment alarm: its evaluation window.
		seconds += 2 * alarmEvaluationPeriods * alarmPeriodSeconds
	}
	return max(minRolloutTimeoutMinutes, int(math.Ceil(float64(seconds)/60)))
}

// serviceHooks are the service's own hooks: before an update, a note of its
// deployments, so that the release follows the one the update starts, by
// id; after a create (the first, or a replacement), the verification of its
// first rollout. The release verifies every later change; it would not see
// a replacement whose inputs it shares (`pulumi up --replace`), and the
// engine runs no hook of a replaced component (pulumi v3.274.1
// pkg/resource/deploy/step_executor.go runs a component's after hooks for
// create and update steps only), so the service verifies its own creation.
func (s *stack) serviceHooks() (pulumi.ResourceOption, error) {
	before, err := s.ctx.RegisterResourceHook(s.names.RolloutSnapshot, s.noteDeployments, nil)
	if err != nil {
		return nil, err
	}
	created, err := s.ctx.RegisterResourceHook(s.names.FirstRolloutCheck, s.verifyCreatedService, nil)
	if err != nil {
		return nil, err
	}
	return pulumi.ResourceHooks(&pulumi.ResourceHookBinding{
		BeforeUpdate: []*pulumi.ResourceHook{before},
		AfterCreate:  []*pulumi.ResourceHook{created},
	}), nil
}

// verifyCreatedService is the service's after-create hook: it verifies the
// new service's first rollout, and notes that it did.
func (s *stack) verifyCreatedService(args *pulumi.ResourceHookArgs) error {
	d := release.Declared{Cluster: text(args.NewInputs, "cluster"), Service: text(args.NewInputs, "name"), TaskDefinition: text(args.NewInputs, "taskDefinition")}
	if c := s.cfg; c.CodeDeploy() {
		// ECS starts a CODE_DEPLOY service's first task set itself; the
		// deployment group comes after the service, and the listeners
		// forward to the first target group from the start, so no listener is
		// named: the task set must be steady with every task healthy.
		d.CodeDeploy = &release.CodeDeploy{Application: s.names.CodeDeployApp, DeploymentGroup: s.names.DeploymentGroup,
			ContainerName: c.ContainerName, ContainerPort: c.ContainerPort}
	}
	if err := s.verify(d, release.ReleaseOptions{}); err != nil {
		return err
	}
	s.notes.put(d.Service, deploymentsNote{created: true})
	return nil
}

// deploymentsNote is what the before-update hook saw: the ids of the
// service's deployments, and when it looked.
type deploymentsNote struct {
	ids []string
	at  time.Time
	// created: the service was created by this run, and its first rollout
	// verified.
	created bool
}

// notes are the before-update hook's notes of this run, by service name.
type notes struct {
	mu sync.Mutex
	m  map[string]deploymentsNote
}

func (n *notes) put(service string, note deploymentsNote) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m[service] = note
}

func (n *notes) get(service string) (deploymentsNote, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	note, ok := n.m[service]
	return note, ok
}

// noteDeployments is the service's before-update hook. A failed read does
// not fail the update: the release then follows the first deployment created
// after it began.
func (s *stack) noteDeployments(args *pulumi.ResourceHookArgs) error {
	note := deploymentsNote{at: time.Now()}
	cluster, name := text(args.OldOutputs, "cluster"), text(args.OldOutputs, "name")
	if cluster != "" && name != "" {
		ctx, cancel := context.WithTimeout(context.Background(), accountReadTimeout)
		defer cancel()
		if clients, err := release.Load(ctx, s.settings); err == nil {
			note.ids, _ = release.DeploymentIDs(ctx, clients, release.Target{Cluster: cluster, Service: name})
		}
	}
	s.notes.put(s.names.Service, note)
	return nil
}

// clockAllowance covers a local clock ahead of AWS's when the release picks
// the deployment by its creation time.
const clockAllowance = time.Minute

// verifyRelease is the release's after-create and after-update hook: it
// makes ECS converge on the declared task definition and waits until it
// has, telling the Pulumi CLI how it goes. Ctrl-C or a CI job's SIGTERM ends
// the wait at once, with what was left.
func (s *stack) verifyRelease(args *pulumi.ResourceHookArgs) error {
	d := declaredFrom(args.NewInputs)
	if d.Cluster == "" || d.Service == "" || d.TaskDefinition == "" {
		return fmt.Errorf("rollout check: the release's inputs name no cluster, service or task definition")
	}
	o := release.ReleaseOptions{
		Force: text(args.NewInputs, "redeploy") != "" && text(args.NewInputs, "redeploy") != text(args.OldInputs, "redeploy"),
	}
	note, ok := s.notes.get(d.Service)
	switch {
	case ok && note.created && !o.Force:
		return nil // verified as the service was created, a moment ago
	case ok && !note.created:
		for _, k := range deploymentInputs {
			if len(args.OldInputs) > 0 && !args.OldInputs[k].DeepEquals(args.NewInputs[k]) {
				o.Updated = true // the service's update started a deployment
			}
		}
		if note.ids != nil {
			o.Before = note.ids
		} else {
			o.NotBefore = note.at.Add(-clockAllowance)
		}
	}
	return s.verify(d, o)
}

// verify runs the release of d, as long as the rollout timeout allows, and
// says how it goes. Ctrl-C or a CI job's SIGTERM ends the wait at once, with
// what was left.
func (s *stack) verify(d release.Declared, o release.ReleaseOptions) error {
	o.Wait = release.WaitOptions{
		Timeout:       time.Duration(s.cfg.RolloutTimeout()) * time.Minute,
		Interval:      rolloutPollInterval,
		ProgressEvery: rolloutProgressEvery,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The release ends at Timeout with its diagnosis; the context leaves it
	// time to read it.
	ctx, cancel := context.WithTimeout(ctx, o.Wait.Timeout+3*time.Minute)
	defer cancel()
	clients, err := release.Load(ctx, s.settings)
	if err != nil {
		return fmt.Errorf("rollout check: %w", err)
	}
	log := func(msg string) { _ = s.ctx.Log.Info(msg, nil) }
	return runRelease(ctx, clients, d, o, log)
}

// runRelease runs the release and says so, or returns its diagnosis.
func runRelease(ctx context.Context, clients release.Clients, d release.Declared, o release.ReleaseOptions, log func(string)) error {
	goal := "for ECS to run it as its one deployment, every task healthy behind the load balancer"
	if d.CodeDeploy != nil {
		goal = "for it to serve all production traffic as the service's one task set, every task healthy"
	}
	log(fmt.Sprintf("verifying the rollout of %s: up to %s %s", d.TaskDefinition, o.Wait.Timeout, goal))
	o.Wait.Progress = log
	var healthy int
	o.Wait.Healthy = &healthy
	err := release.Release(ctx, clients, d, o)
	var interrupted *release.Interrupted
	var refused *release.Refused
	switch {
	case errors.As(err, &interrupted), errors.As(err, &refused):
		return fmt.Errorf("rollout check: %w", err)
	case err != nil:
		return fmt.Errorf("the rollout of service %s failed:\n%w", d.Service, err)
	}
	if d.CodeDeploy != nil {
		log(fmt.Sprintf("rollout of %s verified: it serves all production traffic as the service's one task set, %d healthy targets", d.TaskDefinition, healthy))
		return nil
	}
	log(fmt.Sprintf("rollout of %s verified: ECS runs it as its one deployment, %d healthy targets", d.TaskDefinition, healthy))
	return nil
}

// number is a number of a hook's properties (0 when absent).
func number(m resource.PropertyMap, key resource.PropertyKey) float64 {
	if v := m[key]; v.IsNumber() {
		return v.NumberValue()
	}
	return 0
}

// object is an object of a hook's properties (nil when absent).
func object(m resource.PropertyMap, key resource.PropertyKey) resource.PropertyMap {
	if v := m[key]; v.IsObject() {
		return v.ObjectValue()
	}
	return nil
}

// texts is a list of strings of a hook's properties.
func texts(m resource.PropertyMap, key resource.PropertyKey) []string {
	var out []string
	if v := m[key]; v.IsArray() {
		for _, e := range v.ArrayValue() {
			if e.IsSecret() {
				e = e.SecretValue().Element
			}
			if e.IsString() {
				out = append(out, e.StringValue())
			}
		}
	}
	return out
}

// text is a string input or output of a hook's properties ("" when absent).
func text(m resource.PropertyMap, key resource.PropertyKey) string {
	v, ok := m[key]
	if ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}
