package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cooldowns: scale out fast, scale in slowly so a short dip does not drain tasks
// that the next burst needs.
const (
	scaleOutCooldownSeconds = 60
	scaleInCooldownSeconds  = 300
)

// autoscaling declares the scalable target (min/max task counts) and two
// target-tracking policies: average CPU and requests per task.
func (s *stack) autoscaling(cluster *clusterResources, service *ecs.Service, front *frontEnd) error {
	c := s.cfg
	if !c.Autoscaling() {
		return nil
	}
	target, err := appautoscaling.NewTarget(s.ctx, s.names.ScalingTarget, &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster.cluster.Name, service.Name),
		MinCapacity:       pulumi.Int(c.AutoscalingMinCount),
		MaxCapacity:       pulumi.Int(c.AutoscalingMaxCount),
		Tags:              s.tags(s.names.ScalingTarget),
	})
	if err != nil {
		return err
	}
	policies := []struct {
		name, metric string
		target       int
		label        pulumi.StringPtrInput
	}{
		{s.names.ScalingCPUPolicy, "ECSServiceAverageCPUUtilization", c.AutoscalingCPUTarget, nil},
		{s.names.ScalingRequestsPolicy, "ALBRequestCountPerTarget", c.AutoscalingRequestsPerTarget,
			pulumi.Sprintf("%s/%s", front.lb.ArnSuffix, front.targetGroup.ArnSuffix)},
	}
	for _, p := range policies {
		if _, err := appautoscaling.NewPolicy(s.ctx, p.name, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  target.ServiceNamespace,
			ScalableDimension: target.ScalableDimension,
			ResourceId:        target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				TargetValue:      pulumi.Float64(float64(p.target)),
				ScaleOutCooldown: pulumi.Int(scaleOutCooldownSeconds),
				ScaleInCooldown:  pulumi.Int(scaleInCooldownSeconds),
				PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
					PredefinedMetricType: pulumi.String(p.metric),
					ResourceLabel:        p.label,
				},
			},
		}); err != nil {
			return err
		}
	}
	return nil
}
