package tests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"alba-digi/internal/field"
)

const tAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"

// TestAlarms checks each alarm's metric, statistic, threshold and dimensions
// (the load balancer's and target group's ARN suffixes, the cluster and
// service names), that idle means OK, and the service's deployment alarm.
func TestAlarms(t *testing.T) {
	v := view(t, deploy(t, "dev"))
	lb := outputOf(t, v, "alba-digi-load-balancer", "arnSuffix")
	tg := outputOf(t, v, "alba-digi-target-group", "arnSuffix")
	tests := []struct {
		name, namespace, metric, statistic, threshold string
		dims                                          map[string]string
	}{
		{"alba-digi.target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", "10", map[string]string{"LoadBalancer": lb, "TargetGroup": tg}},
		{"alba-digi.lb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", "10", map[string]string{"LoadBalancer": lb}},
		{"alba-digi.unhealthy-targets", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", "1", map[string]string{"LoadBalancer": lb, "TargetGroup": tg}},
		{"alba-digi.cpu-high", "AWS/ECS", "CPUUtilization", "Average", "90", map[string]string{"ClusterName": "alba-digi-cluster", "ServiceName": "alba-digi-service"}},
		{"alba-digi.memory-high", "AWS/ECS", "MemoryUtilization", "Average", "90", map[string]string{"ClusterName": "alba-digi-cluster", "ServiceName": "alba-digi-service"}},
	}
	if got := len(v.all(tAlarm)); got != len(tests) {
		t.Errorf("%d alarms, want %d", got, len(tests))
	}
	for _, tt := range tests {
		a := v.named(tt.name)
		expect(t, a, map[string]string{
			"namespace": tt.namespace, "metricName": tt.metric, "statistic": tt.statistic, "threshold": tt.threshold,
			"comparisonOperator": "GreaterThanOrEqualToThreshold", "treatMissingData": "notBreaching",
			"period": "60", "evaluationPeriods": "5", "datapointsToAlarm": "3", "alarmActions": "<absent>",
		})
		dims, _ := a.Inputs["dimensions"].(map[string]any)
		if len(dims) != len(tt.dims) {
			t.Errorf("%s dimensions %v, want %v", tt.name, dims, tt.dims)
		}
		for k, want := range tt.dims {
			if dims[k] != want {
				t.Errorf("%s dimension %s = %v, want %s", tt.name, k, dims[k], want)
			}
		}
	}
	// The dev stack's rollouts take no bake time: no deployment alarm.
	expect(t, v.one(tService), map[string]string{"alarms": "<absent>"})
	p := view(t, deploy(t, "prod"))
	expect(t, p.one(tService), map[string]string{
		"alarms.alarmNames.0": p.named("alba-digi-prod.target-5xx").PhysicalName, "alarms.enable": "true", "alarms.rollback": "true",
	})
	if p.named("alba-digi-prod.target-5xx").PhysicalName == "" {
		t.Error("the deployment alarm has no name")
	}
}

func TestAlarmOptions(t *testing.T) {
	t.Run("email", func(t *testing.T) {
		v := view(t, deploy(t, "dev", "alarmEmail=ops@example.com", "alarm5xxPerMinute=25"))
		topic := v.one("aws:sns/topic:Topic")
		key := v.one("aws:kms/key:Key")
		expect(t, key, map[string]string{"enableKeyRotation": "true", "deletionWindowInDays": "7"})
		// The stack's own key, which CloudWatch may use: never AWS's managed
		// alias/aws/sns, whose policy no alarm can publish through.
		expect(t, topic, map[string]string{"kmsMasterKeyId": outputOf(t, v, key.Name, "arn")})
		doc := keyPolicy(t, key)
		if len(doc.Statement) != 2 {
			t.Fatalf("key policy %+v", doc)
		}
		cw := doc.Statement[1]
		if cw.Principal["Service"] != "cloudwatch.amazonaws.com" || !slices.Equal(cw.Action, []string{"kms:Decrypt", "kms:GenerateDataKey*"}) ||
			cw.Condition["StringEquals"]["aws:SourceAccount"] != "123456789012" ||
			cw.Condition["ArnLike"]["aws:SourceArn"] != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:alba-digi.*" {
			t.Errorf("CloudWatch statement %+v", cw)
		}
		for _, a := range v.all(tAlarm) {
			if !strings.HasPrefix(a.PhysicalName, "alba-digi.") {
				t.Errorf("alarm %s is not named alba-digi.*: the key policy would not let it publish", a.PhysicalName)
			}
		}
		topicArn := outputOf(t, v, topic.Name, "arn")
		expect(t, v.one("aws:sns/topicSubscription:TopicSubscription"), map[string]string{"protocol": "email", "endpoint": "ops@example.com", "topic": topicArn})
		for _, a := range v.all(tAlarm) {
			expect(t, a, map[string]string{"alarmActions.0": topicArn, "okActions": "<absent>"})
		}
		expect(t, v.named("alba-digi.target-5xx"), map[string]string{"threshold": "25"})
		for _, a := range view(t, deploy(t, "dev", "alarmEmail=ops@example.com", "alarmOkActions=true")).all(tAlarm) {
			expect(t, a, map[string]string{"okActions.0": topicArn})
		}
	})
	t.Run("off", func(t *testing.T) {
		v := view(t, deploy(t, "dev", "alarms=false"))
		if n := len(v.all(tAlarm)); n != 0 {
			t.Errorf("%d alarms with alarms: false", n)
		}
		expect(t, v.one(tService), map[string]string{"alarms": "<absent>"})
	})
	for _, tt := range []struct {
		name      string
		overrides []string
		path      string
	}{
		{"not an address", []string{"alarmEmail=ops"}, "alarmEmail"},
		{"a name and an address", []string{"alarmEmail=Ops <ops@example.com>"}, "alarmEmail"},
		{"email without alarms", []string{"alarms=false", "alarmEmail=ops@example.com"}, "alarmEmail"},
		{"rollback without alarms", []string{"alarms=false", "rollbackOnAlarm=true"}, "rollbackOnAlarm"},
		{"threshold zero", []string{"alarm5xxPerMinute=0"}, "alarm5xxPerMinute"},
		{"CPU above 100", []string{"alarmCpuPercent=101"}, "alarmCpuPercent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryDeploy("dev", tt.overrides...)
			list := field.List(err)
			if len(list) != 1 || list[0].Field != tt.path || list[0].Type != field.Invalid {
				t.Errorf("error %v, want one invalid %s", err, tt.path)
			}
		})
	}
}

// TestDashboard: one dashboard of the service's graphs, its URL an output.
func TestDashboard(t *testing.T) {
	if n := len(view(t, deploy(t, "dev")).all("aws:cloudwatch/dashboard:Dashboard")); n != 0 {
		t.Errorf("dev has %d dashboards, want none by default", n)
	}
	res := deploy(t, "dev", "dashboard=true")
	v := view(t, res)
	d := v.one("aws:cloudwatch/dashboard:Dashboard")
	expect(t, d, map[string]string{"dashboardName": "alba-digi-dashboard"})
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string
				Region  string
				Metrics [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(get(d, "dashboardBody")), &body); err != nil {
		t.Fatal(err)
	}
	lb := outputOf(t, v, "alba-digi-load-balancer", "arnSuffix")
	want := map[string]string{
		"Requests": "RequestCount", "Latency (seconds)": "TargetResponseTime", "5xx answers": "HTTPCode_Target_5XX_Count",
		"Targets": "HealthyHostCount", "Running tasks": "RunningTaskCount", "CPU and memory (%)": "CPUUtilization",
	}
	if len(body.Widgets) != len(want) {
		t.Errorf("%d widgets, want %d", len(body.Widgets), len(want))
	}
	for _, w := range body.Widgets {
		p := w.Properties
		if metric, ok := want[p.Title]; !ok || len(p.Metrics) == 0 || p.Metrics[0][1] != metric || p.Region != "us-east-1" {
			t.Errorf("widget %q: metrics %v region %s, want %s", p.Title, p.Metrics, p.Region, metric)
		}
		row := p.Metrics[0]
		joined, _ := json.Marshal(row)
		if !strings.Contains(string(joined), lb) && !strings.Contains(string(joined), `"ServiceName","alba-digi-service"`) {
			t.Errorf("widget %q is not about this load balancer or service: %s", p.Title, joined)
		}
	}
	if url := res.Plan.Outputs["dashboardUrl"]; url != "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=alba-digi-dashboard" {
		t.Errorf("dashboardUrl %v", url)
	}
}
