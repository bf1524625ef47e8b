package infra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/dnscheck"
	"alba-digi/internal/release"
)

// providerSettings reads the provider's settings from the stack config:
// every key that changes who signs a call to AWS or where it goes
// (release.ProviderKeys).
func providerSettings(ctx *pulumi.Context) (release.Settings, error) {
	values := map[string]string{}
	for _, k := range release.ProviderKeys {
		if v, ok := ctx.GetConfig(k); ok {
			values[k] = v
		}
	}
	return release.SettingsFrom(values)
}

// checkIdentity makes sure that the rollout check reads the account the
// provider deploys in: it asks STS who the provider's settings act as, and
// the provider itself (aws.GetCallerIdentity). Otherwise the check would
// find no service, or another account's, and fail a `pulumi up` that worked,
// twenty minutes later. Different accounts are a config error with both
// identities; the same account with another principal is a warning (the
// check then reads with other permissions). When the account cannot be
// checked (the provider's own settings skip STS, or STS cannot be reached),
// it says so and goes on. It returns the settings for the check.
func checkIdentity(ctx *pulumi.Context, account Account) (release.Settings, error) {
	settings, err := providerSettings(ctx)
	if err != nil {
		return settings, err
	}
	warn := func(msg string) { _ = ctx.Log.Warn(msg, nil) }
	if settings.SkipIdentity {
		warn("aws:skipCredentialsValidation or aws:skipRequestingAccountId is set: the provider asks STS nothing, so the account the rollout check reads could not be checked against the provider's; it reads with the same settings")
		return settings, nil
	}
	readCtx, cancel := context.WithTimeout(ctx.Context(), accountReadTimeout)
	defer cancel()
	ours, ourArn, err := account.Identity(readCtx, settings)
	if errors.Is(err, release.ErrNoCredentials) {
		return settings, fmt.Errorf("aws:*: the rollout check cannot act with the provider's AWS settings: %w", err)
	}
	if err != nil {
		warn(fmt.Sprintf("could not check the account the rollout check reads (%v): it reads with the provider's settings, unchecked", err))
		return settings, nil
	}
	theirs, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		warn(fmt.Sprintf("the provider could not say whose account it deploys in (%v): the rollout check reads account %s (%s), unchecked", err, ours, ourArn))
		return settings, nil
	}
	switch {
	case theirs.AccountId != ours:
		return settings, fmt.Errorf("aws:*: the provider deploys in account %s (%s) but the rollout check would read account %s (%s): give both the same identity with aws:profile, aws:assumeRole or aws:accessKey/aws:secretKey in the stack file, or one AWS_PROFILE for the whole run",
			theirs.AccountId, theirs.Arn, ours, ourArn)
	case principal(theirs.Arn) != principal(ourArn):
		warn(fmt.Sprintf("the provider deploys as %s but the rollout check reads as %s (same account %s): the check needs the read-only permissions the README lists", theirs.Arn, ourArn, ours))
	}
	return settings, nil
}

// principal is who an ARN names, without an assumed role's session name
// (each caller names its own session).
func principal(arn string) string {
	if i := strings.Index(arn, ":assumed-role/"); i >= 0 {
		rest := arn[i+len(":assumed-role/"):]
		if j := strings.Index(rest, "/"); j >= 0 {
			return arn[:i] + ":assumed-role/" + rest[:j]
		}
	}
	return arn
}

// Account reads what the program must know of AWS before it declares, with
// the provider's AWS settings: whose account they act in, the public DNS's
// name servers of a name, how the service launches its tasks now, and
// whether it runs what the stack declares.
type Account interface {
	Identity(ctx context.Context, s release.Settings) (account, arn string, err error)
	// NameServers are the public DNS's name servers of a name (its NS
	// records), for the check that the domain's zone is delegated.
	NameServers(ctx context.Context, name string) ([]string, error)
	// Service is how the service launches its tasks, and whether it is
	// settled; nil when there is none.
	Service(ctx context.Context, s release.Settings, ref release.ServiceRef) (*release.LiveService, error)
	// Observe measures the service against the convergence rule.
	Observe(ctx context.Context, s release.Settings, d release.Declared) (release.Status, error)
}

// awsAccount reads the account with the AWS SDK, as the rollout check does.
type awsAccount struct{}

func (awsAccount) Identity(ctx context.Context, s release.Settings) (string, string, error) {
	clients, err := release.Load(ctx, s)
	if err != nil {
		return "", "", err
	}
	return clients.Account(ctx)
}

// NameServers asks a public resolver (dnscheck), not the machine's own.
func (awsAccount) NameServers(ctx context.Context, name string) ([]string, error) {
	return dnscheck.FromEnv().NameServers(ctx, name)
}

func (awsAccount) Service(ctx context.Context, s release.Settings, ref release.ServiceRef) (*release.LiveService, error) {
	clients, err := release.Load(ctx, s)
	if err != nil {
		return nil, err
	}
	return release.Live(ctx, clients, ref)
}

func (awsAccount) Observe(ctx context.Context, s release.Settings, d release.Declared) (release.Status, error) {
	clients, err := release.Load(ctx, s)
	if err != nil {
		return release.Status{}, err
	}
	return release.Observe(ctx, clients, d)
}
