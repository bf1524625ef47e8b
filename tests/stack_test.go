package tests

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/infra"
	"alba-digi/internal/fakeaws"
	"alba-digi/internal/field"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/plan"
	"alba-digi/internal/stackconfig"
)

const (
	tClusterT  = "aws:ecs/cluster:Cluster"
	tService   = "aws:ecs/service:Service"
	tTaskDef   = "aws:ecs/taskDefinition:TaskDefinition"
	tLB        = "aws:lb/loadBalancer:LoadBalancer"
	tTG        = "aws:lb/targetGroup:TargetGroup"
	tListener  = "aws:lb/listener:Listener"
	tSG        = "aws:ec2/securityGroup:SecurityGroup"
	tIngress   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tEgress    = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tLogGroup  = "aws:cloudwatch/logGroup:LogGroup"
	tRole      = "aws:iam/role:Role"
	tAttach    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tDefaultVC = "awsx:ec2:DefaultVpc"
)

// containerDefinitions decodes the task's container definitions strictly into
// the AWS SDK's own type: a key ECS does not know fails the test.
func containerDefinitions(t testing.TB, task plan.Resource) []ecstypes.ContainerDefinition {
	t.Helper()
	raw, ok := task.Inputs["containerDefinitions"].(string)
	if !ok {
		t.Fatalf("%s: containerDefinitions is %T, want a JSON string", task.Name, task.Inputs["containerDefinitions"])
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var defs []ecstypes.ContainerDefinition
	if err := dec.Decode(&defs); err != nil {
		t.Fatalf("%s: container definitions do not decode into ecs types.ContainerDefinition: %v\n%s", task.Name, err, raw)
	}
	return defs
}

func TestDevStackHasTheTutorialsResources(t *testing.T) {
	res := deploy(t, "dev")
	v := view(t, res)

	cluster := v.one(tClusterT)
	expect(t, cluster, map[string]string{
		"name": "alba-digi-cluster", "settings.0.name": "containerInsights", "settings.0.value": "enabled",
		"tags.Name": "alba-digi-cluster",
	})

	logs := v.named("alba-digi-logs")
	expect(t, logs, map[string]string{"name": "/ecs/alba-digi", "retentionInDays": "14"})
	// Container Insights' performance log group is the stack's, with the same
	// retention, and the cluster waits for it, so ECS writes into it rather
	// than make one of its own that would outlive the stack.
	expect(t, v.named("alba-digi-insights-logs"), map[string]string{"name": "/aws/ecs/containerinsights/alba-digi-cluster/performance", "retentionInDays": "14"})
	if got := v.named("alba-digi-cluster").DependsOn; !slices.Contains(got, "alba-digi-insights-logs") {
		t.Errorf("cluster dependsOn %v, want the Container Insights log group", got)
	}

	task := v.one(tTaskDef)
	expect(t, task, map[string]string{
		"family": "alba-digi-task", "cpu": "1024", "memory": "3072", "networkMode": "awsvpc",
		"requiresCompatibilities.0": "FARGATE", "runtimePlatform.operatingSystemFamily": "LINUX",
		"runtimePlatform.cpuArchitecture": "X86_64",
		"executionRoleArn":                "arn:aws:iam::123456789012:role/" + v.named("alba-digi-execution-role").PhysicalName,
		"taskRoleArn":                     "arn:aws:iam::123456789012:role/" + v.named("alba-digi-task-role").PhysicalName,
	})
	if get(task, "executionRoleArn") == get(task, "taskRoleArn") {
		t.Errorf("execution and task roles are the same role")
	}
	defs := containerDefinitions(t, task)
	if len(defs) != 1 {
		t.Fatalf("%d containers, want 1", len(defs))
	}
	c := defs[0]
	if *c.Name != "alba-digi-api-rest" || *c.Image != "public.ecr.aws/n0h7v2z5/alba-digi-api-rest:latest" ||
		*c.MemoryReservation != 2048 || c.Memory != nil || !*c.Essential {
		t.Errorf("container: name %q image %q memoryReservation %d memory %v essential %v",
			*c.Name, *c.Image, *c.MemoryReservation, c.Memory, *c.Essential)
	}
	if len(c.PortMappings) != 1 || *c.PortMappings[0].ContainerPort != 5050 || *c.PortMappings[0].HostPort != 5050 ||
		c.PortMappings[0].Protocol != ecstypes.TransportProtocolTcp {
		t.Errorf("port mappings = %+v, want 5050/tcp", c.PortMappings)
	}
	if c.LogConfiguration == nil || c.LogConfiguration.LogDriver != ecstypes.LogDriverAwslogs ||
		c.LogConfiguration.Options["awslogs-group"] != "/ecs/alba-digi" ||
		c.LogConfiguration.Options["awslogs-region"] != "us-east-1" ||
		c.LogConfiguration.Options["awslogs-stream-prefix"] == "" {
		t.Errorf("log configuration = %+v", c.LogConfiguration)
	}
	if len(c.Environment) != 0 || len(c.Secrets) != 0 {
		t.Errorf("environment %v secrets %v, want none by default", c.Environment, c.Secrets)
	}

	lb := v.one(tLB)
	if lb.Name != "alba-digi-load-balancer" || !strings.HasPrefix(lb.PhysicalName, "alba-digi-load-balancer-") || len(lb.PhysicalName) > 32 {
		t.Errorf("load balancer %s named %q, want auto-named alba-digi-load-balancer-xxxxxxx within 32 characters", lb.Name, lb.PhysicalName)
	}
	expect(t, lb, map[string]string{
		"internal": "false", "loadBalancerType": "application", "ipAddressType": "ipv4",
		"dropInvalidHeaderFields": "true", "desyncMitigationMode": "defensive", "enableDeletionProtection": "false",
		"name": "<absent>", "tags.Name": "alba-digi-load-balancer",
	})
	if subnets := lb.Inputs["subnets"].([]any); len(subnets) < 2 {
		t.Errorf("load balancer in %d subnets, want at least 2 zones", len(subnets))
	}

	tg := v.one(tTG)
	expect(t, tg, map[string]string{
		"name": "<absent>", "tags.Name": "alba-digi-target-group", "targetType": "ip", "protocol": "HTTP", "port": "5050",
		"vpcId": "vpc-0a1b2c3d4e5f60718", "deregistrationDelay": "30",
		"healthCheck.enabled": "true", "healthCheck.protocol": "HTTP", "healthCheck.path": "/alive", "healthCheck.matcher": "200",
		"healthCheck.port": "traffic-port", "healthCheck.interval": "10", "healthCheck.timeout": "5",
		"healthCheck.healthyThreshold": "2", "healthCheck.unhealthyThreshold": "3",
	})
	if !strings.HasPrefix(tg.PhysicalName, "alba-digi-target-group-") || len(tg.PhysicalName) > 32 {
		t.Errorf("target group named %q", tg.PhysicalName)
	}

	listener := v.one(tListener)
	tgArn := res.Plan.Outputs["targetGroupArn"].(string)
	expect(t, listener, map[string]string{
		"port": "80", "protocol": "HTTP", "defaultActions.0.type": "forward", "defaultActions.0.targetGroupArn": tgArn,
	})
	if !strings.Contains(get(listener, "loadBalancerArn"), "/"+lb.PhysicalName+"/") {
		t.Errorf("listener on %s, want the load balancer %s", get(listener, "loadBalancerArn"), lb.PhysicalName)
	}

	svc := v.one(tService)
	expect(t, svc, map[string]string{
		"name": "alba-digi-service", "launchType": "FARGATE", "platformVersion": "LATEST", "desiredCount": "2",
		"deploymentMinimumHealthyPercent": "100", "deploymentMaximumPercent": "200",
		"deploymentController.type": "ECS", "deploymentCircuitBreaker.enable": "true", "deploymentCircuitBreaker.rollback": "true",
		"healthCheckGracePeriodSeconds": "30", "networkConfiguration.assignPublicIp": "true",
		"loadBalancers.0.containerName": *c.Name, "loadBalancers.0.containerPort": "5050", "loadBalancers.0.targetGroupArn": tgArn,
		"waitForSteadyState": "false", "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/alba-digi-cluster",
		"taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task:1",
	})
	if got, want := get(svc, "networkConfiguration.subnets"), get(lb, "subnets"); got != want {
		t.Errorf("service subnets %s, want the default VPC's %s", got, want)
	}

	wantOutputs := map[string]string{
		"albDnsName":     "alba-digi-load-balancer-",
		"url":            "http://alba-digi-load-balancer-",
		"aliveUrl":       "http://alba-digi-load-balancer-",
		"clusterName":    "alba-digi-cluster",
		"serviceName":    "alba-digi-service",
		"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-target-group-",
		"logGroupName":   "/ecs/alba-digi",
	}
	for name, prefix := range wantOutputs {
		got, _ := res.Plan.Outputs[name].(string)
		if !strings.HasPrefix(got, prefix) {
			t.Errorf("output %s = %q, want prefix %q", name, got, prefix)
		}
	}
	if alive := res.Plan.Outputs["aliveUrl"].(string); alive != res.Plan.Outputs["url"].(string)+"/alive" {
		t.Errorf("aliveUrl = %s, want url + /alive", alive)
	}
	if len(res.Plan.Outputs) != len(wantOutputs) {
		t.Errorf("outputs %v, want exactly %d", res.Plan.Outputs, len(wantOutputs))
	}
}

func TestSecurityGroupGraph(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		cidrs     []string
		ports     []string
	}{
		{"tutorial", nil, []string{"0.0.0.0/0"}, []string{"80"}},
		{"office only", []string{`allowedCidrs=["203.0.113.0/24","198.51.100.7/32"]`, "listenerPort=8080"}, []string{"203.0.113.0/24", "198.51.100.7/32"}, []string{"8080"}},
		{"https", []string{"certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"}, []string{"0.0.0.0/0"}, []string{"80", "443"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := deploy(t, "dev", tt.overrides...)
			v := view(t, res)
			ids := map[string]string{} // security group id -> logical name
			for _, sg := range v.all(tSG) {
				if get(sg, "description") == "<absent>" || get(sg, "description") == "" {
					t.Errorf("security group %s has no description", sg.Name)
				}
				for _, inline := range []string{"ingress", "egress"} {
					if _, ok := sg.Inputs[inline]; ok {
						t.Errorf("security group %s has inline %s rules beside standalone ones", sg.Name, inline)
					}
				}
				ids[v.registration(sg.Name).ID] = sg.Name
			}
			lbGroup := get(v.one(tLB), "securityGroups.0")
			taskGroup := get(v.one(tService), "networkConfiguration.securityGroups.0")
			if ids[lbGroup] != "alba-digi-lb-sg" || ids[taskGroup] != "alba-digi-tasks-sg" {
				t.Fatalf("load balancer uses %s (%s), service uses %s (%s)", lbGroup, ids[lbGroup], taskGroup, ids[taskGroup])
			}

			// Every rule, as "group direction protocol ports peer".
			var got []string
			for _, typ := range []string{tIngress, tEgress} {
				for _, r := range v.all(typ) {
					if d := get(r, "description"); d == "<absent>" || d == "" {
						t.Errorf("rule %s has no description", r.Name)
					}
					dir := "in"
					if typ == tEgress {
						dir = "out"
					}
					peer := get(r, "cidrIpv4")
					if ref := get(r, "referencedSecurityGroupId"); ref != "<absent>" {
						peer = "sg:" + ids[ref]
					}
					got = append(got, strings.Join([]string{ids[get(r, "securityGroupId")], dir, get(r, "ipProtocol"), get(r, "fromPort") + "-" + get(r, "toPort"), peer}, " "))
				}
			}
			var want []string
			for _, port := range tt.ports {
				for _, cidr := range tt.cidrs {
					want = append(want, "alba-digi-lb-sg in tcp "+port+"-"+port+" "+cidr)
				}
			}
			want = append(want,
				"alba-digi-lb-sg out tcp 5050-5050 sg:alba-digi-tasks-sg",
				"alba-digi-tasks-sg in tcp 5050-5050 sg:alba-digi-lb-sg",
				"alba-digi-tasks-sg out -1 <absent>-<absent> 0.0.0.0/0",
			)
			sort.Strings(got)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestServiceWaitsForWhatItsTasksNeed: AWS refuses a service whose target
// group no listener uses yet, and its first tasks need the security-group rules
// (image pull, health checks), the roles' policies (image pull, secrets) and,
// with Fargate Spot, the cluster's capacity providers. None of that is in the
// service's inputs, so it must be in its dependsOn.
func TestServiceWaitsForWhatItsTasksNeed(t *testing.T) {
	const cert = "certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"
	rules := []string{"alba-digi-lb-sg-to-tasks", "alba-digi-tasks-sg-egress", "alba-digi-tasks-sg-from-lb"}
	for _, tt := range []struct {
		name      string
		overrides []string
		dependsOn []string
	}{
		{"http", nil, append([]string{"alba-digi-execution-role-ecs", "alba-digi-http", "alba-digi-lb-sg-in-80-0-0-0-0-0"}, rules...)},
		{"https", []string{cert}, append([]string{"alba-digi-execution-role-ecs", "alba-digi-http", "alba-digi-https", "alba-digi-lb-sg-in-443-0-0-0-0-0", "alba-digi-lb-sg-in-80-0-0-0-0-0"}, rules...)},
		{"Fargate Spot", []string{"fargateSpotPercent=50"}, append([]string{"alba-digi-cluster-capacity", "alba-digi-execution-role-ecs", "alba-digi-http", "alba-digi-lb-sg-in-80-0-0-0-0-0"}, rules...)},
		{"secrets", []string{`secrets={"DB_URL":"arn:aws:ssm:us-east-1:123456789012:parameter/db"}`}, append([]string{"alba-digi-execution-role-ecs", "alba-digi-execution-role-secrets", "alba-digi-http", "alba-digi-lb-sg-in-80-0-0-0-0-0"}, rules...)},
		{"ECS Exec", []string{"enableExecuteCommand=true"}, append([]string{"alba-digi-execution-role-ecs", "alba-digi-http", "alba-digi-lb-sg-in-80-0-0-0-0-0"}, append(rules[:2:2], "alba-digi-tasks-sg-from-lb", "alba-digi-task-role-exec")...)},
		{"LabRole: no policy of ours", []string{"executionRoleArn=arn:aws:iam::123456789012:role/LabRole", "taskRoleArn=arn:aws:iam::123456789012:role/LabRole"}, append([]string{"alba-digi-http", "alba-digi-lb-sg-in-80-0-0-0-0-0"}, rules...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := view(t, deploy(t, "dev", tt.overrides...))
			reg := v.registration("alba-digi-service")
			found := false
			for _, dep := range reg.Dependencies {
				found = found || strings.HasSuffix(dep, "::"+tListener+"::alba-digi-http")
			}
			if !found {
				t.Errorf("service register request does not depend on the listener: %v", reg.Dependencies)
			}
			if !reg.DeleteBeforeReplace {
				t.Errorf("service with a fixed name is not deleteBeforeReplace")
			}
			want := slices.Sorted(slices.Values(tt.dependsOn))
			if got := v.named("alba-digi-service").DependsOn; !reflect.DeepEqual(got, want) {
				t.Errorf("service dependsOn =\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// TestRolloutCheckIsBound: the release carries the rollout check as an
// after-create and after-update hook; the service verifies its own first
// rollout (after create) and notes its deployments before an update; the
// provider's own waiter is off.
func TestRolloutCheckIsBound(t *testing.T) {
	v := view(t, deploy(t, "dev"))
	rel := v.registration("alba-digi-release")
	if !reflect.DeepEqual(rel.AfterCreateHooks, []string{"alba-digi-rollout-check"}) || !reflect.DeepEqual(rel.AfterUpdateHooks, []string{"alba-digi-rollout-check"}) {
		t.Errorf("release hooks: after create %v, after update %v; want the rollout check on both", rel.AfterCreateHooks, rel.AfterUpdateHooks)
	}
	svc := v.registration("alba-digi-service")
	if !reflect.DeepEqual(svc.BeforeUpdateHooks, []string{"alba-digi-rollout-snapshot"}) || !reflect.DeepEqual(svc.AfterCreateHooks, []string{"alba-digi-first-rollout-check"}) || len(svc.AfterUpdateHooks) != 0 {
		t.Errorf("service hooks: before update %v, after create %v, after update %v; want the snapshot and the first rollout's check", svc.BeforeUpdateHooks, svc.AfterCreateHooks, svc.AfterUpdateHooks)
	}
	expect(t, v.named("alba-digi-service"), map[string]string{"waitForSteadyState": "false"})
	for _, r := range v.res.Registrations {
		if r.Name != "alba-digi-release" && r.Name != "alba-digi-service" && len(r.AfterCreateHooks)+len(r.AfterUpdateHooks) > 0 {
			t.Errorf("%s %s carries hooks", r.Type, r.Name)
		}
	}
}

func TestLabRoleCreatesNoRole(t *testing.T) {
	const labRole = "arn:aws:iam::123456789012:role/LabRole"
	v := view(t, deploy(t, "dev", "executionRoleArn="+labRole, "taskRoleArn="+labRole))
	for _, typ := range []string{tRole, tAttach, "aws:iam/rolePolicy:RolePolicy"} {
		if rs := v.all(typ); len(rs) != 0 {
			t.Errorf("LabRole mode declares %d %s", len(rs), typ)
		}
	}
	expect(t, v.one(tTaskDef), map[string]string{"executionRoleArn": labRole, "taskRoleArn": labRole})
}

func TestExistingVpc(t *testing.T) {
	const vpc = "vpc-0fedcba9876543210"
	subnets := []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"}
	list, _ := json.Marshal(subnets)
	v := view(t, deploy(t, "dev", "vpcId="+vpc, "subnetIds="+string(list), "assignPublicIp=false"))
	if rs := v.all(tDefaultVC); len(rs) != 0 {
		t.Errorf("existing-VPC mode still looks up the default VPC")
	}
	want := string(list)
	expect(t, v.one(tTG), map[string]string{"vpcId": vpc})
	expect(t, v.named("alba-digi-lb-sg"), map[string]string{"vpcId": vpc})
	expect(t, v.one(tLB), map[string]string{"subnets": want})
	expect(t, v.one(tService), map[string]string{"networkConfiguration.subnets": want, "networkConfiguration.assignPublicIp": "false"})
}

func TestEveryTaggableResourceIsTagged(t *testing.T) {
	v := view(t, deploy(t, "dev", `tags={"team":"platform","Name":"overridden"}`))
	// The release is a component of the stack, not an AWS resource.
	untaggable := map[string]bool{tAttach: true, tDefaultVC: true, "alba-digi:release:Rolling": true}
	for _, r := range v.res.Plan.Resources {
		if untaggable[r.Type] {
			continue
		}
		tags, ok := r.Inputs["tags"].(map[string]any)
		if !ok {
			t.Errorf("%s %s has no tags", r.Type, r.Name)
			continue
		}
		if tags["project"] != "alba-digi" || tags["stack"] != "dev" || tags["team"] != "platform" {
			t.Errorf("%s %s tags = %v", r.Type, r.Name, tags)
		}
		if name, _ := tags["Name"].(string); name == "" || name == "overridden" {
			t.Errorf("%s %s Name tag = %q: a user tag overwrote it", r.Type, r.Name, name)
		}
	}
}

// TestBadConfigDeclaresNothing runs infra.Program itself, with its
// configuration in PULUMI_CONFIG as the engine hands it over: every bad value
// is reported at its path, and no resource is declared.
func TestBadConfigDeclaresNothing(t *testing.T) {
	const (
		otherVpc = "vpc-0123456789abcdef0"
		zoneA1   = "subnet-0a1b2c3d4e5f60001"
		zoneA2   = "subnet-0a1b2c3d4e5f60004" // the fake account's second subnet in zone a
		zoneB    = "subnet-0a1b2c3d4e5f60002"
	)
	tests := []struct {
		name      string
		overrides []string
		path      string
		typ       field.Type
	}{
		{"wrong type", []string{"cpu=abc"}, "cpu", field.Invalid},
		{"impossible size", []string{"memory=1000"}, "memory", field.Invalid},
		{"bad cidr", []string{`allowedCidrs=["everyone"]`}, "allowedCidrs[0]", field.Invalid},
		{"typo of a key", []string{"desiredcount=4"}, "desiredcount", field.Unknown},
		{"subnet of another VPC", []string{"vpcId=" + otherVpc, `subnetIds=["` + zoneA1 + `","` + zoneB + `"]`}, "subnetIds[0]", field.Invalid},
		{"subnets in one zone", []string{"vpcId=" + mockaws.DefaultVpcID, `subnetIds=["` + zoneA1 + `","` + zoneA2 + `"]`}, "subnetIds", field.Invalid},
		{"two subnets of one zone among others", []string{"vpcId=" + mockaws.DefaultVpcID, `subnetIds=["` + zoneA1 + `","` + zoneB + `","` + zoneA2 + `"]`}, "subnetIds[2]", field.Invalid},
		{"hosted zone that does not hold the domain", []string{"domainName=api.example.com", "hostedZoneId=Z0EXAMPLE0ORG000000000"}, "domainName", field.Invalid},
		{"private hosted zone", []string{"domainName=api.corp.internal"}, "domainName", field.Invalid},
		{"WAF rate limit out of range", []string{"waf=true", "wafRateLimit=5"}, "wafRateLimit", field.Invalid},
		{"unknown WAF managed group", []string{"waf=true", `wafManagedRuleGroups=["AWSManagedRulesBotControlRuleSet"]`}, "wafManagedRuleGroups[0]", field.NotSupported},
		{"WAF excluded rule not in its group", []string{"waf=true", `wafExcludedRules=["AWSManagedRulesCommonRuleSet/Log4JRCE_BODY"]`}, "wafExcludedRules[0]", field.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := engineConfig(t, "dev", tt.overrides...)
			fakeAccount(t, "")
			mocks := &mockaws.Mocks{Region: "us-east-1"}
			err := pulumi.RunErr(infra.Program, pulumi.WithMocks(sc.Project, sc.Stack, mocks), withConfig(sc))
			found := false
			for _, e := range field.List(err) {
				found = found || (e.Field == tt.path && e.Type == tt.typ)
			}
			if !found {
				t.Errorf("error = %v, want %s at %s", err, tt.typ, tt.path)
			}
			for _, r := range mocks.Registrations() {
				if r.Type != "pulumi:pulumi:Stack" {
					t.Errorf("declared %s %s despite bad config", r.Type, r.Name)
				}
			}
		})
	}
}

// TestPlanRejectsUnknownKeys: the offline plan hands the program the same map
// the engine would, so a typo fails there too, with the nearest key.
func TestPlanRejectsUnknownKeys(t *testing.T) {
	_, err := tryDeploy("dev", "imagen=nginx", "aws:profile=lab")
	list := field.List(err)
	if len(list) != 1 || list[0].Field != "imagen" || list[0].Type != field.Unknown || list[0].Detail != "did you mean image?" {
		t.Fatalf("error = %v, want only imagen: unknown key; did you mean image? (aws:* keys are not the program's)", err)
	}
}

func withConfig(sc *stackconfig.StackConfig) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = sc.Values
		info.ConfigSecretKeys = sc.Secret
	}
}

// TestProgramDeclaresWhatThePlanShows runs infra.Program itself and compares
// its resources with the plan's, which runs infra.Declare.
func TestProgramDeclaresWhatThePlanShows(t *testing.T) {
	fakeAccount(t, "")
	sc, err := stackconfig.LoadStack(projectDir, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	mocks := &mockaws.Mocks{Region: "us-east-1"}
	if err := pulumi.RunErr(infra.Program, pulumi.WithMocks(sc.Project, sc.Stack, mocks), withConfig(sc)); err != nil {
		t.Fatal(err)
	}
	var fromProgram, fromPlan []string
	for _, r := range mocks.Registrations() {
		if r.Type != "pulumi:pulumi:Stack" {
			fromProgram = append(fromProgram, r.Type+" "+r.Name)
		}
	}
	for _, r := range deploy(t, "dev").Plan.Resources {
		fromPlan = append(fromPlan, r.Type+" "+r.Name)
	}
	sort.Strings(fromProgram)
	sort.Strings(fromPlan)
	if !reflect.DeepEqual(fromProgram, fromPlan) {
		t.Errorf("infra.Program declares\n%v\nthe plan shows\n%v", fromProgram, fromPlan)
	}
}

func TestNothingIsProtectedByDefault(t *testing.T) {
	v := view(t, deploy(t, "dev"))
	for _, r := range v.res.Registrations {
		if r.Protect || r.RetainOnDelete {
			t.Errorf("%s %s is protected or retained: pulumi destroy would leave it", r.Type, r.Name)
		}
	}
	expect(t, v.one(tLB), map[string]string{"enableDeletionProtection": "false"})
	expect(t, v.one(tService), map[string]string{"forceDelete": "true"})
	expect(t, view(t, deploy(t, "dev", "deletionProtection=true")).one(tLB), map[string]string{"enableDeletionProtection": "true"})
}

func BenchmarkProgram(b *testing.B) {
	sc, err := stackconfig.LoadStack(projectDir, "dev", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := plan.Run(sc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFixedNamesDeleteBeforeReplace: a resource with a fixed physical name
// cannot be created beside the one it replaces, so it must be deleted first;
// every other resource is auto-named.
func TestFixedNamesDeleteBeforeReplace(t *testing.T) {
	for _, tt := range []struct {
		stack     string
		overrides []string
	}{
		{"dev", nil},
		{"prod", nil},
		{"dev", []string{"enableExecuteCommand=true", "readonlyRootFilesystem=false", "fargateSpotPercent=50"}},
	} {
		res := deploy(t, tt.stack, tt.overrides...)
		fixed := 0
		for _, r := range res.Registrations {
			name, ok := r.Inputs["name"]
			if !r.Custom || !ok || !name.IsString() {
				continue
			}
			if r.Type == "aws:route53/record:Record" {
				// Only a new name, zone or type replaces a record, so the new one never
				// has the old one's name in the old one's zone; the certificate's
				// validation record overwrites its own (allowOverwrite).
				continue
			}
			fixed++
			if !r.DeleteBeforeReplace {
				t.Errorf("%s %v: %s %s has the fixed name %q but is not deleteBeforeReplace", tt.stack, tt.overrides, r.Type, r.Name, name.StringValue())
			}
		}
		if fixed < 3 {
			t.Errorf("%s: only %d fixed-name resources found; the cluster, service and log group have fixed names", tt.stack, fixed)
		}
	}
}

// TestLongestNameFitsELB plans the longest accepted name: the provider fails to
// auto-name a load balancer or target group whose logical name leaves no room
// for its 8-character suffix within 32, so those logical names are shortened
// while the Name tag keeps the whole derived name.
func TestLongestNameFitsELB(t *testing.T) {
	const name = "orders-api-servic1" // 18 characters, the longest name accepts
	v := view(t, deploy(t, "dev", "name="+name))
	for typ, full := range map[string]string{tLB: name + "-load-balancer", tTG: name + "-target-group"} {
		r := v.one(typ)
		if len(r.Name) > 24 || !strings.HasPrefix(full, r.Name) {
			t.Errorf("%s logical name %q: want a prefix of %q of at most 24 characters", typ, r.Name, full)
		}
		if len(r.PhysicalName) > 32 {
			t.Errorf("%s physical name %q is longer than 32", typ, r.PhysicalName)
		}
		expect(t, r, map[string]string{"tags.Name": full})
	}
	expect(t, v.one(tClusterT), map[string]string{"name": name + "-cluster"})
	if _, err := tryDeploy("dev", "name="+name+"x"); err == nil || !strings.Contains(err.Error(), "name: invalid value") {
		t.Errorf("a 19-character name: error %v, want one naming the name key", err)
	}
}

// fakeAccount points the program's own AWS reads (the identity check, the
// last rollouts) at a local stand-in, as an account whose STS names account
// (default: the mocks' account).
func fakeAccount(t *testing.T, account string) {
	t.Helper()
	f, _ := fakeaws.New(t)
	if account != "" {
		f.Accounts["AKIDPROGRAMTEST"] = account
	}
	pointAWSAt(t, f.URL, "AKIDPROGRAMTEST")
}

// pointAWSAt sends every AWS SDK call of the test to endpoint, signed with
// access key key, and keeps the machine's own AWS settings out of it.
func pointAWSAt(t *testing.T, endpoint, key string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
}

// engineConfig loads stack's files with overrides and hands the whole
// configuration to the program as the engine does (PULUMI_CONFIG).
func engineConfig(t *testing.T, stack string, overrides ...string) *stackconfig.StackConfig {
	t.Helper()
	sc, err := stackconfig.LoadStack(projectDir, stack, overrides)
	if err != nil {
		t.Fatal(err)
	}
	all, err := json.Marshal(sc.Values)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(all))
	return sc
}

// runLive runs the dev stack's files under the mocks as stack, with the
// program's own AWS reads, which infra.Program skips under mocks: they are
// asked for by handing DeclareWith the live account.
func runLive(t *testing.T, stack string) (*mockaws.Mocks, error) {
	t.Helper()
	sc, err := stackconfig.LoadStack(projectDir, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	mocks := &mockaws.Mocks{Region: "us-east-1"}
	live := func(ctx *pulumi.Context) error {
		_, err := infra.DeclareWith(ctx, sc.Values, infra.LiveAccount)
		return err
	}
	return mocks, pulumi.RunErr(live, pulumi.WithMocks(sc.Project, stack, mocks), withConfig(sc))
}

// TestAnotherAccountIsAConfigError: when the stack's AWS settings make the
// rollout check read another account than the provider deploys in, the run
// stops before anything is declared, naming both accounts.
func TestAnotherAccountIsAConfigError(t *testing.T) {
	fakeAccount(t, "999999999999")
	mocks, err := runLive(t, "dev")
	for _, want := range []string{"the provider deploys in account " + mockaws.Account, "the rollout check would read account 999999999999", "aws:profile"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to say %q", err, want)
		}
	}
	for _, r := range mocks.Registrations() {
		if r.Type != "pulumi:pulumi:Stack" {
			t.Errorf("declared %s %s despite the wrong account", r.Type, r.Name)
		}
	}
}
