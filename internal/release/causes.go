package release

import (
	"fmt"
	"strings"
)

// The known causes of a failed rollout, read from stopped tasks and target
// health, each with the config key or action that fixes it. The reasons and
// codes are ECS's and Elastic Load Balancing's own:
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html

// networkFix is what lets a task reach ECR, Secrets Manager and CloudWatch Logs.
const networkFix = "the tasks cannot reach AWS's endpoints: in the default VPC keep `assignPublicIp: true`; with `vpcId`/`subnetIds` give the subnets a NAT gateway or VPC endpoints; or use `createVpc: true`"

// taskCauses reads why a task stopped.
func taskCauses(st StoppedTask) []Cause {
	reason := st.StoppedReason
	lower := strings.ToLower(reason)
	logs := strings.ToLower(strings.Join(st.LogLines, "\n"))
	var out []Cause
	switch {
	case strings.Contains(reason, "CannotPullContainerError"):
		if networkTrouble(lower) {
			out = append(out, Cause{Summary: "the image could not be pulled: " + reason, Fix: networkFix})
		} else {
			out = append(out, Cause{Summary: "the image could not be pulled: " + reason, Fix: "set `image` to a reference that exists and that the execution role may pull (a public image, or a private ECR repository of the account)"})
		}
	case strings.Contains(reason, "ResourceInitializationError"):
		// "unable to pull secrets or registry auth" heads both kinds: a network
		// failure says so further on (dial tcp, i/o timeout).
		switch {
		case networkTrouble(lower):
			out = append(out, Cause{Summary: "the task could not start: " + reason, Fix: networkFix})
		case strings.Contains(lower, "secret") || strings.Contains(lower, "ssm") || strings.Contains(lower, "parameter"):
			out = append(out, Cause{Summary: "a secret could not be read: " + reason, Fix: "check `secrets` (each ARN exists, in the region given) and that the execution role may read it (`executionRoleArn`, or kms:Decrypt for a customer-managed key)"})
		default:
			out = append(out, Cause{Summary: "the task could not start: " + reason, Fix: "check `executionRoleArn` (it must allow pulling the image and writing logs) and the network (`assignPublicIp`, NAT)"})
		}
	case strings.Contains(reason, "Task failed ELB health checks"):
		out = append(out, Cause{Summary: "the load balancer's health checks failed: " + reason, Fix: "see the targets' reasons: the API must answer 200 on `healthCheckPath` at `containerPort` within `healthCheckTimeoutSeconds`"})
	}
	if !strings.Contains(reason, "Essential container in task exited") {
		return out // a container stopped by the scheduler exits too: that is not the cause
	}
	for _, c := range st.Containers {
		switch {
		case strings.Contains(c.Reason, "OutOfMemoryError") || (c.ExitCode != nil && *c.ExitCode == 137 && strings.Contains(strings.ToLower(c.Reason), "memory")):
			out = append(out, Cause{Summary: fmt.Sprintf("container %s ran out of memory: %s", c.Name, c.Reason), Fix: "raise `memory` (and `memoryReservation`), within Fargate's sizes for `cpu`"})
		case c.ExitCode != nil && *c.ExitCode != 0:
			summary := fmt.Sprintf("container %s exited with code %d", c.Name, *c.ExitCode)
			switch {
			case strings.Contains(logs, "read-only file system"):
				out = append(out, Cause{Summary: summary + ": it writes to its read-only root filesystem", Fix: "set `readonlyRootFilesystem: false`, or use an image that writes only to a VOLUME its user owns"})
			case strings.Contains(logs, "permission denied") || strings.Contains(logs, "eacces"):
				out = append(out, Cause{Summary: summary + ": permission denied", Fix: "set `user` to a user that owns what the image writes, or `user: \"\"` to keep the image's own user"})
			case strings.Contains(logs, "address already in use") || strings.Contains(logs, "eaddrinuse"):
				out = append(out, Cause{Summary: summary + ": its port is taken", Fix: "check `containerPort` against the port the image listens on"})
			default:
				out = append(out, Cause{Summary: summary + " (its last log lines are above)", Fix: "fix the application or `image`; check `environment` and `secrets` for what it needs at start"})
			}
		}
	}
	return out
}

func networkTrouble(lower string) bool {
	for _, s := range []string{"i/o timeout", "context deadline exceeded", "dial tcp", "no route to host", "connection timed out", "timeout"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

// alarmCause reads a deployment rolled back by its deployment alarms: the
// release's tasks were healthy, but an alarm on what users get (5xx answers)
// tripped while it rolled out.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
func alarmCause(d DeploymentState, alarms []string) (Cause, bool) {
	if d.RolloutState != "FAILED" || !strings.Contains(strings.ToLower(d.Reason), "alarm") {
		return Cause{}, false
	}
	var named []string
	for _, a := range alarms {
		if strings.Contains(d.Reason, a) {
			named = append(named, a)
		}
	}
	if len(named) == 0 {
		named = alarms
	}
	return Cause{
		Summary: fmt.Sprintf("deployment alarm %s tripped while %s rolled out: %s", strings.Join(named, ", "), revision(d.TaskDefinition), d.Reason),
		Fix:     "the release answers its health check but fails real requests (5xx): fix the application or `image`; the threshold is `alarm5xxPerMinute`",
	}, true
}

// targetCause reads why a target is unhealthy.
func targetCause(t TargetState) (Cause, bool) {
	where := fmt.Sprintf("target %s:%d", t.ID, t.Port)
	switch t.Reason {
	case "Target.ResponseCodeMismatch":
		return Cause{Summary: fmt.Sprintf("%s answers the health check with the wrong code: %s", where, t.Description), Fix: "set `healthCheckPath` to a path the API answers with 200"}, true
	case "Target.Timeout":
		return Cause{Summary: fmt.Sprintf("%s does not answer the health check in time: %s", where, t.Description), Fix: "set `containerPort` to the port the API listens on (on all interfaces, not 127.0.0.1), or raise `healthCheckTimeoutSeconds`"}, true
	case "Target.FailedHealthChecks":
		return Cause{Summary: fmt.Sprintf("%s fails the health check: %s", where, t.Description), Fix: "check `containerPort` and `healthCheckPath` against what the API serves"}, true
	case "Target.HealthCheckDisabled", "Elb.InternalError":
		return Cause{Summary: fmt.Sprintf("%s: %s", where, t.Description), Fix: "check the target group's health check in the console"}, true
	}
	return Cause{}, false
}
