package tests

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"alba-digi/infra"
	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
	"alba-digi/internal/render"
)

const (
	tCodeDeployApp    = "aws:codedeploy/application:Application"
	tDeploymentGroup  = "aws:codedeploy/deploymentGroup:DeploymentGroup"
	tDeploymentConfig = "aws:codedeploy/deploymentConfig:DeploymentConfig"
	tReleaseCD        = "alba-digi:release:CodeDeploy"
	tReleaseRolling   = "alba-digi:release:Rolling"
)

// dependsOnNamed reports whether r waits for the resource named name through
// its input in.
func dependsOnNamed(r plan.Resource, name, in string) bool {
	for _, d := range r.Dependencies {
		if d.Name == name && d.Via == in {
			return true
		}
	}
	return false
}

// TestReleaseStrategies declares the dev stack with each CodeDeploy strategy
// and checks what a release needs: two target groups health-checked on
// /alive with the stack's settings, the test listener on its port with the
// security-group sources of testCidrs only, the deployment group's pair,
// routes, rollback and alarm, the deployment configuration (CodeDeploy's
// where one fits, the stack's own otherwise), the service on CODE_DEPLOY
// without the circuit breaker, and the plan's release section.
func TestReleaseStrategies(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		config    string // the deployment configuration's name
		custom    map[string]string
		alarm     bool
		testCidrs []string
		// shiftMinutes to full traffic; termination minutes.
		shiftMinutes, termination int
		text                      []string
	}{
		{name: "blue/green", overrides: []string{"deploymentStrategy=blueGreen"}, config: "CodeDeployDefault.ECSAllAtOnce", termination: 5,
			text: []string{"Blue/green release through CodeDeploy (deploymentStrategy blueGreen) of 2 tasks:", "3. Production traffic moves to the new task set all at once.",
				"Deployment configuration: CodeDeployDefault.ECSAllAtOnce (predefined by CodeDeploy)."}},
		{name: "canary, CodeDeploy's 10 % for 5 minutes", overrides: []string{"deploymentStrategy=canary"}, config: "CodeDeployDefault.ECSCanary10Percent5Minutes", shiftMinutes: 5, termination: 5,
			text: []string{"3. Production traffic moves 10 % to the new task set for 5 minutes, then the remaining 90 %.",
				"All production traffic is on the new revision about 8 min 20 s after the release starts, and the release ends about 13 min 50 s after it"}},
		{name: "canary, CodeDeploy's 10 % for 15 minutes", overrides: []string{"deploymentStrategy=canary", "canaryMinutes=15"}, config: "CodeDeployDefault.ECSCanary10Percent15Minutes", shiftMinutes: 15, termination: 5},
		{name: "canary of the stack's own, 20 % for 3 minutes", overrides: []string{"deploymentStrategy=canary", "canaryPercent=20", "canaryMinutes=3"}, config: "alba-digi-canary-20pct-3min", shiftMinutes: 3, termination: 5,
			custom: map[string]string{"trafficRoutingConfig.type": "TimeBasedCanary", "trafficRoutingConfig.timeBasedCanary.percentage": "20", "trafficRoutingConfig.timeBasedCanary.interval": "3", "computePlatform": "ECS"},
			text: []string{"3. Production traffic moves 20 % to the new task set for 3 minutes, then the remaining 80 %.",
				"Deployment configuration: alba-digi-canary-20pct-3min (the stack's own: no predefined configuration of CodeDeploy fits)."}},
		{name: "linear, CodeDeploy's 10 % every minute", overrides: []string{"deploymentStrategy=linear"}, config: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", shiftMinutes: 9, termination: 5,
			text: []string{"3. Production traffic moves 10 % more every 1 minute, in 10 steps: all of it after 9 minutes."}},
		{name: "linear, CodeDeploy's 10 % every 3 minutes", overrides: []string{"deploymentStrategy=linear", "linearMinutes=3"}, config: "CodeDeployDefault.ECSLinear10PercentEvery3Minutes", shiftMinutes: 27, termination: 5},
		{name: "linear of the stack's own, 30 % every 2 minutes, test port open to two networks, the alarm, no wait",
			overrides: []string{"deploymentStrategy=linear", "linearPercent=30", "linearMinutes=2", `testCidrs=["203.0.113.0/24","198.51.100.0/24"]`, "testListenerPort=8443", "rollbackOnAlarm=true", "blueGreenTerminationMinutes=0"},
			config:    "alba-digi-linear-30pct-2min", shiftMinutes: 6, termination: 0, alarm: true, testCidrs: []string{"203.0.113.0/24", "198.51.100.0/24"},
			custom: map[string]string{"trafficRoutingConfig.type": "TimeBasedLinear", "trafficRoutingConfig.timeBasedLinear.percentage": "30", "trafficRoutingConfig.timeBasedLinear.interval": "2"},
			text: []string{"3. Production traffic moves 30 % more every 2 minutes, in 4 steps: all of it after 6 minutes.",
				"Only 203.0.113.0/24, 198.51.100.0/24 (testCidrs) may reach that port", "and when alarm alba-digi.target-5xx (the tasks' 5xx) trips during the release (DEPLOYMENT_STOP_ON_ALARM, rollbackOnAlarm)",
				"The original task set keeps running 0 minutes (blueGreenTerminationMinutes)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := deploy(t, "dev", tt.overrides...)
			v := view(t, res)
			names := res.Config.Names()

			// Two target groups, both checked on /alive with the stack's settings.
			blue, green := v.named(names.TargetGroupResource), v.named(names.GreenTargetGroupResource)
			if n := len(v.all(tTG)); n != 2 {
				t.Errorf("%d target groups, want 2", n)
			}
			for _, tg := range []plan.Resource{blue, green} {
				expect(t, tg, map[string]string{
					"healthCheck.path": "/alive", "healthCheck.matcher": "200", "healthCheck.interval": "10", "healthCheck.timeout": "5",
					"healthCheck.healthyThreshold": "2", "healthCheck.unhealthyThreshold": "3", "healthCheck.port": "traffic-port",
					"port": "5050", "protocol": "HTTP", "targetType": "ip", "deregistrationDelay": "30",
				})
			}
			expect(t, green, map[string]string{"tags.Name": "alba-digi-target-green"})

			// The test listener, forwarding to the second target group; its
			// port open to testCidrs only.
			test := v.named(names.TestListener)
			expect(t, test, map[string]string{"port": fmt.Sprint(res.Config.TestListenerPort), "protocol": "HTTP", "defaultActions.0.type": "forward"})
			if !dependsOnNamed(test, names.GreenTargetGroupResource, "defaultActions") {
				t.Errorf("the test listener does not forward to %s: %+v", names.GreenTargetGroupResource, test.Dependencies)
			}
			var sources []string
			for _, r := range v.all(tIngress) {
				if get(r, "fromPort") == fmt.Sprint(res.Config.TestListenerPort) {
					sources = append(sources, get(r, "cidrIpv4"))
					expect(t, r, map[string]string{"toPort": fmt.Sprint(res.Config.TestListenerPort), "ipProtocol": "tcp"})
				}
			}
			slices.Sort(sources)
			if wantSources := slices.Sorted(slices.Values(tt.testCidrs)); !slices.Equal(sources, wantSources) {
				t.Errorf("test port %d open to %q, want %q", res.Config.TestListenerPort, sources, wantSources)
			}

			// The deployment group: blue/green with traffic control, the pair,
			// the production and test routes, rollback, the alarm.
			group := v.one(tDeploymentGroup)
			want := map[string]string{
				"appName": "alba-digi-app", "deploymentGroupName": "alba-digi-deployment-group", "deploymentConfigName": tt.config,
				"deploymentStyle.deploymentType": "BLUE_GREEN", "deploymentStyle.deploymentOption": "WITH_TRAFFIC_CONTROL",
				"ecsService.clusterName": "alba-digi-cluster", "ecsService.serviceName": "alba-digi-service",
				"loadBalancerInfo.targetGroupPairInfo.targetGroups.0.name":           blue.PhysicalName,
				"loadBalancerInfo.targetGroupPairInfo.targetGroups.1.name":           green.PhysicalName,
				"loadBalancerInfo.targetGroupPairInfo.prodTrafficRoute.listenerArns": fmt.Sprintf("[%q]", v.registration(names.HTTPListener).Outputs["arn"].StringValue()),
				"loadBalancerInfo.targetGroupPairInfo.testTrafficRoute.listenerArns": fmt.Sprintf("[%q]", v.registration(names.TestListener).Outputs["arn"].StringValue()),
				"autoRollbackConfiguration.enabled":                                  "true", "autoRollbackConfiguration.events": `["DEPLOYMENT_FAILURE"]`,
				"blueGreenDeploymentConfig.terminateBlueInstancesOnDeploymentSuccess.action":                       "TERMINATE",
				"blueGreenDeploymentConfig.terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes": fmt.Sprint(tt.termination),
				"alarmConfiguration": "<absent>",
			}
			if tt.alarm {
				delete(want, "alarmConfiguration")
				want["alarmConfiguration.enabled"] = "true"
				want["alarmConfiguration.alarms"] = fmt.Sprintf("[%q]", v.named(names.AlarmTarget5xx).PhysicalName)
				want["autoRollbackConfiguration.events"] = `["DEPLOYMENT_FAILURE","DEPLOYMENT_STOP_ON_ALARM"]`
			}
			expect(t, group, want)
			expect(t, v.one(tCodeDeployApp), map[string]string{"name": "alba-digi-app", "computePlatform": "ECS"})
			configs := v.all(tDeploymentConfig)
			switch {
			case tt.custom == nil && len(configs) != 0:
				t.Errorf("a deployment configuration of the stack's own beside CodeDeploy's %s", tt.config)
			case tt.custom != nil:
				if len(configs) != 1 {
					t.Fatalf("%d deployment configurations, want the stack's own", len(configs))
				}
				expect(t, configs[0], tt.custom)
				expect(t, configs[0], map[string]string{"deploymentConfigName": tt.config})
				// A new shape is a configuration of a new name, created before
				// the old one goes: CodeDeploy refuses to delete the one its
				// group still names.
				if configs[0].Options != nil && configs[0].Options.DeleteBeforeReplace {
					t.Errorf("the deployment configuration must be created before the old one is deleted: %+v", configs[0].Options)
				}
			}

			// The service on CodeDeploy's controller, without the rolling
			// update's circuit breaker and deployment alarm.
			expect(t, v.one(tService), map[string]string{
				"deploymentController.type": "CODE_DEPLOY", "deploymentCircuitBreaker": "<absent>", "alarms": "<absent>",
			})
			// What a release changes goes out as a CodeDeploy deployment, not
			// to the service: a Spot share turned on or off included (launch
			// type and capacity providers would replace the service).
			if o := v.one(tService).Options; o == nil || !containsAll(o.IgnoreChanges, "taskDefinition", "networkConfiguration", "platformVersion", "loadBalancers", "capacityProviderStrategies", "launchType") {
				t.Errorf("the service under CodeDeploy ignores %+v", o)
			}
			if n := len(v.all(tReleaseRolling)); n != 0 || len(v.all(tReleaseCD)) != 1 {
				t.Errorf("release components: %d rolling, %d CodeDeploy; want one CodeDeploy", n, len(v.all(tReleaseCD)))
			}

			// The plan's release section.
			r := res.Plan.Rollout.Release
			if r == nil {
				t.Fatal("the plan has no release section")
			}
			if r.Shift.Config != tt.config || r.Shift.Custom != (tt.custom != nil) || r.Shift.ShiftMinutes != tt.shiftMinutes || r.TerminationMinutes != tt.termination ||
				r.TestListenerPort != res.Config.TestListenerPort || !slices.Equal(r.TestCidrs, tt.testCidrs) || r.TestTargetGroup != "alba-digi-target-green" || r.ProductionTargetGroup != "alba-digi-target-group" {
				t.Errorf("release section %+v", r)
			}
			// 180 s start allowance + 2 checks × 10 s, then the shift; then the
			// wait and the 30 s deregistration delay.
			if full := 200 + tt.shiftMinutes*60; r.FullTrafficSeconds != full || r.EndSeconds != full+tt.termination*60+30 {
				t.Errorf("full traffic after %d s, end after %d s; want %d and %d", r.FullTrafficSeconds, r.EndSeconds, full, full+tt.termination*60+30)
			}
			if (r.RollbackAlarm != "") != tt.alarm {
				t.Errorf("rollback alarm %q, want one: %v", r.RollbackAlarm, tt.alarm)
			}
			o := res.Plan.Rollout.Ours
			if o.Batches != 1 || o.TasksPerBatch != 2 || o.ShiftSeconds != tt.shiftMinutes*60 || o.TerminationWaitSeconds != tt.termination*60 ||
				o.RolloutSeconds != 20+tt.shiftMinutes*60+tt.termination*60+30 {
				t.Errorf("release estimate %+v", o)
			}
			var b bytes.Buffer
			if err := render.Plan(&b, "text", res.Plan); err != nil {
				t.Fatal(err)
			}
			text := b.String()
			for _, want := range append(tt.text,
				fmt.Sprintf("2. The test listener, port %d, sends requests to the new task set", res.Config.TestListenerPort),
				"Rollback: CodeDeploy moves traffic back to the original task set, still running, when the release fails (DEPLOYMENT_FAILURE",
				"Deployment configuration: "+tt.config,
				"release of all tasks (estimate)",
			) {
				if !strings.Contains(text, want) {
					t.Errorf("the text plan does not say %q:\n%s", want, text[strings.Index(text, "release through CodeDeploy")-20:])
				}
			}
			if strings.Contains(text, "Rolling update of") || strings.Contains(text, "tasks replaced per batch") {
				t.Error("the text plan shows the rolling update's batches under CodeDeploy")
			}
		})
	}
}

// TestReleaseSectionSaysWhatAUserSets: the test port's sentence says who may
// reach it and what to set; the rollback says what replaces the circuit
// breaker, with and without the alarm; the role is the stack's or the
// given one; the markdown plan says it all too.
func TestReleaseSectionSaysWhatAUserSets(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		want      []string
		not       []string
	}{
		{"nobody on the test port, no alarm, the stack's role", []string{"deploymentStrategy=canary"}, []string{
			"Nobody may reach that port (testCidrs is empty): the new revision is tried by the load balancer's health checks only. Set testCidrs (your office, a CI runner) to try it yourself.",
			"no alarm stops a release (rollbackOnAlarm is off: turn it on to roll back on the tasks' 5xx alarm). This replaces the rolling update's circuit breaker, which ECS does not apply to a service CodeDeploy releases.",
			"CodeDeploy acts as role alba-digi-codedeploy-role, which the stack makes with AWS's managed policy AWSCodeDeployRoleForECS.",
			"waits up to 19 minutes (rolloutTimeoutMinutes)",
		}, []string{"DEPLOYMENT_STOP_ON_ALARM, rollbackOnAlarm", "That wait is shorter"}},
		{"a wait shorter than the release", []string{"deploymentStrategy=canary", "rolloutTimeoutMinutes=10"}, []string{
			"That wait is shorter than the release (about 13 min 50 s): set rolloutTimeoutMinutes to at least 14.",
		}, nil},
		{"a lab account's role, the alarm, a long enough wait", []string{"deploymentStrategy=blueGreen", "codeDeployRoleArn=arn:aws:iam::123456789012:role/LabRole", "rollbackOnAlarm=true", "rolloutTimeoutMinutes=30"}, []string{
			"CodeDeploy acts as role arn:aws:iam::123456789012:role/LabRole (codeDeployRoleArn, made elsewhere).",
			"This replaces the rolling update's circuit breaker and deployment alarm, which ECS does not apply to a service CodeDeploy releases.",
			"waits up to 30 minutes (rolloutTimeoutMinutes)",
		}, []string{"That wait is shorter", "AWSCodeDeployRoleForECS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := deploy(t, "dev", tt.overrides...)
			for _, format := range []string{"text", "markdown"} {
				var b bytes.Buffer
				if err := render.Plan(&b, format, res.Plan); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("%s plan does not say %q", format, w)
					}
				}
				for _, w := range tt.not {
					if strings.Contains(out, w) {
						t.Errorf("%s plan says %q", format, w)
					}
				}
			}
			roles := 0
			for _, r := range view(t, res).all(tRole) {
				if strings.Contains(r.Name, "codedeploy") {
					roles++
				}
			}
			if lab := slices.ContainsFunc(tt.overrides, func(o string) bool { return strings.HasPrefix(o, "codeDeployRoleArn=") }); (roles == 0) != lab {
				t.Errorf("%d CodeDeploy roles made, with a role given: %v", roles, lab)
			}
		})
	}
	md := planText(t, "markdown", "deploymentStrategy=canary")
	for _, w := range []string{"### Canary release through CodeDeploy (deploymentStrategy canary) of 2 tasks", "\n1. CodeDeploy starts the new revision", "\n3. Production traffic moves 10 %", "| traffic shift | 300 s | 300 s |", "| release of all tasks (estimate) | 650 s | 1050 s |"} {
		if !strings.Contains(md, w) {
			t.Errorf("markdown plan lacks %q", w)
		}
	}
}

func planText(t *testing.T, format string, overrides ...string) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.Plan(&b, format, deploy(t, "dev", overrides...).Plan); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRollingHasNoRelease: the default stack declares nothing of CodeDeploy,
// and keeps the circuit breaker.
func TestRollingHasNoRelease(t *testing.T) {
	res := deploy(t, "dev")
	v := view(t, res)
	if res.Plan.Rollout.Release != nil || res.Plan.Cost.PerRelease != nil {
		t.Errorf("a rolling stack's plan has a release section %+v or a per-release cost %+v", res.Plan.Rollout.Release, res.Plan.Cost.PerRelease)
	}
	for _, typ := range []string{tCodeDeployApp, tDeploymentGroup, tDeploymentConfig, tReleaseCD} {
		if n := len(v.all(typ)); n != 0 {
			t.Errorf("%d %s in a rolling stack", n, typ)
		}
	}
	if n := len(v.all(tTG)); n != 1 {
		t.Errorf("%d target groups in a rolling stack", n)
	}
	expect(t, v.one(tService), map[string]string{"deploymentController.type": "ECS", "deploymentCircuitBreaker.enable": "true", "deploymentCircuitBreaker.rollback": "true"})
}

// TestLogicalNamesAreUnique: the engine refuses two resources of one type
// and name (a duplicate URN), which the mocks let through; with a name of
// 14 characters or more both target groups' logical names used to cut to
// the same 24 characters.
func TestLogicalNamesAreUnique(t *testing.T) {
	for _, name := range []string{"alba-digi", "alba-digi-pr", "alba-digi-pro", "alba-digi-prod", "orders-api-servic1"} {
		for _, strategy := range []string{"rolling", "canary"} {
			t.Run(name+" "+strategy, func(t *testing.T) {
				res := deploy(t, "dev", "name="+name, "deploymentStrategy="+strategy)
				seen := map[string]bool{}
				for _, r := range res.Registrations {
					k := r.Type + "::" + r.Name
					if seen[k] {
						t.Errorf("two resources %s", k)
					}
					seen[k] = true
				}
			})
		}
	}
}

// TestDiffFromRollingToCanary: switching strategy replaces the service (its
// controller cannot change in place), with the downtime, and says which key
// accepts it; the CodeDeploy pieces are added, the rolling release removed.
func TestDiffFromRollingToCanary(t *testing.T) {
	base, next := deploy(t, "dev").Plan, deploy(t, "dev", "deploymentStrategy=canary").Plan
	d := diff.Compare(base, next)
	var svc *diff.ResourceChange
	for i, c := range d.Changed {
		if c.Type == tService {
			svc = &d.Changed[i]
		}
	}
	if svc == nil || !svc.Replace || svc.Accept != "acceptServiceReplacement" || svc.ReplacedBy() != "deploymentController.type: ECS → CODE_DEPLOY" {
		t.Fatalf("service change %+v, want a replacement by its controller that acceptServiceReplacement accepts", svc)
	}
	// The old tasks drain 30 s, the new ones start (180 s) and pass 2 checks 10 s apart.
	if svc.DowntimeSeconds != 230 {
		t.Errorf("downtime %d s, want 230", svc.DowntimeSeconds)
	}
	for _, added := range []string{"alba-digi-app (" + tCodeDeployApp + ")", "alba-digi-deployment-group (" + tDeploymentGroup + ")", "alba-digi-target-green (" + tTG + ")",
		"alba-digi-test-listener (" + tListener + ")", "alba-digi-release (" + tReleaseCD + ")"} {
		if !slices.Contains(d.Added, added) {
			t.Errorf("not added: %s (added %q)", added, d.Added)
		}
	}
	if !slices.Contains(d.Removed, "alba-digi-release ("+tReleaseRolling+")") {
		t.Errorf("the rolling release is not removed: %q", d.Removed)
	}
	for _, c := range d.Changed {
		if c.Replace && c.Type != tService {
			t.Errorf("%s %s replaced too", c.Type, c.Name)
		}
	}
	text := renderDiff(t, base, next, "text")
	for _, want := range []string{
		"!! REPLACES alba-digi-service (aws:ecs/service:Service): the service is deleted before its replacement starts: the API is down until new tasks are healthy (about 3 min 50 s: the old tasks drain, then the new ones start and pass their health checks)",
		"   because deploymentController.type: ECS → CODE_DEPLOY\n   `pulumi preview` and `pulumi up` refuse this replacement unless `acceptServiceReplacement` is true: set it for that one `pulumi up`, then remove it.",
		"Canary release through CodeDeploy",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text diff lacks %q:\n%s", want, text)
		}
	}
	md := renderDiff(t, base, next, "markdown")
	if !strings.Contains(md, "> `pulumi preview` and `pulumi up` refuse this replacement unless `acceptServiceReplacement` is true") {
		t.Errorf("markdown diff does not say which key accepts the replacement:\n%s", md)
	}
	// Back to rolling: the same replacement, the same key.
	back := diff.Compare(next, base)
	for _, c := range back.Changed {
		if c.Type == tService && (!c.Replace || c.Accept != "acceptServiceReplacement") {
			t.Errorf("canary → rolling: %+v", c)
		}
	}
	// A change of the shift of the stack's own configuration replaces it
	// (every argument is ForceNew) and nothing else.
	own := deploy(t, "dev", "deploymentStrategy=canary", "canaryPercent=20", "canaryMinutes=3").Plan
	other := diff.Compare(own, deploy(t, "dev", "deploymentStrategy=canary", "canaryPercent=25", "canaryMinutes=3").Plan)
	for _, c := range other.Changed {
		if c.Replace != (c.Type == tDeploymentConfig) {
			t.Errorf("canaryPercent 20 → 25: %s %s replace %v", c.Type, c.Name, c.Replace)
		}
	}
}

// TestReleaseEstimate: CodeDeploy and its pieces are free; one release adds
// the second task set's task-hours, per release, outside the monthly total.
func TestReleaseEstimate(t *testing.T) {
	rolling, canary := deploy(t, "dev").Plan.Cost, deploy(t, "dev", "deploymentStrategy=canary").Plan.Cost
	if canary.Total != rolling.Total || canary.Partial || len(canary.Unpriced) != 0 {
		t.Errorf("canary: total $%.2f partial %v unpriced %q; want the rolling total $%.2f, complete", canary.Total, canary.Partial, canary.Unpriced, rolling.Total)
	}
	r := canary.PerRelease
	if r == nil {
		t.Fatal("no per-release cost")
	}
	// Two tasks × (180 s start + 20 s checks + 300 s shift + 300 s wait + 30 s drain = 830 s):
	// 1 vCPU × $0.04048 and 3 GB × $0.004445 an hour each.
	hours := 2 * 830.0 / 3600
	vcpu, mem := hours*1*0.04048, hours*3*0.004445
	if len(r.Lines) != 2 || !near(r.Lines[0].Monthly, vcpu) || !near(r.Lines[1].Monthly, mem) || !near(r.Total, vcpu+mem) {
		t.Errorf("per release %+v, want $%.4f + $%.4f", r, vcpu, mem)
	}
	if r.Lines[0].What != "Fargate x86 vCPU: 2 more tasks × 1 vCPU for 13.83 min" || r.Lines[0].Source == "" {
		t.Errorf("vCPU line %+v", r.Lines[0])
	}
	for _, want := range []string{"830 s: 180 s to pull the image and start, 20 s of health checks, 300 s of traffic shift, 300 s of termination wait, 30 s of draining",
		"CodeDeploy charges nothing for deployments to Amazon ECS", "not in the monthly total"} {
		if !strings.Contains(strings.Join(r.Assumptions, "; "), want) {
			t.Errorf("assumptions %q lack %q", r.Assumptions, want)
		}
	}
	text := planText(t, "text", "deploymentStrategy=canary")
	if !strings.Contains(text, "Each CodeDeploy release adds $0.03, not in the monthly total:") {
		t.Errorf("the text plan does not price a release:\n%s", text[strings.Index(text, "Estimated monthly"):])
	}
	// ARM tasks at ARM's price; autoscaling at its minimum.
	arm := deploy(t, "dev", "deploymentStrategy=blueGreen", "cpuArchitecture=ARM64", "autoscalingMinCount=3", "autoscalingMaxCount=6", "desiredCount=3").Plan.Cost.PerRelease
	if arm == nil || arm.Lines[0].Price != 0.03238 || !strings.HasPrefix(arm.Lines[0].What, "Fargate ARM vCPU: 3 more tasks") {
		t.Errorf("ARM release %+v", arm)
	}
	if arm != nil && !slices.Contains(arm.Assumptions, "with autoscaling, at the minimum of 3 tasks: a release while the service runs its maximum of 6 costs up to 2 times as much") {
		t.Errorf("the release estimate does not say it is at the autoscaling minimum: %q", arm.Assumptions)
	}
}

// TestReleaseArchitecture: the picture of a CodeDeploy stack shows both
// target groups, the test listener with its port and sources, and
// CodeDeploy shifting traffic between them.
func TestReleaseArchitecture(t *testing.T) {
	tests := []struct {
		overrides []string
		labels    []string
		links     []string
	}{
		{[]string{"deploymentStrategy=canary"},
			[]string{"Test listener of the load balancer · HTTP :9000 · no client (testCidrs empty): health checks only",
				"Target group alba-digi-target-group · production (blue) · HTTP 5050 · health check /alive",
				"Target group alba-digi-target-green · the new revision (green) · HTTP 5050 · health check /alive",
				"CodeDeploy alba-digi-app · group alba-digi-deployment-group · CodeDeployDefault.ECSCanary10Percent5Minutes · rolls back on failure",
				"Load balancer alba-digi-load-balancer · internet-facing · HTTP :80"},
			[]string{"c_lb -> c_tg: production traffic", "c_lb -> c_tg_green: the share shifted during a release", "c_test_listener -> c_tg_green: test traffic",
				"c_tg_green -> c_service: tcp 5050 from the load balancer's group", "c_codedeploy -> c_lb: shifts production traffic between the target groups: 10 % for 5 min, then the rest",
				"c_codedeploy -> c_service: starts the new task set, ends the original 5 min after the shift"}},
		{[]string{"deploymentStrategy=linear", `testCidrs=["203.0.113.0/24"]`, "rollbackOnAlarm=true", "waf=true"},
			[]string{"Test listener of the load balancer · HTTP :9000 · from 203.0.113.0/24", "· rolls back on failure and on its alarm"},
			[]string{"c_clients -> c_waf: tcp 9000 from 203.0.113.0/24", "c_waf -> c_test_listener: test requests no rule blocks", "c_codedeploy -> c_alarms: rolls back when alba-digi.target-5xx trips",
				"c_codedeploy -> c_lb: shifts production traffic between the target groups: 10 % more every 1 min"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.overrides, " "), func(t *testing.T) {
			a := render.NewArchitecture(deploy(t, "dev", tt.overrides...).Plan)
			var labels, links []string
			for _, c := range append(append([]render.Component{}, a.Inside...), a.Outside...) {
				labels = append(labels, c.Label)
				if c.ID == "c_other" {
					t.Errorf("resources in no component: %s", c.Label)
				}
			}
			for _, l := range a.Links {
				links = append(links, l.From+" -> "+l.To+": "+l.Label)
			}
			for _, want := range tt.labels {
				if !slices.Contains(labels, want) && !strings.Contains(strings.Join(labels, "\n"), want) {
					t.Errorf("no component says %q:\n%s", want, strings.Join(labels, "\n"))
				}
			}
			for _, want := range tt.links {
				if !slices.Contains(links, want) {
					t.Errorf("no link %q:\n%s", want, strings.Join(links, "\n"))
				}
			}
			for _, l := range links {
				if strings.HasPrefix(l, "c_clients -> c_lb: tcp 9000") {
					t.Errorf("test traffic drawn to the production listeners: %s", l)
				}
			}
		})
	}
	// A diff back to rolling draws the green target group, the test
	// listener and CodeDeploy as removed.
	a := render.NewArchitectureDiff(diff.Compare(deploy(t, "dev", "deploymentStrategy=canary").Plan, deploy(t, "dev").Plan))
	for _, c := range a.Outside {
		if slices.Contains([]string{"c_tg_green", "c_test_listener", "c_codedeploy"}, c.ID) && c.Class != "removed" {
			t.Errorf("%s class %q, want removed", c.ID, c.Class)
		}
	}
	removed := 0
	for _, c := range a.Outside {
		if c.Class == "removed" {
			removed++
		}
	}
	if removed != 3 {
		t.Errorf("%d components removed, want 3", removed)
	}
}

// releaseVariants are the goldens of CodeDeploy stacks: their architecture
// and dependency graph (tests/testdata/<variant>.architecture.mermaid and
// .mermaid); -update rewrites them.
var releaseVariants = []struct {
	name, stack string
	overrides   []string
}{
	{"dev-canary", "dev", []string{"deploymentStrategy=canary", `testCidrs=["203.0.113.0/24"]`, "rollbackOnAlarm=true"}},
	{"prod-linear", "prod", []string{"deploymentStrategy=linear", "linearPercent=25", "linearMinutes=2"}},
}

func TestReleaseDiagramsMatchGolden(t *testing.T) {
	for _, v := range releaseVariants {
		for _, view := range []struct{ format, golden string }{{"mermaid", ".architecture.mermaid"}, {"mermaid-dependencies", ".mermaid"}} {
			t.Run(v.name+" "+view.format, func(t *testing.T) {
				var got bytes.Buffer
				if err := render.Plan(&got, view.format, deploy(t, v.stack, v.overrides...).Plan); err != nil {
					t.Fatal(err)
				}
				golden := "testdata/" + v.name + view.golden
				if *update {
					if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(got.Bytes(), want) {
					t.Errorf("the %s %s diagram differs from %s (%v); review, then go test ./tests -update:\n%s", v.name, view.format, golden, err, got.String())
				}
			})
		}
	}
}

// TestReleaseTimingArithmetic: a linear share that does not divide 100
// takes one more, smaller step; the estimate's columns share the strategy's
// shift and wait.
func TestReleaseTimingArithmetic(t *testing.T) {
	for _, tt := range []struct {
		percent, minutes, increments, shift int
	}{{10, 1, 10, 9}, {33, 1, 4, 3}, {50, 4, 2, 4}, {99, 7, 2, 7}, {1, 1, 100, 99}, {30, 2, 4, 6}} {
		c := infra.Defaults()
		c.DeploymentStrategy, c.LinearPercent, c.LinearMinutes = infra.StrategyLinear, tt.percent, tt.minutes
		s := c.TrafficShift()
		if s.Increments() != tt.increments || s.ShiftMinutes != tt.shift {
			t.Errorf("linear %d %% every %d min: %d increments over %d min, want %d over %d", tt.percent, tt.minutes, s.Increments(), s.ShiftMinutes, tt.increments, tt.shift)
		}
		r := c.Rollout()
		if r.AWSDefaults.ShiftSeconds != r.Ours.ShiftSeconds || r.AWSDefaults.TerminationWaitSeconds != r.Ours.TerminationWaitSeconds {
			t.Errorf("the columns differ in what the strategy sets: %+v / %+v", r.Ours, r.AWSDefaults)
		}
	}
}

// containsAll reports whether list holds every one of want.
func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}
