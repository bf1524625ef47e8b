package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The service deployments ECS keeps (90 days) feed the diagnosis only: what
// `pulumi up` does comes from what the service runs now (converge.go).

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

// historyDepth is how many of the newest service deployments are read.
const historyDepth = 50

// describeRevisionsBatch is the most service revisions
// DescribeServiceRevisions takes at once.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceRevisions.html
const describeRevisionsBatch = 20

// FailedRollout is a service deployment that did not finish, as ECS keeps it.
type FailedRollout struct {
	// Deployment is the service deployment's ARN, Status and Reason what ECS
	// keeps of it.
	Deployment, Status, Reason string
	// TaskDefinition is its task definition.
	TaskDefinition string
	CreatedAt      time.Time
}

// Failed reports whether the service deployment did not finish.
func (f FailedRollout) Failed() bool {
	return slices.Contains(failedStatuses, ecstypes.ServiceDeploymentStatus(f.Status))
}

// History reads the service's newest depth service deployments, newest
// first, with their task definitions. ECS lists them in pages and documents
// no order, so every page is read and they are sorted by creation time. A
// service or cluster that does not exist has none.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
func History(ctx context.Context, c Clients, cluster, service string, depth int) ([]FailedRollout, error) {
	var briefs []ecstypes.ServiceDeploymentBrief
	in := &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service), MaxResults: aws.Int32(100)}
	for {
		page, err := c.ECS.ListServiceDeployments(ctx, in)
		var notFound *ecstypes.ServiceNotFoundException
		var noCluster *ecstypes.ClusterNotFoundException
		switch {
		case errors.As(err, &notFound) || errors.As(err, &noCluster):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("list service deployments of %s: %w", service, err)
		}
		briefs = append(briefs, page.ServiceDeployments...)
		if aws.ToString(page.NextToken) == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	slices.SortStableFunc(briefs, func(a, b ecstypes.ServiceDeploymentBrief) int {
		return aws.ToTime(b.CreatedAt).Compare(aws.ToTime(a.CreatedAt))
	})
	briefs = briefs[:min(len(briefs), depth)]
	taskDefOf := map[string]string{}
	for start := 0; start < len(briefs); start += describeRevisionsBatch {
		var arns []string
		for _, b := range briefs[start:min(start+describeRevisionsBatch, len(briefs))] {
			arns = append(arns, aws.ToString(b.TargetServiceRevisionArn))
		}
		described, err := c.ECS.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: arns})
		if err != nil {
			return nil, fmt.Errorf("describe service revisions of %s: %w", service, err)
		}
		for _, r := range described.ServiceRevisions {
			taskDefOf[aws.ToString(r.ServiceRevisionArn)] = aws.ToString(r.TaskDefinition)
		}
	}
	out := make([]FailedRollout, 0, len(briefs))
	for _, b := range briefs {
		out = append(out, FailedRollout{
			Deployment: aws.ToString(b.ServiceDeploymentArn), Status: string(b.Status), Reason: aws.ToString(b.StatusReason),
			TaskDefinition: taskDefOf[aws.ToString(b.TargetServiceRevisionArn)], CreatedAt: aws.ToTime(b.CreatedAt),
		})
	}
	return out, nil
}

// newestFailure is the service's newest deployment, as ECS keeps it, when it
// failed (rolled back or stopped); nil when it did not, or ECS keeps none.
func newestFailure(ctx context.Context, c Clients, t Target) (*FailedRollout, error) {
	history, err := History(ctx, c, t.Cluster, t.Service, 1)
	if err != nil || len(history) == 0 || !history[0].Failed() {
		return nil, err
	}
	return &history[0], nil
}
