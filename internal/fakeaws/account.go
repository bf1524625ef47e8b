package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Account is a stateful stand-in for the part of one AWS account that the
// rollout check and cmd/doctor read: the ECS services (their deployments,
// service deployment history, stopped tasks and task definitions) and their
// targets' health. Server answers a script; Account answers what was done to
// it, so that a test under the real Pulumi engine can run several `pulumi up`
// in a row. The engine test's stand-in provider plugin changes it through
// StandinPath (what the real provider does with RegisterTaskDefinition,
// CreateService, UpdateService and DeleteService), and the test decides how
// the next deployment ends with FailNextDeployment.
type Account struct {
	t  testing.TB
	mu sync.Mutex
	// URL is the account's endpoint, for AWS_ENDPOINT_URL.
	URL string

	services  map[string]*accountService // by service name
	taskDefs  map[string]string          // task definition ARN -> DescribeTaskDefinition answer
	revisions map[string]int             // family -> newest revision
	failNext  *Failure
	serial    int
	// taskLogs are the stopped tasks' log lines, by "<group> <stream>".
	taskLogs map[string][]string
	// tagged are the clusters and log groups, with their tags (owners.go).
	tagged Tagged
}

// StandinPath prefixes the calls of the stand-in provider plugin.
const StandinPath = "/standin/"

// Failure is how a deployment fails: its tasks stop with this reason, and the
// circuit breaker rolls it back (or, on a first deployment, fails it).
type Failure struct {
	StopCode, StoppedReason string
	ExitCode                *int
	// LogLines are the container's last log lines.
	LogLines []string
}

type accountService struct {
	name, clusterArn string
	desired          int
	deployments      []Deployment
	history          []serviceDeployment // newest first
	stopped          []string            // DescribeTasks members, newest first
	healthy          int
	events           []string
}

type serviceDeployment struct {
	arn, status, revisionArn, taskDef string
}

// NewAccount starts an empty account for the test.
func NewAccount(t testing.TB) *Account {
	a := &Account{t: t, services: map[string]*accountService{}, taskDefs: map[string]string{}, revisions: map[string]int{}, taskLogs: map[string][]string{}}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// FailNextDeployment makes the next deployment of any service fail with f.
func (a *Account) FailNextDeployment(f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failNext = &f
}

// Running returns the task definition the service's PRIMARY deployment runs
// and how many of its targets are healthy; "" when there is no such service.
func (a *Account) Running(service string) (taskDefinition string, healthy int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.services[service]
	if !ok {
		return "", 0
	}
	for _, d := range s.deployments {
		if d.Status == "PRIMARY" {
			taskDefinition = d.TaskDef
		}
	}
	return taskDefinition, s.healthy
}

// DeploymentCount is how many deployments the service has had.
func (a *Account) DeploymentCount(service string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.services[service]; ok {
		return len(s.history)
	}
	return 0
}

// Deploy deploys taskDef to the service (created if need be), as the
// stand-in provider does for a create or an update that starts a deployment.
func (a *Account) Deploy(service, taskDef string, desired int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, _ = a.standin("deploy", StandinRequest{Service: service, TaskDefinition: taskDef, DesiredCount: desired, NewDeployment: true})
}

// StandinRequest is what the stand-in provider sends; each call uses some
// of the fields.
type StandinRequest struct {
	Region, Family, ContainerDefinitions string
	Cluster, Service, TaskDefinition     string
	DesiredCount                         int
	// NewDeployment says the update starts a deployment (a new task
	// definition, network or load balancer configuration, or
	// forceNewDeployment); otherwise only the count changes.
	NewDeployment bool
}

// StandinResponse answers the stand-in provider.
type StandinResponse struct {
	Revision       int    `json:",omitempty"`
	TaskDefinition string `json:",omitempty"`
	DesiredCount   int    `json:",omitempty"`
	Exists         bool
}

func (a *Account) standin(op string, in StandinRequest) (StandinResponse, error) {
	switch op {
	case "register-task-definition":
		a.revisions[in.Family]++
		rev := a.revisions[in.Family]
		arn := fmt.Sprintf("arn:aws:ecs:%s:123456789012:task-definition/%s:%d", in.Region, in.Family, rev)
		var containers []any
		_ = json.Unmarshal([]byte(in.ContainerDefinitions), &containers)
		out, _ := json.Marshal(map[string]any{"taskDefinition": map[string]any{
			"taskDefinitionArn": arn, "family": in.Family, "revision": rev, "containerDefinitions": containers,
		}})
		a.taskDefs[arn] = string(out)
		return StandinResponse{Revision: rev}, nil
	case "deploy":
		s, ok := a.services[in.Service]
		if !ok {
			s = &accountService{name: in.Service, clusterArn: in.Cluster}
			a.services[in.Service] = s
		}
		s.desired = in.DesiredCount
		if ok && !in.NewDeployment {
			a.scale(s)
			return StandinResponse{}, nil
		}
		a.deploy(s, in.TaskDefinition)
		return StandinResponse{}, nil
	case "describe":
		s, ok := a.services[in.Service]
		if !ok {
			return StandinResponse{}, nil
		}
		r := StandinResponse{Exists: true, DesiredCount: s.desired}
		for _, d := range s.deployments {
			if d.Status == "PRIMARY" {
				r.TaskDefinition = d.TaskDef
			}
		}
		return r, nil
	case "delete-service":
		delete(a.services, in.Service)
		return StandinResponse{}, nil
	}
	return StandinResponse{}, fmt.Errorf("unknown stand-in call %q", op)
}

func (a *Account) nextID() string {
	a.serial++
	return fmt.Sprintf("ecs-svc/%019d", 4000000000000000000+a.serial)
}

// deploy starts a deployment of taskDef and ends it at once: completed with
// every target healthy, or (after FailNextDeployment) failed and rolled back
// to the previous completed deployment, as the circuit breaker does.
func (a *Account) deploy(s *accountService, taskDef string) {
	id := a.nextID()
	var previous *Deployment
	for i := range s.deployments {
		if s.deployments[i].Status == "PRIMARY" && s.deployments[i].Rollout == "COMPLETED" {
			previous = &s.deployments[i]
		}
	}
	record := serviceDeployment{
		arn:         fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/%s/%s", s.name, strings.TrimPrefix(id, "ecs-svc/")),
		revisionArn: fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:service-revision/alba-digi-cluster/%s/%d", s.name, len(s.history)+1),
		taskDef:     taskDef,
	}
	f := a.failNext
	a.failNext = nil
	switch {
	case f == nil:
		s.deployments = []Deployment{{ID: id, Status: "PRIMARY", TaskDef: taskDef, Rollout: "COMPLETED", Desired: s.desired, Running: s.desired, CreatedAt: a.serial}}
		s.healthy = s.desired
		record.status = "SUCCESSFUL"
		s.events = append([]string{fmt.Sprintf("(service %s) has reached a steady state.", s.name)}, s.events...)
	case previous != nil:
		failedAt := a.serial
		rollback := Deployment{ID: a.nextID(), Status: "PRIMARY", TaskDef: previous.TaskDef, Rollout: "COMPLETED", Desired: s.desired, Running: s.desired, CreatedAt: a.serial}
		s.deployments = []Deployment{rollback, {ID: id, Status: "ACTIVE", TaskDef: taskDef, Rollout: "FAILED",
			Reason: "ECS deployment circuit breaker: rolling back to deploymentId " + previous.ID + ".", Failed: 3, CreatedAt: failedAt}}
		s.healthy = s.desired
		record.status = "ROLLBACK_SUCCESSFUL"
		s.events = append([]string{fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, id)}, s.events...)
	default:
		s.deployments = []Deployment{{ID: id, Status: "PRIMARY", TaskDef: taskDef, Rollout: "FAILED",
			Reason: "ECS deployment circuit breaker: tasks failed to start.", Desired: s.desired, Failed: 3, CreatedAt: a.serial}}
		s.healthy = 0
		record.status = "ROLLBACK_FAILED"
		s.events = append([]string{fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, id)}, s.events...)
	}
	if f != nil {
		s.stopped = append([]string{stoppedTaskMember(id, taskDef, *f, len(s.history))}, s.stopped...)
		if len(f.LogLines) > 0 {
			a.logs(taskDef, len(s.history), f.LogLines)
		}
	}
	s.history = append([]serviceDeployment{record}, s.history...)
}

// running are the healthy running tasks of the PRIMARY deployment.
func (s *accountService) running() []Task {
	for _, d := range s.deployments {
		if d.Status == "PRIMARY" && d.Rollout == "COMPLETED" {
			var ips []string
			for i := range s.healthy {
				ips = append(ips, fmt.Sprintf("10.0.%d.%d", i%3, 10+i))
			}
			return RunningTasks(d.ID, ips...)
		}
	}
	return nil
}

// scale changes the desired count without a deployment.
func (a *Account) scale(s *accountService) {
	for i := range s.deployments {
		if s.deployments[i].Status == "PRIMARY" {
			s.deployments[i].Desired, s.deployments[i].Running = s.desired, s.desired
			if s.deployments[i].Rollout == "COMPLETED" {
				s.healthy = s.desired
			}
		}
	}
}

func (a *Account) logs(taskDef string, n int, lines []string) {
	var def struct {
		TaskDefinition struct {
			ContainerDefinitions []struct {
				Name             string
				LogConfiguration struct {
					Options map[string]string
				}
			}
		}
	}
	_ = json.Unmarshal([]byte(a.taskDefs[taskDef]), &def)
	for _, c := range def.TaskDefinition.ContainerDefinitions {
		o := c.LogConfiguration.Options
		a.taskLogs[o["awslogs-group"]+" "+o["awslogs-stream-prefix"]+"/"+c.Name+"/"+taskID(n)] = lines
	}
}

func taskID(n int) string { return fmt.Sprintf("0a1b2c3d4e5f%04d", n) }

func stoppedTaskMember(startedBy, taskDef string, f Failure, n int) string {
	container := map[string]any{"name": "alba-digi-api-rest", "lastStatus": "STOPPED"}
	if f.ExitCode != nil {
		container["exitCode"] = *f.ExitCode
	}
	out, _ := json.Marshal(map[string]any{
		"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/alba-digi-cluster/" + taskID(n), "taskDefinitionArn": taskDef,
		"lastStatus": "STOPPED", "desiredStatus": "STOPPED", "startedBy": startedBy, "stopCode": f.StopCode,
		"stoppedReason": f.StoppedReason, "containers": []any{container}, "stoppedAt": 1764000150,
	})
	return string(out)
}

// ServeHTTP answers the stand-in provider's calls and the AWS API calls.
func (a *Account) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.serveTagged(w, r, body) {
		return
	}
	if op, ok := strings.CutPrefix(r.URL.Path, StandinPath); ok {
		var in StandinRequest
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := a.standin(op, in)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		a.json(w, target[strings.LastIndex(target, ".")+1:], body)
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") == "GetCallerIdentity" {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/engine-test</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
		return
	}
	if form.Get("Action") != "DescribeTargetHealth" {
		a.t.Errorf("unexpected call %s", form.Get("Action"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var members strings.Builder
	for _, s := range a.services {
		for _, t := range s.running() {
			members.WriteString(Target(t.IP, "healthy", "", ""))
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult><TargetHealthDescriptions>%s</TargetHealthDescriptions></DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>0f1e2d3c-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>`, members.String())
}

func notFound(w http.ResponseWriter, kind, message string) {
	w.WriteHeader(http.StatusBadRequest)
	out, _ := json.Marshal(map[string]string{"__type": kind, "message": message})
	w.Write(out)
}

// json answers one call of the ECS or CloudWatch Logs JSON API.
func (a *Account) json(w http.ResponseWriter, op string, body []byte) {
	var in struct {
		Service, ServiceName, LogGroupName, LogStreamName string
		TaskDefinition                                    string
		Services, ServiceRevisionArns, Tasks              []string
		Status                                            []string
		DesiredStatus                                     string
	}
	_ = json.Unmarshal(body, &in)
	name := in.Service + in.ServiceName
	if len(in.Services) > 0 {
		name = in.Services[0]
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	s := a.services[name]
	switch op {
	case "DescribeServices":
		if s == nil {
			fmt.Fprintf(w, `{"services":[],"failures":[{"arn":"arn:aws:ecs:us-east-1:123456789012:service/alba-digi-cluster/%s","reason":"MISSING"}]}`, name)
			return
		}
		fmt.Fprint(w, Service(s.desired, s.deployments, s.events...))
	case "ListServiceDeployments":
		if s == nil {
			notFound(w, "ServiceNotFoundException", "Service not found.")
			return
		}
		var list []map[string]any
		for _, d := range s.history {
			if len(in.Status) == 0 || slices.Contains(in.Status, d.status) {
				list = append(list, map[string]any{"serviceDeploymentArn": d.arn, "status": d.status, "targetServiceRevisionArn": d.revisionArn, "createdAt": 1764000000})
			}
		}
		out, _ := json.Marshal(map[string]any{"serviceDeployments": list})
		w.Write(out)
	case "DescribeServiceRevisions":
		var revs []map[string]any
		for _, svc := range a.services {
			for _, d := range svc.history {
				if slices.Contains(in.ServiceRevisionArns, d.revisionArn) {
					revs = append(revs, map[string]any{"serviceRevisionArn": d.revisionArn, "taskDefinition": d.taskDef})
				}
			}
		}
		out, _ := json.Marshal(map[string]any{"serviceRevisions": revs, "failures": []any{}})
		w.Write(out)
	case "ListTasks":
		var arns []string
		if s != nil && in.DesiredStatus == "RUNNING" {
			for _, t := range s.running() {
				arns = append(arns, t.arn())
			}
			out, _ := json.Marshal(map[string]any{"taskArns": append([]string{}, arns...)})
			w.Write(out)
			return
		}
		if s != nil {
			for i := range s.stopped {
				arns = append(arns, fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/alba-digi-cluster/%s", taskID(len(s.history)-1-i)))
			}
		}
		out, _ := json.Marshal(map[string]any{"taskArns": append([]string{}, arns...)})
		w.Write(out)
	case "DescribeTasks":
		for _, svc := range a.services {
			if running := runningTasks(svc.running(), in.Tasks); running != "" {
				fmt.Fprint(w, running)
				return
			}
		}
		var members []string
		for _, svc := range a.services {
			members = append(members, svc.stopped...)
		}
		fmt.Fprintf(w, `{"tasks":[%s],"failures":[]}`, strings.Join(members, ","))
	case "DescribeTaskDefinition":
		if def, ok := a.taskDefs[in.TaskDefinition]; ok {
			fmt.Fprint(w, def)
			return
		}
		notFound(w, "ClientException", "Unable to describe task definition.")
	case "GetLogEvents":
		logEvents(w, a.taskLogs[in.LogGroupName+" "+in.LogStreamName])
	default:
		a.t.Errorf("unexpected call %s", op)
		w.WriteHeader(http.StatusBadRequest)
	}
}
