package infra

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/dnscheck"
	"alba-digi/internal/release"
)

// providerKeys are the provider's settings that choose whose account it
// deploys in (pulumi-aws v6 go/aws/config/config.go); the rollout check and
// the program's reads take the same.
var providerKeys = []string{
	"aws:region", "aws:profile", "aws:sharedConfigFiles", "aws:sharedCredentialsFiles",
	"aws:accessKey", "aws:secretKey", "aws:token", "aws:assumeRole", "aws:endpoints",
}

// providerSettings reads the provider's settings from the stack config.
func providerSettings(ctx *pulumi.Context) (release.Settings, error) {
	values := map[string]string{}
	for _, k := range providerKeys {
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
// twenty minutes later. It returns the settings for the check.
func checkIdentity(ctx *pulumi.Context, account Account) (release.Settings, error) {
	settings, err := providerSettings(ctx)
	if err != nil {
		return settings, err
	}
	readCtx, cancel := context.WithTimeout(ctx.Context(), accountReadTimeout)
	defer cancel()
	ours, ourArn, err := account.Identity(readCtx, settings)
	if err != nil {
		return settings, fmt.Errorf("aws:*: the rollout check cannot act with the provider's AWS settings: %w", err)
	}
	theirs, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return settings, fmt.Errorf("aws:*: the provider cannot tell whose account it deploys in: %w", err)
	}
	if theirs.AccountId != ours {
		return settings, fmt.Errorf("aws:*: the provider deploys in account %s (%s) but the rollout check would read account %s (%s): give both the same identity with aws:profile, aws:assumeRole or aws:accessKey/aws:secretKey in the stack file, or one AWS_PROFILE for the whole run",
			theirs.AccountId, theirs.Arn, ours, ourArn)
	}
	return settings, nil
}

// Account reads what the program must know of AWS before it declares, with
// the provider's AWS settings: whose account they act in, and the newest
// failed rollout of the service's task definition.
type Account interface {
	Identity(ctx context.Context, s release.Settings) (account, arn string, err error)
	// NameServers are the public DNS's name servers of a name (its NS
	// records), for the check that the domain's zone is delegated.
	NameServers(ctx context.Context, name string) ([]string, error)
	LastFailure(ctx context.Context, s release.Settings, cluster, service, taskDefinition string) (release.FailedRollout, error)
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

func (awsAccount) LastFailure(ctx context.Context, s release.Settings, cluster, service, taskDefinition string) (release.FailedRollout, error) {
	clients, err := release.Load(ctx, s)
	if err != nil {
		return release.FailedRollout{}, err
	}
	return release.LastFailure(ctx, clients, cluster, service, taskDefinition)
}
