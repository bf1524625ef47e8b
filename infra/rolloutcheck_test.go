package infra

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	fa "alba-digi/internal/fakeaws"
	"alba-digi/internal/release"
)

// serviceOutputs are an ECS service's outputs as the provider reports them
// to an after-create hook.
func serviceOutputs(desired float64) resource.PropertyMap {
	return resource.PropertyMap{
		"cluster":        resource.NewProperty(fa.ClusterArn),
		"name":           resource.NewProperty("alba-digi-service"),
		"taskDefinition": resource.NewProperty(fa.TaskDef2),
		"desiredCount":   resource.NewProperty(desired),
	}
}

func TestRolloutTarget(t *testing.T) {
	target, err := rolloutTarget(serviceOutputs(3))
	if err != nil || target != (release.Target{Cluster: fa.ClusterArn, Service: "alba-digi-service", TaskDefinition: fa.TaskDef2}) {
		t.Errorf("rolloutTarget = %+v, %v", target, err)
	}
	partial := serviceOutputs(2)
	delete(partial, "taskDefinition")
	if _, err := rolloutTarget(partial); err == nil || !strings.Contains(err.Error(), "taskDefinition") {
		t.Errorf("missing task definition: %v", err)
	}
}

// TestWaitForRollout runs the hook's wait against the local stand-in: it
// tells the CLI how the rollout goes, and fails a rolled-back update with the
// diagnosis rather than reporting success.
func TestWaitForRollout(t *testing.T) {
	const newDep = "ecs-svc/2222"
	t.Run("healthy", func(t *testing.T) {
		f, cfg := fa.New(t)
		f.Services = []string{fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "IN_PROGRESS", Desired: 2, Running: 1}})}
		for range rolloutProgressEvery {
			f.Services = append(f.Services, f.Services[0])
		}
		f.Services = append(f.Services, fa.Service(2, []fa.Deployment{{ID: newDep, Status: "PRIMARY", TaskDef: fa.TaskDef2, Rollout: "COMPLETED", Desired: 2, Running: 2}}))
		f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
		f.Running = fa.RunningTasks(newDep, "10.0.1.10", "10.0.2.20")
		var logs []string
		target, _ := rolloutTarget(serviceOutputs(2))
		opts := release.WaitOptions{Timeout: time.Second, Interval: time.Millisecond, ProgressEvery: rolloutProgressEvery}
		err := waitForRollout(context.Background(), release.NewClients(cfg), target, opts, func(m string) { logs = append(logs, m) })
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"verifying the rollout of " + fa.TaskDef2 + ": up to 1s for its tasks to be healthy targets",
			"rollout of alba-digi-task:2: 1/2 tasks running, 2/2 targets healthy (IN_PROGRESS)",
			"rollout of " + fa.TaskDef2 + " verified: 2 healthy targets",
		}
		if strings.Join(logs, "\n") != strings.Join(want, "\n") {
			t.Errorf("logs:\n%s\nwant:\n%s", strings.Join(logs, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("rolled back", func(t *testing.T) {
		f, cfg := fa.New(t)
		f.Services = []string{fa.Service(2, []fa.Deployment{{ID: "ecs-svc/1111", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 2, Running: 2}})}
		f.Targets = []string{fa.Target("10.0.1.10", "healthy", "", "") + fa.Target("10.0.2.20", "healthy", "", "")}
		target, _ := rolloutTarget(serviceOutputs(2))
		opts := release.WaitOptions{Timeout: time.Second, Interval: time.Millisecond, AppearWithin: 10 * time.Millisecond, Before: []string{"ecs-svc/1111"}}
		err := waitForRollout(context.Background(), release.NewClients(cfg), target, opts, func(string) {})
		var rerr *release.Error
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), "rolled back to alba-digi-task:1") || !strings.Contains(err.Error(), "deploys the same task definition again") {
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

// TestStartsDeployment tells a change that makes ECS deploy from one that
// only changes the count or the tags, from the hook's old and new inputs.
func TestStartsDeployment(t *testing.T) {
	base := resource.PropertyMap{
		"taskDefinition": resource.NewProperty(fa.TaskDef1),
		"desiredCount":   resource.NewProperty(2.0),
		"networkConfiguration": resource.NewProperty(resource.PropertyMap{
			"assignPublicIp": resource.NewProperty(true),
		}),
		"tags": resource.NewProperty(resource.PropertyMap{"team": resource.NewProperty("a")}),
	}
	tests := []struct {
		name   string
		change func(resource.PropertyMap)
		want   bool
	}{
		{"nothing", func(resource.PropertyMap) {}, false},
		{"desiredCount", func(m resource.PropertyMap) { m["desiredCount"] = resource.NewProperty(3.0) }, false},
		{"tags", func(m resource.PropertyMap) {
			m["tags"] = resource.NewProperty(resource.PropertyMap{"team": resource.NewProperty("b")})
		}, false},
		{"task definition", func(m resource.PropertyMap) { m["taskDefinition"] = resource.NewProperty(fa.TaskDef2) }, true},
		{"assignPublicIp", func(m resource.PropertyMap) {
			m["networkConfiguration"] = resource.NewProperty(resource.PropertyMap{"assignPublicIp": resource.NewProperty(false)})
		}, true},
		{"redeploy trigger", func(m resource.PropertyMap) {
			m["triggers"] = resource.NewProperty(resource.PropertyMap{"redeploy": resource.NewProperty("2")})
		}, true},
	}
	for _, tt := range tests {
		news := base.Copy()
		tt.change(news)
		if got := startsDeployment(base, news); got != tt.want {
			t.Errorf("%s: startsDeployment = %v, want %v", tt.name, got, tt.want)
		}
	}
}
