package tests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/infra"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/release"
	"alba-digi/internal/stackconfig"
)

// account is an account whose service is observed in a given state.
type account struct {
	// identityErr is what STS answers, when it does not.
	identityErr error
	status      release.Status
	err         error
	live        *release.LiveService
	// observed is the task definition Observe was asked about.
	observed *string
}

func (a account) Identity(context.Context, release.Settings) (string, string, error) {
	if a.identityErr != nil {
		return "", "", a.identityErr
	}
	return mockaws.Account, "arn:aws:iam::" + mockaws.Account + ":user/test", nil
}

func (a account) NameServers(context.Context, string) ([]string, error) {
	return nil, errors.New("no DNS here")
}

func (a account) Service(context.Context, release.Settings, release.ServiceRef) (*release.LiveService, error) {
	return a.live, nil
}

func (a account) Observe(_ context.Context, _ release.Settings, d release.Declared) (release.Status, error) {
	if a.observed != nil {
		*a.observed = d.TaskDefinition
	}
	return a.status, a.err
}

// declareWith runs the dev stack with overrides under the mocks, reading
// acct as its AWS account.
func declareWith(t *testing.T, acct account, overrides ...string) (*mockaws.Mocks, error) {
	t.Helper()
	sc, err := stackconfig.LoadStack(projectDir, "dev", overrides)
	if err != nil {
		t.Fatal(err)
	}
	mocks := &mockaws.Mocks{Region: "us-east-1"}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := infra.DeclareWith(ctx, sc.Values, acct)
		return err
	}, pulumi.WithMocks(sc.Project, sc.Stack, mocks), withConfig(sc))
	return mocks, err
}

func registered(t *testing.T, mocks *mockaws.Mocks, typ string) mockaws.Registration {
	t.Helper()
	for _, r := range mocks.Registrations() {
		if r.Type == typ {
			return r
		}
	}
	t.Fatalf("no %s declared", typ)
	return mockaws.Registration{}
}

// TestReleaseDeclaresWhatUpVerifies: the release component carries what the
// stack declares for the service's release and, when the service is not
// converged, what ECS runs; its hooks verify each create and update; the
// service never keeps forceNewDeployment or triggers.
func TestReleaseDeclaresWhatUpVerifies(t *testing.T) {
	const declared = "arn:aws:ecs:us-east-1:123456789012:task-definition/alba-digi-task:1" // what the mocks register
	tests := []struct {
		name         string
		account      account
		overrides    []string
		wantObserved string // "" or a part of it
		wantForce    bool
		// wantIgnored: the run began with the service settled, so the
		// release ignores `observed`.
		wantIgnored bool
	}{
		{name: "converged", account: account{status: release.Status{Action: release.Nothing}}},
		{name: "settled when the run began", account: account{status: release.Status{Action: release.Nothing}, live: &release.LiveService{LaunchType: "FARGATE", Controller: "ECS", Settled: true}}, wantIgnored: true},
		{name: "not settled when the run began (a rollback), converged by the time of the read", account: account{status: release.Status{Action: release.Nothing}, live: &release.LiveService{LaunchType: "FARGATE", Controller: "ECS"}}},
		{name: "no service", account: account{status: release.Status{Action: release.Create}}, wantObserved: "no service (seen "},
		{name: "rolled back", account: account{status: release.Status{Action: release.Deploy, Summary: "ECS runs alba-digi-task:1, not the declared alba-digi-task:2"}},
			wantObserved: "ECS runs alba-digi-task:1, not the declared alba-digi-task:2 (seen "},
		{name: "still deploying", account: account{status: release.Status{Action: release.Follow, Summary: "ECS is still deploying alba-digi-task:1"}},
			wantObserved: "ECS is still deploying alba-digi-task:1 (seen "},
		{name: "unreadable", account: account{err: errors.New("AccessDeniedException")}, wantObserved: "could not read the service at "},
		{name: "a Spot share change in place", account: account{live: &release.LiveService{Strategy: []release.StrategyItem{{CapacityProvider: "FARGATE", Base: 1, Weight: 50}, {CapacityProvider: "FARGATE_SPOT", Weight: 50}}}},
			overrides: []string{"fargateSpotPercent=25"}, wantForce: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var observedTD string
			tt.account.observed = &observedTD
			mocks, err := declareWith(t, tt.account, append([]string{"redeploy=r1"}, tt.overrides...)...)
			if err != nil {
				t.Fatal(err)
			}
			rel := registered(t, mocks, "alba-digi:release:Rolling")
			svc := registered(t, mocks, tService)
			if observedTD != declared {
				t.Errorf("the service was observed against %q, want the declared %s", observedTD, declared)
			}
			in := rel.Inputs
			for k, want := range map[string]string{"taskDefinition": declared, "service": "alba-digi-service", "redeploy": "r1"} {
				if v := in[resourceKey(k)]; !v.IsString() || v.StringValue() != want {
					t.Errorf("release input %s = %v, want %s", k, v, want)
				}
			}
			if v := in["desiredCount"]; !v.IsNumber() || v.NumberValue() != 2 {
				t.Errorf("release desiredCount = %v, want 2", v)
			}
			if !in["networkConfiguration"].DeepEquals(svc.Inputs["networkConfiguration"]) || !in["loadBalancers"].DeepEquals(svc.Inputs["loadBalancers"]) {
				t.Error("the release's network and load balancers are not the service's")
			}
			observed := in["observed"].StringValue()
			if tt.wantObserved == "" && observed != "" || tt.wantObserved != "" && !strings.HasPrefix(observed, tt.wantObserved) {
				t.Errorf("observed = %q, want %q…", observed, tt.wantObserved)
			}
			if len(rel.AfterCreateHooks) != 1 || len(rel.AfterUpdateHooks) != 1 || rel.AfterCreateHooks[0] != "alba-digi-rollout-check" || rel.AfterUpdateHooks[0] != "alba-digi-rollout-check" {
				t.Errorf("release hooks: after create %v, after update %v", rel.AfterCreateHooks, rel.AfterUpdateHooks)
			}
			if ignored := slices.Contains(rel.IgnoreChanges, "observed"); ignored != tt.wantIgnored {
				t.Errorf("release ignores observed: %v (%v), want %v", ignored, rel.IgnoreChanges, tt.wantIgnored)
			}
			if tr := svc.Inputs["triggers"]; !tr.IsNull() && tr.IsObject() && len(tr.ObjectValue()) > 0 {
				t.Errorf("service triggers %v: want none", tr)
			}
			force := svc.Inputs["forceNewDeployment"]
			if got := force.IsBool() && force.BoolValue(); got != tt.wantForce {
				t.Errorf("service forceNewDeployment %v, want %v", force, tt.wantForce)
			}
		})
	}
}

// TestReleaseWithAutoscalingLeavesTheCount: the scaler owns the count, so
// the release does not verify the declared one.
func TestReleaseWithAutoscalingLeavesTheCount(t *testing.T) {
	mocks, err := declareWith(t, account{}, "autoscalingMinCount=2", "autoscalingMaxCount=6")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := registered(t, mocks, "alba-digi:release:Rolling").Inputs["desiredCount"]; ok {
		t.Errorf("release desiredCount = %v with autoscaling, want none", v)
	}
}

// TestServiceReplacementIsRefused: a change that would replace the running
// service stops preview before anything is declared, naming the key, unless
// accepted.
func TestServiceReplacementIsRefused(t *testing.T) {
	onDemand := account{live: &release.LiveService{LaunchType: "FARGATE"}}
	mocks, err := declareWith(t, onDemand, "fargateSpotPercent=50")
	if err == nil || !strings.Contains(err.Error(), "fargateSpotPercent: invalid value 50") || !strings.Contains(err.Error(), "acceptServiceReplacement") {
		t.Fatalf("Spot 0 → 50 on a running service: %v, want a config error naming acceptServiceReplacement", err)
	}
	if n := len(mocks.Registrations()); n != 0 {
		t.Errorf("%d resources declared before the refusal", n)
	}
	if _, err := declareWith(t, onDemand, "fargateSpotPercent=50", "acceptServiceReplacement=true"); err != nil {
		t.Errorf("accepted: %v", err)
	}
}

// TestIdentityCheckThatCannotCheck: STS out of reach is a warning, and the
// stack is declared; no credentials at all is a config error.
func TestIdentityCheckThatCannotCheck(t *testing.T) {
	if _, err := declareWith(t, account{identityErr: fmt.Errorf("%w: dial tcp: i/o timeout", release.ErrSTSUnreachable)}); err != nil {
		t.Errorf("STS unreachable: %v, want a warning and the stack declared", err)
	}
	mocks, err := declareWith(t, account{identityErr: fmt.Errorf("%w: no profile", release.ErrNoCredentials)})
	if err == nil || !strings.Contains(err.Error(), "aws:*: the rollout check cannot act") {
		t.Errorf("no credentials: %v, want a config error", err)
	}
	if n := len(mocks.Registrations()); n != 0 {
		t.Errorf("%d resources declared without credentials", n)
	}
}
