package infra

import (
	"context"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/release"
)

// A failed rollout must not pass for a deployed one. The engine saves the
// service with its new outputs even when the rollout check (its after-hook)
// fails, so the next `pulumi up` would see no change, run no check and exit 0
// while ECS runs the previous revision, or none. So each run asks ECS whether
// the newest deployment of the declared task definition failed and, when it
// did, puts that deployment's ARN in the service's triggers: the service
// updates with forceNewDeployment, ECS deploys the declared revision again
// and the rollout check verifies it, or fails again with the diagnosis. The
// trigger names the failure, not the time, so a later run finds the same
// failure and changes nothing once the retry worked; a new failure changes it
// again. The `redeploy` key does the same by hand: any new value deploys again.

// accountReadTimeout bounds the reads a run makes before it declares the service.
const accountReadTimeout = 30 * time.Second

// deploymentTriggers are the service's triggers: redeploy when set, and the
// failed deployment of the declared task definition to retry (read from
// s.account; none in an offline run). nil when there is neither.
func (s *stack) deploymentTriggers(taskDefinition pulumi.StringOutput) pulumi.StringMapOutput {
	return taskDefinition.ApplyTWithContext(s.ctx.Context(), func(ctx context.Context, arn string) (map[string]string, error) {
		triggers := map[string]string{}
		if s.cfg.Redeploy != "" {
			triggers["redeploy"] = s.cfg.Redeploy
		}
		if s.account != nil {
			ctx, cancel := context.WithTimeout(ctx, accountReadTimeout)
			defer cancel()
			failed, err := s.account.LastFailure(ctx, s.settings, s.names.Cluster, s.names.Service, arn)
			switch {
			case err != nil:
				_ = s.ctx.Log.Warn(fmt.Sprintf("could not read the rollouts of service %s (%v): a failed rollout of %s is not retried by this run; set `redeploy` to a new value to deploy it again", s.names.Service, err, release.Revision(arn)), nil)
			case failed.Deployment != "":
				triggers["retry"] = failed.Deployment
				if !failed.Healthy {
					_ = s.ctx.Log.Warn(retryMessage(arn, failed), nil)
				}
			}
		}
		if len(triggers) == 0 {
			return nil, nil
		}
		return triggers, nil
	}).(pulumi.StringMapOutput)
}

// retryMessage tells, in preview and up, that the last rollout failed and
// what `pulumi up` does about it.
func retryMessage(taskDefinition string, f release.FailedRollout) string {
	running := "no task definition"
	if f.Running != "" {
		running = release.Revision(f.Running)
	}
	reason := f.Status
	if f.Reason != "" {
		reason += ": " + f.Reason
	}
	return fmt.Sprintf("the last rollout of %s failed (%s; %s) and ECS runs %s: `pulumi up` deploys %s again and verifies it. If the cause is not fixed yet (the image, a secret, the network: see `go run ./cmd/doctor`), fix it first, in the stack config or outside it",
		release.Revision(taskDefinition), f.Deployment, reason, running, release.Revision(taskDefinition))
}

// forceNewDeployment is true when the service has triggers: only then does an
// update of the service force ECS to deploy again.
func forceNewDeployment(triggers pulumi.StringMapOutput) pulumi.BoolPtrOutput {
	return triggers.ApplyT(func(t map[string]string) *bool {
		if len(t) == 0 {
			return nil
		}
		force := true
		return &force
	}).(pulumi.BoolPtrOutput)
}
