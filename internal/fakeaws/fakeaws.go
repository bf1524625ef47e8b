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
	TaskDef      string // DescribeTaskDefinition answer
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
	f := &Server{t: t, calls: map[string]int{}, Logs: map[string][]string{}}
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
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		op := target[strings.LastIndex(target, ".")+1:]
		n := f.calls[op]
		f.calls[op]++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch op {
		case "DescribeServices":
			if len(f.Services) == 0 {
				fmt.Fprint(w, `{"services":[],"failures":[{"arn":"arn:aws:ecs:us-east-1:123456789012:service/alba-digi-cluster/alba-digi-service","reason":"MISSING"}]}`)
				return
			}
			fmt.Fprint(w, nth(f.Services, n))
		case "ListTasks":
			if f.StoppedTasks == "" {
				fmt.Fprint(w, `{"taskArns":[]}`)
				return
			}
			fmt.Fprint(w, `{"taskArns":["arn:aws:ecs:us-east-1:123456789012:task/alba-digi-cluster/0a1b2c3d4e5f"]}`)
		case "DescribeTasks":
			fmt.Fprint(w, f.StoppedTasks)
		case "DescribeTaskDefinition":
			fmt.Fprint(w, f.TaskDef)
		case "GetLogEvents":
			var in struct{ LogGroupName, LogStreamName string }
			_ = json.Unmarshal(body, &in)
			f.LogStreamsRead = append(f.LogStreamsRead, in.LogGroupName+" "+in.LogStreamName)
			var events []map[string]any
			for i, l := range f.Logs[in.LogGroupName+" "+in.LogStreamName] {
				events = append(events, map[string]any{"timestamp": 1764000000000 + i, "message": l, "ingestionTime": 1764000000000 + i})
			}
			if events == nil {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"The specified log stream does not exist."}`)
				return
			}
			out, _ := json.Marshal(map[string]any{"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"})
			w.Write(out)
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
			"rolloutStateReason": d.Reason, "launchType": "FARGATE", "createdAt": 1764000000.5, "updatedAt": 1764000100.25,
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
