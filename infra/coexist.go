package infra

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/field"
	"alba-digi/internal/owners"
	"alba-digi/internal/release"
)

// Stacks that share an account and region must not share a fixed physical
// name: the second stack's `pulumi up` fails on the log group, or worse, ECS's
// CreateCluster hands it the first stack's cluster as if it made it
// (hashicorp/terraform-provider-aws#38875), and one stack's destroy tears at
// the other's. Every name derives from the name key, the stack's prefix, so
// the stacks need prefixes of their own: the prod example sets one; the dev
// stack keeps the tutorial's. Before anything is declared, preview and up
// read whether the cluster or a log group of the planned names exists and,
// by its project and stack tags (tags.go), whether it is this stack's. Another
// stack's, or one no stack of this program made, stops the run with the name,
// its owner and the key that fixes it.
//
// The other fixed names follow the cluster's and log groups' prefix (the
// service lives in the cluster, the task family and dashboard carry the
// same prefix); the target group, load balancer and roles are auto-named
// (a random suffix), so no other stack can hold their planned names.

// OwnerReader is an Account that reads whose the resources of fixed names
// are (owners.Read with the provider's AWS settings).
type OwnerReader interface {
	Owners(ctx context.Context, s release.Settings, planned []owners.Planned) ([]owners.Found, error)
}

// Owners reads the planned names' resources with the AWS SDK.
func (awsAccount) Owners(ctx context.Context, s release.Settings, planned []owners.Planned) ([]owners.Found, error) {
	clients, err := release.Load(ctx, s)
	if err != nil {
		return nil, err
	}
	return owners.Read(ctx, owners.Clients{ECS: clients.ECS, Logs: clients.Logs}, planned)
}

// fixedNames are the cluster and log groups the stack plans, by name.
func (c Config) fixedNames() []owners.Planned {
	n := c.Names()
	planned := []owners.Planned{{Kind: owners.Cluster, Name: n.Cluster}, {Kind: owners.LogGroup, Name: n.LogGroup}}
	if c.EnableExecuteCommand {
		planned = append(planned, owners.Planned{Kind: owners.LogGroup, Name: n.ExecLogGroup})
	}
	return append(planned, owners.Planned{Kind: owners.LogGroup, Name: n.InsightsLogGroup})
}

// checkOwners stops the run when a resource of a planned fixed name exists in
// the account and region and is not this stack's. A read that fails proves
// nothing either way: it is a warning, and the run goes on.
func checkOwners(ctx *pulumi.Context, c Config, account Account, settings release.Settings) error {
	reader, ok := account.(OwnerReader)
	if !ok {
		return nil
	}
	readCtx, cancel := context.WithTimeout(ctx.Context(), accountReadTimeout)
	defer cancel()
	found, err := reader.Owners(readCtx, settings, c.fixedNames())
	if err != nil {
		_ = ctx.Log.Warn(fmt.Sprintf("could not check that no other stack holds the names this stack plans (%v): if another stack's cluster or log groups have them, `pulumi up` shares or fails on them; set `name` to a prefix of this stack's own", err), nil)
		return nil
	}
	return ownerProblems(c, ctx.Project(), ctx.Stack(), found).ToAggregate()
}

// ownerProblems are the found resources that are not project's stack's.
func ownerProblems(c Config, project, stack string, found []owners.Found) field.ErrorList {
	ours := func(f owners.Found) bool { return f.Tags["project"] == project && f.Tags["stack"] == stack }
	ourCluster := false
	for _, f := range found {
		ourCluster = ourCluster || (f.Kind == owners.Cluster && ours(f))
	}
	n := c.Names()
	suggestion := c.Name + "-" + strings.ToLower(stack)
	var errs field.ErrorList
	for _, f := range found {
		if ours(f) {
			continue
		}
		what := "a second stack cannot create one of the same name"
		if f.Kind == owners.Cluster {
			what = "ECS would hand this stack that cluster as its own (CreateCluster returns the existing cluster of a name), and one stack's destroy would tear at the other's"
		}
		var detail string
		switch {
		case f.Kind == owners.LogGroup && f.Name == n.InsightsLogGroup && ourCluster && f.Tags["stack"] == "":
			// ECS made it for this stack's cluster before the stack declared
			// it (stacks deployed before the stack owned it).
			detail = fmt.Sprintf("Container Insights made log group %s for this stack's cluster %s before the stack owned it; take it into the stack, then `pulumi up` gives it logRetentionDays: pulumi import aws:cloudwatch/logGroup:LogGroup %s %s",
				f.Name, n.Cluster, n.InsightsLogResource, f.Name)
		case f.Tags["stack"] == "":
			detail = fmt.Sprintf("%s %s already exists in the stack's account and region (%s) and carries no project and stack tags: no stack of this program made it (made by hand, or by ECS for a cluster of that name); %s. Set name to a prefix of this stack's own, such as %s, or delete it if it is nobody's",
				f.Kind, f.Name, f.ARN, what, suggestion)
		default:
			owner := "stack " + f.Tags["stack"]
			if p := f.Tags["project"]; p != "" {
				owner += " of project " + p
			}
			detail = fmt.Sprintf("%s %s already exists in the stack's account and region (%s) and belongs to %s (its project and stack tags); %s. Set name to a prefix of this stack's own, such as %s",
				f.Kind, f.Name, f.ARN, owner, what, suggestion)
		}
		errs = append(errs, field.NewInvalid(field.NewPath("name"), c.Name, detail))
	}
	return errs
}
