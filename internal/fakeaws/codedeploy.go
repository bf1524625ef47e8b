package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// CodeDeploy's blue/green deployments of ECS services (JSON 1.1, target
// prefix CodeDeploy_20141006), run on the account's clock against its ECS
// task sets (tasksets.go) and its listeners (elb.go). The stand-in provider
// creates applications, deployment configs and deployment groups through
// the same API calls terraform-provider-aws makes; a program starts
// deployments and follows them. What each step copies:
//   - the lifecycle events of an ECS deployment and their order: BeforeInstall,
//     Install (the replacement task set is created at 100 % and must become
//     healthy), AfterInstall, AllowTestTraffic (the test listener moves to
//     the replacement), AfterAllowTestTraffic, BeforeAllowTraffic,
//     AllowTraffic (production shifts as the deployment config says),
//     AfterAllowTraffic; then the original task set is kept for the group's
//     terminationWaitTimeInMinutes and deleted
//     (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html,
//     https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-ecs);
//   - the predefined configs CodeDeployDefault.ECSAllAtOnce,
//     ECSCanary10Percent5Minutes, ECSCanary10Percent15Minutes,
//     ECSLinear10PercentEvery1Minutes and ECSLinear10PercentEvery3Minutes,
//     and custom ones with a TimeBasedCanary, TimeBasedLinear or AllAtOnce
//     trafficRoutingConfig
//     (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html);
//   - Install waits at most 60 minutes for the replacement task set, then
//     fails: "The deployment timed out while waiting for the replacement task
//     set to become healthy. This time out period is 60 minutes."; with a
//     deploymentReadyOption of STOP_DEPLOYMENT the deployment waits (status
//     Ready) for ContinueDeployment, and fails after the wait with "The
//     deployment timed out while waiting for a notification to continue. This
//     time out period is n minutes."
//     (https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-ecs.html);
//   - canary and linear deployments put the replacement's target group on the
//     production listener at weight 0 before Install, so that ELB
//     health-checks it before any traffic moves, while an all-at-once
//     deployment's targets are checked only once traffic reaches them (same
//     page, "Even though my deployment succeeded ..."); when traffic has
//     moved, the original target group stays on the listener at weight 0
//     (AWS Support's statement in traveloka/terraform-aws-alb-single-listener#47:
//     "(TG1: 1) to (TG2: 100, TG1: 0)"), and a group whose config shifts
//     gradually already shows the pair so on its production listener once
//     the group exists (a public lab log of such a stack, 2026-08-08);
//   - what a run shows, from that lab log: the deployment is Created for a few
//     seconds, then InProgress; it stays InProgress through the termination
//     wait, with both task sets at 100 % (the replacement PRIMARY); at the
//     end the original is DRAINING at 0 %; a failed event is Failed and the
//     later ones Skipped; an alarm of the group in ALARM stops the deployment
//     (ALARM_ACTIVE, "One or more alarms have been activated according to the
//     Amazon CloudWatch metrics you selected, and the affected deployments
//     have been stopped. Activated alarms: <name>"), checked as each event
//     ends and, while traffic shifts or waits, every AlarmPoll; an automatic
//     rollback is a deployment of its own (creator codeDeployRollback,
//     CodeDeployDefault.ECSAllAtOnce) that puts both listeners back on the
//     original and drains the replacement task set, and the two name each
//     other in rollbackInfo ("Deployment d-X terminated. Automatic rollback
//     is triggered with a DeploymentId d-Y." / "Deployment d-Y is triggered
//     to roll back deployment d-X.");
//   - one deployment per group at a time: CreateDeployment refuses another
//     with DeploymentLimitExceededException
//     (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html).

const codeDeployTarget = "CodeDeploy_20141006."

// CodeDeployTiming is how long CodeDeploy takes, in AWS time.
type CodeDeployTiming struct {
	// Start: a new deployment is Created this long before it starts.
	Start time.Duration
	// Event: a lifecycle event with no work of its own (no hooks here), and
	// a listener change.
	Event time.Duration
	// InstallTimeout: how long Install waits for the replacement task set.
	InstallTimeout time.Duration
	// AlarmPoll: how often the group's alarms are read while traffic shifts
	// and during the termination wait.
	AlarmPoll time.Duration
}

// DefaultCodeDeployTiming is CodeDeploy's pace: the 60-minute Install wait
// is AWS's; the rest is what a deployment on AWS shows (a few seconds
// Created, events without hooks within a second, an alarm acted on within
// about 20 seconds).
var DefaultCodeDeployTiming = CodeDeployTiming{Start: 3 * time.Second, Event: time.Second, InstallTimeout: 60 * time.Minute, AlarmPoll: 20 * time.Second}

// SetCodeDeployTiming changes CodeDeploy's pace.
func (a *Account) SetCodeDeployTiming(t CodeDeployTiming) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cd.timing = t
}

var ecsEvents = []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

type cdConfig struct {
	name, id, platform string
	routing            string // AllAtOnce, TimeBasedCanary, TimeBasedLinear
	percent, interval  int
	builtin            bool
	created            time.Time
}

type cdApp struct {
	name, id, platform string
	created            time.Time
}

type cdGroup struct {
	app, name, id, config     string
	cluster, service          string
	targetGroups              []string // names
	prodListeners, testRoutes []string
	readyAction               string
	readyWait, terminateWait  int
	terminateAction           string
	rollbackEnabled           bool
	rollbackEvents            []string
	alarmsEnabled             bool
	alarms                    []string
	raw                       map[string]any
}

type cdEvent struct {
	name, status          string
	start, end            time.Time
	diagCode, diagMessage string
	startedSet, endedSet  bool
}

type cdDeployment struct {
	id, configName, creator, description string
	group                                *cdGroup
	config                               *cdConfig
	status                               string
	createTime, startTime, completeTime  time.Time
	updated                              time.Time
	content, sha                         string
	spec                                 appSpec
	events                               []*cdEvent
	cur                                  int
	eventEnds                            time.Time
	phase                                string // events, ready, termination, rollback, done
	original, replacement                *taskSet
	origTG, replTG                       string
	weight                               int
	nextStep, waitUntil, nextAlarm       time.Time
	errCode, errMessage                  string
	rollbackID, triggeredBy, rbMessage   string
	autoRollback                         bool
	rollbackEvents                       []string
	stop                                 *bool // StopDeployment asked; its autoRollbackEnabled
	terminationStarted                   bool
	previous                             *cdDeployment
	// shifts are the replacement's shares of production traffic, in the
	// order the deployment set them (for tests).
	shifts []int
}

type appSpec struct {
	TaskDefinition, ContainerName, PlatformVersion string
	ContainerPort                                  int
	Network                                        map[string]any
	CapacityProviders                              []any
}

type codeDeploy struct {
	apps        map[string]*cdApp
	groups      map[string]*cdGroup // app/name
	configs     map[string]*cdConfig
	deployments map[string]*cdDeployment
	order       []*cdDeployment
	serial      int
	timing      CodeDeployTiming
}

func newCodeDeploy() codeDeploy {
	cd := codeDeploy{apps: map[string]*cdApp{}, groups: map[string]*cdGroup{}, configs: map[string]*cdConfig{}, deployments: map[string]*cdDeployment{}, timing: DefaultCodeDeployTiming}
	for _, c := range []cdConfig{
		{name: "CodeDeployDefault.ECSAllAtOnce", routing: "AllAtOnce"},
		{name: "CodeDeployDefault.ECSCanary10Percent5Minutes", routing: "TimeBasedCanary", percent: 10, interval: 5},
		{name: "CodeDeployDefault.ECSCanary10Percent15Minutes", routing: "TimeBasedCanary", percent: 10, interval: 15},
		{name: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", routing: "TimeBasedLinear", percent: 10, interval: 1},
		{name: "CodeDeployDefault.ECSLinear10PercentEvery3Minutes", routing: "TimeBasedLinear", percent: 10, interval: 3},
	} {
		c.platform, c.builtin, c.id = "ECS", true, uuidOf(c.name)
		cd.configs[c.name] = &c
	}
	return cd
}

func uuidOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (a *Account) newDeploymentID() string {
	a.cd.serial++
	const digits = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	n := a.cd.serial*7919 + 104729
	id := []byte("d-")
	for range 9 {
		id = append(id, digits[n%len(digits)])
		n /= len(digits)
	}
	return string(id)
}

func cdErr(code, format string, args ...any) *apiError {
	return &apiError{code, fmt.Sprintf(format, args...)}
}

// codeDeployCall answers one call of CodeDeploy's JSON API.
func (a *Account) codeDeployCall(op string, in map[string]any) (any, *apiError) {
	now := a.simAt
	switch op {
	case "CreateApplication":
		name := str(in, "applicationName")
		if _, ok := a.cd.apps[name]; ok {
			return nil, cdErr("ApplicationAlreadyExistsException", "%s already exists in your account", name)
		}
		platform := str(in, "computePlatform")
		if platform == "" {
			platform = "Server"
		}
		app := &cdApp{name: name, id: uuidOf("app:" + name), platform: platform, created: now}
		a.cd.apps[name] = app
		return map[string]any{"applicationId": app.id}, nil
	case "GetApplication":
		app, err := a.app(str(in, "applicationName"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"application": map[string]any{"applicationId": app.id, "applicationName": app.name, "computePlatform": app.platform, "createTime": a.epoch(app.created), "linkedToGitHub": false}}, nil
	case "UpdateApplication":
		app, err := a.app(str(in, "applicationName"))
		if err != nil {
			return nil, err
		}
		if n := str(in, "newApplicationName"); n != "" && n != app.name {
			delete(a.cd.apps, app.name)
			for _, g := range a.cd.groups {
				if g.app == app.name {
					delete(a.cd.groups, g.app+"/"+g.name)
					g.app = n
					a.cd.groups[g.app+"/"+g.name] = g
				}
			}
			app.name = n
			a.cd.apps[n] = app
		}
		return map[string]any{}, nil
	case "DeleteApplication":
		name := str(in, "applicationName")
		delete(a.cd.apps, name)
		for k, g := range a.cd.groups {
			if g.app == name {
				delete(a.cd.groups, k)
			}
		}
		return map[string]any{}, nil
	case "CreateDeploymentConfig":
		return a.createDeploymentConfig(in, now)
	case "GetDeploymentConfig":
		c, ok := a.cd.configs[str(in, "deploymentConfigName")]
		if !ok {
			return nil, cdErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", str(in, "deploymentConfigName"))
		}
		return map[string]any{"deploymentConfigInfo": a.configJSON(c)}, nil
	case "DeleteDeploymentConfig":
		c, ok := a.cd.configs[str(in, "deploymentConfigName")]
		if ok && c.builtin {
			return nil, cdErr("InvalidOperationException", "The default deployment configurations cannot be deleted.")
		}
		for _, g := range a.cd.groups {
			if ok && g.config == c.name {
				return nil, cdErr("DeploymentConfigInUseException", "The deployment configuration %s is in use by a deployment group.", c.name)
			}
		}
		delete(a.cd.configs, str(in, "deploymentConfigName"))
		return map[string]any{}, nil
	case "CreateDeploymentGroup", "UpdateDeploymentGroup":
		return a.putDeploymentGroup(op, in, now)
	case "GetDeploymentGroup":
		g, err := a.group(str(in, "applicationName"), str(in, "deploymentGroupName"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"deploymentGroupInfo": a.groupJSON(g)}, nil
	case "DeleteDeploymentGroup":
		if _, err := a.group(str(in, "applicationName"), str(in, "deploymentGroupName")); err != nil {
			return nil, err
		}
		delete(a.cd.groups, str(in, "applicationName")+"/"+str(in, "deploymentGroupName"))
		return map[string]any{"hooksNotCleanedUp": []any{}}, nil
	case "CreateDeployment":
		return a.createDeployment(in, now)
	case "GetDeployment":
		d, err := a.deployment(str(in, "deploymentId"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"deploymentInfo": a.deploymentJSON(d)}, nil
	case "GetApplicationRevision":
		// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetApplicationRevision.html
		name := str(in, "applicationName")
		if _, err := a.app(name); err != nil {
			return nil, err
		}
		rev, _ := in["revision"].(map[string]any)
		spec, _ := rev["appSpecContent"].(map[string]any)
		sha, content := str(spec, "sha256"), str(spec, "content")
		if content != "" {
			sum := sha256.Sum256([]byte(content))
			sha = hex.EncodeToString(sum[:])
		}
		for _, d := range a.cd.deployments {
			if d.group.app == name && d.sha == sha && sha != "" {
				return map[string]any{"applicationName": name,
					"revision":     map[string]any{"revisionType": "AppSpecContent", "appSpecContent": map[string]any{"content": d.content, "sha256": d.sha}},
					"revisionInfo": map[string]any{"deploymentGroups": []any{d.group.name}, "firstUsedTime": a.epoch(d.createTime), "lastUsedTime": a.epoch(d.createTime), "registerTime": a.epoch(d.createTime)}}, nil
			}
		}
		return nil, cdErr("RevisionDoesNotExistException", "No application revision found for revision.")
	case "BatchGetDeployments":
		var out []any
		for _, id := range strs(in, "deploymentIds") {
			if d, ok := a.cd.deployments[id]; ok {
				out = append(out, a.deploymentJSON(d))
			}
		}
		return map[string]any{"deploymentsInfo": orEmpty(out)}, nil
	case "ListDeployments":
		return a.listDeployments(in)
	case "ListDeploymentTargets":
		d, err := a.deployment(str(in, "deploymentId"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"targetIds": []any{d.targetID()}}, nil
	case "BatchGetDeploymentTargets":
		d, err := a.deployment(str(in, "deploymentId"))
		if err != nil {
			return nil, err
		}
		ids := strs(in, "targetIds")
		if len(ids) > 25 {
			return nil, cdErr("DeploymentTargetListSizeExceededException", "The maximum number of targets that can be requested is 25.")
		}
		var out []any
		for _, id := range ids {
			if id != d.targetID() {
				return nil, cdErr("DeploymentTargetDoesNotExistException", "The target %s does not exist in the deployment %s.", id, d.id)
			}
			out = append(out, a.targetJSON(d))
		}
		return map[string]any{"deploymentTargets": orEmpty(out)}, nil
	case "GetDeploymentTarget":
		d, err := a.deployment(str(in, "deploymentId"))
		if err != nil {
			return nil, err
		}
		if str(in, "targetId") != d.targetID() {
			return nil, cdErr("DeploymentTargetDoesNotExistException", "The target %s does not exist in the deployment %s.", str(in, "targetId"), d.id)
		}
		return map[string]any{"deploymentTarget": a.targetJSON(d)}, nil
	case "StopDeployment":
		d, err := a.deployment(str(in, "deploymentId"))
		if err != nil {
			return nil, err
		}
		if d.finished() {
			return nil, cdErr("DeploymentAlreadyCompletedException", "The deployment %s has already completed.", d.id)
		}
		rollback, _ := in["autoRollbackEnabled"].(bool)
		d.stop = &rollback
		// The answer AWS documents for stop-deployment.
		// https://docs.aws.amazon.com/cli/latest/reference/deploy/stop-deployment.html
		return map[string]any{"status": "Pending", "statusMessage": "Stopping Pending. Stopping to schedule commands in the deployment instances"}, nil
	case "ContinueDeployment":
		d, err := a.deployment(str(in, "deploymentId"))
		if err != nil {
			return nil, err
		}
		wait := str(in, "deploymentWaitType")
		switch {
		case (wait == "" || wait == "READY_WAIT") && d.phase == "ready":
			d.status = "InProgress"
			a.beginEvent(d, 5, now)
		case wait == "TERMINATION_WAIT" && d.phase == "termination":
			d.waitUntil = now
		default:
			return nil, cdErr("DeploymentIsNotInReadyStateException", "The deployment %s is not in a ready state.", d.id)
		}
		return map[string]any{}, nil
	}
	a.t.Errorf("fakeaws: unexpected call %s", op)
	return nil, &apiError{"UnknownOperationException", op}
}

func (a *Account) app(name string) (*cdApp, *apiError) {
	if name == "" {
		return nil, cdErr("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	}
	app, ok := a.cd.apps[name]
	if !ok {
		return nil, cdErr("ApplicationDoesNotExistException", "No application found for name: %s", name)
	}
	return app, nil
}

func (a *Account) group(app, name string) (*cdGroup, *apiError) {
	if _, err := a.app(app); err != nil {
		return nil, err
	}
	g, ok := a.cd.groups[app+"/"+name]
	if !ok {
		return nil, cdErr("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: %s", name)
	}
	return g, nil
}

func (a *Account) deployment(id string) (*cdDeployment, *apiError) {
	d, ok := a.cd.deployments[id]
	if !ok {
		return nil, cdErr("DeploymentDoesNotExistException", "The deployment %s could not be found.", id)
	}
	return d, nil
}

func (a *Account) createDeploymentConfig(in map[string]any, now time.Time) (any, *apiError) {
	name := str(in, "deploymentConfigName")
	if _, ok := a.cd.configs[name]; ok {
		return nil, cdErr("DeploymentConfigAlreadyExistsException", "A deployment configuration with the name %s already exists.", name)
	}
	c := &cdConfig{name: name, id: uuidOf("config:" + name), platform: str(in, "computePlatform"), routing: "AllAtOnce", created: now}
	if trc, ok := in["trafficRoutingConfig"].(map[string]any); ok {
		c.routing = str(trc, "type")
		if tb, ok := trc["timeBasedCanary"].(map[string]any); ok && c.routing == "TimeBasedCanary" {
			c.percent, c.interval = num(tb, "canaryPercentage"), num(tb, "canaryInterval")
		}
		if tb, ok := trc["timeBasedLinear"].(map[string]any); ok && c.routing == "TimeBasedLinear" {
			c.percent, c.interval = num(tb, "linearPercentage"), num(tb, "linearInterval")
		}
	}
	if c.routing != "AllAtOnce" && (c.percent < 1 || c.percent > 99 || c.interval < 1) {
		return nil, cdErr("InvalidTrafficRoutingConfigurationException", "The traffic routing configuration is invalid: percentage %d, interval %d.", c.percent, c.interval)
	}
	a.cd.configs[name] = c
	return map[string]any{"deploymentConfigId": c.id}, nil
}

func (a *Account) configJSON(c *cdConfig) map[string]any {
	trc := map[string]any{"type": c.routing}
	switch c.routing {
	case "TimeBasedCanary":
		trc["timeBasedCanary"] = map[string]any{"canaryPercentage": c.percent, "canaryInterval": c.interval}
	case "TimeBasedLinear":
		trc["timeBasedLinear"] = map[string]any{"linearPercentage": c.percent, "linearInterval": c.interval}
	}
	out := map[string]any{"deploymentConfigId": c.id, "deploymentConfigName": c.name, "computePlatform": c.platform, "trafficRoutingConfig": trc}
	if !c.builtin {
		out["createTime"] = a.epoch(c.created)
	}
	return out
}

// putDeploymentGroup answers CreateDeploymentGroup and UpdateDeploymentGroup.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html
func (a *Account) putDeploymentGroup(op string, in map[string]any, now time.Time) (any, *apiError) {
	appName := str(in, "applicationName")
	app, err := a.app(appName)
	if err != nil {
		return nil, err
	}
	name := str(in, "deploymentGroupName")
	var g *cdGroup
	if op == "UpdateDeploymentGroup" {
		if g, err = a.group(appName, str(in, "currentDeploymentGroupName")); err != nil {
			return nil, err
		}
		if n := str(in, "newDeploymentGroupName"); n != "" {
			delete(a.cd.groups, appName+"/"+g.name)
			g.name = n
		}
		for k, v := range in {
			g.raw[k] = v
		}
	} else {
		if _, ok := a.cd.groups[appName+"/"+name]; ok {
			return nil, cdErr("DeploymentGroupAlreadyExistsException", "A deployment group with the name %s already exists for the application %s.", name, appName)
		}
		g = &cdGroup{app: appName, name: name, id: uuidOf("group:" + appName + "/" + name), raw: in}
	}
	raw := g.raw
	g.config = str(raw, "deploymentConfigName")
	if g.config == "" {
		g.config = "CodeDeployDefault.OneAtATime"
		if app.platform == "ECS" {
			g.config = "CodeDeployDefault.ECSAllAtOnce"
		}
	}
	if _, ok := a.cd.configs[g.config]; !ok {
		return nil, cdErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", g.config)
	}
	if app.platform == "ECS" {
		style, _ := raw["deploymentStyle"].(map[string]any)
		if str(style, "deploymentType") != "BLUE_GREEN" || str(style, "deploymentOption") != "WITH_TRAFFIC_CONTROL" {
			return nil, cdErr("InvalidDeploymentStyleException", "For ECS deployment group, deploymentType must be BLUE_GREEN and deploymentOption must be WITH_TRAFFIC_CONTROL")
		}
		services := anyList(raw["ecsServices"])
		if len(services) != 1 {
			return nil, cdErr("InvalidECSServiceException", "An ECS deployment group must name one ECS service.")
		}
		svc, _ := services[0].(map[string]any)
		g.cluster, g.service = str(svc, "clusterName"), str(svc, "serviceName")
	}
	g.targetGroups, g.prodListeners, g.testRoutes = nil, nil, nil
	if lbi, ok := raw["loadBalancerInfo"].(map[string]any); ok {
		for _, p := range anyList(lbi["targetGroupPairInfoList"]) {
			pair, _ := p.(map[string]any)
			for _, tg := range anyList(pair["targetGroups"]) {
				m, _ := tg.(map[string]any)
				g.targetGroups = append(g.targetGroups, str(m, "name"))
			}
			if r, ok := pair["prodTrafficRoute"].(map[string]any); ok {
				g.prodListeners = strs(r, "listenerArns")
			}
			if r, ok := pair["testTrafficRoute"].(map[string]any); ok {
				g.testRoutes = strs(r, "listenerArns")
			}
		}
	}
	if app.platform == "ECS" && (len(g.targetGroups) != 2 || len(g.prodListeners) == 0) {
		return nil, cdErr("InvalidTargetGroupPairException", "A target group pair with two target groups and a production traffic route is required for an ECS deployment group.")
	}
	g.readyAction, g.readyWait, g.terminateAction, g.terminateWait = "CONTINUE_DEPLOYMENT", 0, "TERMINATE", 0
	if bg, ok := raw["blueGreenDeploymentConfiguration"].(map[string]any); ok {
		if r, ok := bg["deploymentReadyOption"].(map[string]any); ok {
			if v := str(r, "actionOnTimeout"); v != "" {
				g.readyAction = v
			}
			g.readyWait = num(r, "waitTimeInMinutes")
		}
		if tr, ok := bg["terminateBlueInstancesOnDeploymentSuccess"].(map[string]any); ok {
			if v := str(tr, "action"); v != "" {
				g.terminateAction = v
			}
			g.terminateWait = num(tr, "terminationWaitTimeInMinutes")
		}
	}
	g.rollbackEnabled, g.rollbackEvents = false, nil
	if ar, ok := raw["autoRollbackConfiguration"].(map[string]any); ok {
		g.rollbackEnabled, _ = ar["enabled"].(bool)
		g.rollbackEvents = strs(ar, "events")
	}
	g.alarmsEnabled, g.alarms = false, nil
	if ac, ok := raw["alarmConfiguration"].(map[string]any); ok {
		g.alarmsEnabled, _ = ac["enabled"].(bool)
		for _, al := range anyList(ac["alarms"]) {
			m, _ := al.(map[string]any)
			g.alarms = append(g.alarms, str(m, "name"))
		}
	}
	a.cd.groups[appName+"/"+g.name] = g
	if c := a.cd.configs[g.config]; c.routing != "AllAtOnce" && a.activeDeployment(g) == nil {
		a.keepPairOnListeners(g)
	}
	if op == "UpdateDeploymentGroup" {
		return map[string]any{"hooksNotCleanedUp": []any{}}, nil
	}
	return map[string]any{"deploymentGroupId": g.id}, nil
}

// keepPairOnListeners puts the group's other target group on each
// production listener that forwards to one of the pair alone, at weight 0.
func (a *Account) keepPairOnListeners(g *cdGroup) {
	arns := a.pairArns(g)
	if len(arns) != 2 {
		return
	}
	for _, arn := range g.prodListeners {
		l, ok := a.listeners[arn]
		if !ok {
			continue
		}
		w := l.forwardWeights()
		if len(w) != 1 {
			continue
		}
		for i, tg := range arns {
			if _, ok := w[tg]; ok {
				l.setForward([]TargetWeight{{tg, 100}, {arns[1-i], 0}})
			}
		}
	}
}

// pairArns are the ARNs of the group's target groups, by name, among the
// target groups the account knows.
func (a *Account) pairArns(g *cdGroup) []string {
	var out []string
	for _, name := range g.targetGroups {
		for arn := range a.targetGroups {
			if strings.Contains(arn, ":targetgroup/"+name+"/") {
				out = append(out, arn)
			}
		}
	}
	return out
}

func (a *Account) groupJSON(g *cdGroup) map[string]any {
	out := map[string]any{}
	for k, v := range g.raw {
		if k != "tags" && k != "currentDeploymentGroupName" && k != "newDeploymentGroupName" {
			out[k] = v
		}
	}
	out["applicationName"], out["deploymentGroupName"], out["deploymentGroupId"] = g.app, g.name, g.id
	out["deploymentConfigName"], out["computePlatform"] = g.config, a.cd.apps[g.app].platform
	if d := a.lastSuccess(g); d != nil {
		out["lastSuccessfulDeployment"] = map[string]any{"deploymentId": d.id, "status": d.status, "createTime": a.epoch(d.createTime), "endTime": a.epoch(d.completeTime)}
	}
	return out
}

func (a *Account) activeDeployment(g *cdGroup) *cdDeployment {
	for _, d := range a.cd.order {
		if d.group == g && !d.finished() {
			return d
		}
	}
	return nil
}

func (a *Account) lastSuccess(g *cdGroup) *cdDeployment {
	for i := len(a.cd.order) - 1; i >= 0; i-- {
		if d := a.cd.order[i]; d.group == g && d.status == "Succeeded" && d.creator == "user" {
			return d
		}
	}
	return nil
}

func (d *cdDeployment) finished() bool {
	return d.status == "Succeeded" || d.status == "Failed" || d.status == "Stopped"
}

func (d *cdDeployment) targetID() string { return d.group.cluster + ":" + d.group.service }

// createDeployment starts a deployment of an AppSpecContent revision.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
// https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
func (a *Account) createDeployment(in map[string]any, now time.Time) (any, *apiError) {
	g, err := a.group(str(in, "applicationName"), str(in, "deploymentGroupName"))
	if err != nil {
		return nil, err
	}
	configName := str(in, "deploymentConfigName")
	if configName == "" {
		configName = g.config
	}
	config, ok := a.cd.configs[configName]
	if !ok {
		return nil, cdErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", configName)
	}
	rev, _ := in["revision"].(map[string]any)
	if rev == nil {
		return nil, cdErr("RevisionRequiredException", "The revision was not specified.")
	}
	if str(rev, "revisionType") != "AppSpecContent" {
		return nil, cdErr("InvalidRevisionException", "This local CodeDeploy takes revisions of type AppSpecContent only, not %q.", str(rev, "revisionType"))
	}
	content := str(rev["appSpecContent"].(map[string]any), "content")
	spec, perr := parseAppSpec(content)
	if perr != nil {
		return nil, cdErr("InvalidRevisionException", "The AppSpec file is not valid: %v", perr)
	}
	if active := a.activeDeployment(g); active != nil {
		return nil, cdErr("DeploymentLimitExceededException", "The Deployment Group '%s' already has an active Deployment '%s'", g.name, active.id)
	}
	sum := sha256.Sum256([]byte(content))
	d := &cdDeployment{
		id: a.newDeploymentID(), configName: configName, config: config, creator: "user", description: str(in, "description"),
		group: g, status: "Created", createTime: now, updated: now, content: content, sha: hex.EncodeToString(sum[:]), spec: spec,
		autoRollback: g.rollbackEnabled, rollbackEvents: g.rollbackEvents, phase: "events", cur: -1, previous: a.lastSuccess(g),
	}
	if ar, ok := in["autoRollbackConfiguration"].(map[string]any); ok {
		d.autoRollback, _ = ar["enabled"].(bool)
		d.rollbackEvents = strs(ar, "events")
	}
	for _, name := range ecsEvents {
		d.events = append(d.events, &cdEvent{name: name, status: "Pending"})
	}
	a.cd.deployments[d.id] = d
	a.cd.order = append(a.cd.order, d)
	return map[string]any{"deploymentId": d.id}, nil
}

// parseAppSpec reads the ECS AppSpec, in JSON or YAML.
func parseAppSpec(content string) (appSpec, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		if yerr := yaml.Unmarshal([]byte(content), &doc); yerr != nil {
			return appSpec{}, fmt.Errorf("neither JSON nor YAML: %v", yerr)
		}
	}
	var spec appSpec
	resources := anyList(doc["Resources"])
	if len(resources) != 1 {
		return spec, fmt.Errorf("resources must hold one TargetService, it holds %d", len(resources))
	}
	r, _ := resources[0].(map[string]any)
	var target map[string]any
	for _, v := range r {
		target, _ = v.(map[string]any)
	}
	if str(target, "Type") != "AWS::ECS::Service" {
		return spec, fmt.Errorf("the target's Type must be AWS::ECS::Service, not %q", str(target, "Type"))
	}
	props, _ := target["Properties"].(map[string]any)
	spec.TaskDefinition, spec.PlatformVersion = str(props, "TaskDefinition"), str(props, "PlatformVersion")
	lbi, _ := props["LoadBalancerInfo"].(map[string]any)
	spec.ContainerName = str(lbi, "ContainerName")
	switch p := lbi["ContainerPort"].(type) {
	case float64:
		spec.ContainerPort = int(p)
	case int:
		spec.ContainerPort = p
	case string:
		spec.ContainerPort, _ = strconv.Atoi(p)
	}
	if spec.TaskDefinition == "" || spec.ContainerName == "" || spec.ContainerPort == 0 {
		return spec, fmt.Errorf("the target's Properties need TaskDefinition and LoadBalancerInfo's ContainerName and ContainerPort")
	}
	if nc, ok := props["NetworkConfiguration"].(map[string]any); ok {
		vpc, _ := nc["AwsvpcConfiguration"].(map[string]any)
		n := map[string]any{"subnets": anyList(vpc["Subnets"]), "securityGroups": orEmpty(anyList(vpc["SecurityGroups"]))}
		if v := str(vpc, "AssignPublicIp"); v != "" {
			n["assignPublicIp"] = v
		}
		spec.Network = map[string]any{"awsvpcConfiguration": n}
	}
	for _, c := range anyList(props["CapacityProviderStrategy"]) {
		m, _ := c.(map[string]any)
		spec.CapacityProviders = append(spec.CapacityProviders, map[string]any{"capacityProvider": str(m, "CapacityProvider"), "base": numAny(m["Base"]), "weight": numAny(m["Weight"])})
	}
	return spec, nil
}

func numAny(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	return 0
}

// stepDeployments moves every deployment under way one second on.
func (a *Account) stepDeployments(t time.Time) {
	for _, d := range a.cd.order {
		if !d.finished() {
			a.stepDeployment(d, t)
		}
	}
}

func (a *Account) stepDeployment(d *cdDeployment, t time.Time) {
	if d.stop != nil && d.phase != "rollback" {
		a.fail(d, t, "MANUAL_STOP", "The deployment was stopped manually.", "Stopped", *d.stop)
		return
	}
	switch d.phase {
	case "rollback":
		a.stepRollback(d, t)
		return
	case "ready":
		if t.Before(d.waitUntil) {
			return
		}
		a.fail(d, t, "TIMEOUT", fmt.Sprintf("The deployment timed out while waiting for a notification to continue. This time out period is %d minutes.", d.group.readyWait), "Failed", d.rollsBackOn("DEPLOYMENT_FAILURE"))
		return
	case "termination":
		if a.alarmStops(d, t) {
			return
		}
		if t.Before(d.waitUntil) {
			return
		}
		if s := a.services[d.group.service]; s != nil && d.original != nil {
			a.deleteTaskSet(d.original, t)
		}
		d.status, d.completeTime, d.updated, d.phase = "Succeeded", t, t, "done"
		return
	}
	if d.status == "Created" {
		if t.Before(d.createTime.Add(a.cd.timing.Start)) {
			return
		}
		d.status, d.startTime = "InProgress", t
		s := a.services[d.group.service]
		if s == nil || s.status != "ACTIVE" || s.controller != "CODE_DEPLOY" {
			a.beginEvent(d, 0, t)
			a.fail(d, t, "INVALID_ECS_SERVICE", fmt.Sprintf("The ECS service %s in cluster %s does not exist or does not use the CODE_DEPLOY deployment controller.", d.group.service, d.group.cluster), "Failed", false)
			return
		}
		d.original = s.primaryTaskSet()
		d.origTG = d.original.targetGroup()
		pair := a.pairArns(d.group)
		for _, tg := range pair {
			if tg != d.origTG {
				d.replTG = tg
			}
		}
		a.beginEvent(d, 0, t)
		if !slices.Contains(pair, d.origTG) || d.replTG == "" {
			a.fail(d, t, "ELASTIC_LOAD_BALANCING_INVALID", "The ELB could not be updated due to the following error: Primary taskset target group must be behind listener", "Failed", false)
		}
		return
	}
	ev := d.events[d.cur]
	switch ev.name {
	case "Install":
		if d.replacement == nil {
			return // failed to create: fail() already ran
		}
		if t.Sub(ev.start) >= a.cd.timing.InstallTimeout {
			a.fail(d, t, "TIMEOUT", "The deployment timed out while waiting for the replacement task set to become healthy. This time out period is 60 minutes.", "Failed", d.rollsBackOn("DEPLOYMENT_FAILURE"))
			return
		}
		if d.replacement.stability != "STEADY_STATE" || t.Before(d.eventEnds) {
			return
		}
	case "AllowTraffic":
		if a.alarmStops(d, t) {
			return
		}
		if d.weight < 100 {
			if t.Before(d.nextStep) {
				return
			}
			a.shift(d, t)
			return
		}
		if t.Before(d.eventEnds) {
			return
		}
	default:
		if t.Before(d.eventEnds) {
			return
		}
	}
	a.endEvent(d, t)
}

// rollsBackOn reports whether the deployment rolls back on event
// (DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM).
func (d *cdDeployment) rollsBackOn(event string) bool {
	return d.autoRollback && slices.Contains(d.rollbackEvents, event)
}

// alarmStops stops the deployment when one of its group's alarms is in
// ALARM, read every AlarmPoll.
func (a *Account) alarmStops(d *cdDeployment, t time.Time) bool {
	if t.Before(d.nextAlarm) {
		return false
	}
	d.nextAlarm = t.Add(a.cd.timing.AlarmPoll)
	return a.checkAlarms(d, t)
}

func (a *Account) checkAlarms(d *cdDeployment, t time.Time) bool {
	if !d.group.alarmsEnabled {
		return false
	}
	var fired []string
	for _, name := range d.group.alarms {
		if a.alarmState(name) == "ALARM" {
			fired = append(fired, "<"+name+">")
		}
	}
	if len(fired) == 0 {
		return false
	}
	a.fail(d, t, "ALARM_ACTIVE", "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: "+strings.Join(fired, " "), "Stopped", d.rollsBackOn("DEPLOYMENT_STOP_ON_ALARM"))
	return true
}

// beginEvent starts lifecycle event i and does its work.
func (a *Account) beginEvent(d *cdDeployment, i int, t time.Time) {
	d.cur, d.phase = i, "events"
	ev := d.events[i]
	ev.status, ev.start, ev.startedSet = "InProgress", t, true
	d.eventEnds, d.updated = t.Add(a.cd.timing.Event), t
	s := a.services[d.group.service]
	switch ev.name {
	case "Install":
		if refusal := a.checkSpec(d.spec); refusal != "" {
			a.fail(d, t, "ECS_UPDATE_ERROR", "The ECS service cannot be updated due to an unexpected error: "+refusal+" (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException)", "Failed", d.rollsBackOn("DEPLOYMENT_FAILURE"))
			return
		}
		o := d.original
		network, cps, pv := o.network, o.capacityProviders, o.platformVersion
		if d.spec.Network != nil {
			network = d.spec.Network
		}
		if d.spec.CapacityProviders != nil {
			cps = d.spec.CapacityProviders
		}
		if d.spec.PlatformVersion != "" {
			pv = d.spec.PlatformVersion
		}
		launchType := o.launchType
		if len(cps) > 0 {
			launchType = ""
		}
		lb := map[string]any{"targetGroupArn": d.replTG, "containerName": d.spec.ContainerName, "containerPort": float64(d.spec.ContainerPort)}
		d.replacement = a.createTaskSet(s, d.spec.TaskDefinition, lb, network, launchType, cps, pv, d.id, t)
		if d.config.routing != "AllAtOnce" {
			a.keepPairOnListeners(d.group)
		}
	case "AllowTestTraffic":
		for _, arn := range d.group.testRoutes {
			if l, ok := a.listeners[arn]; ok {
				l.setForward([]TargetWeight{{d.replTG, 1}})
			}
		}
	case "AllowTraffic":
		d.nextAlarm = t.Add(a.cd.timing.AlarmPoll)
		a.shift(d, t)
	}
}

// shift moves production traffic one step of the deployment config on.
func (a *Account) shift(d *cdDeployment, t time.Time) {
	c := d.config
	switch {
	case c.routing == "AllAtOnce":
		d.weight = 100
	case c.routing == "TimeBasedCanary" && d.weight == 0:
		d.weight = c.percent
	default:
		d.weight = min(100, d.weight+max(c.percent, 1))
		if c.routing == "TimeBasedCanary" {
			d.weight = 100
		}
	}
	d.nextStep, d.eventEnds, d.updated = t.Add(time.Duration(c.interval)*time.Minute), t.Add(a.cd.timing.Event), t
	a.route(d, d.weight)
	if d.weight == 100 {
		a.services[d.group.service].setPrimary(d.replacement, t)
	}
}

// route gives the replacement weight % of the production traffic.
func (a *Account) route(d *cdDeployment, weight int) {
	if n := len(d.shifts); n == 0 || d.shifts[n-1] != weight {
		d.shifts = append(d.shifts, weight)
	}
	for _, arn := range d.group.prodListeners {
		if l, ok := a.listeners[arn]; ok {
			l.setForward([]TargetWeight{{d.replTG, weight}, {d.origTG, 100 - weight}})
		}
	}
}

// endEvent ends the current event (after the alarm check that ends every
// event) and starts the next, the ready wait, or the termination wait.
func (a *Account) endEvent(d *cdDeployment, t time.Time) {
	if a.checkAlarms(d, t) {
		return
	}
	ev := d.events[d.cur]
	ev.status, ev.end, ev.endedSet = "Succeeded", t, true
	d.updated = t
	next := d.cur + 1
	if ev.name == "AfterAllowTestTraffic" && d.group.readyAction == "STOP_DEPLOYMENT" {
		d.status, d.phase, d.waitUntil = "Ready", "ready", t.Add(time.Duration(d.group.readyWait)*time.Minute)
		d.cur = next
		return
	}
	if next < len(d.events) {
		a.beginEvent(d, next, t)
		return
	}
	if d.group.terminateAction == "KEEP_ALIVE" {
		d.status, d.completeTime, d.phase = "Succeeded", t, "done"
		return
	}
	d.phase, d.terminationStarted = "termination", true
	d.waitUntil, d.nextAlarm = t.Add(time.Duration(d.group.terminateWait)*time.Minute), t.Add(a.cd.timing.AlarmPoll)
}

// checkSpec is ECS's check of the replacement task set's task definition
// and container: the message of CreateTaskSet's InvalidParameterException,
// "" when it passes.
func (a *Account) checkSpec(spec appSpec) string {
	td, ok := a.taskDefs[spec.TaskDefinition]
	if !ok {
		return "TaskDefinition not found."
	}
	for _, c := range anyList(td["containerDefinitions"]) {
		m, _ := c.(map[string]any)
		if str(m, "name") != spec.ContainerName {
			continue
		}
		for _, pm := range anyList(m["portMappings"]) {
			if p, _ := pm.(map[string]any); num(p, "containerPort") == spec.ContainerPort {
				return ""
			}
		}
		return fmt.Sprintf("The container %s did not have a container port %d defined.", spec.ContainerName, spec.ContainerPort)
	}
	return fmt.Sprintf("The container %s does not exist in the task definition.", spec.ContainerName)
}

// fail ends the deployment with status (Failed or Stopped): the current
// event fails, the later ones are skipped, and a rollback starts if asked.
func (a *Account) fail(d *cdDeployment, t time.Time, code, message, status string, rollback bool) {
	if d.cur >= 0 && d.cur < len(d.events) && d.phase == "events" {
		ev := d.events[d.cur]
		ev.status, ev.end, ev.endedSet, ev.diagCode, ev.diagMessage = "Failed", t, true, "UnknownError", message
	}
	for _, ev := range d.events {
		if ev.status == "Pending" {
			ev.status = "Skipped"
		}
	}
	d.status, d.errCode, d.errMessage, d.completeTime, d.updated, d.phase = status, code, message, t, t, "done"
	if rollback && d.replacement != nil {
		a.rollback(d, t)
	}
}

// rollback starts the deployment that rolls d back: both listeners back on
// the original task set's target group, which is PRIMARY again, and the
// replacement drained.
func (a *Account) rollback(d *cdDeployment, t time.Time) {
	r := &cdDeployment{
		id: a.newDeploymentID(), configName: "CodeDeployDefault.ECSAllAtOnce", config: a.cd.configs["CodeDeployDefault.ECSAllAtOnce"],
		creator: "codeDeployRollback", group: d.group, status: "InProgress", createTime: t, startTime: t, updated: t,
		phase: "rollback", original: d.original, replacement: d.replacement, origTG: d.origTG, replTG: d.replTG, weight: 0,
		triggeredBy: d.id, previous: d.previous, cur: len(ecsEvents),
	}
	if d.previous != nil {
		r.content, r.sha, r.spec = d.previous.content, d.previous.sha, d.previous.spec
	}
	r.rbMessage = fmt.Sprintf("Deployment %s is triggered to roll back deployment %s.", r.id, d.id)
	d.rollbackID = r.id
	d.rbMessage = fmt.Sprintf("Deployment %s terminated. Automatic rollback is triggered with a DeploymentId %s.", d.id, r.id)
	for _, name := range ecsEvents {
		r.events = append(r.events, &cdEvent{name: name, status: "Succeeded", start: t, end: t, startedSet: true, endedSet: true})
	}
	r.events[len(r.events)-1].status, r.events[len(r.events)-1].endedSet = "InProgress", false
	a.cd.deployments[r.id] = r
	a.cd.order = append(a.cd.order, r)
	a.route(r, 0)
	for _, arn := range d.group.testRoutes {
		if l, ok := a.listeners[arn]; ok {
			l.setForward([]TargetWeight{{d.origTG, 1}})
		}
	}
	if s := a.services[d.group.service]; s != nil {
		if d.original != nil && s.taskSet(d.original.id) != nil {
			s.setPrimary(d.original, t)
		}
		a.deleteTaskSet(d.replacement, t)
	}
}

// stepRollback ends a rollback once the replacement task set is gone.
func (a *Account) stepRollback(d *cdDeployment, t time.Time) {
	if s := a.services[d.group.service]; s != nil && d.replacement != nil && s.taskSet(d.replacement.id) != nil {
		return
	}
	last := d.events[len(d.events)-1]
	last.status, last.end, last.endedSet = "Succeeded", t, true
	d.status, d.completeTime, d.updated, d.phase = "Succeeded", t, t, "done"
}

func (a *Account) deploymentJSON(d *cdDeployment) map[string]any {
	out := map[string]any{
		"applicationName": d.group.app, "deploymentGroupName": d.group.name, "deploymentConfigName": d.configName,
		"deploymentId": d.id, "status": d.status, "createTime": a.epoch(d.createTime), "creator": d.creator,
		"computePlatform": "ECS", "ignoreApplicationStopFailures": false, "updateOutdatedInstancesOnly": false,
		"instanceTerminationWaitTimeStarted": d.terminationStarted, "deploymentStatusMessages": []any{},
		"autoRollbackConfiguration": map[string]any{"enabled": d.autoRollback, "events": orEmpty(toAny(d.rollbackEvents))},
		"deploymentStyle":           map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
		"fileExistsBehavior":        "DISALLOW",
	}
	if v, ok := d.group.raw["blueGreenDeploymentConfiguration"]; ok {
		out["blueGreenDeploymentConfiguration"] = v
	}
	if v, ok := d.group.raw["loadBalancerInfo"]; ok {
		out["loadBalancerInfo"] = v
	}
	if d.description != "" {
		out["description"] = d.description
	}
	// A deployment names its revision by the AppSpec's SHA-256 only: the
	// content is read with GetApplicationRevision, as kayac/ecspresso does
	// (a client that expects the content here gets nothing to parse).
	if d.content != "" {
		out["revision"] = map[string]any{"revisionType": "AppSpecContent", "appSpecContent": map[string]any{"sha256": d.sha}}
	}
	if d.previous != nil {
		out["previousRevision"] = map[string]any{"revisionType": "AppSpecContent", "appSpecContent": map[string]any{"sha256": d.previous.sha}}
	}
	if !d.startTime.IsZero() {
		out["startTime"] = a.epoch(d.startTime)
	}
	if d.finished() {
		out["completeTime"] = a.epoch(d.completeTime)
		overview := map[string]any{"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0}
		if d.status == "Succeeded" {
			overview["Succeeded"] = 1
		} else {
			overview["Failed"] = 1
		}
		out["deploymentOverview"] = overview
	}
	if d.errCode != "" {
		out["errorInformation"] = map[string]any{"code": d.errCode, "message": d.errMessage}
	}
	if d.rollbackID != "" || d.triggeredBy != "" || d.rbMessage != "" {
		rb := map[string]any{"rollbackMessage": d.rbMessage}
		if d.rollbackID != "" {
			rb["rollbackDeploymentId"] = d.rollbackID
		}
		if d.triggeredBy != "" {
			rb["rollbackTriggeringDeploymentId"] = d.triggeredBy
		}
		out["rollbackInfo"] = rb
	}
	return out
}

// targetJSON is the deployment's one target, the ECS service: its
// lifecycle events and its two task sets as ECS runs them now.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ECSTarget.html
func (a *Account) targetJSON(d *cdDeployment) map[string]any {
	status := map[string]string{"Created": "Pending", "Queued": "Pending", "InProgress": "InProgress", "Ready": "Ready", "Succeeded": "Succeeded", "Failed": "Failed", "Stopped": "Failed"}[d.status]
	var events []any
	for _, ev := range d.events {
		m := map[string]any{"lifecycleEventName": ev.name, "status": ev.status}
		if ev.startedSet {
			m["startTime"] = a.epoch(ev.start)
		}
		if ev.endedSet {
			m["endTime"] = a.epoch(ev.end)
		}
		if ev.diagCode != "" {
			m["diagnostics"] = map[string]any{"errorCode": ev.diagCode, "message": ev.diagMessage}
		}
		events = append(events, m)
	}
	s := a.services[d.group.service]
	var sets []any
	for _, x := range []struct {
		ts     *taskSet
		label  string
		weight int
	}{{d.original, "Blue", 100 - d.weight}, {d.replacement, "Green", d.weight}} {
		if x.ts == nil {
			continue
		}
		tg := x.ts.targetGroup()
		parts := strings.Split(tg, "/")
		name := tg
		if len(parts) >= 2 {
			name = parts[len(parts)-2]
		}
		m := map[string]any{
			"identifer": x.ts.id, "desiredCount": x.ts.computed, "pendingCount": x.ts.pends, "runningCount": x.ts.running,
			"status": x.ts.status, "trafficWeight": float64(x.weight), "targetGroup": map[string]any{"name": name}, "taskSetLabel": x.label,
		}
		if s == nil || s.taskSet(x.ts.id) == nil {
			m["desiredCount"], m["pendingCount"], m["runningCount"] = 0, 0, 0
		}
		sets = append(sets, m)
	}
	arn := ""
	if s != nil {
		arn = s.arn
	}
	return map[string]any{"deploymentTargetType": "ECSTarget", "ecsTarget": map[string]any{
		"deploymentId": d.id, "targetId": d.targetID(), "targetArn": arn, "lastUpdatedAt": a.epoch(d.updated),
		"lifecycleEvents": orEmpty(events), "status": status, "taskSetsInfo": orEmpty(sets),
	}}
}

// listDeployments answers ListDeployments, newest first, in pages of 100.
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeployments.html
func (a *Account) listDeployments(in map[string]any) (any, *apiError) {
	appName, groupName := str(in, "applicationName"), str(in, "deploymentGroupName")
	if groupName != "" && appName == "" {
		return nil, cdErr("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	}
	var g *cdGroup
	if appName != "" {
		if groupName == "" {
			return nil, cdErr("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
		}
		var err *apiError
		if g, err = a.group(appName, groupName); err != nil {
			return nil, err
		}
	}
	statuses := strs(in, "includeOnlyStatuses")
	var ids []any
	for i := len(a.cd.order) - 1; i >= 0; i-- {
		d := a.cd.order[i]
		if (g == nil || d.group == g) && (len(statuses) == 0 || slices.Contains(statuses, d.status)) {
			ids = append(ids, d.id)
		}
	}
	token := str(in, "nextToken")
	if token != "" {
		if _, err := strconv.Atoi(token); err != nil {
			return nil, cdErr("InvalidNextTokenException", "The next token was specified in an invalid format.")
		}
	}
	page, next := pageOf(ids, token, 100)
	out := map[string]any{"deployments": orEmpty(page)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// releasedOn reports whether a CODE_DEPLOY service serves taskDefinition
// from its one, steady task set, with all the production traffic of its
// deployment groups and no deployment of theirs under way.
func (a *Account) releasedOn(s *ecsService, taskDefinition string) bool {
	if s.status != "ACTIVE" || len(s.taskSets) != 1 {
		return false
	}
	ts := s.taskSets[0]
	if ts.status != "PRIMARY" || ts.taskDef != taskDefinition || ts.stability != "STEADY_STATE" || s.healthyTargets() < s.desired {
		return false
	}
	for _, g := range a.cd.groups {
		if g.service != s.name {
			continue
		}
		if a.activeDeployment(g) != nil {
			return false
		}
		for _, arn := range g.prodListeners {
			if l, ok := a.listeners[arn]; ok && !allTo(l.forwardWeights(), ts.targetGroup()) {
				return false
			}
		}
	}
	return true
}

// allTo reports whether a forward sends all its traffic to tg.
func allTo(weights map[string]int, tg string) bool {
	if weights[tg] == 0 {
		return false
	}
	for other, w := range weights {
		if other != tg && w != 0 {
			return false
		}
	}
	return true
}

// deploymentsOf counts the deployments users created for the service.
func (a *Account) deploymentsOf(s *ecsService) int {
	n := 0
	for _, d := range a.cd.order {
		if d.group.service == s.name && d.creator == "user" {
			n++
		}
	}
	return n
}

// TaskSet is what ECS reports of a task set of a CODE_DEPLOY service.
type TaskSet struct {
	ID, Status, TaskDefinition, TargetGroup, Stability string
	Scale                                              float64
	Running, Healthy                                   int
	// ExternalID is the CodeDeploy deployment that created it.
	ExternalID string
}

// TaskSets are the service's task sets now.
func (a *Account) TaskSets(service string) []TaskSet {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	s, ok := a.services[service]
	if !ok {
		return nil
	}
	var out []TaskSet
	for _, ts := range s.taskSets {
		healthy := len(s.tasksOf(ts.id, (*ecsTask).serving))
		out = append(out, TaskSet{ID: ts.id, Status: ts.status, TaskDefinition: ts.taskDef, TargetGroup: ts.targetGroup(), Stability: ts.stability, Scale: ts.scale, Running: ts.running, Healthy: healthy, ExternalID: ts.externalID})
	}
	return out
}

// CodeDeployment is what CodeDeploy reports of a deployment.
type CodeDeployment struct {
	ID, Status, Creator, ErrorCode string
	// Shifts are the shares of production traffic the deployment gave the
	// new task set, in order (a canary: 10, 100).
	Shifts []int
}

// CodeDeployments are the deployments of a service's deployment groups,
// oldest first: users' and rollbacks.
func (a *Account) CodeDeployments(service string) []CodeDeployment {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	var out []CodeDeployment
	for _, d := range a.cd.order {
		if d.group.service == service {
			out = append(out, CodeDeployment{ID: d.id, Status: d.status, Creator: d.creator, ErrorCode: d.errCode, Shifts: slices.Clone(d.shifts)})
		}
	}
	return out
}
