package infra

import (
	"fmt"
	"slices"

	"alba-digi/internal/field"
	"alba-digi/internal/release"
)

// Changes the provider applies by replacing the ECS service. The service
// has a fixed name and deleteBeforeReplace (ECS refuses a second active
// service of one name), so a replacement deletes it before its successor
// starts: the API answers nothing until the new tasks are healthy. Such a
// change is refused unless acceptServiceReplacement says the downtime is
// accepted, before anything is declared, when the program can see the
// service (preview and up; offline, the plan's diff shows the replacement).
//   - launchType is ForceNew, and a capacity provider strategy from none to
//     some, or back, is a replacement whatever forceNewDeployment
//     (terraform-provider-aws capacityProviderStrategyCustomizeDiff): so
//     fargateSpotPercent from 0 to more, or back to 0, replaces the service;
//     from one share to another it updates in place (service.go). Under
//     CodeDeploy the service ignores its strategy (service.go): a new one
//     goes out in the release's new task set, so there is nothing to refuse.
//   - deploymentController is ForceNew (terraform-provider-aws v5
//     aws_ecs_service, which pulumi-aws v6 wraps): deploymentStrategy from
//     rolling to a CodeDeploy strategy, or back, replaces the service.

// declaredStrategy is the capacity provider strategy fargateSpotPercent
// declares (service.go); none at 0.
func declaredStrategy(c Config) []release.StrategyItem {
	if c.FargateSpotPercent == 0 {
		return nil
	}
	return []release.StrategyItem{
		{CapacityProvider: "FARGATE", Base: 1, Weight: 100 - c.FargateSpotPercent},
		{CapacityProvider: "FARGATE_SPOT", Weight: c.FargateSpotPercent},
	}
}

// liveService is the service as ECS runs it before this run declares
// anything; nil offline, or when there is no service yet.
type liveService struct {
	*release.LiveService
}

// strategyChangesInPlace reports whether this run changes the service's
// capacity provider strategy from one share to another: an update in place,
// which the provider makes only with forceNewDeployment on.
func (l liveService) strategyChangesInPlace(c Config) bool {
	if l.LiveService == nil || len(l.Strategy) == 0 || c.FargateSpotPercent == 0 {
		return false
	}
	return !sameStrategy(l.Strategy, declaredStrategy(c))
}

func sameStrategy(a, b []release.StrategyItem) bool {
	sorted := func(s []release.StrategyItem) []release.StrategyItem {
		out := slices.Clone(s)
		slices.SortFunc(out, func(x, y release.StrategyItem) int {
			if x.CapacityProvider < y.CapacityProvider {
				return -1
			}
			if x.CapacityProvider > y.CapacityProvider {
				return 1
			}
			return 0
		})
		return out
	}
	return slices.Equal(sorted(a), sorted(b))
}

// checkReplacement refuses a change that replaces the running service,
// unless acceptServiceReplacement.
func checkReplacement(c Config, l liveService) error {
	if l.LiveService == nil || c.AcceptServiceReplacement {
		return nil
	}
	if liveCD := l.Controller == controllerCodeDeploy; liveCD != c.CodeDeploy() {
		was, to, keep := "ECS's rolling update", "CodeDeploy's", StrategyRolling
		if liveCD {
			was, to, keep = "CodeDeploy", "ECS's rolling update", "a CodeDeploy strategy (blueGreen, canary or linear)"
		}
		return field.ErrorList{field.NewInvalid(field.NewPath("deploymentStrategy"), c.DeploymentStrategy, fmt.Sprintf(
			"service %s is released by %s: moving it to %s replaces the service (its deployment controller cannot change in place), deleting it before its replacement starts, so the API answers nothing for a few minutes, until the new tasks are healthy. Set acceptServiceReplacement: true for this `pulumi up` to accept that downtime (then remove it), or keep deploymentStrategy %s",
			c.Names().Service, was, to, keep))}.ToAggregate()
	}
	if c.CodeDeploy() {
		return nil
	}
	live, declared := len(l.Strategy) > 0, c.FargateSpotPercent > 0
	if live == declared {
		return nil
	}
	was := "no Spot share (launch type " + l.LaunchType + ")"
	if live {
		was = "a capacity provider strategy"
		for _, s := range l.Strategy {
			if s.CapacityProvider == "FARGATE_SPOT" {
				was = fmt.Sprintf("%d %% on Fargate Spot", s.Weight)
			}
		}
	}
	return field.ErrorList{field.NewInvalid(field.NewPath("fargateSpotPercent"), c.FargateSpotPercent, fmt.Sprintf(
		"service %s runs with %s: changing between no Spot share and some replaces the service (launch type and capacity provider strategy cannot change in place), deleting it before its replacement starts, so the API answers nothing for a few minutes, until the new tasks are healthy. Set acceptServiceReplacement: true for this `pulumi up` to accept that downtime (then remove it), or keep fargateSpotPercent %s",
		c.Names().Service, was, map[bool]string{true: "above 0", false: "at 0"}[live]))}.ToAggregate()
}
