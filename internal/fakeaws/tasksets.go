package fakeaws

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// ECS services on the CODE_DEPLOY deployment controller. Such a service runs
// task sets, not deployments: CreateService makes the first (PRIMARY, 100 %,
// the service's task definition, load balancer, network, launch type or
// capacity provider strategy), and each CodeDeploy deployment adds a
// replacement, moves PRIMARY to it and deletes the original. What it copies:
//   - DescribeServices lists them under taskSets, and deployments stays empty
//     for a CODE_DEPLOY service (aws/copilot-cli#1061: "For CodeDeploy or
//     External deployment controllers, services will have TaskSets but the
//     deployments field is empty"); the service's taskDefinition, load
//     balancers and network are the PRIMARY task set's (CodeDeploy changes
//     them on every release, which is why Terraform users ignore_changes
//     task_definition and load_balancer);
//   - a task set's computedDesiredCount is the service's desiredCount times
//     its scale, rounded up; it is STEADY_STATE when its running count is the
//     computed count, none pending, and every task a healthy target; else
//     STABILIZING; CodeDeploy's task sets carry startedBy CODE_DEPLOY and the
//     deployment id as externalId
//     (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskSet.html);
//   - a task's startedBy is the id of the task set that started it ("If an
//     Amazon ECS service started the task, the startedBy parameter contains
//     the deployment ID of that service",
//     https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html);
//   - UpdateService on such a service changes only the desired count,
//     deployment configuration and health check grace period; a task
//     definition, network configuration, platform version, load balancers or
//     forceNewDeployment is refused with ECS's own message
//     (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html;
//     the messages as users met them: pulumi/pulumi-aws#3821 (task definition),
//     cdklabs/cdk-ecs-codedeploy#292 (load balancers), terraform users' reports
//     of "Unable to update network parameters ...", and "Cannot force a new
//     deployment on services with a CODE_DEPLOY deployment controller").
//
// A target in a target group no listener uses is not health-checked (elb.go):
// ECS then has no load balancer verdict to wait for, and such a task counts
// as healthy for the task set's stability, which is why CodeDeploy's
// all-at-once deployments can succeed with tasks that fail the checks once
// traffic reaches them (CodeDeploy's troubleshooting page, "Even though my
// deployment succeeded, the replacement task set fails the ELB health
// checks"; aws/containers-roadmap#1941).

type taskSet struct {
	id, arn                  string
	status                   string // PRIMARY, ACTIVE, DRAINING
	taskDef                  string
	scale                    float64
	loadBalancer             map[string]any // targetGroupArn, containerName, containerPort
	network                  any
	launchType               string
	capacityProviders        []any
	platformVersion          string
	startedBy, externalID    string
	createdAt, updatedAt     time.Time
	stability                string
	stabilityAt              time.Time
	deleted                  bool // DeleteTaskSet: it goes once its tasks are gone
	computed, running, pends int
}

func (ts *taskSet) targetGroup() string { return str(ts.loadBalancer, "targetGroupArn") }

func (s *ecsService) primaryTaskSet() *taskSet {
	for _, ts := range s.taskSets {
		if ts.status == "PRIMARY" {
			return ts
		}
	}
	return nil
}

func (s *ecsService) taskSet(id string) *taskSet {
	for _, ts := range s.taskSets {
		if ts.id == id {
			return ts
		}
	}
	return nil
}

// createTaskSet adds a task set to a CODE_DEPLOY service.
func (a *Account) createTaskSet(s *ecsService, taskDef string, lb map[string]any, network any, launchType string, cps []any, platformVersion, externalID string, t time.Time) *taskSet {
	a.serial++
	id := fmt.Sprintf("ecs-svc/%019d", 4000000000000000000+a.serial)
	ts := &taskSet{
		id: id, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:task-set/%s/%s/%s", a.region, AccountID, clusterName(s.clusterArn), s.name, id),
		status: "ACTIVE", taskDef: taskDef, scale: 100, loadBalancer: lb, network: network, launchType: launchType,
		capacityProviders: cps, platformVersion: platformVersion, externalID: externalID,
		createdAt: t, updatedAt: t, stability: "STABILIZING", stabilityAt: t,
	}
	if externalID != "" {
		ts.startedBy = "CODE_DEPLOY"
	}
	if len(s.taskSets) == 0 {
		ts.status = "PRIMARY"
	}
	s.taskSets = append(s.taskSets, ts)
	s.event(t, fmt.Sprintf("(service %s, taskSet %s) has started 0 tasks.", s.name, id))
	return ts
}

// setPrimary makes ts the service's PRIMARY task set, as CodeDeploy does
// once production traffic is on it (UpdateServicePrimaryTaskSet).
func (s *ecsService) setPrimary(ts *taskSet, t time.Time) {
	for _, other := range s.taskSets {
		if other.status == "PRIMARY" && other != ts {
			other.status, other.updatedAt = "ACTIVE", t
		}
	}
	ts.status, ts.updatedAt = "PRIMARY", t
	s.taskDef = ts.taskDef
	s.loadBalancers = []map[string]any{ts.loadBalancer}
	s.network, s.launchType, s.capacityProviders, s.platformVersion = ts.network, ts.launchType, ts.capacityProviders, ts.platformVersion
}

// deleteTaskSet scales the task set to 0 % and drains its tasks; it is gone
// once none is left (DeleteTaskSet).
func (a *Account) deleteTaskSet(ts *taskSet, t time.Time) {
	ts.status, ts.scale, ts.deleted, ts.updatedAt = "DRAINING", 0, true, t
}

// stepTaskSets keeps each task set at its computed count of tasks, replacing
// those that stop, and updates its counts and stability.
func (a *Account) stepTaskSets(s *ecsService, t time.Time) {
	var kept []*taskSet
	for _, ts := range s.taskSets {
		want := int(math.Ceil(float64(s.desired) * ts.scale / 100))
		alive := func(task *ecsTask) bool { return task.live() && task.desired == "RUNNING" }
		for n := len(s.tasksOf(ts.id, alive)); n < want; n++ {
			a.launchTask(s, ts.id, ts.taskDef, ts.loadBalancer, t)
		}
		for _, task := range s.tasksOf(ts.id, alive) {
			if len(s.tasksOf(ts.id, alive)) <= want {
				break
			}
			a.drain(task, t)
		}
		running := len(s.tasksOf(ts.id, func(task *ecsTask) bool { return task.status == "RUNNING" }))
		pending := len(s.tasksOf(ts.id, func(task *ecsTask) bool { return task.status == "PROVISIONING" || task.status == "PENDING" }))
		healthy := len(s.tasksOf(ts.id, func(task *ecsTask) bool {
			return alive(task) && task.status == "RUNNING" && (task.targetGroup == "" || task.health == "healthy" || !a.inUse(task.targetGroup))
		}))
		stopping := len(s.tasksOf(ts.id, func(task *ecsTask) bool { return task.live() && task.desired == "STOPPED" }))
		stability := "STABILIZING"
		if running == want && pending == 0 && healthy == want && stopping == 0 {
			stability = "STEADY_STATE"
		}
		if stability != ts.stability {
			ts.stability, ts.stabilityAt = stability, t
		}
		ts.computed, ts.running, ts.pends = want, running, pending
		if ts.deleted && len(s.tasksOf(ts.id, (*ecsTask).live)) == 0 {
			continue // deleted: gone from the service
		}
		kept = append(kept, ts)
	}
	s.taskSets = kept
	if s.marked {
		if h := s.healthyTargets(); s.lowest < 0 || h < s.lowest {
			s.lowest = h
		}
	}
}

func (a *Account) taskSetJSON(s *ecsService, ts *taskSet) map[string]any {
	out := map[string]any{
		"id": ts.id, "taskSetArn": ts.arn, "serviceArn": s.arn, "clusterArn": s.clusterArn, "status": ts.status,
		"taskDefinition": ts.taskDef, "computedDesiredCount": ts.computed, "pendingCount": ts.pends, "runningCount": ts.running,
		"createdAt": a.epoch(ts.createdAt), "updatedAt": a.epoch(ts.updatedAt),
		"scale":           map[string]any{"value": ts.scale, "unit": "PERCENT"},
		"stabilityStatus": ts.stability, "stabilityStatusAt": a.epoch(ts.stabilityAt),
		"loadBalancers": []any{ts.loadBalancer}, "serviceRegistries": []any{},
	}
	if ts.network != nil {
		out["networkConfiguration"] = ts.network
	}
	if ts.launchType != "" {
		out["launchType"] = ts.launchType
	}
	if len(ts.capacityProviders) > 0 {
		out["capacityProviderStrategy"] = ts.capacityProviders
	}
	if ts.platformVersion != "" {
		out["platformVersion"] = ts.platformVersion
	}
	if ts.startedBy != "" {
		out["startedBy"], out["externalId"] = ts.startedBy, ts.externalID
	}
	return out
}

// withTaskSets describes a CODE_DEPLOY service: its task sets, no
// deployments, the counts of all its tasks, the controller.
func (a *Account) withTaskSets(s *ecsService, out map[string]any) {
	var sets []any
	running, pending := 0, 0
	for _, ts := range s.taskSets {
		sets = append(sets, a.taskSetJSON(s, ts))
		running, pending = running+ts.running, pending+ts.pends
	}
	out["taskSets"], out["deployments"] = orEmpty(sets), []any{}
	out["runningCount"], out["pendingCount"] = running, pending
	out["deploymentController"] = map[string]any{"type": "CODE_DEPLOY"}
}

// updateCodeDeployService answers UpdateService for a CODE_DEPLOY service.
func (a *Account) updateCodeDeployService(s *ecsService, in map[string]any) *apiError {
	refused := func(what string) *apiError {
		return invalid("Unable to update %s on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.", what)
	}
	switch {
	case str(in, "taskDefinition") != "":
		return refused("task definition")
	case in["networkConfiguration"] != nil:
		return refused("network parameters")
	case in["loadBalancers"] != nil:
		return refused("load balancers")
	case str(in, "platformVersion") != "":
		return refused("platform version")
	case in["capacityProviderStrategy"] != nil:
		return refused("capacity provider strategy")
	case in["forceNewDeployment"] == true:
		return invalid("Cannot force a new deployment on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
	}
	if v, ok := in["desiredCount"].(float64); ok {
		s.desired = int(v)
	}
	if v, ok := in["healthCheckGracePeriodSeconds"].(float64); ok {
		s.grace = time.Duration(v) * time.Second
	}
	a.configure(s, in)
	return nil
}

// describeTaskSets answers DescribeTaskSets of a service's task sets (all,
// or those named by id or ARN).
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskSets.html
func (a *Account) describeTaskSets(in map[string]any) (any, *apiError) {
	name := str(in, "service")
	s := a.services[name[strings.LastIndex(name, "/")+1:]]
	if s == nil || s.status != "ACTIVE" {
		return nil, &apiError{"ServiceNotFoundException", "Service not found."}
	}
	want := strs(in, "taskSets")
	var sets, failures []any
	for _, ts := range s.taskSets {
		if len(want) == 0 || containsAny(want, ts.id, ts.arn) {
			sets = append(sets, a.taskSetJSON(s, ts))
		}
	}
	for _, w := range want {
		if s.taskSet(w) == nil && !strings.Contains(w, "task-set/") || strings.Contains(w, "task-set/") && s.taskSet(w[strings.LastIndex(w, "ecs-svc/"):]) == nil {
			failures = append(failures, map[string]any{"arn": w, "reason": "MISSING"})
		}
	}
	return map[string]any{"taskSets": orEmpty(sets), "failures": orEmpty(failures)}, nil
}

func containsAny(list []string, values ...string) bool {
	for _, l := range list {
		for _, v := range values {
			if l == v {
				return true
			}
		}
	}
	return false
}
