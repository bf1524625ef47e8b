//go:build engine

package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"

	"alba-digi/internal/fakeaws"
)

// userDeployments are the CodeDeploy deployments users started (not
// CodeDeploy's rollbacks), oldest first.
func (e *engine) userDeployments() []fakeaws.CodeDeployment {
	var out []fakeaws.CodeDeployment
	for _, d := range e.account.CodeDeployments(service) {
		if d.Creator == "user" {
			out = append(out, d)
		}
	}
	return out
}

func (e *engine) refresh(s auto.Stack) result {
	var out bytes.Buffer
	start := time.Now()
	_, err := s.Refresh(context.Background(), optrefresh.ProgressStreams(&out), optrefresh.ErrorProgressStreams(&out))
	return result{out.String() + errText(err), out.String(), err, time.Since(start)}
}

func (e *engine) destroy(s auto.Stack) result {
	var out bytes.Buffer
	start := time.Now()
	_, err := s.Destroy(context.Background(), optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(&out))
	return result{out.String() + errText(err), out.String(), err, time.Since(start)}
}

// output is an output of a resource in the stack's state, by type and
// logical name.
func output(t *testing.T, s auto.Stack, typ, name, key string) string {
	t.Helper()
	state, err := s.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Resources []struct {
			URN     string         `json:"urn"`
			Type    string         `json:"type"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(state.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Resources {
		if r.Type == typ && strings.HasSuffix(r.URN, "::"+name) {
			if v, ok := r.Outputs[key].(string); ok {
				return v
			}
		}
	}
	t.Fatalf("no %s %s with output %s in the state", typ, name, key)
	return ""
}

// TestCodeDeployUnderTheRealEngine: with deploymentStrategy canary, a fresh
// stack deploys, and each new image goes out through CodeDeploy, as
// `pulumi up` drives it: the test listener, 10 % for 5 minutes, then all,
// verified; a release that cannot succeed fails `up` with its cause,
// traffic back on the previous revision, and no later `up` passes while the
// cause lasts; an interrupted `up` is followed by the next, not duplicated;
// a stack that released shows no change. AWS's time runs 20 times faster.
func TestCodeDeployUnderTheRealEngine(t *testing.T) {
	e := setUp(t)
	dev := e.stack("dev")
	e.setConfig(dev, "alba-digi:deploymentStrategy", "canary")
	e.setConfig(dev, "alba-digi:blueGreenTerminationMinutes", "1")
	e.setConfig(dev, "alba-digi:rollbackOnAlarm", "true")
	up := func(t *testing.T, what string) result {
		t.Helper()
		r := e.up(dev)
		if r.err == nil {
			e.mustBeConverged(t, what)
		}
		return r
	}
	noChange := func(t *testing.T, what string) {
		t.Helper()
		p, summary := e.previewChanges(dev)
		p.mustSucceed(t, what)
		if n := changed(summary); n != 0 {
			t.Errorf("%s changes %d resources (%v):\n%s", what, n, summary, p.progress)
		}
	}
	setImage := func(tag string) { e.setConfig(dev, "alba-digi:image", imageRepo+":"+tag) }

	t.Run("a fresh canary stack deploys and verifies its first task set", func(t *testing.T) {
		r := up(t, "first up")
		r.mustSucceed(t, "first up")
		r.mustContain(t, "first up", "aws:codedeploy:DeploymentGroup alba-digi-deployment-group created",
			"rollout of arn:aws:ecs:us-east-1:123456789012:task-definition/"+taskFamily+":1 verified: it serves all production traffic as the service's one task set, 2 healthy targets")
		if n := len(e.userDeployments()); n != 0 {
			t.Errorf("the first up started %d CodeDeploy deployments, want none (ECS starts the first task set)", n)
		}
	})

	t.Run("refresh, then a preview, show no change: CodeDeploy's listener pair is not drift", func(t *testing.T) {
		r := e.refresh(dev)
		r.mustSucceed(t, "pulumi refresh")
		noChange(t, "the preview after refresh")
	})

	t.Run("a new image rolls out through the canary step, verified; the next up changes nothing", func(t *testing.T) {
		setImage("v2")
		r := up(t, "release of v2")
		r.mustSucceed(t, "release of v2")
		t.Logf("what the CLI printed:\n%s", r.progress)
		r.mustContain(t, "release of v2", "CodeDeploy deployment", "is healthy on the test listener (2 of 2 tasks): CodeDeploy moves production traffic to it",
			"rollout of arn:aws:ecs:us-east-1:123456789012:task-definition/"+taskFamily+":2 verified")
		deps := e.userDeployments()
		if len(deps) != 1 || deps[0].Status != "Succeeded" || !slices.Equal(deps[0].Shifts, []int{10, 100}) {
			t.Errorf("CodeDeploy deployments %+v, want one, Succeeded, production traffic 10 %% then 100 %%", deps)
		}
		noChange(t, "the preview after the release")
		again := up(t, "a second up")
		again.mustSucceed(t, "a second up")
		if n := len(e.userDeployments()); n != 1 {
			t.Errorf("a second up with no change started a CodeDeploy deployment (%d in all)", n)
		}
	})

	t.Run("new tasks that fail their health checks: rolled back, up fails with the cause, and the next up too while it lasts", func(t *testing.T) {
		previous := e.declared()
		e.account.BreakImage(imageRepo+":v3", fakeaws.Failure{Unhealthy: true})
		setImage("v3")
		r := up(t, "release of v3")
		r.mustFail(t, "release of v3")
		t.Logf("what the CLI printed:\n%s", r.out)
		r.mustContain(t, "release of v3", "tasks of the new task set stopped", "Task failed ELB health checks", "Automatic rollback is triggered",
			"all production traffic is on the previous task set")
		e.waitForECS(t, previous)
		again := up(t, "plain up, cause still there")
		again.mustFail(t, "plain up, cause still there")
		e.waitForECS(t, previous)
		e.account.FixImage(imageRepo + ":v3")
		up(t, "up after the fix").mustSucceed(t, "up after the fix")
		noChange(t, "the preview after the fix")
	})

	t.Run("the deployment alarm fires during the canary step: CodeDeploy stops and rolls back, up fails naming it", func(t *testing.T) {
		previous := e.declared()
		alarm := output(t, dev, "aws:cloudwatch/metricAlarm:MetricAlarm", "alba-digi.target-5xx", "name")
		before := len(e.userDeployments())
		setImage("v4")
		done := make(chan result, 1)
		go func() { done <- e.up(dev) }()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			deps := e.userDeployments()
			if len(deps) > before && slices.Contains(deps[len(deps)-1].Shifts, 10) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the release never reached its canary step: %+v", deps)
			}
			time.Sleep(100 * time.Millisecond)
		}
		e.account.SetAlarm(alarm, "ALARM")
		r := <-done
		e.account.SetAlarm(alarm, "OK")
		r.mustFail(t, "release of v4 with the alarm")
		t.Logf("what the CLI printed:\n%s", r.out)
		r.mustContain(t, "release of v4", "ALARM_ACTIVE", alarm, "an alarm the deployment group watches tripped")
		e.waitForECS(t, previous)
		up(t, "up once the alarm is quiet").mustSucceed(t, "up once the alarm is quiet")
	})

	t.Run("Ctrl-C during a release, then up: the same deployment is followed", func(t *testing.T) {
		before := len(e.userDeployments())
		setImage("v5")
		r := e.interruptedUp("dev", "CodeDeploy deployment")
		r.mustFail(t, "interrupted up")
		t.Logf("what the CLI printed:\n%s", r.out)
		r.mustContain(t, "interrupted up", "the rollout check was interrupted before CodeDeploy deployment", "CodeDeploy goes on with it")
		p := e.preview(dev)
		p.mustSucceed(t, "preview after Ctrl-C")
		p.mustContain(t, "preview after Ctrl-C", "CodeDeploy is still releasing "+taskFamily+":")
		up(t, "up after Ctrl-C").mustSucceed(t, "up after Ctrl-C")
		if n := len(e.userDeployments()) - before; n != 1 {
			t.Errorf("the interrupted up and the next started %d CodeDeploy deployments, want 1", n)
		}
	})

	t.Run("back to rolling is refused unless the replacement is accepted", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:deploymentStrategy", "rolling")
		// A release key under rolling is refused on its own (it would do nothing).
		e.removeConfig(dev, "alba-digi:blueGreenTerminationMinutes")
		p := e.preview(dev)
		p.mustFail(t, "preview of rolling")
		p.mustContain(t, "preview of rolling", "deploymentStrategy", "replaces the service", "acceptServiceReplacement")
		e.setConfig(dev, "alba-digi:deploymentStrategy", "canary")
		e.setConfig(dev, "alba-digi:blueGreenTerminationMinutes", "1")
	})

	t.Run("destroy", func(t *testing.T) {
		r := e.destroy(dev)
		r.mustSucceed(t, "pulumi destroy")
	})
}
