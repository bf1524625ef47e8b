package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// AccountID is the account every stand-in answers for.
const AccountID = "123456789012"

// Account is a stateful stand-in for the part of one AWS account the stack's
// services live in, answering the AWS API as AWS does, with AWS's time: ECS
// (task definitions, services whose deployments take minutes, roll back and
// are listed in pages; see ecs.go), the target groups' health, the stopped
// containers' log lines, and STS. The engine test's stand-in provider plugin
// drives it through the same API calls the real provider makes
// (RegisterTaskDefinition, CreateService, UpdateService, DeleteService,
// DescribeServices), and the program's own reads and the rollout check read it
// through AWS_ENDPOINT_URL. A test breaks an image (BreakImage) to make its
// tasks fail as AWS would, injects AWS's errors per operation (Inject), and
// sets how fast AWS's time runs (SetSpeed).
type Account struct {
	t  testing.TB
	mu sync.Mutex
	// URL is the account's endpoint, for AWS_ENDPOINT_URL.
	URL string

	region string
	timing Timing
	// The clock: AWS's time is simBase + (real time since realBase) × speed;
	// simAt is how far the simulation has run. anchors keep every earlier
	// (simBase, realBase, speed), so that a time of the simulation is
	// reported at the real time it happened (wall).
	speed              float64
	simBase, simAt     time.Time
	realBase           time.Time
	anchors            []anchor
	services           map[string]*ecsService // by name
	taskDefs           map[string]map[string]any
	images             map[string][]string // task definition ARN -> images
	revisions          map[string]int      // family -> newest revision
	broken             map[string]Failure  // image -> how its tasks fail
	targetGroups       map[string]TargetGroup
	lastCompleted      map[string]*ecsDeployment
	serial, taskSerial int
	injected           map[string]*injection
	calls              map[string]int
	deletes            map[string]int
	// tagged are the clusters and log groups, with their tags (owners.go).
	tagged Tagged
	// The load balancers' listeners (elb.go), CloudWatch's alarms
	// (alarms.go) and CodeDeploy (codedeploy.go).
	listeners      map[string]*elbListener
	listenerSerial int
	alarms         map[string]*alarm
	cd             codeDeploy
}

type injection struct {
	code  string
	times int // < 0: until cleared
}

// NewAccount starts an empty account for the test, whose time runs speed
// times faster than the test's (1: AWS's own pace).
func NewAccount(t testing.TB) *Account {
	now := time.Now().UTC().Truncate(time.Second)
	a := &Account{
		t: t, region: "us-east-1", timing: DefaultTiming, speed: 1, simBase: now, simAt: now, realBase: time.Now(),
		services: map[string]*ecsService{}, taskDefs: map[string]map[string]any{}, images: map[string][]string{},
		revisions: map[string]int{}, broken: map[string]Failure{}, targetGroups: map[string]TargetGroup{},
		lastCompleted: map[string]*ecsDeployment{}, injected: map[string]*injection{}, calls: map[string]int{}, deletes: map[string]int{},
		listeners: map[string]*elbListener{}, alarms: map[string]*alarm{}, cd: newCodeDeploy(),
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// now is AWS's time; the caller holds mu.
func (a *Account) now() time.Time {
	return a.simBase.Add(time.Duration(float64(time.Since(a.realBase)) * a.speed))
}

// SetSpeed makes AWS's time run speed times faster than real time from now on.
func (a *Account) SetSpeed(speed float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.anchors = append(a.anchors, anchor{a.simBase, a.realBase, a.speed})
	a.simBase, a.realBase, a.speed = a.now(), time.Now(), speed
}

type anchor struct {
	sim, real time.Time
	speed     float64
}

// wall is the real time at which the simulation was at t: what the account
// reports as the time of an event (a deployment's createdAt, a task's
// stoppedAt), so that AWS's timestamps stay close to the caller's clock, as
// they do on AWS, however fast the simulation runs.
func (a *Account) wall(t time.Time) time.Time {
	at := anchor{a.simBase, a.realBase, a.speed}
	for i := len(a.anchors) - 1; i >= 0 && t.Before(at.sim); i-- {
		at = a.anchors[i]
	}
	return at.real.Add(time.Duration(float64(t.Sub(at.sim)) / at.speed))
}

// SetTiming changes how long tasks take to launch.
func (a *Account) SetTiming(t Timing) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.timing = t
}

// BreakImage makes every task whose container runs image fail with f, from
// now on; FixImage undoes it (the image pushed again, the secret created).
func (a *Account) BreakImage(image string, f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.broken[image] = f
}

// FixImage undoes BreakImage.
func (a *Account) FixImage(image string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.broken, image)
}

// Inject makes the next times calls of op (an API operation such as
// "ListTasks") fail with AWS's error code (ThrottlingException,
// AccessDeniedException, ServerException, ...); times < 0 until Inject is
// called again for op with times 0.
func (a *Account) Inject(op, code string, times int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if times == 0 {
		delete(a.injected, op)
		return
	}
	a.injected[op] = &injection{code: code, times: times}
}

// Calls is how many calls of op the account answered (injected errors too).
func (a *Account) Calls(op string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[op]
}

// Running returns the task definition of the service's PRIMARY deployment
// and how many of its targets are healthy; "" when there is no such active
// service.
func (a *Account) Running(service string) (taskDefinition string, healthy int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	s, ok := a.services[service]
	if !ok || s.status != "ACTIVE" {
		return "", 0
	}
	if p := s.primary(); p != nil {
		taskDefinition = p.taskDef
	}
	if ts := s.primaryTaskSet(); ts != nil {
		taskDefinition = ts.taskDef
	}
	return taskDefinition, s.healthyTargets()
}

// Converged reports whether the service runs one COMPLETED deployment of
// taskDefinition with its desired count of healthy targets; for a
// CODE_DEPLOY service, one task set of taskDefinition, steady, serving all
// of its production traffic, with no CodeDeploy deployment under way.
func (a *Account) Converged(service, taskDefinition string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	s, ok := a.services[service]
	if ok && s.controller == "CODE_DEPLOY" {
		return a.releasedOn(s, taskDefinition)
	}
	if !ok || s.status != "ACTIVE" || len(s.deployments) != 1 {
		return false
	}
	d := s.deployments[0]
	return d.taskDef == taskDefinition && d.rollout == "COMPLETED" && s.healthyTargets() >= s.desired
}

// WaitConverged waits, in real time, until Converged or timeout.
func (a *Account) WaitConverged(service, taskDefinition string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if a.Converged(service, taskDefinition) {
			return true
		}
	}
	return false
}

// DeploymentCount is how many service deployments the service has had (its
// own and the updates', not the rollbacks); for a CODE_DEPLOY service, how
// many CodeDeploy deployments users created for it (not the rollbacks).
func (a *Account) DeploymentCount(service string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.services[service]; ok {
		if s.controller == "CODE_DEPLOY" {
			return a.deploymentsOf(s)
		}
		return len(s.history)
	}
	return 0
}

// Deletes is how many times the service was deleted.
func (a *Account) Deletes(service string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.deletes[service]
}

// MarkOutages starts watching the service's healthy targets; Lowest is the
// fewest seen since (every simulated second).
func (a *Account) MarkOutages(service string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	if s, ok := a.services[service]; ok {
		s.marked, s.lowest = true, s.healthyTargets()
	}
}

// Lowest is the fewest healthy targets the service had since MarkOutages.
func (a *Account) Lowest(service string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	if s, ok := a.services[service]; ok && s.status == "ACTIVE" {
		return s.lowest
	}
	return 0
}

// DesiredCount is the count the service wants now.
func (a *Account) DesiredCount(service string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.services[service]; ok {
		return s.desired
	}
	return 0
}

// StandinPath prefixes the calls of the stand-in provider plugin that have
// no AWS API of their own here (a target group's health-check settings).
const StandinPath = "/standin/"

// ServeHTTP answers the AWS API calls and the stand-in provider's.
func (a *Account) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	if a.serveTagged(w, r, body) {
		return
	}
	if op, ok := strings.CutPrefix(r.URL.Path, StandinPath); ok {
		if op != "target-group" {
			http.Error(w, "unknown stand-in call "+op, http.StatusNotFound)
			return
		}
		var tg TargetGroup
		if err := json.Unmarshal(body, &tg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.targetGroups[tg.Arn] = tg
		return
	}
	if op, ok := strings.CutPrefix(r.URL.Path, rpcv2Prefix); ok {
		a.cloudWatchCall(w, op, body)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		op := target[strings.LastIndex(target, ".")+1:]
		a.calls[op]++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if code, ok := a.injectedError(op); ok {
			jsonError(w, code, "injected by the test")
			return
		}
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		call := a.ecsCall
		if strings.HasPrefix(target, codeDeployTarget) {
			call = a.codeDeployCall
		}
		out, err := call(op, in)
		if err != nil {
			jsonError(w, err.code, err.message)
			return
		}
		data, _ := json.Marshal(out)
		w.Write(data)
		return
	}
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	a.calls[action]++
	if code, ok := a.injectedError(action); ok {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(statusOf(code))
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected by the test</Message></Error><RequestId>0</RequestId></ErrorResponse>`, code)
		return
	}
	switch action {
	case "GetCallerIdentity":
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/engine-test</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, AccountID, AccountID)
	case "DescribeTargetHealth":
		a.targetHealth(w, form.Get("TargetGroupArn"))
	default:
		if a.elbCall(w, action, form) {
			return
		}
		a.t.Errorf("fakeaws: unexpected call %s", action)
		w.WriteHeader(http.StatusBadRequest)
	}
}

func (a *Account) injectedError(op string) (string, bool) {
	inj, ok := a.injected[op]
	if !ok {
		return "", false
	}
	if inj.times > 0 {
		inj.times--
		if inj.times == 0 {
			delete(a.injected, op)
		}
	}
	return inj.code, true
}

// statusOf is the HTTP status AWS answers an error code with.
func statusOf(code string) int {
	switch code {
	case "ServerException", "InternalFailure", "InternalError", "ServiceUnavailable":
		return http.StatusInternalServerError
	case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "ExpiredTokenException", "InvalidClientTokenId":
		return http.StatusBadRequest
	}
	return http.StatusBadRequest
}

func jsonError(w http.ResponseWriter, code, message string) {
	w.WriteHeader(statusOf(code))
	out, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Write(out)
}

type apiError struct{ code, message string }

func invalid(format string, args ...any) *apiError {
	return &apiError{"InvalidParameterException", fmt.Sprintf(format, args...)}
}

// ecsCall answers one call of the ECS or CloudWatch Logs JSON API.
func (a *Account) ecsCall(op string, in map[string]any) (any, *apiError) {
	now := a.simAt
	switch op {
	case "RegisterTaskDefinition":
		return a.registerTaskDefinition(in), nil
	case "DeregisterTaskDefinition":
		arn := str(in, "taskDefinition")
		td, ok := a.taskDefs[arn]
		if !ok {
			return nil, &apiError{"ClientException", "The specified task definition does not exist."}
		}
		td["status"] = "INACTIVE"
		return map[string]any{"taskDefinition": td}, nil
	case "DescribeTaskDefinition":
		td, ok := a.taskDefs[a.taskDefinitionArn(str(in, "taskDefinition"))]
		if !ok {
			return nil, &apiError{"ClientException", "Unable to describe task definition."}
		}
		return map[string]any{"taskDefinition": td}, nil
	case "CreateService":
		return a.createService(in, now)
	case "UpdateService":
		return a.updateService(in, now)
	case "DeleteService":
		s := a.services[str(in, "service")]
		if s == nil || s.status == "INACTIVE" {
			return nil, &apiError{"ServiceNotFoundException", "Service not found."}
		}
		s.status, s.deletedAt = "DRAINING", now
		a.deletes[s.name]++
		for _, task := range s.tasks {
			if task.live() && task.desired == "RUNNING" {
				a.drain(task, now)
			}
		}
		return map[string]any{"service": a.serviceJSON(s, false)}, nil
	case "DescribeServices":
		var services, failures []any
		for _, name := range strs(in, "services") {
			s := a.services[name[strings.LastIndex(name, "/")+1:]]
			if s == nil {
				failures = append(failures, map[string]any{"arn": fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", a.region, AccountID, clusterName(str(in, "cluster")), name), "reason": "MISSING"})
				continue
			}
			services = append(services, a.serviceJSON(s, slices.Contains(strs(in, "include"), "TAGS")))
		}
		return map[string]any{"services": orEmpty(services), "failures": orEmpty(failures)}, nil
	case "ListTasks":
		return a.listTasks(in)
	case "DescribeTasks":
		arns := strs(in, "tasks")
		if len(arns) > 100 {
			return nil, invalid("Tasks cannot contain more than 100 elements.")
		}
		var tasks []any
		for _, s := range a.serviceList() {
			for _, task := range s.tasks {
				if slices.Contains(arns, task.arn) {
					tasks = append(tasks, a.taskJSON(s, task))
				}
			}
		}
		return map[string]any{"tasks": orEmpty(tasks), "failures": []any{}}, nil
	case "ListServiceDeployments":
		return a.listServiceDeployments(in)
	case "DescribeServiceDeployments":
		var out []any
		for _, s := range a.serviceList() {
			for _, d := range s.history {
				if slices.Contains(strs(in, "serviceDeploymentArns"), d.arn) {
					out = append(out, map[string]any{
						"serviceDeploymentArn": d.arn, "serviceArn": s.arn, "clusterArn": s.clusterArn, "status": d.status, "statusReason": d.reason,
						"targetServiceRevision": map[string]any{"arn": d.revisionArn}, "createdAt": a.epoch(d.createdAt),
					})
				}
			}
		}
		return map[string]any{"serviceDeployments": orEmpty(out), "failures": []any{}}, nil
	case "DescribeServiceRevisions":
		if len(strs(in, "serviceRevisionArns")) > 20 {
			return nil, invalid("You can specify a maximum of 20 ARNs.")
		}
		var revs []any
		for _, s := range a.serviceList() {
			for _, d := range s.history {
				if slices.Contains(strs(in, "serviceRevisionArns"), d.revisionArn) {
					revs = append(revs, map[string]any{"serviceRevisionArn": d.revisionArn, "serviceArn": s.arn, "clusterArn": s.clusterArn, "taskDefinition": d.taskDef, "createdAt": a.epoch(d.createdAt)})
				}
			}
		}
		return map[string]any{"serviceRevisions": orEmpty(revs), "failures": []any{}}, nil
	case "GetLogEvents":
		return a.logEvents(str(in, "logGroupName"), str(in, "logStreamName"))
	case "DescribeTaskSets":
		return a.describeTaskSets(in)
	}
	a.t.Errorf("fakeaws: unexpected call %s", op)
	return nil, &apiError{"UnknownOperationException", op}
}

// taskDefinitionArn is the ARN a task definition reference names, as ECS
// reads one: a full ARN, family:revision, or a family alone for its latest
// ACTIVE revision ("" when it has none).
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
func (a *Account) taskDefinitionArn(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	if strings.Contains(ref, ":") {
		return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", a.region, AccountID, ref)
	}
	for rev := a.revisions[ref]; rev > 0; rev-- {
		arn := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", a.region, AccountID, ref, rev)
		if td, ok := a.taskDefs[arn]; ok && td["status"] == "ACTIVE" {
			return arn
		}
	}
	return ""
}

func (a *Account) registerTaskDefinition(in map[string]any) any {
	family := str(in, "family")
	a.revisions[family]++
	rev := a.revisions[family]
	arn := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", a.region, AccountID, family, rev)
	td := map[string]any{}
	for k, v := range in {
		if k != "tags" {
			td[k] = v
		}
	}
	td["taskDefinitionArn"], td["revision"], td["status"] = arn, rev, "ACTIVE"
	a.taskDefs[arn] = td
	var images []string
	if list, ok := in["containerDefinitions"].([]any); ok {
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				images = append(images, str(m, "image"))
			}
		}
	}
	a.images[arn] = images
	return map[string]any{"taskDefinition": td}
}

func (a *Account) createService(in map[string]any, now time.Time) (any, *apiError) {
	name := str(in, "serviceName")
	if s := a.services[name]; s != nil && s.status != "INACTIVE" {
		return nil, invalid("Creation of service was not idempotent.")
	}
	if _, ok := a.taskDefs[str(in, "taskDefinition")]; !ok {
		return nil, invalid("TaskDefinition not found.")
	}
	cluster := str(in, "cluster")
	if !strings.HasPrefix(cluster, "arn:") {
		cluster = fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", a.region, AccountID, cluster)
	}
	s := &ecsService{
		name: name, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", a.region, AccountID, clusterName(cluster), name), clusterArn: cluster,
		status: "ACTIVE", desired: num(in, "desiredCount"), taskDef: str(in, "taskDefinition"), launchType: str(in, "launchType"),
		minPercent: 100, maxPercent: 200, createdAt: now, lowest: -1, platformVersion: str(in, "platformVersion"),
	}
	if cps, ok := in["capacityProviderStrategy"].([]any); ok {
		s.capacityProviders = cps
	}
	s.network = in["networkConfiguration"]
	for _, lb := range anyList(in["loadBalancers"]) {
		if m, ok := lb.(map[string]any); ok {
			s.loadBalancers = append(s.loadBalancers, m)
		}
	}
	s.grace = time.Duration(num(in, "healthCheckGracePeriodSeconds")) * time.Second
	s.tags, _ = in["tags"].([]any)
	a.configure(s, in)
	if s.launchType == "" && len(s.capacityProviders) == 0 {
		s.launchType = "EC2"
	}
	a.services[name] = s
	if dc, _ := in["deploymentController"].(map[string]any); str(dc, "type") == "CODE_DEPLOY" {
		s.controller = "CODE_DEPLOY"
		var lb map[string]any
		if len(s.loadBalancers) > 0 {
			lb = s.loadBalancers[0]
		}
		a.createTaskSet(s, s.taskDef, lb, s.network, s.launchType, s.capacityProviders, s.platformVersion, "", now)
		return map[string]any{"service": a.serviceJSON(s, false, true)}, nil
	}
	a.deploy(s, now)
	return map[string]any{"service": a.serviceJSON(s, false, true)}, nil
}

// configure applies a call's deployment configuration to the service.
func (a *Account) configure(s *ecsService, in map[string]any) {
	dc, ok := in["deploymentConfiguration"].(map[string]any)
	if !ok {
		return
	}
	if v, ok := dc["minimumHealthyPercent"].(float64); ok {
		s.minPercent = int(v)
	}
	if v, ok := dc["maximumPercent"].(float64); ok {
		s.maxPercent = int(v)
	}
	if cb, ok := dc["deploymentCircuitBreaker"].(map[string]any); ok {
		s.breaker, _ = cb["enable"].(bool)
		s.rollback, _ = cb["rollback"].(bool)
	}
	if al, ok := dc["alarms"]; ok {
		s.alarms = al
	}
}

// updateService changes the service as UpdateService does: a new task
// definition, network or load balancer configuration, capacity provider
// strategy or platform version, or forceNewDeployment, starts a deployment
// (of the given task definition, else of the service's current one: after
// a rollback, the one rolled back to); a count alone does not.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
func (a *Account) updateService(in map[string]any, now time.Time) (any, *apiError) {
	s := a.services[str(in, "service")[strings.LastIndex(str(in, "service"), "/")+1:]]
	if s == nil || s.status != "ACTIVE" {
		return nil, &apiError{"ServiceNotActiveException", "Service was not ACTIVE."}
	}
	if s.controller == "CODE_DEPLOY" {
		if err := a.updateCodeDeployService(s, in); err != nil {
			return nil, err
		}
		return map[string]any{"service": a.serviceJSON(s, false, true)}, nil
	}
	deploy, _ := in["forceNewDeployment"].(bool)
	if td := str(in, "taskDefinition"); td != "" {
		if _, ok := a.taskDefs[td]; !ok {
			return nil, invalid("TaskDefinition not found.")
		}
		deploy = deploy || td != s.taskDef
		s.taskDef = td
	}
	if v, ok := in["desiredCount"].(float64); ok {
		s.desired = int(v)
		if p := s.primary(); p != nil {
			p.desired = s.desired
		}
	}
	if cps, ok := in["capacityProviderStrategy"].([]any); ok {
		deploy = deploy || !jsonEqual(cps, s.capacityProviders)
		s.capacityProviders = cps
	}
	if nc, ok := in["networkConfiguration"]; ok {
		deploy = deploy || !jsonEqual(nc, s.network)
		s.network = nc
	}
	if lbs, ok := in["loadBalancers"].([]any); ok {
		var list []map[string]any
		for _, lb := range lbs {
			if m, ok := lb.(map[string]any); ok {
				list = append(list, m)
			}
		}
		deploy = deploy || !jsonEqual(list, s.loadBalancers)
		s.loadBalancers = list
	}
	if pv := str(in, "platformVersion"); pv != "" {
		deploy = deploy || pv != s.platformVersion
		s.platformVersion = pv
	}
	if v, ok := in["healthCheckGracePeriodSeconds"].(float64); ok {
		s.grace = time.Duration(v) * time.Second
	}
	a.configure(s, in)
	if deploy {
		a.deploy(s, now)
	}
	return map[string]any{"service": a.serviceJSON(s, false, true)}, nil
}

func jsonEqual(x, y any) bool {
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	return string(a) == string(b)
}

// serviceJSON is a service as ECS describes it. A deployment started a
// moment ago shows only in the answer to the call that started it (fresh):
// DescribeServices shows it a moment later (ECS's API is eventually
// consistent).
func (a *Account) serviceJSON(s *ecsService, tags bool, fresh ...bool) map[string]any {
	var deployments []any
	running, pending := 0, 0
	for _, d := range s.deployments {
		if a.simAt.Before(d.visibleAt) && len(s.deployments) > 1 && len(fresh) == 0 {
			continue // ECS's API shows a new deployment a moment later
		}
		r := len(s.tasksOf(d.id, func(t *ecsTask) bool { return t.status == "RUNNING" }))
		p := len(s.tasksOf(d.id, func(t *ecsTask) bool { return t.status == "PROVISIONING" || t.status == "PENDING" }))
		running, pending = running+r, pending+p
		status := d.status
		if a.simAt.Before(d.primaryUntil) && len(fresh) == 0 {
			status = "PRIMARY"
		}
		m := map[string]any{
			"id": d.id, "status": status, "taskDefinition": d.taskDef, "desiredCount": d.desired,
			"runningCount": r, "pendingCount": p, "failedTasks": d.failed, "rolloutState": d.rollout,
			"rolloutStateReason": d.reason, "createdAt": a.epoch(d.createdAt), "updatedAt": a.epoch(d.updatedAt),
			"networkConfiguration": d.network,
		}
		if d.launchType != "" {
			m["launchType"] = d.launchType
		}
		if len(d.capacityProviders) > 0 {
			m["capacityProviderStrategy"] = d.capacityProviders
		}
		deployments = append(deployments, m)
	}
	var events []any
	for i := len(s.events) - 1; i >= 0 && len(events) < 100; i-- {
		events = append(events, map[string]any{"id": strconv.Itoa(i), "createdAt": a.epoch(s.events[i].at), "message": s.events[i].message})
	}
	out := map[string]any{
		"serviceArn": s.arn, "serviceName": s.name, "clusterArn": s.clusterArn, "status": s.status,
		"desiredCount": s.desired, "runningCount": running, "pendingCount": pending, "taskDefinition": s.taskDef,
		"deployments": orEmpty(deployments), "events": orEmpty(events), "loadBalancers": orEmpty(toAny(s.loadBalancers)),
		"networkConfiguration": s.network, "healthCheckGracePeriodSeconds": int(s.grace / time.Second),
		"deploymentController": map[string]any{"type": "ECS"}, "createdAt": a.epoch(s.createdAt), "schedulingStrategy": "REPLICA",
		"deploymentConfiguration": map[string]any{
			"maximumPercent": s.maxPercent, "minimumHealthyPercent": s.minPercent,
			"deploymentCircuitBreaker": map[string]any{"enable": s.breaker, "rollback": s.rollback}, "alarms": s.alarms,
		},
	}
	if s.launchType != "" {
		out["launchType"] = s.launchType
	}
	if len(s.capacityProviders) > 0 {
		out["capacityProviderStrategy"] = s.capacityProviders
	}
	if s.platformVersion != "" {
		out["platformVersion"] = s.platformVersion
	}
	if tags {
		out["tags"] = orEmpty(s.tags)
	}
	if s.controller == "CODE_DEPLOY" {
		a.withTaskSets(s, out)
	}
	return out
}

func (a *Account) taskJSON(s *ecsService, t *ecsTask) map[string]any {
	container := map[string]any{"name": a.containerName(t.taskDef), "lastStatus": t.status}
	if t.exitCode != nil {
		container["exitCode"] = *t.exitCode
	}
	if t.exitReason != "" {
		container["reason"] = t.exitReason
	}
	out := map[string]any{
		"taskArn": t.arn, "clusterArn": s.clusterArn, "taskDefinitionArn": t.taskDef, "lastStatus": t.status, "desiredStatus": t.desired,
		"startedBy": t.deployment, "group": "service:" + s.name, "launchType": "FARGATE", "createdAt": a.epoch(t.createdAt),
		"containers": []any{container},
		"attachments": []any{map[string]any{"type": "ElasticNetworkInterface", "status": "ATTACHED", "details": []any{
			map[string]any{"name": "privateIPv4Address", "value": t.ip},
		}}},
	}
	if !t.startedAt.IsZero() {
		out["startedAt"] = a.epoch(t.startedAt)
	}
	if t.status == "STOPPED" {
		out["stoppedAt"], out["stopCode"], out["stoppedReason"] = a.epoch(t.stoppedAt), t.stopCode, t.stopReason
	}
	return out
}

func (a *Account) containerName(taskDef string) string {
	if list, ok := a.taskDefs[taskDef]["containerDefinitions"].([]any); ok && len(list) > 0 {
		if m, ok := list[0].(map[string]any); ok {
			return str(m, "name")
		}
	}
	return ""
}

// listTasks answers ListTasks in pages of at most 100, and refuses startedBy
// with another filter, as ECS does ("When you specify startedBy as the
// filter, it must be the only filter that you use").
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
func (a *Account) listTasks(in map[string]any) (any, *apiError) {
	startedBy, service, family := str(in, "startedBy"), str(in, "serviceName"), str(in, "family")
	if startedBy != "" && (service != "" || family != "" || str(in, "containerInstance") != "") {
		return nil, invalid("startedBy must be the only filter.")
	}
	desired := str(in, "desiredStatus")
	if desired == "" {
		desired = "RUNNING"
	}
	limit := num(in, "maxResults")
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 100 {
		return nil, invalid("maxResults must be between 1 and 100.")
	}
	var arns []string
	for _, s := range a.serviceList() {
		if service != "" && s.name != service[strings.LastIndex(service, "/")+1:] {
			continue
		}
		for _, t := range s.tasks {
			if t.desired == desired && (startedBy == "" || t.deployment == startedBy) {
				arns = append(arns, t.arn)
			}
		}
	}
	page, next := pageOf(arns, str(in, "nextToken"), limit)
	out := map[string]any{"taskArns": orEmpty(toAny(page))}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// listServiceDeployments answers ListServiceDeployments oldest first, in pages
// of maxResults (default 20, at most 100): AWS documents no order, so a
// caller must sort.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
func (a *Account) listServiceDeployments(in map[string]any) (any, *apiError) {
	name := str(in, "service")
	s := a.services[name[strings.LastIndex(name, "/")+1:]]
	if s == nil {
		return nil, &apiError{"ServiceNotFoundException", "Service not found."}
	}
	limit := num(in, "maxResults")
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return nil, invalid("maxResults must be between 1 and 100.")
	}
	var all []any
	for _, d := range s.history {
		if statuses := strs(in, "status"); len(statuses) > 0 && !slices.Contains(statuses, d.status) {
			continue
		}
		entry := map[string]any{"serviceDeploymentArn": d.arn, "serviceArn": s.arn, "clusterArn": s.clusterArn, "status": d.status,
			"statusReason": d.reason, "targetServiceRevisionArn": d.revisionArn, "createdAt": a.epoch(d.createdAt)}
		if !d.finishedAt.IsZero() {
			entry["finishedAt"] = a.epoch(d.finishedAt)
		}
		all = append(all, entry)
	}
	page, next := pageOf(all, str(in, "nextToken"), limit)
	out := map[string]any{"serviceDeployments": orEmpty(page)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func pageOf[T any](all []T, token string, limit int) ([]T, string) {
	start, _ := strconv.Atoi(token)
	start = min(start, len(all))
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next
}

func (a *Account) logEvents(group, stream string) (any, *apiError) {
	for _, s := range a.serviceList() {
		for _, t := range s.tasks {
			if len(t.logLines) == 0 {
				continue
			}
			opts := a.logOptions(t.taskDef)
			if opts["awslogs-group"] == group && opts["awslogs-stream-prefix"]+"/"+a.containerName(t.taskDef)+"/"+t.id == stream {
				var events []any
				for i, l := range t.logLines {
					ms := a.wall(t.stoppedAt).UnixMilli() - int64(len(t.logLines)-i)
					events = append(events, map[string]any{"timestamp": ms, "message": l, "ingestionTime": ms})
				}
				return map[string]any{"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"}, nil
			}
		}
	}
	return nil, &apiError{"ResourceNotFoundException", "The specified log stream does not exist."}
}

func (a *Account) logOptions(taskDef string) map[string]string {
	out := map[string]string{}
	if list, ok := a.taskDefs[taskDef]["containerDefinitions"].([]any); ok && len(list) > 0 {
		if m, ok := list[0].(map[string]any); ok {
			if lc, ok := m["logConfiguration"].(map[string]any); ok {
				if opts, ok := lc["options"].(map[string]any); ok {
					for k, v := range opts {
						out[k], _ = v.(string)
					}
				}
			}
		}
	}
	return out
}

// targetHealth answers DescribeTargetHealth with the tasks registered in
// the target group: initial, healthy, unhealthy or draining, with ELB's
// reason codes.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
func (a *Account) targetHealth(w http.ResponseWriter, arn string) {
	var members strings.Builder
	port := 0
	for _, s := range a.serviceList() {
		for _, lb := range s.loadBalancers {
			if str(lb, "targetGroupArn") == arn {
				port = num(lb, "containerPort")
			}
		}
		for _, t := range s.tasks {
			if t.targetGroup != arn || t.health == "" || t.status != "RUNNING" {
				continue
			}
			if t.port != 0 {
				port = t.port
			}
			if !a.inUse(arn) {
				members.WriteString(targetMember(t.ip, port, "unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"))
				continue
			}
			reason, description := "", ""
			switch t.health {
			case "initial":
				reason, description = "Elb.RegistrationInProgress", "Target registration is in progress"
			case "unhealthy":
				reason, description = "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]"
			case "draining":
				reason, description = "Target.DeregistrationInProgress", "Target deregistration is in progress"
			}
			members.WriteString(targetMember(t.ip, port, t.health, reason, description))
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult><TargetHealthDescriptions>%s</TargetHealthDescriptions></DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>0f1e2d3c-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>`, members.String())
}

func targetMember(id string, port int, state, reason, description string) string {
	th := "<State>" + state + "</State>"
	if reason != "" {
		th += "<Reason>" + reason + "</Reason><Description>" + description + "</Description>"
	}
	return fmt.Sprintf(`<member><Target><Id>%s</Id><Port>%d</Port></Target><HealthCheckPort>%d</HealthCheckPort><TargetHealth>%s</TargetHealth></member>`, id, port, port, th)
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	return int(f)
}

func strs(m map[string]any, k string) []string {
	var out []string
	for _, v := range anyList(m[k]) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyList(v any) []any {
	list, _ := v.([]any)
	return list
}

func toAny[T any](list []T) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

func orEmpty(list []any) []any {
	if list == nil {
		return []any{}
	}
	return list
}

// Newest is the ARN of the newest revision of a task definition family
// registered in the account ("" when none is).
func (a *Account) Newest(family string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rev := a.revisions[family]; rev > 0 {
		return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", a.region, AccountID, family, rev)
	}
	return ""
}

// FirstStop is when, in real time, the first task of taskDefinition stopped
// for a failure (zero when none did): the moment a diagnosis could name the
// cause.
func (a *Account) FirstStop(service, taskDefinition string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	s, ok := a.services[service]
	if !ok {
		return time.Time{}
	}
	var first time.Time
	for _, t := range s.tasks {
		if t.taskDef == taskDefinition && t.status == "STOPPED" && t.stopCode != "ServiceSchedulerInitiated" && (first.IsZero() || t.stoppedAt.Before(first)) {
			first = t.stoppedAt
		}
	}
	if first.IsZero() {
		return first
	}
	return a.wall(first)
}

// epoch is t, a time of the simulation, as AWS's JSON APIs report times: the
// seconds since 1970 of the real time it happened (wall).
func (a *Account) epoch(t time.Time) float64 { return float64(a.wall(t).UnixMilli()) / 1000 }
