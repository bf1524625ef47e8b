package infra

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	fa "alba-digi/internal/fakeaws"
	"alba-digi/internal/field"
	"alba-digi/internal/release"
)

// TestRunRelease runs the hook's release against the local stand-in: it
// tells the CLI how the rollout goes, and fails a rolled-back update with the
// diagnosis rather than reporting success.
func TestRunRelease(t *testing.T) {
	const newDep = "ecs-svc/2222"
	declared := release.Declared{Cluster: fa.ClusterArn, Service: "alba-digi-service", TaskDefinition: fa.TaskDef2}
	t.Run("healthy", func(t *testing.T) {
		f, cfg := fa.New(t)
		inProgress := fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 1}})
		f.Services = []string{inProgress, inProgress, inProgress,
			fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
		f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
		f.Running = fa.RunningTasks(newDep, "10.0.1.10", "10.0.2.20")
		var logs []string
		o := release.ReleaseOptions{Wait: release.WaitOptions{Timeout: time.Second, Interval: time.Millisecond, ProgressEvery: time.Nanosecond}}
		if err := runRelease(context.Background(), release.NewClients(cfg), declared, o, func(m string) { logs = append(logs, m) }); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"verifying the rollout of " + fa.TaskDef2 + ": up to 1s for ECS to run it as its one deployment, every task healthy behind the load balancer",
			"rollout of alba-digi-task:2: 1/2 tasks running, 2/2 targets healthy (IN_PROGRESS)",
			"rollout of " + fa.TaskDef2 + " verified: ECS runs it as its one deployment, 2 healthy targets",
		}
		if logs[0] != want[0] || !strings.Contains(strings.Join(logs, "\n"), want[1]) || logs[len(logs)-1] != want[2] {
			t.Errorf("logs:\n%s\nwant, in order:\n%s", strings.Join(logs, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("rolled back", func(t *testing.T) {
		f, cfg := fa.New(t)
		f.Services = []string{
			fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2}}),
			fa.Service(2, []fa.Deployment{{ID: "ecs-svc/3333", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}}),
		}
		f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
		o := release.ReleaseOptions{Wait: release.WaitOptions{Timeout: time.Second, Interval: time.Millisecond, AppearWithin: 10 * time.Millisecond}}
		err := runRelease(context.Background(), release.NewClients(cfg), declared, o, func(string) {})
		var rerr *release.Error
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), "rolled back to alba-digi-task:1") || !strings.Contains(err.Error(), "deploys it again and verifies it") {
			t.Errorf("error = %v, want the rollback diagnosed", err)
		}
	})
}

func TestRolloutTimeout(t *testing.T) {
	tests := []struct {
		name string
		c    func(*Config)
		want int
	}{
		// 2 × (50 s + 1 batch × (30 s grace + 180 s start)) = 520 s → 9 min → at least 10.
		{"tutorial", func(*Config) {}, 10},
		// 4 tasks one at a time: 2 × (4 × 50 + 4 × 210) = 2080 s → 35 min.
		{"slow rolling update", func(c *Config) { c.DesiredCount, c.DeploymentMaximumPercent = 4, 125 }, 35},
		{"set", func(c *Config) { c.RolloutTimeoutMinutes = 45 }, 45},
		// 520 s + 2 × 5 × 60 s of bake time = 1120 s → 19 min.
		{"deployment alarm", func(c *Config) { c.RollbackOnAlarm = true }, 19},
	}
	for _, tt := range tests {
		c := Defaults()
		tt.c(&c)
		if got := c.RolloutTimeout(); got != tt.want {
			t.Errorf("%s: %d minutes, want %d", tt.name, got, tt.want)
		}
	}
}

// TestServiceReplacement: fargateSpotPercent from 0 to some, or back,
// replaces the running service and is refused without
// acceptServiceReplacement; from one share to another it changes in place,
// with forceNewDeployment for that update only.
func TestServiceReplacement(t *testing.T) {
	onDemand := liveService{&release.LiveService{LaunchType: "FARGATE", Controller: "ECS"}}
	spot50 := liveService{&release.LiveService{Strategy: declaredStrategy(Config{FargateSpotPercent: 50}), Controller: "ECS"}}
	codeDeploy := liveService{&release.LiveService{LaunchType: "FARGATE", Controller: "CODE_DEPLOY"}}
	tests := []struct {
		name     string
		live     liveService
		spot     int
		strategy string
		accept   bool
		// refused is the key the refusal names ("" when accepted).
		refused string
		inPlace bool
	}{
		{"no service yet", liveService{}, 50, StrategyCanary, false, "", false},
		{"on demand, still", onDemand, 0, StrategyRolling, false, "", false},
		{"on demand to Spot", onDemand, 50, StrategyRolling, false, "fargateSpotPercent", false},
		{"on demand to Spot, accepted", onDemand, 50, StrategyRolling, true, "", false},
		{"Spot to on demand", spot50, 0, StrategyRolling, false, "fargateSpotPercent", false},
		{"Spot share changes", spot50, 25, StrategyRolling, false, "", true},
		{"Spot share the same", spot50, 50, StrategyRolling, false, "", false},
		{"rolling to canary", onDemand, 0, StrategyCanary, false, "deploymentStrategy", false},
		{"rolling to blue/green, accepted", onDemand, 0, StrategyBlueGreen, true, "", false},
		{"canary to rolling", codeDeploy, 0, StrategyRolling, false, "deploymentStrategy", false},
		{"canary to linear: one controller", codeDeploy, 0, StrategyLinear, false, "", false},
		{"canary, Spot from none to some: a new task set, no replacement", codeDeploy, 50, StrategyCanary, false, "", false},
	}
	for _, tt := range tests {
		c := Defaults()
		c.FargateSpotPercent, c.AcceptServiceReplacement, c.DeploymentStrategy = tt.spot, tt.accept, tt.strategy
		err := checkReplacement(c, tt.live)
		if (err != nil) != (tt.refused != "") {
			t.Errorf("%s: checkReplacement = %v, want refused on %q", tt.name, err, tt.refused)
		}
		if err != nil {
			list := field.List(err)
			if len(list) != 1 || list[0].Field != tt.refused || !strings.Contains(err.Error(), "acceptServiceReplacement") || !strings.Contains(err.Error(), "replaces the service") {
				t.Errorf("%s: %v, want one error on %s naming acceptServiceReplacement", tt.name, err, tt.refused)
			}
		}
		if got := tt.live.strategyChangesInPlace(c); got != tt.inPlace {
			t.Errorf("%s: strategyChangesInPlace = %v, want %v", tt.name, got, tt.inPlace)
		}
	}
}

func TestPrincipal(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/Deploy/pulumi-1":      "arn:aws:sts::123456789012:assumed-role/Deploy",
		"arn:aws:sts::123456789012:assumed-role/Deploy/rollout-check": "arn:aws:sts::123456789012:assumed-role/Deploy",
		"arn:aws:iam::123456789012:user/ci":                           "arn:aws:iam::123456789012:user/ci",
	} {
		if got := principal(arn); got != want {
			t.Errorf("principal(%s) = %s, want %s", arn, got, want)
		}
	}
}
