package tests

import (
	"context"
	"errors"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/infra"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/release"
	"alba-digi/internal/stackconfig"
)

// failedAccount is an account whose ECS kept a failed deployment of one task
// definition.
type failedAccount struct {
	failedTaskDef string
	healthy       bool
}

func (a failedAccount) Identity(context.Context, release.Settings) (string, string, error) {
	return mockaws.Account, "arn:aws:iam::" + mockaws.Account + ":user/test", nil
}

func (a failedAccount) NameServers(context.Context, string) ([]string, error) {
	return nil, errors.New("no DNS here")
}

func (a failedAccount) LastFailure(_ context.Context, _ release.Settings, _, _, taskDefinition string) (release.FailedRollout, error) {
	if taskDefinition != a.failedTaskDef {
		return release.FailedRollout{}, nil
	}
	return release.FailedRollout{Deployment: "arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/alba-digi-service/1", Status: "ROLLBACK_SUCCESSFUL", Healthy: a.healthy}, nil
}

// TestFailedRolloutIsRetried: the service's triggers name the failed
// deployment of the declared task definition (and force a new deployment),
// stay the same once a retry worked, and are absent for a task definition
// that never failed, so an up that carries a fix is never held back.
func TestFailedRolloutIsRetried(t *testing.T) {
	const declared = "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task:1" // what the mocks register
	tests := []struct {
		name     string
		account  failedAccount
		redeploy string
		want     map[string]string // the service's triggers; nil: none
	}{
		{"never failed", failedAccount{failedTaskDef: "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task:7"}, "", nil},
		{"failed, not fixed", failedAccount{failedTaskDef: declared}, "", map[string]string{"retry": "arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/alba-digi-service/1"}},
		{"failed, then a retry worked: the same trigger", failedAccount{failedTaskDef: declared, healthy: true}, "", map[string]string{"retry": "arn:aws:ecs:us-east-1:123456789012:service-deployment/alba-digi-cluster/alba-digi-service/1"}},
		{"redeploy", failedAccount{}, "after-fix", map[string]string{"redeploy": "after-fix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var overrides []string
			if tt.redeploy != "" {
				overrides = append(overrides, "redeploy="+tt.redeploy)
			}
			sc, err := stackconfig.LoadStack(projectDir, "dev", overrides)
			if err != nil {
				t.Fatal(err)
			}
			mocks := &mockaws.Mocks{Region: "us-east-1"}
			err = pulumi.RunErr(func(ctx *pulumi.Context) error {
				_, err := infra.DeclareWith(ctx, sc.Values, tt.account)
				return err
			}, pulumi.WithMocks(sc.Project, sc.Stack, mocks), withConfig(sc))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			defer func() {
				if !found {
					t.Error("no service declared")
				}
			}()
			for _, r := range mocks.Registrations() {
				if r.Type != tService {
					continue
				}
				found = true
				triggers, force := r.Inputs["triggers"], r.Inputs["forceNewDeployment"]
				if tt.want == nil {
					if !triggers.IsNull() && len(triggers.ObjectValue()) > 0 || force.IsBool() && force.BoolValue() {
						t.Errorf("triggers %v, forceNewDeployment %v: want none", triggers, force)
					}
					return
				}
				got := map[string]string{}
				if triggers.IsObject() {
					for k, v := range triggers.ObjectValue() {
						got[string(k)] = v.StringValue()
					}
				}
				if len(got) != len(tt.want) || !force.IsBool() || !force.BoolValue() {
					t.Errorf("triggers %v, forceNewDeployment %v: want %v and true", got, force, tt.want)
				}
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("trigger %s = %q, want %q", k, got[k], v)
					}
				}
			}
		})
	}
}
