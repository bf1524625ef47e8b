//go:build engine

// The engine test runs the project as its users do: the real `pulumi` CLI
// (3.274.1 or newer) and its Go language host, on the project's own
// Pulumi.yaml and stack files (copied, with the program's source, to a
// temporary folder), through the Automation API's local workspace, with a
// local file:// backend. The CLI validates the stack config, compiles the
// program, runs it, and runs the release's hooks. The awsx components are
// the real awsx provider 2.22.0 (see plugins_test.go); AWS is two stand-ins:
// the provider plugin pulumi-resource-aws is ./standin (the mocks' fake
// account over the provider gRPC interface, with the real provider's create,
// update and plan of ECS services and task definitions), and the AWS API it,
// the program and the rollout check call is a local fakeaws.Account
// (AWS_ENDPOINT_URL), whose deployments take AWS's time.
//
//	go test -trimpath -tags engine -v -timeout 60m ./tests/engine
//
// with `pulumi` and `pulumi-language-go` on PATH (PULUMI_ENGINE_BIN names
// their folder instead) and ALBA_DIGI_AWSX_PLUGIN naming the awsx provider's
// launcher. Without them the test fails: it runs only when asked.
package engine

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"alba-digi/internal/fakeaws"
)

// fastAWS is how much faster than AWS the local AWS stand-in's time runs in
// the cases that do not measure time: a rollout that takes AWS a minute and a
// half takes a few seconds here.
const fastAWS = 20

// minimumCLI is the oldest CLI whose engine runs resource hooks and fails
// `pulumi up` when one fails.
const minimumCLI = "3.274.1"

const (
	service = "alba-digi-service"
	family  = "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task"
)

// project is the repository root, seen from this package.
const project = "../.."

type engine struct {
	t       *testing.T
	bin     string // folder of pulumi and pulumi-language-go
	home    string // PULUMI_HOME: the stand-in plugins only
	work    string // the copy of the project
	env     map[string]string
	account *fakeaws.Account
	ws      auto.Workspace
}

func setUp(t *testing.T) *engine {
	t.Helper()
	bin := os.Getenv("PULUMI_ENGINE_BIN")
	if bin == "" {
		path, err := exec.LookPath("pulumi")
		if err != nil {
			t.Fatalf("the engine test needs the Pulumi CLI (>= %s) and pulumi-language-go on PATH, or PULUMI_ENGINE_BIN naming their folder: %v", minimumCLI, err)
		}
		bin = filepath.Dir(path)
	}
	bin, _ = filepath.Abs(bin)
	if _, err := os.Stat(filepath.Join(bin, "pulumi-language-go")); err != nil {
		if _, err := exec.LookPath("pulumi-language-go"); err != nil {
			t.Fatalf("pulumi-language-go is neither beside %s/pulumi nor on PATH", bin)
		}
	}
	dir := t.TempDir()
	e := &engine{t: t, bin: bin, home: filepath.Join(dir, "home"), work: filepath.Join(dir, "project"), account: fakeaws.NewAccount(t)}
	e.account.SetSpeed(fastAWS)
	e.env = map[string]string{
		"PATH":                     bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_HOME":              e.home,
		"PULUMI_BACKEND_URL":       "file://" + filepath.Join(dir, "state"),
		"PULUMI_CONFIG_PASSPHRASE": "engine-test",
		"PULUMI_SKIP_UPDATE_CHECK": "1",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		// The rollout check, the program's reads and the stand-in plugin
		// all talk to the local AWS stand-in, with credentials of no account.
		"AWS_ENDPOINT_URL":          e.account.URL,
		"AWS_ACCESS_KEY_ID":         "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY":     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_EC2_METADATA_DISABLED": "true",
		// The domain check asks a local resolver that knows no name, never
		// the internet's (a case that needs answers sets its own).
		"ALBA_DIGI_DNS_RESOLVER":      localDNS(t),
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-aws-credentials"),
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "HOME", "GOFLAGS", "GOPROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			e.env[k] = v
		}
	}

	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.installPlugins(dir)
	copyProject(t, e.work)

	ctx := context.Background()
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(bin), Version: semver.MustParse(minimumCLI)})
	if err != nil {
		t.Fatalf("pulumi CLI in %s: %v", bin, err)
	}
	e.ws, err = auto.NewLocalWorkspace(ctx, auto.WorkDir(e.work), auto.Pulumi(cli), auto.PulumiHome(e.home), auto.EnvVars(e.env))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run runs a setup command and fails the test when it fails.
func (e *engine) run(cmd *exec.Cmd, dir string) {
	e.t.Helper()
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// copyProject copies what `pulumi up` needs: the program's source, the
// module files, Pulumi.yaml and the stack files (the test sets config on the
// copies, never on the repository's).
func copyProject(t *testing.T, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"main.go", "go.mod", "go.sum", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "infra", "internal"} {
		err := filepath.WalkDir(filepath.Join(project, p), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(project, path)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(to, rel), 0o755)
			}
			if strings.HasSuffix(path, "_test.go") || strings.Contains(rel, "testdata") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(to, rel), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// result is what one CLI command printed, and its error.
type result struct {
	// out is the progress the CLI printed and the Automation API's error
	// text (which repeats it); progress is the CLI's progress alone.
	out, progress string
	err           error
	dur           time.Duration
}

func (r result) mustSucceed(t *testing.T, what string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s failed (%s): %v\n%s", what, r.dur, r.err, r.out)
	}
	t.Logf("%s: exit 0 in %s", what, r.dur.Round(time.Second))
}

func (r result) mustFail(t *testing.T, what string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("%s exited 0, want a failure:\n%s", what, r.out)
	}
	t.Logf("%s: failed, as it must, in %s", what, r.dur.Round(time.Second))
}

func (r result) mustContain(t *testing.T, what string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.out, p) {
			t.Errorf("%s: output lacks %q:\n%s", what, p, r.out)
		}
	}
}

func (r result) mustNotContain(t *testing.T, what string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(r.out, p) {
			t.Errorf("%s: output has %q:\n%s", what, p, r.out)
		}
	}
}

func (e *engine) stack(name string) auto.Stack {
	e.t.Helper()
	s, err := auto.UpsertStack(context.Background(), name, e.ws)
	if err != nil {
		e.t.Fatalf("stack %s: %v", name, err)
	}
	return s
}

func (e *engine) preview(s auto.Stack) result {
	var out bytes.Buffer
	start := time.Now()
	_, err := s.Preview(context.Background(), optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&out))
	return result{out.String() + errText(err), out.String(), err, time.Since(start)}
}

func (e *engine) up(s auto.Stack) result {
	var out bytes.Buffer
	start := time.Now()
	_, err := s.Up(context.Background(), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	return result{out.String() + errText(err), out.String(), err, time.Since(start)}
}

// errText is what the Automation API's error holds (the CLI's stderr).
func errText(err error) string {
	if err == nil {
		return ""
	}
	return "\n" + err.Error()
}

func (e *engine) setConfig(s auto.Stack, key, value string) {
	e.t.Helper()
	if err := s.SetConfig(context.Background(), key, auto.ConfigValue{Value: value}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *engine) removeConfig(s auto.Stack, key string) {
	e.t.Helper()
	if err := s.RemoveConfig(context.Background(), key); err != nil {
		e.t.Fatal(err)
	}
}

// TestStackUnderTheRealEngine walks the dev stack through a user's day: the
// shipped stacks preview with the CLI's config validation on; `up` creates
// dev and verifies the rollout; refresh changes nothing; `redeploy` deploys
// again; a typo key and a value of the wrong type are refused; `destroy`
// removes everything. What happens when a rollout fails, takes long or is
// interrupted is TestConvergence's.
func TestStackUnderTheRealEngine(t *testing.T) {
	e := setUp(t)
	dev, prod := e.stack("dev"), e.stack("prod")

	t.Run("preview of the shipped stacks", func(t *testing.T) {
		// The prod example's domain, in a name the public DNS never answers
		// for (RFC 2606's .test): the delegation check cannot check, and says so,
		// on any machine.
		e.setConfig(prod, "alba-digi:domainName", "api.example.test")
		// Each stack's names carry its prefix (prod's is alba-digi-prod, its
		// load balancer's logical name cut to ELB's auto-naming room).
		for name, s := range map[string]auto.Stack{"dev": dev, "prod": prod} {
			prefix, lb := "alba-digi", "alba-digi-load-balancer"
			if name == "prod" {
				prefix, lb = "alba-digi-prod", "alba-digi-prod-load-bala"
			}
			r := e.preview(s)
			r.mustSucceed(t, "pulumi preview --stack "+name)
			r.mustContain(t, name, "aws:ecs:Service "+prefix+"-service create", "aws:lb:LoadBalancer "+lb+" create")
			r.mustNotContain(t, name, "missing configuration", "error:")
			if name == "prod" {
				r.mustContain(t, name, "aws:acm:CertificateValidation alba-digi-prod-certificate-validation create",
					"could not check that the public DNS (asked through "+e.env["ALBA_DIGI_DNS_RESOLVER"]+") delegates api.example.test to Route 53 zone example.test")
			}
		}
	})

	t.Run("up creates dev and verifies the rollout", func(t *testing.T) {
		r := e.up(dev)
		r.mustSucceed(t, "pulumi up")
		r.mustContain(t, "up", "verifying the rollout of "+family+":1", "rollout of "+family+":1 verified: ECS runs it as its one deployment, 2 healthy targets")
		if td, healthy := e.account.Running(service); td != family+":1" || healthy != 2 {
			t.Errorf("ECS runs %q with %d healthy targets, want %s:1 with 2", td, healthy, family)
		}
	})

	t.Run("a preview after up shows no change", func(t *testing.T) {
		// The first up creates the release with `observed` "no service";
		// a run that begins with the service settled must ignore it.
		p, summary := e.previewChanges(dev)
		p.mustSucceed(t, "pulumi preview after up")
		if n := changed(summary); n != 0 {
			t.Errorf("the preview after up changes %d resources (%v):\n%s", n, summary, p.progress)
		}
	})

	t.Run("refresh reads what ECS runs and changes nothing", func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		res, err := dev.Refresh(context.Background(), optrefresh.ProgressStreams(&out), optrefresh.ErrorProgressStreams(&out))
		r := result{out.String() + errText(err), out.String(), err, time.Since(start)}
		r.mustSucceed(t, "pulumi refresh")
		if err == nil && res.Summary.ResourceChanges != nil {
			for op, n := range *res.Summary.ResourceChanges {
				if op != "same" && n > 0 {
					t.Errorf("refresh of a healthy stack: %d %s", n, op)
				}
			}
		}
	})

	t.Run("redeploy deploys the same revision again and verifies it", func(t *testing.T) {
		before := e.account.DeploymentCount(service)
		e.setConfig(dev, "alba-digi:redeploy", "after-secret-created")
		r := e.up(dev)
		r.mustSucceed(t, "pulumi up with a new redeploy value")
		r.mustContain(t, "redeploy", "rollout of "+family+":1 verified")
		if got := e.account.DeploymentCount(service); got != before+1 {
			t.Errorf("%d deployments after redeploy, want %d", got, before+1)
		}
	})

	t.Run("a typo key and a wrong type are refused before anything changes", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:desiredcount", "3")
		r := e.preview(dev)
		r.mustFail(t, "pulumi preview with a typo key")
		r.mustContain(t, "typo", "desiredcount: unknown key; did you mean desiredCount?")
		e.removeConfig(dev, "alba-digi:desiredcount")

		e.setConfig(dev, "alba-digi:cpu", "abc")
		r = e.preview(dev)
		r.mustFail(t, "pulumi preview with cpu abc")
		r.mustContain(t, "wrong type", "Stack 'dev' with configuration key 'cpu' must be of type 'integer'")
		e.removeConfig(dev, "alba-digi:cpu")
	})

	t.Run("destroy", func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		_, err := dev.Destroy(context.Background(), optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(io.MultiWriter(&out)))
		result{out.String() + errText(err), out.String(), err, time.Since(start)}.mustSucceed(t, "pulumi destroy")
		if td, _ := e.account.Running(service); td != "" {
			t.Errorf("the service still runs %s after destroy", td)
		}
	})
}
