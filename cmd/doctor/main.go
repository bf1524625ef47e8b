// Command doctor tells whether the stack's ECS service is healthy and, when it
// is not, why: the state of each deployment, the last service events, why the
// newest deployment's tasks stopped (with their containers' exit codes and the
// last lines of their logs), the target group's health with its reasons, and
// for each known cause the config key or action that fixes it. It finds the
// cluster and service from the stack's config, as the program names them, or
// from -cluster and -service.
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
	"strings"
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
	target, settings, err := resolve(*dir, *stack, *cluster, *service)
	if err != nil {
		return fail(err)
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
	report, err := release.Diagnose(ctx, clients, target)
	if err != nil {
		return fail(err)
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
// derives the names from the stack's name key. It returns the stack's region
// too, when the stack file sets it.
func resolve(dir, stack, cluster, service string) (release.Target, release.Settings, error) {
	var none release.Settings
	if (cluster == "") != (service == "") {
		return release.Target{}, none, fmt.Errorf("give -cluster and -service together, or neither to use the stack's names")
	}
	sc, err := stackconfig.LoadStack(dir, stack, nil)
	if cluster != "" {
		if err != nil {
			return release.Target{Cluster: cluster, Service: service}, none, nil
		}
		settings, err := providerSettings(sc)
		return release.Target{Cluster: cluster, Service: service}, settings, err
	}
	if err != nil {
		return release.Target{}, none, err
	}
	// Only the name key matters for the names; other keys (secrets among them)
	// need not be readable here.
	raw := map[string]string{}
	if name, ok := sc.ProjectValues()["name"]; ok {
		raw["name"] = name
	}
	cfg, err := infra.Parse(raw)
	if err != nil {
		return release.Target{}, none, fmt.Errorf("stack %q: %w", stack, err)
	}
	names := cfg.Names()
	settings, err := providerSettings(sc)
	return release.Target{Cluster: names.Cluster, Service: names.Service}, settings, err
}

// providerSettings are the AWS provider's settings of the stack file (its
// aws:* keys), so that the doctor reads the account the stack deploys in. A
// secret among them cannot be read here: the doctor says which and stops.
func providerSettings(sc *stackconfig.StackConfig) (release.Settings, error) {
	values := map[string]string{}
	for k, v := range sc.Values {
		if !strings.HasPrefix(k, "aws:") {
			continue
		}
		if slices.Contains(sc.Secret, k) {
			return release.Settings{}, fmt.Errorf("%s is a secret of stack %q, which the doctor cannot read: give the same identity through the AWS SDK's settings (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and -cluster/-service", k, sc.Stack)
		}
		values[k] = v
	}
	return release.SettingsFrom(values)
}
