// Command doctor tells whether the stack's ECS service is healthy and, when it
// is not, why: the state of each deployment, the last service events, why the
// newest deployment's tasks stopped (with their containers' exit codes and the
// last lines of their logs), the target group's health with its reasons, and
// for each known cause the config key or action that fixes it. It finds the
// cluster and service from the stack's config, as the program names them, or
// from -cluster and -service. When the stack's deploymentStrategy is not
// rolling, CodeDeploy releases the service: the doctor then reads the
// deployment group's newest CodeDeploy deployment (its status, lifecycle
// events, task sets and their share of traffic) and judges by it.
//
//	go run ./cmd/doctor [-stack dev] [-cluster C -service S] [-region R] [-format text|json]
//
// It uses the AWS SDK's default credential chain and standard settings
// (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL). Exit status: 0 when the service
// is healthy, 1 when it is not, 2 when it cannot tell (no credentials, no such
// service, AWS refused).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"alba-digi/infra"
	"alba-digi/internal/release"
	"alba-digi/internal/stackconfig"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit statuses.
const (
	healthy    = 0
	unhealthy  = 1
	cannotTell = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("doctor", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml names the service")
	dir := flags.String("dir", ".", "project directory (holding Pulumi.yaml)")
	cluster := flags.String("cluster", "", "cluster name or ARN (instead of the stack's)")
	service := flags.String("service", "", "service name (instead of the stack's)")
	region := flags.String("region", "", "AWS region (default: the stack's aws:region, else AWS_REGION)")
	format := flags.String("format", "text", "output format: text or json")
	logLines := flags.Int("log-lines", release.DefaultLogLines, fmt.Sprintf("last log lines of each stopped container to show (0-%d)", release.MaxLogLines))
	if err := flags.Parse(args); err != nil {
		return cannotTell
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "doctor:", err)
		return cannotTell
	}
	if flags.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %q", flags.Args()))
	}
	if *format != "text" && *format != "json" {
		return fail(fmt.Errorf("-format %q: want text or json", *format))
	}
	target, group, settings, note, err := resolve(*dir, *stack, *cluster, *service)
	if err != nil {
		return fail(err)
	}
	if note != "" {
		fmt.Fprintln(stderr, "doctor:", note)
	}
	if *region != "" {
		settings.Region = *region
	}
	target.LogLines = *logLines
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clients, err := release.Load(ctx, settings)
	if err != nil {
		return fail(err)
	}
	var last *lastRelease
	if group != nil {
		if last, err = readRelease(ctx, clients, *group); err != nil {
			return fail(err)
		}
		if last != nil {
			// The stopped tasks worth showing are those of the release's revision.
			target.TaskDefinition = last.state.TaskDefinition
		}
	}
	report, err := release.Diagnose(ctx, clients, target)
	if err != nil {
		return fail(err)
	}
	if group != nil {
		if err := judgeCodeDeploy(ctx, clients, report, last); err != nil {
			return fail(err)
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return fail(err)
		}
	} else {
		fmt.Fprintln(stdout, report.Text())
	}
	if report.Healthy {
		return healthy
	}
	return unhealthy
}

// resolve names the service: from -cluster and -service, or as the program
// derives the names from the stack's name key; and, when the stack's
// deploymentStrategy is not rolling, its CodeDeploy application and
// deployment group. It returns the stack's AWS settings too (see
// providerSettings), and a note for the user when it could not use them.
func resolve(dir, stack, cluster, service string) (release.Target, *codeDeployGroup, release.Settings, string, error) {
	var none release.Settings
	if (cluster == "") != (service == "") {
		return release.Target{}, nil, none, "", fmt.Errorf("give -cluster and -service together, or neither to use the stack's names")
	}
	sc, err := stackconfig.LoadStack(dir, stack, nil)
	if cluster != "" && err != nil {
		return release.Target{Cluster: cluster, Service: service}, nil, none, "", nil
	}
	if err != nil {
		return release.Target{}, nil, none, "", err
	}
	// Only the keys that name things matter here; other keys (secrets among
	// them) need not be readable.
	raw := map[string]string{}
	for _, k := range []string{"name", "deploymentStrategy"} {
		if v, ok := sc.ProjectValues()[k]; ok {
			raw[k] = v
		}
	}
	cfg, err := infra.Parse(raw)
	if err != nil && cluster == "" {
		return release.Target{}, nil, none, "", fmt.Errorf("stack %q: %w", stack, err)
	}
	target := release.Target{Cluster: cluster, Service: service}
	var group *codeDeployGroup
	if err == nil {
		names := cfg.Names()
		if cluster == "" {
			target = release.Target{Cluster: names.Cluster, Service: names.Service}
		}
		if cfg.CodeDeploy() {
			group = &codeDeployGroup{Application: names.CodeDeployApp, Group: names.DeploymentGroup}
		}
	}
	settings, note, err := providerSettings(sc)
	return target, group, settings, note, err
}

// providerSettings are the AWS provider's settings of the stack file (its
// aws:* keys), so that the doctor reads the account the stack deploys in.
// The doctor cannot read a secret key (it has no passphrase or secrets
// provider): with one among them it uses none of the stack's keys, only the
// AWS SDK's own settings, and says so in the note.
func providerSettings(sc *stackconfig.StackConfig) (release.Settings, string, error) {
	values := map[string]string{}
	for _, k := range release.ProviderKeys {
		if slices.Contains(sc.Secret, k) {
			return release.Settings{}, fmt.Sprintf("%s is a secret of stack %q, which the doctor cannot read: it reads AWS with the AWS SDK's own settings (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_REGION), not the stack's aws:* keys", k, sc.Stack), nil
		}
		if v, ok := sc.Values[k]; ok {
			values[k] = v
		}
	}
	s, err := release.SettingsFrom(values)
	return s, "", err
}
