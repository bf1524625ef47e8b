package release

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	fa "alba-digi/internal/fakeaws"
)

// isolate keeps the machine's AWS settings out of a test: no profile, no
// keys, no shared files but the test's own.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// TestSettingsActAsTheProvider builds the SDK configuration from the aws:*
// keys as the provider reads them, and checks against the local stand-in
// which access key each call was signed with and which account STS names.
func TestSettingsActAsTheProvider(t *testing.T) {
	tests := []struct {
		name string
		// values are the stack's aws:* keys; files are written to the test's folder first.
		values      func(dir, url string) map[string]string
		files       map[string]string
		env         map[string]string
		wantKey     string
		wantAccount string
		wantRole    string
	}{
		{
			name: "a profile of a shared config file",
			files: map[string]string{
				"config":      "[profile lab]\nregion = us-east-1\n",
				"credentials": "[default]\naws_access_key_id = AKIADEFAULT0000000000\naws_secret_access_key = x\n[lab]\naws_access_key_id = AKIALABPROFILE000000\naws_secret_access_key = y\n",
			},
			values: func(dir, url string) map[string]string {
				return map[string]string{
					"aws:profile":                "lab",
					"aws:sharedConfigFiles":      `["` + filepath.Join(dir, "config") + `"]`,
					"aws:sharedCredentialsFiles": `["` + filepath.Join(dir, "credentials") + `"]`,
				}
			},
			env:         map[string]string{"AWS_ENDPOINT_URL": "{url}"},
			wantKey:     "AKIALABPROFILE000000",
			wantAccount: "111111111111",
		},
		{
			name: "static keys, secret in the stack",
			values: func(dir, url string) map[string]string {
				return map[string]string{"aws:region": "eu-west-1", "aws:accessKey": "AKIASTACKKEY00000000", "aws:secretKey": "s"}
			},
			env:         map[string]string{"AWS_ENDPOINT_URL": "{url}"},
			wantKey:     "AKIASTACKKEY00000000",
			wantAccount: "123456789012",
		},
		{
			name: "a role assumed through STS",
			values: func(dir, url string) map[string]string {
				return map[string]string{
					"aws:region": "us-east-1", "aws:accessKey": "AKIABASEKEY000000000", "aws:secretKey": "s",
					"aws:assumeRole": `{"roleArn": "arn:aws:iam::222222222222:role/deployer", "sessionName": "ci", "externalId": "x-1"}`,
				}
			},
			env:         map[string]string{"AWS_ENDPOINT_URL": "{url}"},
			wantKey:     "ASIA0000000000000001",
			wantAccount: "222222222222",
			wantRole:    "arn:aws:iam::222222222222:role/deployer",
		},
		{
			name:  "a role assumed with a web identity token from a file",
			files: map[string]string{"token": "eyJ.oidc.token"},
			values: func(dir, url string) map[string]string {
				return map[string]string{
					"aws:region":                    "us-east-1",
					"aws:assumeRoleWithWebIdentity": `{"roleArn": "arn:aws:iam::333333333333:role/ci", "webIdentityTokenFile": "` + filepath.Join(dir, "token") + `"}`,
				}
			},
			env:         map[string]string{"AWS_ENDPOINT_URL": "{url}"},
			wantKey:     "ASIA0000000000000001",
			wantAccount: "333333333333",
			wantRole:    "arn:aws:iam::333333333333:role/ci",
		},
		{
			name: "per-service endpoints of aws:endpoints",
			values: func(dir, url string) map[string]string {
				return map[string]string{
					"aws:region": "us-east-1", "aws:accessKey": "AKIAENDPOINTS0000000", "aws:secretKey": "s",
					"aws:endpoints": `[{"ecs": "` + url + `", "elbv2": "` + url + `", "sts": "` + url + `", "cloudwatchlogs": "` + url + `"}]`,
				}
			},
			env:         map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, // the settings' endpoints must win
			wantKey:     "AKIAENDPOINTS0000000",
			wantAccount: "123456789012",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			f, _ := fa.New(t)
			f.Accounts["AKIALABPROFILE000000"] = "111111111111"
			f.Services = []string{fa.Service(1, []fa.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDef: fa.TaskDef1, Rollout: "COMPLETED", Desired: 1, Running: 1}})}
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tt.env {
				if v == "{url}" {
					v = f.URL
				}
				t.Setenv(k, v)
			}
			s, err := SettingsFrom(tt.values(dir, f.URL))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Load(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			account, _, err := c.Account(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DeploymentIDs(context.Background(), c, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"}); err != nil {
				t.Fatal(err)
			}
			if account != tt.wantAccount {
				t.Errorf("account %s, want %s", account, tt.wantAccount)
			}
			if last := f.AccessKeys[len(f.AccessKeys)-1]; last != tt.wantKey {
				t.Errorf("ECS call signed with %q, want %q (all: %q)", last, tt.wantKey, f.AccessKeys)
			}
			if tt.wantRole != "" && !slices.Contains(f.AssumedRoles, tt.wantRole) {
				t.Errorf("roles assumed %q, want %s", f.AssumedRoles, tt.wantRole)
			}
		})
	}
}

// TestSettingsReachAWSAsTheProviderDoes: the endpoint keys the provider
// reads for each service (and not the Classic Load Balancer's), STS in
// aws:stsRegion, the provider's proxy, and its CA bundle.
func TestSettingsReachAWSAsTheProviderDoes(t *testing.T) {
	ctx := context.Background()
	keys := map[string]string{"aws:region": "eu-west-1", "aws:accessKey": "AKIAREACH00000000000", "aws:secretKey": "s"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range keys {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	load := func(t *testing.T, values map[string]string) Clients {
		t.Helper()
		s, err := SettingsFrom(values)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Load(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("endpoint aliases", func(t *testing.T) {
		isolate(t)
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9") // nothing there: only the keys' endpoints answer
		f, _ := fa.New(t)
		c := load(t, with(map[string]string{"aws:endpoints": `[{"elasticloadbalancingv2": "` + f.URL + `", "cloudwatchlog": "` + f.URL + `", "ecs": "` + f.URL + `", "sts": "` + f.URL + `"}]`}))
		if _, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(fa.TargetGroupArn)}); err != nil {
			t.Errorf("elasticloadbalancingv2's endpoint not used: %v", err)
		}
		classic := load(t, with(map[string]string{"aws:endpoints": `[{"elb": "` + f.URL + `"}]`}))
		if _, err := classic.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(fa.TargetGroupArn)}); err == nil {
			t.Error("the Classic Load Balancer's endpoint key was used for Elastic Load Balancing v2")
		}
	})
	t.Run("stsRegion", func(t *testing.T) {
		isolate(t)
		f, _ := fa.New(t)
		t.Setenv("AWS_ENDPOINT_URL", f.URL)
		c := load(t, with(map[string]string{"aws:stsRegion": "us-west-2"}))
		if _, _, err := c.Account(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.Scopes[len(f.Scopes)-1]; got != "us-west-2/sts" {
			t.Errorf("STS signed for %s, want us-west-2/sts", got)
		}
	})
	t.Run("httpProxy", func(t *testing.T) {
		isolate(t)
		f, _ := fa.New(t)
		target, _ := url.Parse(f.URL)
		var proxied int
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			proxied++
			r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
			httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
		}))
		defer proxy.Close()
		// A name nobody resolves: only the proxy knows where it goes.
		t.Setenv("AWS_ENDPOINT_URL", "http://aws.example.invalid")
		c := load(t, with(map[string]string{"aws:httpProxy": proxy.URL}))
		if _, err := DeploymentIDs(ctx, c, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"}); err != nil || proxied == 0 {
			t.Errorf("through aws:httpProxy: %v, %d calls proxied", err, proxied)
		}
	})
	t.Run("maxRetries is the number of attempts, as the provider passes it", func(t *testing.T) {
		isolate(t)
		f, _ := fa.New(t)
		f.Throttle = map[string]int{"DescribeServices": 1 << 30}
		t.Setenv("AWS_ENDPOINT_URL", f.URL)
		c := load(t, with(map[string]string{"aws:maxRetries": "2", "aws:retryMode": "standard"}))
		before := len(f.AccessKeys)
		if _, err := DeploymentIDs(ctx, c, Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"}); err == nil {
			t.Fatal("a throttled call succeeded")
		}
		if got := len(f.AccessKeys) - before; got != 2 {
			t.Errorf("%d attempts, want 2", got)
		}
	})
	t.Run("an assumed role whose STS does not answer is not a missing credential", func(t *testing.T) {
		isolate(t)
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
		s, err := SettingsFrom(with(map[string]string{"aws:assumeRole": `{"roleArn": "arn:aws:iam::222222222222:role/deployer"}`, "aws:maxRetries": "1"}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(ctx, s)
		if !errors.Is(err, ErrSTSUnreachable) || errors.Is(err, ErrNoCredentials) {
			t.Errorf("Load = %v, want ErrSTSUnreachable", err)
		}
	})
	t.Run("customCaBundle", func(t *testing.T) {
		dir := isolate(t)
		f, _ := fa.New(t)
		tlsServer := httptest.NewTLSServer(f)
		defer tlsServer.Close()
		t.Setenv("AWS_ENDPOINT_URL", tlsServer.URL)
		bundle := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsServer.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := DeploymentIDs(ctx, load(t, keys), Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"}); err == nil {
			t.Error("a server of an unknown CA was trusted without the bundle")
		}
		if _, err := DeploymentIDs(ctx, load(t, with(map[string]string{"aws:customCaBundle": bundle})), Target{Cluster: fa.ClusterArn, Service: "alba-digi-service"}); err != nil {
			t.Errorf("with aws:customCaBundle: %v", err)
		}
	})
}

func TestSettingsFromRejects(t *testing.T) {
	for name, values := range map[string]map[string]string{
		"access key alone":      {"aws:accessKey": "AKIA"},
		"assume role not JSON":  {"aws:assumeRole": "arn:aws:iam::1:role/x"},
		"endpoints not a list":  {"aws:endpoints": `{"ecs": "http://x"}`},
		"insecure not a bool":   {"aws:insecure": "yes please"},
		"maxRetries negative":   {"aws:maxRetries": "-1"},
		"retryMode unknown":     {"aws:retryMode": "eager"},
		"web identity not JSON": {"aws:assumeRoleWithWebIdentity": "arn:aws:iam::1:role/x"},
	} {
		if _, err := SettingsFrom(values); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzSettingsFrom feeds arbitrary text to the aws:* keys that hold JSON:
// SettingsFrom must never panic, and an error names the key it is about.
func FuzzSettingsFrom(f *testing.F) {
	f.Add("aws:assumeRole", `{"roleArn": "arn:aws:iam::1:role/x", "duration": "1h"}`)
	f.Add("aws:endpoints", `[{"ecs": "http://localhost:4566"}]`)
	f.Add("aws:sharedConfigFiles", `["~/.aws/config"]`)
	f.Add("aws:endpoints", `[{"ecs": 1}]`)
	f.Add("aws:accessKey", "AKIA")
	f.Add("aws:assumeRoleWithWebIdentity", `{"roleArn": "arn:aws:iam::1:role/x", "webIdentityTokenFile": "/t"}`)
	f.Add("aws:maxRetries", "25")
	f.Add("aws:useFipsEndpoint", "true")
	f.Add("aws:retryMode", "adaptive")
	f.Fuzz(func(t *testing.T, key, value string) {
		_, err := SettingsFrom(map[string]string{key: value})
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "aws:") {
			t.Fatalf("error names no key: %v", err)
		}
	})
}
