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

// failedStatuses are the service deployment statuses of a rollout that did
// not finish: rolled back (or the rollback failed, as on a first deployment
// with nothing to go back to), or stopped before it completed.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentBrief.html
var failedStatuses = []ecstypes.ServiceDeploymentStatus{
	ecstypes.ServiceDeploymentStatusRollbackRequested,
	ecstypes.ServiceDeploymentStatusRollbackInProgress,
	ecstypes.ServiceDeploymentStatusRollbackSuccessful,
	ecstypes.ServiceDeploymentStatusRollbackFailed,
	ecstypes.ServiceDeploymentStatusStopped,
}

// historyDepth is how many failed deployments are read, newest first: a
// failed one older than that many others is not looked for.
const historyDepth = 20

// FailedRollout is the newest failed deployment of a task definition, and
// what the service runs now.
type FailedRollout struct {
	// Deployment is the service deployment's ARN, Status and Reason what ECS
	// keeps of it; Deployment is empty when no deployment of the task
	// definition failed.
	Deployment, Status, Reason string
	// Healthy: the service's PRIMARY deployment is of the task definition and
	// completed (a later deployment of it worked).
	Healthy bool
	// Running is the task definition of the service's PRIMARY deployment.
	Running string
	// TaskDefinition is the failed deployment's task definition.
	TaskDefinition string
}

// LastFailure reads, from the service deployments ECS keeps (90 days), the
// newest deployment of taskDefinition that failed, and whether the service
// runs that task definition now. A service or cluster that does not exist
// has no failure.
func LastFailure(ctx context.Context, c Clients, cluster, service, taskDefinition string) (FailedRollout, error) {
	var out FailedRollout
	list, err := c.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(cluster), Service: aws.String(service), Status: failedStatuses, MaxResults: aws.Int32(historyDepth),
	})
	var notFound *ecstypes.ServiceNotFoundException
	var noCluster *ecstypes.ClusterNotFoundException
	switch {
	case errors.As(err, &notFound) || errors.As(err, &noCluster):
		return out, nil
	case err != nil:
		return out, fmt.Errorf("list service deployments of %s: %w", service, err)
	}
	if len(list.ServiceDeployments) == 0 {
		return out, nil
	}
	var revisions []string
	for _, d := range list.ServiceDeployments {
		revisions = append(revisions, aws.ToString(d.TargetServiceRevisionArn))
	}
	described, err := c.ECS.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: revisions})
	if err != nil {
		return out, fmt.Errorf("describe service revisions of %s: %w", service, err)
	}
	taskDefOf := map[string]string{}
	for _, r := range described.ServiceRevisions {
		taskDefOf[aws.ToString(r.ServiceRevisionArn)] = aws.ToString(r.TaskDefinition)
	}
	for _, d := range list.ServiceDeployments { // newest first
		if taskDefOf[aws.ToString(d.TargetServiceRevisionArn)] == taskDefinition {
			out.Deployment, out.Status, out.Reason = aws.ToString(d.ServiceDeploymentArn), string(d.Status), aws.ToString(d.StatusReason)
			out.TaskDefinition = taskDefinition
			break
		}
	}
	if out.Deployment == "" {
		return out, nil
	}
	svc, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return out, fmt.Errorf("describe service %s: %w", service, err)
	}
	for _, s := range svc.Services {
		for _, d := range s.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" {
				out.Running = aws.ToString(d.TaskDefinition)
				out.Healthy = out.Running == taskDefinition && d.RolloutState == ecstypes.DeploymentRolloutStateCompleted
			}
		}
	}
	return out, nil
}

// newestFailure is the service's newest deployment, as ECS keeps it, when it
// failed (rolled back or stopped); nil when it did not, or ECS keeps none.
func newestFailure(ctx context.Context, c Clients, t Target) (*FailedRollout, error) {
	list, err := c.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(t.Cluster), Service: aws.String(t.Service), MaxResults: aws.Int32(historyDepth),
	})
	if err != nil {
		return nil, fmt.Errorf("list service deployments of %s: %w", t.Service, err)
	}
	var newest *ecstypes.ServiceDeploymentBrief
	for i, d := range list.ServiceDeployments {
		if newest == nil || aws.ToTime(d.CreatedAt).After(aws.ToTime(newest.CreatedAt)) {
			newest = &list.ServiceDeployments[i]
		}
	}
	if newest == nil || !slices.Contains(failedStatuses, newest.Status) {
		return nil, nil
	}
	out := &FailedRollout{Deployment: aws.ToString(newest.ServiceDeploymentArn), Status: string(newest.Status), Reason: aws.ToString(newest.StatusReason)}
	described, err := c.ECS.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{aws.ToString(newest.TargetServiceRevisionArn)}})
	if err != nil {
		return nil, fmt.Errorf("describe service revision: %w", err)
	}
	for _, r := range described.ServiceRevisions {
		out.TaskDefinition = aws.ToString(r.TaskDefinition)
	}
	return out, nil
}
