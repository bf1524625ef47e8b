package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	fa "alba-digi/internal/fakeaws"
)

// The names the program gives the dev stack's release pieces (infra/names.go).
const (
	cdCluster   = "alba-digi-cluster"
	cdService   = "alba-digi-service"
	cdApp       = "alba-digi-app"
	cdGroup     = "alba-digi-deployment-group"
	cdContainer = "alba-digi-api-rest"
	cdImage     = "public.ecr.aws/n0h7v2z5/alba-digi-api-rest"
	cdBlueTG    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-target-group/1111111111111111"
	cdGreenTG   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-target-green/2222222222222222"
	cdAlarm     = "alba-digi.target-5xx"
	// cdSpeed: AWS's time runs this much faster than the test's.
	cdSpeed = 600
)

// release is an account holding a canary stack as `pulumi up` makes it
// (two target groups, a production and a test listener, a CODE_DEPLOY
// service running v1, the CodeDeploy application and deployment group with
// automatic rollback and the 5xx alarm), through the same API calls.
type releaseWorld struct {
	t    *testing.T
	a    *fa.Account
	cd   *codedeploy.Client
	ecs  *ecs.Client
	prod string
}

func newReleaseWorld(t *testing.T, config string) *releaseWorld {
	t.Helper()
	a := fa.NewAccount(t)
	a.SetSpeed(cdSpeed)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", ""), BaseEndpoint: aws.String(a.URL), RetryMaxAttempts: 1}
	w := &releaseWorld{t: t, a: a, cd: codedeploy.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg)}
	ctx := context.Background()
	for _, arn := range []string{cdBlueTG, cdGreenTG} {
		body, _ := json.Marshal(fa.TargetGroup{Arn: arn, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 3, DeregistrationDelaySeconds: 30})
		resp, err := http.Post(a.URL+fa.StandinPath+"target-group", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	lbs := elb.NewFromConfig(cfg)
	listeners := map[int32]string{}
	for _, port := range []int32{80, 9000} {
		out, err := lbs.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alba-digi-lb/0123456789abcdef"),
			Port:            aws.Int32(port), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(cdBlueTG)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		listeners[port] = aws.ToString(out.Listeners[0].ListenerArn)
	}
	w.prod = listeners[80]
	v1 := w.register("v1")
	err := fa.CreateBlueGreenStack(ctx, w.ecs, w.cd, fa.BlueGreenStack{
		Cluster: cdCluster, Service: cdService, Container: cdContainer, TaskDefinition: v1, BlueTargetGroup: cdBlueTG,
		App: cdApp, Group: cdGroup, Config: config, TargetGroupNames: [2]string{"alba-digi-target-group", "alba-digi-target-green"},
		ProdListener: listeners[80], TestListener: listeners[9000],
		Ready: cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}, Alarm: cdAlarm,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.a.SetAlarm(cdAlarm, "OK")
	w.until("the first task set is steady", func() bool { return a.Converged(cdService, v1) })
	return w
}

func (w *releaseWorld) register(tag string) string {
	w.t.Helper()
	out, err := w.ecs.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("alba-digi-task"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(cdContainer), Image: aws.String(cdImage + ":" + tag), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(5050)}}}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// release starts a CodeDeploy deployment of tag, as `pulumi up` does, and
// returns its id.
func (w *releaseWorld) release(tag string) string {
	w.t.Helper()
	taskDef := w.register(tag)
	spec := `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` + taskDef + `","LoadBalancerInfo":{"ContainerName":"` + cdContainer + `","ContainerPort":5050}}}}]}`
	out, err := w.cd.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(cdApp), DeploymentGroupName: aws.String(cdGroup),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec)}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.DeploymentId)
}

func (w *releaseWorld) status(id string) cdtypes.DeploymentStatus {
	w.t.Helper()
	out, err := w.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.DeploymentInfo.Status
}

// greenShare is the share of the production listener's traffic the green
// target group gets, in percent.
func (w *releaseWorld) greenShare() int {
	total, green := 0, 0
	for _, tw := range w.a.Listener(w.prod) {
		total += tw.Weight
		if tw.TargetGroupArn == cdGreenTG {
			green += tw.Weight
		}
	}
	if total == 0 {
		return 0
	}
	return green * 100 / total
}

// until waits for cond, at most two hours of AWS's time.
func (w *releaseWorld) until(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(2*time.Hour/cdSpeed + 5*time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("waited two hours of AWS's time for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// projectWith is a project directory with the project's Pulumi.yaml and
// the files given (stack files, credentials).
func projectWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files["Pulumi.yaml"] = string(project)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// localAWS points the AWS SDK's standard settings at the stand-in at url,
// with these keys (empty: none), and no shared file, profile or metadata.
func localAWS(t *testing.T, url, accessKey, secretKey string) {
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	t.Setenv("AWS_PROFILE", "")
}

// TestRunCodeDeploy: with a CodeDeploy strategy the doctor reads the
// deployment group's newest deployment (status, lifecycle events, task sets
// and their traffic) and judges by it and by the service's task sets, one
// case per state a release can be found in.
func TestRunCodeDeploy(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		act      func(w *releaseWorld)
		wantCode int
		want     []string
	}{
		{
			name: "no release yet", config: "CodeDeployDefault.ECSCanary10Percent5Minutes", act: func(*releaseWorld) {},
			wantCode: healthy,
			want:     []string{"is healthy: no CodeDeploy release yet, the first task set of alba-digi-task:1 serves, 2 of 2 targets healthy"},
		},
		{
			name: "a canary release that succeeded", config: "CodeDeployDefault.ECSCanary10Percent5Minutes",
			act: func(w *releaseWorld) {
				id := w.release("v2")
				w.until("the release ends", func() bool {
					return w.status(id) == cdtypes.DeploymentStatusSucceeded && w.a.Converged(cdService, w.a.Newest("alba-digi-task"))
				})
			},
			wantCode: healthy,
			want: []string{"is healthy: CodeDeploy deployment d-", " of alba-digi-task:2 succeeded, its task set serves, 2 of 2 targets healthy",
				": Succeeded\n", "  Install: Succeeded\n", "  AllowTraffic: Succeeded\n", "  AfterAllowTraffic: Succeeded\n", "Green task set ", "100 % of traffic"},
		},
		{
			name: "a canary at its 10 % step", config: "CodeDeployDefault.ECSCanary10Percent15Minutes",
			act: func(w *releaseWorld) {
				w.release("v2")
				w.until("the canary step", func() bool { return w.greenShare() == 10 })
			},
			wantCode: unhealthy,
			want: []string{"a release is under way: CodeDeploy deployment d-", " of alba-digi-task:2 is InProgress (AllowTraffic)",
				"The service now runs: alba-digi-task:1 as its primary task set", "production traffic: ", "the new task set 10 %", "the original task set 90 %",
				"  AllowTraffic: InProgress\n", "Blue task set ", "90 % of traffic"},
		},
		{
			name: "new tasks that never pass their health checks", config: "CodeDeployDefault.ECSCanary10Percent5Minutes",
			act: func(w *releaseWorld) {
				w.a.BreakImage(cdImage+":v2", fa.Failure{Unhealthy: true})
				id := w.release("v2")
				w.until("the release fails and is rolled back", func() bool {
					return w.status(id) == cdtypes.DeploymentStatusFailed && len(w.a.TaskSets(cdService)) == 1
				})
			},
			wantCode: unhealthy,
			want: []string{"the last release failed: CodeDeploy deployment d-", " of alba-digi-task:2 ended Failed: ",
				"  Install: Failed (", "  AllowTraffic: Skipped\n", "The service now runs: alba-digi-task:1 as its primary task set (2 of 2 tasks running",
				"CodeDeploy rolled back with deployment d-", "traffic went back to the previous revision", "Then: fix the cause, then run `pulumi up`"},
		},
		{
			name: "an all-at-once release that succeeded with tasks that fail their health checks", config: "CodeDeployDefault.ECSAllAtOnce",
			act: func(w *releaseWorld) {
				w.a.BreakImage(cdImage+":v2", fa.Failure{Unhealthy: true})
				id := w.release("v2")
				w.until("the release succeeds and the original task set is gone", func() bool {
					return w.status(id) == cdtypes.DeploymentStatusSucceeded && len(w.a.TaskSets(cdService)) == 1
				})
			},
			wantCode: unhealthy,
			want: []string{" of alba-digi-task:2 succeeded, but the service is not steady: 1 task sets, 0 of 2 targets healthy",
				"The service now runs: alba-digi-task:2 as its primary task set", "Then: fix the cause"},
		},
		{
			name: "the 5xx alarm during the canary", config: "CodeDeployDefault.ECSCanary10Percent15Minutes",
			act: func(w *releaseWorld) {
				id := w.release("v2")
				w.until("the canary step", func() bool { return w.greenShare() == 10 })
				w.a.SetAlarm(cdAlarm, "ALARM")
				w.until("the release stops", func() bool { return w.status(id) == cdtypes.DeploymentStatusStopped })
			},
			wantCode: unhealthy,
			want: []string{"the last release failed: CodeDeploy deployment d-", " of alba-digi-task:2 ended Stopped: ALARM_ACTIVE ",
				"Activated alarms: <alba-digi.target-5xx>", "  AllowTraffic: Failed", "traffic went back to the previous revision", "an alarm the deployment group watches tripped", "`alarm5xxPerMinute`"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newReleaseWorld(t, tt.config)
			tt.act(w)
			// A stack that releases through CodeDeploy.
			dir := projectWith(t, map[string]string{"Pulumi.cd.yaml": "config:\n  aws:region: us-east-1\n  alba-digi:deploymentStrategy: canary\n"})
			localAWS(t, w.a.URL, "AKIDFAKE", "fake-secret")
			var stdout, stderr bytes.Buffer
			code := run([]string{"-dir", dir, "-stack", "cd"}, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
