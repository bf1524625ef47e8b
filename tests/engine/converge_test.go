//go:build engine

package engine

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"alba-digi/internal/fakeaws"
)

const (
	taskFamily = "alba-digi-task"
	imageRepo  = "public.ecr.aws/n0h7v2z5/alba-digi-api-rest"
)

// notFound is how ECS reports a tag that does not exist.
func notFound(tag string) fakeaws.Failure {
	return fakeaws.Failure{StopCode: "TaskFailedToStart", StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref " + imageRepo + ":" + tag + ": " + imageRepo + ":" + tag + ": not found"}
}

// declared is the task definition the stack declares: the newest revision
// of the family (every change of it registers one).
func (e *engine) declared() string { return e.account.Newest(taskFamily) }

// mustBeConverged fails unless ECS runs the declared task definition as its
// one deployment, with every task healthy: what an `up` that exited 0 must
// leave behind.
func (e *engine) mustBeConverged(t *testing.T, what string) {
	t.Helper()
	want := e.declared()
	if !e.account.Converged(service, want) {
		td, healthy := e.account.Running(service)
		t.Errorf("%s exited 0, but ECS is not converged on %s: it runs %s with %d healthy targets", what, want, td, healthy)
	}
}

// waitForECS waits until ECS has settled on taskDefinition (a rollback
// that completed, or a deployment that did), in real time.
func (e *engine) waitForECS(t *testing.T, taskDefinition string) {
	t.Helper()
	if !e.account.WaitConverged(service, taskDefinition, 3*time.Minute) {
		td, healthy := e.account.Running(service)
		t.Fatalf("ECS did not settle on %s: it runs %s with %d healthy targets", taskDefinition, td, healthy)
	}
}

// interruptedUp runs `pulumi up` as a terminal does, in a process group of
// its own, and sends the group SIGINT (Ctrl-C) once the CLI prints when.
func (e *engine) interruptedUp(stack, when string) result {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack)
	cmd.Dir = e.work
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	var out bytes.Buffer
	var once sync.Once
	scanner := bufio.NewScanner(io.TeeReader(pipe, &out))
	for scanner.Scan() {
		if strings.Contains(scanner.Text(), when) {
			once.Do(func() {
				time.Sleep(2 * time.Second)
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			})
		}
	}
	err = cmd.Wait()
	return result{out.String(), out.String(), err, time.Since(start)}
}

// TestConvergence: `pulumi up` exits 0 only when ECS runs, as its one
// deployment, the task definition the stack declares, rolled out, with the
// desired count of healthy targets; and no update rolls the tasks or
// replaces the service unless the plan says so. AWS takes its time here
// (deployments of a minute and a half, rollbacks of their own), fails as it
// does (images not found, AccessDenied) and lists in pages.
func TestConvergence(t *testing.T) {
	e := setUp(t)
	dev := e.stack("dev")
	up := func(t *testing.T, what string) result {
		t.Helper()
		r := e.up(dev)
		if r.err == nil {
			e.mustBeConverged(t, what)
		}
		return r
	}

	t.Run("first up", func(t *testing.T) {
		r := up(t, "first up")
		r.mustSucceed(t, "pulumi up")
		r.mustContain(t, "first up", "verified", taskFamily+":1")
	})

	t.Run("a rolled-back release: the next plain up deploys the declared revision, never passes while the cause lasts", func(t *testing.T) {
		e.account.BreakImage(imageRepo+":v2", notFound("v2"))
		e.setConfig(dev, "alba-digi:image", imageRepo+":v2")
		r := up(t, "up with an image that does not exist")
		r.mustFail(t, "up with an image that does not exist")
		t.Logf("what the CLI printed:\n%s", r.progress)
		r.mustContain(t, "failed up", "CannotPullContainerError", taskFamily+":2", "image")
		r.mustNotContain(t, "failed up", "resource monitor shut down", "an unhandled error occurred", "waiting for RPCs")
		e.waitForECS(t, family+":1") // the circuit breaker rolled back

		before := e.account.DeploymentCount(service)
		p := e.preview(dev)
		p.mustSucceed(t, "preview after the rollback")
		t.Logf("preview printed:\n%s", p.progress)
		p.mustContain(t, "preview after the rollback", "ECS runs "+taskFamily+":1", taskFamily+":2")
		r = up(t, "plain up, cause still there")
		r.mustFail(t, "plain up, cause still there")
		t.Logf("what the CLI printed:\n%s", r.progress)
		if got := e.account.DeploymentCount(service); got <= before {
			t.Errorf("the up after a rollback started no deployment: it must deploy %s:2 again", family)
		}
		e.waitForECS(t, family+":1")

		e.account.FixImage(imageRepo + ":v2")
		r = up(t, "up after the image was pushed")
		r.mustSucceed(t, "up after the image was pushed")
		r.mustContain(t, "up after fix", "verified", taskFamily+":2")

		before = e.account.DeploymentCount(service)
		again := up(t, "up with nothing to do")
		again.mustSucceed(t, "up with nothing to do")
		if got := e.account.DeploymentCount(service); got != before {
			t.Errorf("an up with nothing to do started %d deployments", got-before)
		}
	})

	t.Run("the check times out while ECS still deploys: up again until ECS converges", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:rolloutTimeoutMinutes", "1")
		e.account.SetSpeed(0.5) // a rollout of 90 AWS seconds takes three minutes
		e.setConfig(dev, "alba-digi:image", imageRepo+":v3")
		r := up(t, "up that times out")
		r.mustFail(t, "up whose check times out")
		t.Logf("what the CLI printed:\n%s", r.progress)
		r = up(t, "up while ECS still deploys")
		t.Logf("up while ECS still deploys (%s): %v\n%s", r.dur, r.err, r.progress)
		e.account.SetSpeed(fastAWS)
		r = up(t, "up once ECS can finish")
		r.mustSucceed(t, "up once ECS can finish")
		t.Logf("what the CLI printed:\n%s", r.progress)
		e.removeConfig(dev, "alba-digi:rolloutTimeoutMinutes")
	})

	t.Run("Ctrl-C during the check, then up", func(t *testing.T) {
		e.account.SetSpeed(0.5)
		e.setConfig(dev, "alba-digi:image", imageRepo+":v4")
		r := e.interruptedUp("dev", "verifying")
		t.Logf("interrupted up (%s): %v\n%s", r.dur, r.err, r.out)
		r.mustFail(t, "interrupted up")
		if r.dur > 2*time.Minute {
			t.Errorf("the interrupted up took %s to end", r.dur)
		}
		e.account.SetSpeed(fastAWS)
		r = up(t, "up after Ctrl-C")
		r.mustSucceed(t, "up after Ctrl-C")
		t.Logf("what the CLI printed:\n%s", r.progress)
	})

	t.Run("a rolled-back release, then a desiredCount change: not green", func(t *testing.T) {
		previous := e.declared()
		e.account.BreakImage(imageRepo+":v5", notFound("v5"))
		e.setConfig(dev, "alba-digi:image", imageRepo+":v5")
		up(t, "up with an image that does not exist").mustFail(t, "up with an image that does not exist")
		e.waitForECS(t, previous)
		e.setConfig(dev, "alba-digi:desiredCount", "3")
		r := up(t, "count change after a rollback")
		r.mustFail(t, "count change after a rollback")
		t.Logf("what the CLI printed:\n%s", r.progress)
		e.account.FixImage(imageRepo + ":v5")
		up(t, "up after the fix").mustSucceed(t, "up after the fix")
		// That up recorded what it fixed in the release's `observed`; the
		// next run begins settled and shows no change.
		p, summary := e.previewChanges(dev)
		p.mustSucceed(t, "preview after the fix")
		if n := changed(summary); n != 0 {
			t.Errorf("the preview after the fix changes %d resources (%v):\n%s", n, summary, p.progress)
		}
		e.removeConfig(dev, "alba-digi:desiredCount")
		up(t, "back to two tasks").mustSucceed(t, "back to two tasks")
	})

	t.Run("redeploy, then a count change: no new deployment; config rm redeploy: none either", func(t *testing.T) {
		before := e.account.DeploymentCount(service)
		e.setConfig(dev, "alba-digi:redeploy", "secret-rotated")
		up(t, "redeploy").mustSucceed(t, "redeploy")
		if got := e.account.DeploymentCount(service); got != before+1 {
			t.Errorf("redeploy started %d deployments, want 1", got-before)
		}
		before = e.account.DeploymentCount(service)
		e.setConfig(dev, "alba-digi:desiredCount", "3")
		r := up(t, "count change after redeploy")
		r.mustSucceed(t, "count change after redeploy")
		if got := e.account.DeploymentCount(service); got != before {
			t.Errorf("a count change after redeploy started %d deployments (the tasks rolled): want none\n%s", got-before, r.progress)
		}
		if n := e.account.DesiredCount(service); n != 3 {
			t.Errorf("ECS wants %d tasks, want 3", n)
		}
		e.removeConfig(dev, "alba-digi:desiredCount")
		up(t, "back to two tasks").mustSucceed(t, "back to two tasks")

		before = e.account.DeploymentCount(service)
		e.removeConfig(dev, "alba-digi:redeploy")
		start := time.Now()
		r = up(t, "config rm redeploy")
		r.mustSucceed(t, "config rm redeploy")
		if got := e.account.DeploymentCount(service); got != before {
			t.Errorf("removing redeploy started %d deployments, want none", got-before)
		}
		if d := time.Since(start); d > time.Minute {
			t.Errorf("removing redeploy took %s", d)
		}
	})

	t.Run("a Spot share change: in place, no outage; from none to some: refused unless accepted", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:fargateSpotPercent", "50")
		p := e.preview(dev)
		t.Logf("preview of Spot 0 → 50:\n%s", p.out)
		p.mustFail(t, "preview of a change that replaces the service")
		p.mustContain(t, "refused replacement", "fargateSpotPercent", "acceptServiceReplacement")
		e.setConfig(dev, "alba-digi:acceptServiceReplacement", "true")
		r := up(t, "Spot 0 → 50, accepted")
		r.mustSucceed(t, "Spot 0 → 50, accepted")
		t.Logf("what the CLI printed:\n%s", r.progress)
		r.mustContain(t, "Spot 0 → 50", "replaced")
		e.removeConfig(dev, "alba-digi:acceptServiceReplacement")

		deletes := e.account.Deletes(service)
		e.account.MarkOutages(service)
		e.setConfig(dev, "alba-digi:fargateSpotPercent", "25")
		r = up(t, "Spot 50 → 25")
		r.mustSucceed(t, "Spot 50 → 25")
		t.Logf("what the CLI printed:\n%s", r.progress)
		if got := e.account.Deletes(service); got != deletes {
			t.Errorf("a Spot share change deleted the service %d times", got-deletes)
		}
		if low := e.account.Lowest(service); low < 2 {
			t.Errorf("a Spot share change left %d healthy targets at one point, want at least 2", low)
		}
		before := e.account.DeploymentCount(service)
		again := up(t, "up after the Spot change")
		again.mustSucceed(t, "up after the Spot change")
		t.Logf("what the CLI printed:\n%s", again.progress)
		again.mustNotContain(t, "up after the Spot change", "replac")
		if got := e.account.DeploymentCount(service); got != before {
			t.Errorf("the up after a Spot change started %d deployments", got-before)
		}
	})

	t.Run("AccessDenied on ListTasks fails up within a minute, naming the permission", func(t *testing.T) {
		e.account.Inject("ListTasks", "AccessDeniedException", -1)
		e.setConfig(dev, "alba-digi:image", imageRepo+":v6")
		start := time.Now()
		r := up(t, "up without ecs:ListTasks")
		r.mustFail(t, "up without ecs:ListTasks")
		t.Logf("what the CLI printed (%s):\n%s", r.dur, r.progress)
		r.mustContain(t, "AccessDenied", "ecs:ListTasks", "arn:aws:iam::123456789012:user/engine-test")
		if d := time.Since(start); d > 90*time.Second {
			t.Errorf("a missing permission failed up after %s, want within a minute of the check", d)
		}
		e.account.Inject("ListTasks", "", 0)
		up(t, "up with the permission").mustSucceed(t, "up with the permission")
	})

	t.Run("120 tasks: every list is paged", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:desiredCount", "120")
		r := up(t, "up with 120 tasks")
		r.mustSucceed(t, "up with 120 tasks")
		if _, healthy := e.account.Running(service); healthy != 120 {
			t.Errorf("%d healthy targets, want 120", healthy)
		}
		e.removeConfig(dev, "alba-digi:desiredCount")
		up(t, "back to two tasks").mustSucceed(t, "back to two tasks")
	})

	t.Run("an image that does not exist fails up within a minute of the first stopped task, at AWS's pace", func(t *testing.T) {
		e.account.SetSpeed(1)
		e.account.BreakImage(imageRepo+":v7", notFound("v7"))
		e.setConfig(dev, "alba-digi:image", imageRepo+":v7")
		r := up(t, "up with an image that does not exist, at AWS's pace")
		end := time.Now()
		r.mustFail(t, "up with an image that does not exist, at AWS's pace")
		t.Logf("what the CLI printed (%s):\n%s", r.dur, r.progress)
		r.mustContain(t, "fast verdict", "CannotPullContainerError", "circuit breaker", "`pulumi up`")
		first := e.account.FirstStop(service, e.declared())
		if first.IsZero() {
			t.Fatal("no task of the broken image stopped")
		}
		if d := end.Sub(first); d > time.Minute {
			t.Errorf("the verdict came %s after the first task stopped, want within a minute", d.Round(time.Second))
		} else {
			t.Logf("the verdict came %s after the first task stopped", d.Round(time.Second))
		}
		e.account.SetSpeed(fastAWS)
		e.account.FixImage(imageRepo + ":v7")
		up(t, "up after the fix").mustSucceed(t, "up after the fix")
	})
}
