package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// dashboardWidget is one graph of a CloudWatch dashboard body.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
type dashboardWidget struct {
	Type       string           `json:"type"`
	X          int              `json:"x"`
	Y          int              `json:"y"`
	Width      int              `json:"width"`
	Height     int              `json:"height"`
	Properties widgetProperties `json:"properties"`
}

type widgetProperties struct {
	Title   string  `json:"title"`
	Region  string  `json:"region"`
	View    string  `json:"view"`
	Stat    string  `json:"stat"`
	Period  int     `json:"period"`
	Metrics [][]any `json:"metrics"`
}

// dashboardBody lays out the service's graphs, two a row: requests, latency
// p50/p99, 5xx, targets, running tasks, CPU and memory. The target groups'
// graphs show each of tgs (a CodeDeploy release alternates between two).
func dashboardBody(region, lb string, tgs []string, cluster, service string) (string, error) {
	elb := func(metric string, dims ...string) []any {
		row := []any{"AWS/ApplicationELB", metric, "LoadBalancer", lb}
		for _, d := range dims {
			row = append(row, d)
		}
		return row
	}
	withStat := func(row []any, stat, label string) []any {
		return append(row, map[string]string{"stat": stat, "label": label})
	}
	svc := func(namespace, metric string) []any {
		return []any{namespace, metric, "ClusterName", cluster, "ServiceName", service}
	}
	// perGroup is a graph's rows for each target group.
	perGroup := func(rows func(tg, label string) [][]any) [][]any {
		var out [][]any
		for i, tg := range tgs {
			label := ""
			if len(tgs) > 1 {
				label = fmt.Sprintf(" (target group %d)", i+1)
			}
			out = append(out, rows(tg, label)...)
		}
		return out
	}
	graphs := []struct {
		title, stat string
		metrics     [][]any
	}{
		{"Requests", "Sum", perGroup(func(tg, _ string) [][]any { return [][]any{elb("RequestCount", "TargetGroup", tg)} })},
		{"Latency (seconds)", "p50", perGroup(func(tg, l string) [][]any {
			return [][]any{withStat(elb("TargetResponseTime", "TargetGroup", tg), "p50", "p50"+l), withStat(elb("TargetResponseTime", "TargetGroup", tg), "p99", "p99"+l)}
		})},
		{"5xx answers", "Sum", append(perGroup(func(tg, _ string) [][]any { return [][]any{elb("HTTPCode_Target_5XX_Count", "TargetGroup", tg)} }), elb("HTTPCode_ELB_5XX_Count"))},
		{"Targets", "Minimum", perGroup(func(tg, l string) [][]any {
			return [][]any{withStat(elb("HealthyHostCount", "TargetGroup", tg), "Minimum", "healthy"+l), withStat(elb("UnHealthyHostCount", "TargetGroup", tg), "Maximum", "unhealthy"+l)}
		})},
		{"Running tasks", "Average", [][]any{svc("ECS/ContainerInsights", "RunningTaskCount")}},
		{"CPU and memory (%)", "Average", [][]any{svc("AWS/ECS", "CPUUtilization"), svc("AWS/ECS", "MemoryUtilization")}},
	}
	body := struct {
		Widgets []dashboardWidget `json:"widgets"`
	}{}
	for i, g := range graphs {
		body.Widgets = append(body.Widgets, dashboardWidget{
			Type: "metric", X: (i % 2) * 12, Y: (i / 2) * 6, Width: 12, Height: 6,
			Properties: widgetProperties{Title: g.title, Region: region, View: "timeSeries", Stat: g.stat, Period: 60, Metrics: g.metrics},
		})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("dashboard body: %w", err)
	}
	return string(b), nil
}

// dashboard declares the service's dashboard and returns its console URL. Its
// name is fixed (the dashboard name is its id), so a change of name deletes
// the old one first.
func (s *stack) dashboard(front *frontEnd) (pulumi.StringOutput, error) {
	groups := pulumi.StringArray{front.targetGroup.ArnSuffix}
	if front.greenTargetGroup != nil {
		groups = append(groups, front.greenTargetGroup.ArnSuffix)
	}
	body := pulumi.All(s.region, front.lb.ArnSuffix, groups).ApplyT(func(args []any) (string, error) {
		return dashboardBody(args[0].(string), args[1].(string), args[2].([]string), s.names.Cluster, s.names.Service)
	}).(pulumi.StringOutput)
	d, err := cloudwatch.NewDashboard(s.ctx, s.names.Dashboard, &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(s.names.Dashboard),
		DashboardBody: body,
	}, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return pulumi.All(s.region, d.DashboardName).ApplyT(func(args []any) string {
		r := args[0].(string)
		return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s", r, r, args[1].(string))
	}).(pulumi.StringOutput), nil
}
