package release

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The convergence rule: a service is converged when ECS runs, as its one
// deployment, the task definition the stack declares, rolled out
// (COMPLETED), with the desired number of running tasks healthy behind the
// target group. `pulumi up` exits 0 only then. Every preview and up reads it
// from ECS (DescribeServices, and the target health of the primary
// deployment's own tasks), not from the deployment history, and acts on it.

// Declared is the release the stack declares for a service.
type Declared struct {
	Cluster, Service string
	// TaskDefinition is the declared task definition's ARN.
	TaskDefinition string
	// Launch is how the declared tasks launch; nil when not known (the
	// rule then leaves it out).
	Launch *Launch
	// CodeDeploy is set when CodeDeploy releases the service (blue/green,
	// canary, linear); nil with ECS's rolling update.
	CodeDeploy *CodeDeploy
}

// Launch is how the declared tasks launch: each deployment (or task set)
// carries its own, and a release that changed only it is a release too.
type Launch struct {
	// Subnets, SecurityGroups and AssignPublicIP are the tasks' network.
	Subnets, SecurityGroups []string
	AssignPublicIP          bool
	// PlatformVersion is the Fargate platform version ("LATEST" matches any).
	PlatformVersion string
	// CapacityProviders is the capacity provider strategy (none: the launch type).
	CapacityProviders []StrategyItem
}

// matches reports whether a deployment or task set launches as l declares
// (a nil l matches anything).
func (l *Launch) matches(network *ecstypes.NetworkConfiguration, platform *string, strategy []ecstypes.CapacityProviderStrategyItem) bool {
	if l == nil {
		return true
	}
	if network != nil && network.AwsvpcConfiguration != nil {
		v := network.AwsvpcConfiguration
		if !sameSet(v.Subnets, l.Subnets) || !sameSet(v.SecurityGroups, l.SecurityGroups) || (v.AssignPublicIp == ecstypes.AssignPublicIpEnabled) != l.AssignPublicIP {
			return false
		}
	}
	if l.PlatformVersion != "" && l.PlatformVersion != "LATEST" && aws.ToString(platform) != "" && aws.ToString(platform) != l.PlatformVersion {
		return false
	}
	var items []StrategyItem
	for _, s := range strategy {
		items = append(items, StrategyItem{CapacityProvider: aws.ToString(s.CapacityProvider), Base: int(s.Base), Weight: int(s.Weight)})
	}
	return len(items) == len(l.CapacityProviders) && (len(items) == 0 || slices.Equal(sortedStrategy(items), sortedStrategy(l.CapacityProviders)))
}

// deploymentMatches reports whether a deployment runs what d declares.
func (d Declared) deploymentMatches(dep ecstypes.Deployment) bool {
	return aws.ToString(dep.TaskDefinition) == d.TaskDefinition && d.Launch.matches(dep.NetworkConfiguration, dep.PlatformVersion, dep.CapacityProviderStrategy)
}

// Action is what `pulumi up` does about a service.
type Action int

const (
	// Nothing: the service is converged.
	Nothing Action = iota
	// Create: there is no such service yet; up creates it.
	Create
	// Follow: ECS is deploying the declared task definition (an earlier check
	// timed out or was interrupted, or tasks are still starting): up follows
	// the deployment to its end and verifies it.
	Follow
	// Deploy: ECS runs another task definition, or the last deployment of the
	// declared one failed: up deploys the declared one again and verifies it.
	Deploy
)

// Status is a service measured against the rule.
type Status struct {
	Action Action
	// Running is the task definition of ECS's primary deployment ("" none);
	// Deployment that deployment's id.
	Running, Deployment string
	// Desired is the count ECS wants; Healthy how many of the primary
	// deployment's tasks are healthy targets.
	Desired, Healthy int
	// Summary says, in a sentence, where the service stands and what up does.
	Summary string
}

// Converged reports whether the service is converged.
func (s Status) Converged() bool { return s.Action == Nothing }

// Observe reads the service and measures it against the rule.
func Observe(ctx context.Context, c Clients, d Declared) (Status, error) {
	if d.CodeDeploy != nil {
		return observeCodeDeploy(ctx, c, d)
	}
	svc, err := describeService(ctx, c, d.Cluster, d.Service)
	if err != nil {
		return Status{}, err
	}
	if svc == nil {
		return Status{Action: Create, Summary: fmt.Sprintf("service %s does not exist yet: `pulumi up` creates it and verifies its first rollout", d.Service)}, nil
	}
	st := Status{Desired: int(svc.DesiredCount)}
	primary := primaryDeployment(*svc)
	if primary == nil {
		st.Action = Deploy
		st.Summary = fmt.Sprintf("service %s has no primary deployment: `pulumi up` deploys %s and verifies it", d.Service, revision(d.TaskDefinition))
		return st, nil
	}
	st.Running, st.Deployment = aws.ToString(primary.TaskDefinition), aws.ToString(primary.Id)
	addresses, err := taskAddresses(ctx, c, d.Cluster, d.Service, st.Deployment)
	if err != nil {
		return st, err
	}
	if st.Healthy, err = healthyTargets(ctx, c, *svc, addresses); err != nil {
		return st, err
	}
	declared, running := revision(d.TaskDefinition), revision(st.Running)
	progress := fmt.Sprintf("%d of %d tasks running, %d of %d healthy behind the target group", primary.RunningCount, st.Desired, st.Healthy, st.Desired)
	matches := d.deploymentMatches(*primary)
	switch {
	case matches && primary.RolloutState == ecstypes.DeploymentRolloutStateCompleted &&
		len(svc.Deployments) == 1 && int(primary.RunningCount) >= st.Desired && st.Healthy >= st.Desired:
		st.Action = Nothing
		st.Summary = fmt.Sprintf("ECS runs %s as its one deployment, %s", running, progress)
	case matches && primary.RolloutState != ecstypes.DeploymentRolloutStateFailed:
		st.Action = Follow
		st.Summary = fmt.Sprintf("ECS is still deploying %s (deployment %s, %s): `pulumi up` follows it to its end and verifies it", running, st.Deployment, progress)
	case matches:
		st.Action = Deploy
		st.Summary = fmt.Sprintf("the deployment %s of %s failed (%s): `pulumi up` deploys %s again and verifies it", st.Deployment, running, orNone(aws.ToString(primary.RolloutStateReason)), declared)
	case st.Running == d.TaskDefinition:
		st.Action = Deploy
		st.Summary = fmt.Sprintf("ECS runs %s, but not with the declared network or capacity providers (rolled back?): `pulumi up` deploys it again as declared and verifies it", running)
	default:
		st.Action = Deploy
		why := lastFailureOf(ctx, c, d, *svc)
		st.Summary = fmt.Sprintf("ECS runs %s, not the declared %s%s: `pulumi up` deploys %s again and verifies it", running, declared, why, declared)
	}
	return st, nil
}

// lastFailureOf says why ECS does not run the declared task definition, when
// it can tell: a failed deployment of it still listed by the service, else
// the newest one ECS keeps in its history.
func lastFailureOf(ctx context.Context, c Clients, d Declared, svc ecstypes.Service) string {
	for _, dep := range svc.Deployments {
		if aws.ToString(dep.TaskDefinition) == d.TaskDefinition && dep.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			return fmt.Sprintf(" (its deployment %s failed: %s)", aws.ToString(dep.Id), orNone(aws.ToString(dep.RolloutStateReason)))
		}
	}
	history, err := History(ctx, c, d.Cluster, d.Service, historyDepth)
	if err != nil {
		return ""
	}
	for _, h := range history {
		if h.TaskDefinition == d.TaskDefinition {
			reason := h.Status
			if h.Reason != "" {
				reason += ": " + h.Reason
			}
			return fmt.Sprintf(" (its last deployment, %s, ended %s)", h.Deployment, reason)
		}
	}
	return ""
}

// describeService reads one service; nil when it does not exist, was
// deleted, or is being deleted.
func describeService(ctx context.Context, c Clients, cluster, service string) (*ecstypes.Service, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	var noCluster *ecstypes.ClusterNotFoundException
	switch {
	case errors.As(err, &noCluster):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describe service %s: %w", service, err)
	}
	for i, s := range out.Services {
		// A DRAINING service is being deleted: it serves nothing, and will not.
		if status := aws.ToString(s.Status); status != "INACTIVE" && status != "DRAINING" {
			return &out.Services[i], nil
		}
	}
	return nil, nil
}

func primaryDeployment(svc ecstypes.Service) *ecstypes.Deployment {
	i := slices.IndexFunc(svc.Deployments, func(d ecstypes.Deployment) bool { return aws.ToString(d.Status) == "PRIMARY" })
	if i < 0 {
		return nil
	}
	return &svc.Deployments[i]
}

// LiveService is what ECS says of a service's launch: its launch type, or
// its capacity provider strategy.
type LiveService struct {
	LaunchType string
	Strategy   []StrategyItem
	// Controller is its deployment controller: ECS (rolling) or CODE_DEPLOY.
	Controller string
	// Settled: the service meets the convergence rule for the latest ACTIVE
	// revision of the stack's task family, which is what the stack declared
	// last (every change of the task definition registers a new revision):
	// nothing is under way and nothing was rolled back. A run that begins so
	// need not update the release for what it observes (release.go).
	Settled bool
}

// ServiceRef names a service and what its release goes by.
type ServiceRef struct {
	Cluster, Service string
	// Family is the task definition family the stack registers.
	Family string
	// CodeDeploy names the application and group of a CodeDeploy release
	// (no listener); nil with the rolling strategy.
	CodeDeploy *CodeDeploy
}

// StrategyItem is one capacity provider of a strategy.
type StrategyItem struct {
	CapacityProvider string
	Base, Weight     int
}

// Live reads how the service launches its tasks, and whether it is settled;
// nil when there is no such service. A failed read of the latest revision
// leaves Settled false: the release then compares what it observes.
func Live(ctx context.Context, c Clients, ref ServiceRef) (*LiveService, error) {
	svc, err := describeService(ctx, c, ref.Cluster, ref.Service)
	if err != nil || svc == nil {
		return nil, err
	}
	live := &LiveService{LaunchType: string(svc.LaunchType), Controller: string(ecstypes.DeploymentControllerTypeEcs)}
	if dc := svc.DeploymentController; dc != nil && dc.Type != "" {
		live.Controller = string(dc.Type)
	}
	for _, s := range svc.CapacityProviderStrategy {
		live.Strategy = append(live.Strategy, StrategyItem{CapacityProvider: aws.ToString(s.CapacityProvider), Base: int(s.Base), Weight: int(s.Weight)})
	}
	live.Settled = settled(ctx, c, ref)
	return live, nil
}

// settled reports whether the service meets the convergence rule for the
// latest ACTIVE revision of its family (DescribeTaskDefinition of a family
// answers that revision); false when a read fails.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
func settled(ctx context.Context, c Clients, ref ServiceRef) bool {
	td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref.Family)})
	if err != nil || td.TaskDefinition == nil {
		return false
	}
	d := Declared{Cluster: ref.Cluster, Service: ref.Service, TaskDefinition: aws.ToString(td.TaskDefinition.TaskDefinitionArn), CodeDeploy: ref.CodeDeploy}
	st, err := Observe(ctx, c, d)
	return err == nil && st.Action == Nothing
}
