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
	"sync"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"alba-digi/internal/rollout"
)

// Outputs are the stack outputs by export name.
type Outputs map[string]pulumi.Output

// Program is the whole stack as `pulumi up` and `pulumi preview` run it: it
// reads and validates the configuration the engine hands the program
// (EngineConfig), reads the service's last rollouts from AWS (see Account),
// declares every resource and exports the outputs.
func Program(ctx *pulumi.Context) error { return LiveProgramFor(EngineConfig())(ctx) }

// LiveProgramFor is Program for a run whose whole configuration is all (full
// keys to raw values) and where the engine sets no PULUMI_CONFIG: Automation
// API inline programs against a real account.
func LiveProgramFor(all map[string]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error { return export(ctx, all, awsAccount{}) }
}

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
	if err := checkSubnets(ctx, cfg); err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	z, err := lookupZone(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	var settings rollout.Settings
	if account != nil {
		if settings, err = checkIdentity(ctx, account); err != nil {
			return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
		}
		dnsCtx, cancel := context.WithTimeout(ctx.Context(), dnsCheckTimeout)
		defer cancel()
		warn := func(msg string) { _ = ctx.Log.Warn(msg, nil) }
		if err := checkDelegation(dnsCtx, cfg, z, account.NameServers, warn); err != nil {
			return nil, fmt.Errorf("invalid stack configuration:\n%w", err)
		}
	}
	outputs, err := declare(ctx, cfg, z, account, settings)
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
	// account is read for the service's last rollouts; nil offline.
	account Account
	// settings are the provider's AWS settings, which the rollout check uses.
	settings rollout.Settings
	// notes are what the before-update hook saw, by the service's URN.
	notesMu sync.Mutex
	notes   map[string]deploymentsNote
	// logsKeyArn is the log groups' key (logsKey), declared once.
	logsKeyArn  pulumi.StringPtrInput
	logsKeyDone bool
}

// declare declares the stack's resources for a validated cfg, in the hosted zone z
// of its domain (nil without domainName).
func declare(ctx *pulumi.Context, cfg Config, z *zone, account Account, settings rollout.Settings) (Outputs, error) {
	s := &stack{
		account:   account,
		settings:  settings,
		notes:     map[string]deploymentsNote{},
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
	service, err := s.service(net, groups, cluster, roles, task, front, watch)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
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
	return outputs, nil
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
