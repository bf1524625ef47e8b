package release

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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

func TestSettingsFromRejects(t *testing.T) {
	for name, values := range map[string]map[string]string{
		"access key alone":     {"aws:accessKey": "AKIA"},
		"assume role not JSON": {"aws:assumeRole": "arn:aws:iam::1:role/x"},
		"endpoints not a list": {"aws:endpoints": `{"ecs": "http://x"}`},
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
