// Package fakeaws is a local stand-in for the AWS APIs the rollout check and
// cmd/doctor read: it answers the ECS and CloudWatch Logs JSON 1.1 APIs and the
// Elastic Load Balancing query API on an httptest server, with responses of the
// shapes AWS documents, one script per scenario. Tests point the real SDK
// clients at it (base endpoint, or AWS_ENDPOINT_URL).
package fakeaws

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Server is one scenario: what AWS answers.
type Server struct {
	t  testing.TB
	mu sync.Mutex
	// Services are the successive DescribeServices answers: each call takes
	// the next, the last repeats; none means the service does not exist.
	Services []string
	// Targets are the successive DescribeTargetHealth answers, likewise.
	Targets      []string
	StoppedTasks string // DescribeTasks answer; no stopped task when empty
	// ServiceDeployments and ServiceRevisions answer ListServiceDeployments
	// and DescribeServiceRevisions; none kept when empty.
	ServiceDeployments, ServiceRevisions string
	TaskDef                              string // DescribeTaskDefinition answer
	// Running are the service's running tasks (ListTasks with desiredStatus
	// RUNNING, DescribeTasks of their ARNs).
	Running []Task
	// Throttle answers the first n calls of an operation with a
	// ThrottlingException, by operation name.
	Throttle map[string]int
	// Accounts are the accounts of access keys, for sts:GetCallerIdentity
	// (default: 123456789012); AssumeRole hands out a key of the role's account.
	Accounts map[string]string
	// AccessKeys lists the access key of each signed call, in order, and
	// Scopes each call's SigV4 credential scope ("region/service");
	// AssumedRoles the roles sts:AssumeRole (or AssumeRoleWithWebIdentity,
	// with WebIdentityTokens the tokens) was asked for.
	AccessKeys, Scopes, AssumedRoles, WebIdentityTokens []string
	// Logs are log lines by "<group> <stream>".
	Logs map[string][]string
	// LogStreamsRead lists the "<group> <stream>" GetLogEvents was asked for.
	LogStreamsRead []string
	calls          map[string]int
	// URL is the server's base endpoint.
	URL string
}

// New starts a server for the test and returns it with an AWS config whose
// clients talk to it.
func New(t testing.TB) (*Server, aws.Config) {
	f := &Server{t: t, calls: map[string]int{}, Logs: map[string][]string{}, Accounts: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}
	return f, cfg
}

func nth(list []string, i int) string {
	if len(list) == 0 {
		return ""
	}
	return list[min(i, len(list)-1)]
}

// ServeHTTP answers one API call.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	key := accessKey(r)
	f.AccessKeys = append(f.AccessKeys, key)
	f.Scopes = append(f.Scopes, scope(r))
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		op := target[strings.LastIndex(target, ".")+1:]
		n := f.calls[op]
		f.calls[op]++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if n < f.Throttle[op] {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		switch op {
		case "DescribeServices":
			if len(f.Services) == 0 {
				fmt.Fprint(w, `{"services":[],"failures":[{"arn":"arn:aws:ecs:us-east-1:123456789012:service/alba-digi-cluster/alba-digi-service","reason":"MISSING"}]}`)
				return
			}
			fmt.Fprint(w, nth(f.Services, n))
		case "ListTasks":
			var in struct{ DesiredStatus string }
			_ = json.Unmarshal(body, &in)
			if in.DesiredStatus == "RUNNING" {
				arns := []string{}
				for _, task := range f.Running {
					arns = append(arns, task.arn())
				}
				out, _ := json.Marshal(map[string]any{"taskArns": arns})
				w.Write(out)
				return
			}
			if f.StoppedTasks == "" {
				fmt.Fprint(w, `{"taskArns":[]}`)
				return
			}
			fmt.Fprint(w, `{"taskArns":["arn:aws:ecs:us-east-1:123456789012:task/alba-digi-cluster/0a1b2c3d4e5f"]}`)
		case "DescribeTasks":
			var in struct{ Tasks []string }
			_ = json.Unmarshal(body, &in)
			if running := runningTasks(f.Running, in.Tasks); running != "" {
				fmt.Fprint(w, running)
				return
			}
			fmt.Fprint(w, f.StoppedTasks)
		case "DescribeTaskDefinition":
			fmt.Fprint(w, f.TaskDef)
		case "ListServiceDeployments":
			fmt.Fprint(w, or(f.ServiceDeployments, `{"serviceDeployments":[]}`))
		case "DescribeServiceRevisions":
			fmt.Fprint(w, or(f.ServiceRevisions, `{"serviceRevisions":[],"failures":[]}`))
		case "GetLogEvents":
			var in struct{ LogGroupName, LogStreamName string }
			_ = json.Unmarshal(body, &in)
			f.LogStreamsRead = append(f.LogStreamsRead, in.LogGroupName+" "+in.LogStreamName)
			logEvents(w, f.Logs[in.LogGroupName+" "+in.LogStreamName])
		default:
			f.t.Errorf("unexpected call %s", target)
			w.WriteHeader(http.StatusBadRequest)
		}
		return
	}
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	n := f.calls[action]
	f.calls[action]++
	if n < f.Throttle[action] {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>0</RequestId></ErrorResponse>`)
		return
	}
	if action == "GetCallerIdentity" || action == "AssumeRole" || action == "AssumeRoleWithWebIdentity" {
		f.sts(w, action, key, form)
		return
	}
	if action != "DescribeTargetHealth" {
		f.t.Errorf("unexpected ELB action %s", action)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult><TargetHealthDescriptions>%s</TargetHealthDescriptions></DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>0f1e2d3c-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>`, nth(f.Targets, n))
}

// Names of the scenarios' resources.
const (
	ClusterArn     = "arn:aws:ecs:us-east-1:123456789012:cluster/alba-digi-cluster"
	TargetGroupArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-target-group-1a2b3c4/0123456789abcdef"
	TaskDef1       = "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task:1"
	TaskDef2       = "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task:2"
)

// Deployment is one entry of a service's deployments.
type Deployment struct {
	ID, Status, TaskDef, Rollout, Reason string
	Desired, Running, Failed             int
	// CreatedAt is seconds after a fixed time; 0 for all alike.
	CreatedAt int
}

// Service renders a DescribeServices answer.
func Service(desired int, deps []Deployment, events ...string) string {
	return ServiceWithAlarms(desired, deps, nil, events...)
}

// ServiceWithAlarms renders a DescribeServices answer of a service whose
// deployments watch alarms.
func ServiceWithAlarms(desired int, deps []Deployment, alarms []string, events ...string) string {
	var ds []map[string]any
	for _, d := range deps {
		ds = append(ds, map[string]any{
			"id": d.ID, "status": d.Status, "taskDefinition": d.TaskDef, "desiredCount": d.Desired,
			"runningCount": d.Running, "pendingCount": 0, "failedTasks": d.Failed, "rolloutState": d.Rollout,
			"rolloutStateReason": d.Reason, "launchType": "FARGATE", "createdAt": 1764000000.5 + float64(d.CreatedAt), "updatedAt": 1764000100.25,
		})
	}
	var es []map[string]any
	for i, e := range events {
		es = append(es, map[string]any{"id": fmt.Sprint(i), "createdAt": 1764000200 - i, "message": e})
	}
	out, _ := json.Marshal(map[string]any{"services": []any{map[string]any{
		"serviceName": "alba-digi-service", "clusterArn": ClusterArn, "status": "ACTIVE",
		"desiredCount": desired, "runningCount": 0, "pendingCount": 0, "deployments": ds, "events": es,
		"loadBalancers": []any{map[string]any{"targetGroupArn": TargetGroupArn, "containerName": "alba-digi-api-rest", "containerPort": 5050}},
		"deploymentConfiguration": map[string]any{
			"maximumPercent": 200, "minimumHealthyPercent": 100,
			"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true},
			"alarms":                   map[string]any{"alarmNames": alarms, "enable": alarms != nil, "rollback": alarms != nil},
		},
	}}, "failures": []any{}})
	return string(out)
}

// Target renders one TargetHealthDescription member.
func Target(id, state, reason, description string) string {
	var th strings.Builder
	fmt.Fprintf(&th, "<State>%s</State>", state)
	if reason != "" {
		fmt.Fprintf(&th, "<Reason>%s</Reason><Description>%s</Description>", reason, html.EscapeString(description))
	}
	return fmt.Sprintf(`<member><Target><Id>%s</Id><Port>5050</Port><AvailabilityZone>us-east-1a</AvailabilityZone></Target><HealthCheckPort>5050</HealthCheckPort><TargetHealth>%s</TargetHealth></member>`, id, th.String())
}

// StoppedTask renders a DescribeTasks answer with one stopped task.
func StoppedTask(startedBy, taskDef, stopCode, reason string, exitCode *int, containerReason string) string {
	container := map[string]any{"name": "alba-digi-api-rest", "lastStatus": "STOPPED"}
	if exitCode != nil {
		container["exitCode"] = *exitCode
	}
	if containerReason != "" {
		container["reason"] = containerReason
	}
	out, _ := json.Marshal(map[string]any{"tasks": []any{map[string]any{
		"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/alba-digi-cluster/0a1b2c3d4e5f", "taskDefinitionArn": taskDef,
		"lastStatus": "STOPPED", "desiredStatus": "STOPPED", "startedBy": startedBy, "stopCode": stopCode,
		"stoppedReason": reason, "containers": []any{container}, "stoppedAt": 1764000150,
	}}, "failures": []any{}})
	return string(out)
}

// AwslogsTaskDef is a DescribeTaskDefinition answer whose container logs to
// /ecs/alba-digi with the stream prefix alba-digi.
const AwslogsTaskDef = `{"taskDefinition":{"family":"alba-digi-task","revision":2,"containerDefinitions":[{"name":"alba-digi-api-rest","image":"public.ecr.aws/n0h7v2z5/alba-digi-api-rest:v2","logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/alba-digi","awslogs-region":"us-east-1","awslogs-stream-prefix":"alba-digi"}}}]}}`

// Task is a running task of the service: its id, the deployment that started
// it, and its private address (its target in an IP target group).
type Task struct {
	ID, StartedBy, IP string
}

func (t Task) arn() string {
	return "arn:aws:ecs:us-east-1:123456789012:task/alba-digi-cluster/" + t.ID
}

// RunningTasks are tasks of a deployment at these addresses.
func RunningTasks(deployment string, ips ...string) []Task {
	var out []Task
	for i, ip := range ips {
		out = append(out, Task{ID: fmt.Sprintf("%s-%d", strings.ReplaceAll(deployment, "/", "-"), i), StartedBy: deployment, IP: ip})
	}
	return out
}

// runningTasks renders a DescribeTasks answer of the running tasks asked
// for; "" when none is.
func runningTasks(running []Task, arns []string) string {
	var tasks []any
	for _, t := range running {
		for _, a := range arns {
			if a != t.arn() {
				continue
			}
			tasks = append(tasks, map[string]any{
				"taskArn": t.arn(), "lastStatus": "RUNNING", "desiredStatus": "RUNNING", "startedBy": t.StartedBy,
				"attachments": []any{map[string]any{"type": "ElasticNetworkInterface", "status": "ATTACHED", "details": []any{
					map[string]any{"name": "privateIPv4Address", "value": t.IP},
				}}},
			})
		}
	}
	if tasks == nil {
		return ""
	}
	out, _ := json.Marshal(map[string]any{"tasks": tasks, "failures": []any{}})
	return string(out)
}

// accessKey is the access key id a SigV4-signed request was signed with.
func accessKey(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// scope is a SigV4-signed request's region and service ("us-east-1/sts").
func scope(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	parts := strings.Split(strings.Split(rest, ",")[0], "/")
	if len(parts) < 4 {
		return ""
	}
	return parts[2] + "/" + parts[3]
}

// sts answers sts:GetCallerIdentity (the account of the access key),
// sts:AssumeRole and sts:AssumeRoleWithWebIdentity (a session key of the
// role's account).
func (f *Server) sts(w http.ResponseWriter, action, key string, form url.Values) {
	w.Header().Set("Content-Type", "text/xml")
	const ns = `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`
	if action == "AssumeRoleWithWebIdentity" {
		role := form.Get("RoleArn")
		f.AssumedRoles = append(f.AssumedRoles, role)
		f.WebIdentityTokens = append(f.WebIdentityTokens, form.Get("WebIdentityToken"))
		session := "ASIA" + strings.ToUpper(fmt.Sprintf("%016x", len(f.AssumedRoles)))
		if parts := strings.Split(role, ":"); len(parts) > 4 {
			f.Accounts[session] = parts[4]
		}
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse %s><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>session-secret</SecretAccessKey><SessionToken>session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
			ns, session, role, form.Get("RoleSessionName"), form.Get("RoleSessionName"))
		return
	}
	if action == "AssumeRole" {
		role := form.Get("RoleArn")
		f.AssumedRoles = append(f.AssumedRoles, role)
		parts := strings.Split(role, ":")
		session := "ASIA" + strings.ToUpper(fmt.Sprintf("%016x", len(f.AssumedRoles)))
		if len(parts) > 4 {
			f.Accounts[session] = parts[4]
		}
		fmt.Fprintf(w, `<AssumeRoleResponse %s><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>session-secret</SecretAccessKey><SessionToken>session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			ns, session, role, form.Get("RoleSessionName"), form.Get("RoleSessionName"))
		return
	}
	account := f.Accounts[key]
	if account == "" {
		account = "123456789012"
	}
	fmt.Fprintf(w, `<GetCallerIdentityResponse %s><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/%s</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
		ns, account, key, account)
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// RolledBack renders the ListServiceDeployments and DescribeServiceRevisions
// answers of a service whose newest deployment, of taskDef, ECS rolled back.
func RolledBack(taskDef, reason string) (deployments, revisions string) {
	const rev = "arn:aws:ecs:us-east-1:123456789012:service-revision/alba-digi-cluster/alba-digi-service/2"
	d, _ := json.Marshal(map[string]any{"serviceDeployments": []any{
		map[string]any{"serviceDeploymentArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/alba-digi-service/2222", "status": "ROLLBACK_SUCCESSFUL", "statusReason": reason, "targetServiceRevisionArn": rev, "createdAt": 1764000100},
		map[string]any{"serviceDeploymentArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/alba-digi-service/1111", "status": "SUCCESSFUL", "targetServiceRevisionArn": rev + "-1", "createdAt": 1764000000},
	}})
	r, _ := json.Marshal(map[string]any{"serviceRevisions": []any{map[string]any{"serviceRevisionArn": rev, "taskDefinition": taskDef}}, "failures": []any{}})
	return string(d), string(r)
}

// logEvents answers GetLogEvents with lines, or AWS's error for a stream
// that does not exist.
func logEvents(w http.ResponseWriter, lines []string) {
	var events []map[string]any
	for i, l := range lines {
		events = append(events, map[string]any{"timestamp": 1764000000000 + i, "message": l, "ingestionTime": 1764000000000 + i})
	}
	if events == nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"The specified log stream does not exist."}`)
		return
	}
	out, _ := json.Marshal(map[string]any{"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"})
	w.Write(out)
}
