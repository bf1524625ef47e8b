//go:build live

// The live test is the tutorial's step 5 ("Probar el servicio") as a test: it
// deploys the dev stack's configuration to a real AWS account on a fresh stack,
// checks that the rollout check of `pulumi up` verified the rollout, that GET
// <aliveUrl> answers 200, that the target group has desiredCount healthy
// targets and that cmd/doctor calls the service healthy, then destroys
// everything. Its canary variant (deploymentStrategy=canary, one-minute
// canary and termination wait) then releases a new task definition revision
// (an environment value) through CodeDeploy: `pulumi up` must say it started
// the deployment and verified the new revision serving all production
// traffic, and /alive must still answer.
//
// It runs only when asked:
//
//	ALBA_DIGI_LIVE=1 go test -tags live -v -timeout 90m ./tests/live
//
// with AWS credentials in the environment (or a profile) and the Pulumi CLI on
// PATH. PULUMI_BACKEND_URL picks the backend (default: a local file backend in
// a temporary directory); the stack name is unique per run.
package live

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"alba-digi/infra"
	"alba-digi/internal/stackconfig"
)

const (
	enableVar = "ALBA_DIGI_LIVE"
	// aliveAttempts × aliveWait bounds how long GET /alive may take to answer
	// 200 after `pulumi up` returns (its rollout check already saw healthy targets).
	aliveAttempts = 30
	aliveWait     = 10 * time.Second
)

func skipUnlessAsked(t *testing.T) {
	t.Helper()
	if os.Getenv(enableVar) != "1" {
		t.Skipf("live test not requested: run %s=1 go test -tags live -v -timeout 90m ./tests/live with AWS credentials and the Pulumi CLI", enableVar)
	}
	if _, err := exec.LookPath("pulumi"); err != nil {
		t.Skip("live test needs the Pulumi CLI on PATH: https://www.pulumi.com/docs/iac/download-install/")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" && os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == "" {
		t.Skip("live test needs AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a web identity token")
	}
}

func TestDeployAnswersAlive(t *testing.T) {
	skipUnlessAsked(t)
	for _, tt := range []struct {
		strategy  string
		overrides map[string]string
	}{
		{"rolling", nil},
		{"canary", map[string]string{
			"alba-digi:deploymentStrategy":          "canary",
			"alba-digi:canaryMinutes":               "1",
			"alba-digi:blueGreenTerminationMinutes": "1",
		}},
	} {
		t.Run(tt.strategy, func(t *testing.T) { deployAnswersAlive(t, tt.strategy, tt.overrides) })
	}
}

func deployAnswersAlive(t *testing.T, strategy string, overrides map[string]string) {
	ctx := context.Background()

	sc, err := stackconfig.LoadStack("../..", "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	if region := os.Getenv("AWS_REGION"); region != "" {
		sc.Values["aws:region"] = region
	}
	for k, v := range overrides {
		sc.Values[k] = v
	}
	desired, err := strconv.Atoi(sc.Values["alba-digi:desiredCount"])
	if err != nil {
		t.Fatalf("desiredCount: %v", err)
	}

	env := map[string]string{}
	if os.Getenv("PULUMI_BACKEND_URL") == "" {
		env["PULUMI_BACKEND_URL"] = "file://" + t.TempDir()
	}
	if os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" && os.Getenv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" {
		env["PULUMI_CONFIG_PASSPHRASE"] = "live-test"
	}
	stackName := fmt.Sprintf("live-%s-%d", strings.ToLower(strategy), time.Now().Unix())
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, sc.Project, infra.LiveProgramFor(sc.Values),
		auto.WorkDir(t.TempDir()),
		auto.Project(workspace.Project{Name: tokens.PackageName(sc.Project), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}),
		auto.EnvVars(env))
	if err != nil {
		t.Fatalf("create stack %s: %v", stackName, err)
	}
	// Destroy and remove the stack whatever happens below, assertion failures included.
	t.Cleanup(func() {
		if _, err := stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout)); err != nil {
			t.Errorf("destroy %s: %v: resources may be left in the account", stackName, err)
			return
		}
		if err := stack.Workspace().RemoveStack(ctx, stackName); err != nil {
			t.Errorf("remove stack %s: %v", stackName, err)
		}
	})

	config := auto.ConfigMap{}
	for k, v := range sc.Values {
		config[k] = auto.ConfigValue{Value: v}
	}
	if err := stack.SetAllConfig(ctx, config); err != nil {
		t.Fatalf("set config: %v", err)
	}
	var upOutput bytes.Buffer
	up, err := stack.Up(ctx, optup.ProgressStreams(os.Stdout, &upOutput))
	if err != nil {
		t.Fatalf("pulumi up: %v", err)
	}
	if !strings.Contains(upOutput.String(), "verified: ") || !strings.Contains(upOutput.String(), ", "+strconv.Itoa(desired)+" healthy targets") {
		t.Errorf("pulumi up did not report the rollout check's verdict with %d healthy targets", desired)
	}

	aliveURL, _ := up.Outputs["aliveUrl"].Value.(string)
	if aliveURL == "" {
		t.Fatalf("no aliveUrl output: %v", up.Outputs)
	}
	waitForAlive(t, aliveURL)

	if strategy != "rolling" {
		// A new revision of the task definition: `pulumi up` must release it
		// through CodeDeploy (canary step included) and verify it.
		if err := stack.SetConfigWithOptions(ctx, "alba-digi:environment.LIVE_RELEASE", auto.ConfigValue{Value: "2"}, &auto.ConfigOptions{Path: true}); err != nil {
			t.Fatalf("set environment.LIVE_RELEASE: %v", err)
		}
		upOutput.Reset()
		if up, err = stack.Up(ctx, optup.ProgressStreams(os.Stdout, &upOutput)); err != nil {
			t.Fatalf("pulumi up of a new revision (%s): %v", strategy, err)
		}
		for _, want := range []string{"CodeDeploy deployment", "verified: it serves all production traffic as the service's one task set, " + strconv.Itoa(desired) + " healthy targets"} {
			if !strings.Contains(upOutput.String(), want) {
				t.Errorf("pulumi up of a new revision (%s) did not say %q", strategy, want)
			}
		}
		waitForAlive(t, aliveURL)
	}

	tgArn, _ := up.Outputs["targetGroupArn"].Value.(string)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(sc.Values["aws:region"]))
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	// Count healthy targets over every target group of the load balancer:
	// after a CodeDeploy release the tasks sit in the stack's second group.
	lbClient := elbv2.NewFromConfig(awsCfg)
	tg, err := lbClient.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tgArn}})
	if err != nil || len(tg.TargetGroups) != 1 || len(tg.TargetGroups[0].LoadBalancerArns) != 1 {
		t.Fatalf("describe target group %s: %v (%+v)", tgArn, err, tg)
	}
	groups, err := lbClient.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: &tg.TargetGroups[0].LoadBalancerArns[0]})
	if err != nil {
		t.Fatalf("describe the load balancer's target groups: %v", err)
	}
	healthy := 0
	for _, g := range groups.TargetGroups {
		health, err := lbClient.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: g.TargetGroupArn})
		if err != nil {
			t.Fatalf("describe target health of %s: %v", *g.TargetGroupArn, err)
		}
		for _, d := range health.TargetHealthDescriptions {
			if d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
	}
	if healthy != desired {
		t.Errorf("the load balancer's target groups have %d healthy targets, want desiredCount %d", healthy, desired)
	}

	cluster, _ := up.Outputs["clusterName"].Value.(string)
	service, _ := up.Outputs["serviceName"].Value.(string)
	doctor := exec.CommandContext(ctx, "go", "run", "./cmd/doctor", "-cluster", cluster, "-service", service, "-region", sc.Values["aws:region"])
	doctor.Dir = "../.."
	out, err := doctor.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is healthy") {
		t.Errorf("cmd/doctor on %s/%s: %v\n%s", cluster, service, err, out)
	}
}

// waitForAlive polls url until it answers 200, at most aliveAttempts times.
func waitForAlive(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last string
	for attempt := 1; attempt <= aliveAttempts; attempt++ {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("GET %s: 200 after %d attempts", url, attempt)
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(aliveWait)
	}
	t.Fatalf("GET %s did not answer 200 after %d attempts; last: %s", url, aliveAttempts, last)
}
