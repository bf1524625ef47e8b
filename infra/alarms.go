package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Alarms on what users see: 5xx answers of the tasks and of the load
// balancer, unhealthy targets, and the service's CPU and memory near their
// limits. Each is cheap when idle: one-minute standard metrics, and missing
// data (no traffic) is not breaching.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data

// alarms are the stack's alarms; deployment is the one the service's
// deployment watches (rolling back a release that trips it).
type alarms struct {
	deployment *cloudwatch.MetricAlarm
	all        []*cloudwatch.MetricAlarm
}

const (
	// alarmPeriodSeconds and alarmEvaluationPeriods: a breach must last 3 of 5
	// minutes, so one bad minute does not page anyone.
	alarmPeriodSeconds     = 60
	alarmEvaluationPeriods = 5
	alarmDatapoints        = 3
)

// alarmSpec is one alarm: its metric, statistic, threshold and dimensions.
type alarmSpec struct {
	name, description, namespace, metric, statistic string
	threshold                                       float64
	dimensions                                      pulumi.StringMap
	// perTargetGroup, when set, are the dimensions of the metric in each of
	// the target groups a CodeDeploy release alternates between: the alarm
	// watches their sum (metric math), whichever serves.
	perTargetGroup []pulumi.StringMap
}

// alarms declares the alarms, and with alarmEmail an SNS topic that emails
// them (no email, no topic). The cluster and service dimensions are their
// fixed names, so no alarm waits for the service and the service can wait
// for its deployment alarm.
func (s *stack) alarms(front *frontEnd) (*alarms, error) {
	c := s.cfg
	if !c.Alarms {
		return nil, nil
	}
	var actions, okActions pulumi.Array
	if c.AlarmEmail != "" {
		key, err := s.alarmTopicKey()
		if err != nil {
			return nil, err
		}
		topic, err := sns.NewTopic(s.ctx, s.names.AlarmTopic, &sns.TopicArgs{
			// Encrypted with the stack's own key, which lets CloudWatch alarms
			// publish: with AWS's managed key (alias/aws/sns), whose policy
			// cannot be changed, every alarm notification fails silently.
			// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
			KmsMasterKeyId: key.Arn,
			Tags:           s.tags(s.names.AlarmTopic),
		})
		if err != nil {
			return nil, err
		}
		if _, err := sns.NewTopicSubscription(s.ctx, s.names.AlarmSubscription, &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(c.AlarmEmail),
		}); err != nil {
			return nil, err
		}
		actions = pulumi.Array{topic.Arn}
		if c.AlarmOkActions {
			okActions = actions
		}
	}
	lbDims := pulumi.StringMap{"LoadBalancer": front.lb.ArnSuffix}
	targetDims := pulumi.StringMap{"LoadBalancer": front.lb.ArnSuffix, "TargetGroup": front.targetGroup.ArnSuffix}
	serviceDims := pulumi.StringMap{"ClusterName": pulumi.String(s.names.Cluster), "ServiceName": pulumi.String(s.names.Service)}
	target5xxDims, unhealthy := targetDims, alarmSpec{name: s.names.AlarmUnhealthy, description: c.Name + ": a target is unhealthy",
		namespace: "AWS/ApplicationELB", metric: "UnHealthyHostCount", statistic: "Maximum", threshold: 1, dimensions: targetDims}
	if front.greenTargetGroup != nil {
		// A CodeDeploy release moves the service between two target groups,
		// so an alarm on one of them would watch the idle one half the time.
		// The tasks' 5xx are also published for the whole load balancer;
		// unhealthy targets only per target group, so that alarm sums both.
		// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html#load-balancer-metric-dimensions-alb
		target5xxDims = lbDims
		unhealthy.dimensions = nil
		unhealthy.perTargetGroup = []pulumi.StringMap{targetDims,
			{"LoadBalancer": front.lb.ArnSuffix, "TargetGroup": front.greenTargetGroup.ArnSuffix}}
	}
	specs := []alarmSpec{
		{name: s.names.AlarmTarget5xx, description: fmt.Sprintf("%s: the tasks answer %d or more 5xx a minute", c.Name, c.Alarm5xxPerMinute), namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", threshold: float64(c.Alarm5xxPerMinute), dimensions: target5xxDims},
		{name: s.names.AlarmLoadBalancer5xx, description: fmt.Sprintf("%s: the load balancer answers %d or more 5xx a minute", c.Name, c.Alarm5xxPerMinute), namespace: "AWS/ApplicationELB", metric: "HTTPCode_ELB_5XX_Count", statistic: "Sum", threshold: float64(c.Alarm5xxPerMinute), dimensions: lbDims},
		unhealthy,
		{name: s.names.AlarmCPU, description: fmt.Sprintf("%s: the service's CPU is at %d %% or more", c.Name, c.AlarmCPUPercent), namespace: "AWS/ECS", metric: "CPUUtilization", statistic: "Average", threshold: float64(c.AlarmCPUPercent), dimensions: serviceDims},
		{name: s.names.AlarmMemory, description: fmt.Sprintf("%s: the service's memory is at %d %% or more", c.Name, c.AlarmMemoryPercent), namespace: "AWS/ECS", metric: "MemoryUtilization", statistic: "Average", threshold: float64(c.AlarmMemoryPercent), dimensions: serviceDims},
	}
	if c.WAF {
		// The web ACL's total (Rule ALL) of what it blocks, or, in count mode,
		// of what it would have blocked.
		// https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
		metric, verb := "BlockedRequests", "blocks"
		if c.WAFMode == wafCount {
			metric, verb = "CountedRequests", "counts"
		}
		specs = append(specs, alarmSpec{name: s.names.AlarmWAFBlocked, description: fmt.Sprintf("%s: the web application firewall %s %d or more requests a minute", c.Name, verb, c.AlarmWAFBlockedPerMinute),
			namespace: "AWS/WAFV2", metric: metric, statistic: "Sum", threshold: float64(c.AlarmWAFBlockedPerMinute),
			dimensions: pulumi.StringMap{"WebACL": pulumi.String(s.names.WebACL), "Region": s.region, "Rule": pulumi.String("ALL")}})
	}
	out := &alarms{}
	for _, spec := range specs {
		// Auto-named from the logical name: a change that replaces an alarm
		// creates the new one beside the old one, and the service's deployment
		// alarm moves to it.
		args := &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(spec.description),
			Namespace:          pulumi.String(spec.namespace),
			MetricName:         pulumi.String(spec.metric),
			Statistic:          pulumi.String(spec.statistic),
			Dimensions:         spec.dimensions,
			Period:             pulumi.Int(alarmPeriodSeconds),
			EvaluationPeriods:  pulumi.Int(alarmEvaluationPeriods),
			DatapointsToAlarm:  pulumi.Int(alarmDatapoints),
			Threshold:          pulumi.Float64(spec.threshold),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       actions,
			OkActions:          okActions,
			Tags:               s.tags(spec.name),
		}
		if len(spec.perTargetGroup) > 0 {
			args.Namespace, args.MetricName, args.Statistic, args.Dimensions, args.Period = nil, nil, nil, nil, nil
			args.MetricQueries = sumOfTargetGroups(spec)
		}
		a, err := cloudwatch.NewMetricAlarm(s.ctx, spec.name, args)
		if err != nil {
			return nil, err
		}
		out.all = append(out.all, a)
		if spec.name == s.names.AlarmTarget5xx {
			out.deployment = a
		}
	}
	return out, nil
}

// sumOfTargetGroups is the metric math of an alarm on a metric of both
// target groups: their sum, a missing value (a group without targets) 0.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
func sumOfTargetGroups(spec alarmSpec) cloudwatch.MetricAlarmMetricQueryArray {
	var queries cloudwatch.MetricAlarmMetricQueryArray
	var terms []string
	for i, dims := range spec.perTargetGroup {
		id := fmt.Sprintf("tg%d", i+1)
		terms = append(terms, fmt.Sprintf("FILL(%s, 0)", id))
		queries = append(queries, cloudwatch.MetricAlarmMetricQueryArgs{
			Id: pulumi.String(id),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace: pulumi.String(spec.namespace), MetricName: pulumi.String(spec.metric),
				Stat: pulumi.String(spec.statistic), Period: pulumi.Int(alarmPeriodSeconds), Dimensions: dims,
			},
		})
	}
	return append(queries, cloudwatch.MetricAlarmMetricQueryArgs{
		Id: pulumi.String("both"), Expression: pulumi.String(strings.Join(terms, " + ")),
		Label: pulumi.String(spec.metric + " of both target groups"), ReturnData: pulumi.Bool(true),
	})
}

// alarmTopicKey declares the customer-managed KMS key of the alarm topic: the
// account administers it, and CloudWatch may use it to publish to the topic
// only for the alarms of this stack, in this account and region (the
// aws:SourceAccount and aws:SourceArn conditions). Rotation is on; a destroyed
// key waits the shortest window AWS allows.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
func (s *stack) alarmTopicKey() (*kms.Key, error) {
	account := aws.GetCallerIdentityOutput(s.ctx, aws.GetCallerIdentityOutputArgs{}).AccountId()
	policy := pulumi.All(s.region, account).ApplyT(func(args []any) string {
		return alarmTopicKeyPolicy(args[0].(string), args[1].(string), s.cfg.Name)
	}).(pulumi.StringOutput)
	return kms.NewKey(s.ctx, s.names.AlarmTopicKey, &kms.KeyArgs{
		Description:          pulumi.String("Alarm notifications of " + s.cfg.Name),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(7),
		Policy:               policy,
		Tags:                 s.tags(s.names.AlarmTopicKey),
	})
}

// alarmTopicKeyPolicy is the key policy of the alarm topic's key. CloudWatch
// may use the key for the alarms of this stack only: those of this account and
// region whose names start with the stack's prefix name and the delimiter no
// prefix holds (alarmBase), so that another stack's alarms, in the same
// account and region, cannot publish through it.
func alarmTopicKeyPolicy(region, account, name string) string {
	p := partition(region)
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{
		{Sid: "AccountAdministers", Effect: "Allow", Principal: map[string]string{"AWS": "arn:" + p + ":iam::" + account + ":root"}, Action: []string{"kms:*"}, Resource: []string{"*"}},
		{
			Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: map[string]string{"Service": "cloudwatch." + dnsSuffix(region)},
			Action:   []string{"kms:Decrypt", "kms:GenerateDataKey*"},
			Resource: []string{"*"},
			Condition: map[string]map[string]string{
				"StringEquals": {"aws:SourceAccount": account},
				"ArnLike":      {"aws:SourceArn": "arn:" + p + ":cloudwatch:" + region + ":" + account + ":alarm:" + alarmBase(name) + "*"},
			},
		},
	}}.String()
}
