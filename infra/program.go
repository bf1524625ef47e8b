// Package infra declares the alba-digi stack: the tutorial's REST API on ECS
// Fargate behind an internet-facing Application Load Balancer, configured by
// stack config (see Config) and verified offline under the Pulumi SDK's mocks.
package infra

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"alba-digi/internal/dnscheck"
	"alba-digi/internal/release"
)

// Outputs are the stack outputs by export name.
type Outputs map[string]pulumi.Output

// Program is the whole stack as `pulumi up` and `pulumi preview` run it: it
// reads and validates the configuration the engine hands the program
// (EngineConfig), reads the service's last rollouts from AWS (see Account),
// declares every resource and exports the outputs.
//
// Under the Pulumi SDK's mocks (ctx.RunningWithMocks: a user's own unit tests
// of the program, as Pulumi documents them) it reads nothing from AWS: no
// identity check, no DNS, no rollout history, no ownership check. Those
// tests then need neither credentials nor a network, and the mocks answer
// every data source.
// https://www.pulumi.com/docs/iac/guides/testing/unit/
func Program(ctx *pulumi.Context) error { return LiveProgramFor(EngineConfig())(ctx) }

// LiveProgramFor is Program for a run whose whole configuration is all (full
// keys to raw values) and where the engine sets no PULUMI_CONFIG: Automation
// API inline programs against a real account. Under mocks it reads nothing
// from AWS, as Program.
func LiveProgramFor(all map[string]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		var account Account = LiveAccount
		if ctx.RunningWithMocks() {
			account = nil
		}
		return export(ctx, all, account)
	}
}

// LiveAccount reads the account with the AWS SDK and the provider's AWS
// settings. Program uses it outside mocks; a test that wants the live reads
// under mocks hands it to DeclareWith itself.
var LiveAccount Account = awsAccount{}

// ProgramFor is Program offline, for a run whose whole configuration is all:
// it reads nothing from AWS but through the provider's data sources (which
// mocks answer). For tests and the offline plan.
func ProgramFor(all map[string]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error { return export(ctx, all, nil) }
}

func export(ctx *pulumi.Context, all map[string]string, account Account) error {
	d, err := DeclareWith(ctx, all, account)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(d.Outputs)) {
		ctx.Export(name, d.Outputs[name])
	}
	return nil
}

// dnsCheckTimeout bounds the public DNS lookups of the delegation check.
const dnsCheckTimeout = 10 * time.Second

// Deployment is what Declare declared: the validated configuration and the
// outputs to export.
type Deployment struct {
	Config  Config
	Outputs Outputs
}

// Declare validates the stack config (see LoadConfig), the subnets and the
// hosted zone it names, then declares the resources, offline: it reads
// nothing from AWS but through the provider's data sources. A config error
// returns before anything is declared.
func Declare(ctx *pulumi.Context, all map[string]string) (*Deployment, error) {
	return DeclareWith(ctx, all, nil)
}

// DeclareWith is Declare with the account the program reads the service's
// last rollouts from (nil: none).
func DeclareWith(ctx *pulumi.Context, all map[string]string, account Account) (*Deployment, error) {
	cfg, err := LoadConfig(ctx, all)
	if err != nil {
		return nil, err
	}
	if cfg, err = resolveRegion(ctx, cfg); err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	if err := checkSubnets(ctx, cfg); err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	z, err := lookupZone(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	var settings release.Settings
	var live liveService
	if account != nil {
		if settings, err = checkIdentity(ctx, account); err != nil {
			return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
		}
		if err := checkOwners(ctx, cfg, account, settings); err != nil {
			return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
		}
		if live, err = readLiveService(ctx, account, settings, cfg); err != nil {
			return nil, err
		}
		if err := checkReplacement(cfg, live); err != nil {
			return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
		}
		dnsCtx, cancel := context.WithTimeout(ctx.Context(), dnsCheckTimeout)
		defer cancel()
		warn := func(msg string) { _ = ctx.Log.Warn(msg, nil) }
		if err := checkDelegation(dnsCtx, cfg, z, account.NameServers, dnscheck.FromEnv().Server, warn); err != nil {
			return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
		}
	}
	outputs, err := declare(ctx, cfg, z, account, settings, live)
	if err != nil {
		return nil, err
	}
	return &Deployment{Config: cfg, Outputs: outputs}, nil
}

// stack carries what every resource of one deployment needs.
type stack struct {
	ctx       *pulumi.Context
	cfg       Config
	names     Names
	project   string
	stackName string
	region    pulumi.StringOutput
	// account is read for what the service runs; nil offline.
	account Account
	// settings are the provider's AWS settings, which the rollout check uses.
	settings release.Settings
	// live is the service as ECS ran it when this run began.
	live liveService
	// notes are what the service's before-update hook saw.
	notes *notes
	// logsKeyArn is the log groups' key (logsKey), declared once.
	logsKeyArn  pulumi.StringPtrInput
	logsKeyDone bool
}

// declare declares the stack's resources for a validated cfg, in the hosted zone z
// of its domain (nil without domainName).
func declare(ctx *pulumi.Context, cfg Config, z *zone, account Account, settings release.Settings, live liveService) (Outputs, error) {
	s := &stack{
		account:   account,
		settings:  settings,
		live:      live,
		notes:     &notes{m: map[string]deploymentsNote{}},
		ctx:       ctx,
		cfg:       cfg,
		names:     cfg.Names(),
		project:   ctx.Project(),
		stackName: ctx.Stack(),
		region:    region(ctx),
	}
	net, err := s.network()
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	groups, err := s.securityGroups(net)
	if err != nil {
		return nil, fmt.Errorf("security groups: %w", err)
	}
	cluster, err := s.cluster()
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	roles, err := s.roles(cluster)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	task, err := s.taskDefinition(cluster, roles)
	if err != nil {
		return nil, fmt.Errorf("task definition: %w", err)
	}
	certificateArn, err := s.certificate(z)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	front, err := s.loadBalancer(net, groups, certificateArn)
	if err != nil {
		return nil, fmt.Errorf("load balancer: %w", err)
	}
	if err := s.alias(z, front.lb); err != nil {
		return nil, fmt.Errorf("domain: %w", err)
	}
	if err := s.firewall(front); err != nil {
		return nil, fmt.Errorf("web application firewall: %w", err)
	}
	watch, err := s.alarms(front)
	if err != nil {
		return nil, fmt.Errorf("alarms: %w", err)
	}
	service, serviceArgs, err := s.service(net, groups, cluster, roles, task, front, watch)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	var cd *codeDeployResources
	if cfg.CodeDeploy() {
		if cd, err = s.codeDeploy(service, front, watch); err != nil {
			return nil, fmt.Errorf("codedeploy: %w", err)
		}
	}
	if err := s.autoscaling(cluster, service, front); err != nil {
		return nil, fmt.Errorf("autoscaling: %w", err)
	}

	// With domainName the URL is the domain's, which the certificate covers. A
	// certificate made elsewhere names a domain the load balancer's DNS name is
	// not: point that domain at albDnsName and use it instead.
	scheme, port := cfg.PublicScheme()
	url := front.lb.DnsName.ApplyT(func(dns string) string {
		if cfg.DomainName != "" {
			dns = cfg.DomainName
		}
		return scheme + "://" + dns + port
	}).(pulumi.StringOutput)
	outputs := Outputs{
		"albDnsName":     front.lb.DnsName,
		"url":            url,
		"aliveUrl":       pulumi.Sprintf("%s%s", url, cfg.HealthCheckPath),
		"clusterName":    cluster.cluster.Name,
		"serviceName":    service.Name,
		"targetGroupArn": front.targetGroup.Arn,
		"logGroupName":   cluster.logGroup.Name,
	}
	if cfg.Dashboard {
		if outputs["dashboardUrl"], err = s.dashboard(front); err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
	}
	// The release is declared last: its hook holds the engine while it
	// follows the rollout (a component's after hooks run as its outputs are
	// registered, synchronously: pulumi v3.274.1
	// pkg/resource/deploy/step_executor.go), and everything else of the
	// update should be done by then, and is done if the release fails.
	if err := s.release(service, serviceArgs, cd); err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	return outputs, nil
}

// readLiveService reads how the service launches its tasks now, when it
// exists. A read that fails is a warning: the replacement check then cannot
// see the service, and the plan's diff still shows a replacement.
func readLiveService(ctx *pulumi.Context, account Account, settings release.Settings, cfg Config) (liveService, error) {
	names := cfg.Names()
	readCtx, cancel := context.WithTimeout(ctx.Context(), accountReadTimeout)
	defer cancel()
	ref := release.ServiceRef{Cluster: names.Cluster, Service: names.Service, Family: names.TaskFamily}
	if cfg.CodeDeploy() {
		ref.CodeDeploy = &release.CodeDeploy{Application: names.CodeDeployApp, DeploymentGroup: names.DeploymentGroup}
	}
	live, err := account.Service(readCtx, settings, ref)
	if err != nil {
		_ = ctx.Log.Warn(fmt.Sprintf("could not read service %s (%v): a change that replaces it is not refused before `pulumi up`; read the plan's diff", names.Service, err), nil)
		return liveService{}, nil
	}
	return liveService{live}, nil
}

// resolveRegion sets cfg.Region, when aws:region is not set, to the region
// the provider will really use (from AWS_REGION or the profile: the provider
// answers aws.getRegion with it), and checks again what depends on it. The
// access-log bucket's writer (an ELB account in the regions opened before
// August 2022, the log delivery service in the others) and the certificate's
// region are then chosen from the region the stack deploys to, not guessed.
func resolveRegion(ctx *pulumi.Context, cfg Config) (Config, error) {
	if cfg.Region != "" {
		return cfg, nil
	}
	r, err := aws.GetRegion(ctx, &aws.GetRegionArgs{})
	if err != nil {
		return cfg, fmt.Errorf("aws:region: not set, and the provider cannot tell which region it deploys to (%v): set aws:region", err)
	}
	cfg.Region = r.Name
	return cfg, cfg.validate(nil).ToAggregate()
}

// region is the stack's AWS region: aws:region from the stack config when set
// (so that an offline plan needs no AWS call), else whatever the provider
// resolved from the environment or profile.
func region(ctx *pulumi.Context) pulumi.StringOutput {
	if r, err := config.Try(ctx, "aws:region"); err == nil && r != "" {
		return pulumi.String(r).ToStringOutput()
	}
	return aws.GetRegionOutput(ctx, aws.GetRegionOutputArgs{}).Name()
}

// dnsSuffix is the DNS suffix of a region's service endpoints and service
// principals: amazonaws.com.cn in China, amazonaws.com elsewhere.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services
func dnsSuffix(region string) string {
	if partition(region) == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// partition is the ARN partition of a region (aws, aws-cn or aws-us-gov).
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}
