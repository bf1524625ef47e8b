package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Config is the stack configuration: one field per key of the project namespace
// (`pulumi config set <key> <value>`). Defaults returns the tutorial's values;
// Parse reads raw values over them and Validate checks every AWS rule.
type Config struct {
	// Name is the base of every physical name (cluster, task family, service, ...).
	Name string
	// Image is the container image.
	Image string
	// ContainerName defaults to <Name>-api-rest.
	ContainerName string
	// ContainerPort is the port the API listens on, and the target group's port.
	ContainerPort int
	// CPU is the task size in CPU units; Memory its memory in MiB (Fargate's table).
	CPU    int
	Memory int
	// MemoryReservation is the container's soft memory limit in MiB.
	MemoryReservation int
	// CPUArchitecture is X86_64 or ARM64.
	CPUArchitecture string
	// DesiredCount is the number of tasks the service keeps running.
	DesiredCount int
	// ListenerPort is the load balancer's HTTP port; HTTPListener keeps that
	// listener (it redirects to HTTPS when there is a certificate).
	ListenerPort int
	HTTPListener bool
	// InternalLoadBalancer makes the load balancer internal (reachable only
	// from inside the VPC or through an entry point such as CloudFront or a VPN).
	InternalLoadBalancer bool
	// TargetProtocol is how the load balancer talks to the tasks: HTTP or HTTPS.
	TargetProtocol string
	// AllowedCidrs may reach the load balancer's listeners.
	AllowedCidrs []string

	HealthCheckPath               string
	HealthCheckIntervalSeconds    int
	HealthCheckTimeoutSeconds     int
	HealthyThreshold              int
	UnhealthyThreshold            int
	HealthCheckGracePeriodSeconds int
	DeregistrationDelaySeconds    int

	DeploymentMinimumHealthyPercent int
	DeploymentMaximumPercent        int

	// AssignPublicIP gives tasks a public IP: needed in the default VPC, which has no NAT.
	AssignPublicIP bool
	// VpcID and SubnetIDs select an existing VPC instead of the default one.
	VpcID     string
	SubnetIDs []string
	// CreateVpc builds a new VPC (public and private subnets, NAT) instead.
	CreateVpc         bool
	VpcCidr           string
	AvailabilityZones int
	// NatGateways is "single" or "onePerAz".
	NatGateways string

	// ExecutionRoleArn and TaskRoleArn use existing roles (a lab account's LabRole)
	// instead of creating them.
	ExecutionRoleArn string
	TaskRoleArn      string

	LogRetentionDays int
	// Tags are added to every taggable resource; Name, project and stack win over them.
	Tags map[string]string

	// CertificateArn turns on the HTTPS listener; HTTP then redirects to it.
	CertificateArn    string
	HTTPSListenerPort int
	SslPolicy         string

	// AutoscalingMaxCount > 0 turns on target-tracking autoscaling.
	AutoscalingMinCount          int
	AutoscalingMaxCount          int
	AutoscalingCPUTarget         int
	AutoscalingRequestsPerTarget int

	// Environment holds plain variables; Secrets maps variable names to SSM
	// parameter or Secrets Manager ARNs.
	Environment map[string]string
	Secrets     map[string]string

	AccessLogs                  bool
	DeletionProtection          bool
	ReadonlyRootFilesystem      bool
	User                        string
	ContainerHealthCheckCommand string
	EnableExecuteCommand        bool
	FargateSpotPercent          int
}

// Defaults returns the tutorial's configuration with the safe choices where the
// tutorial leaves a value open.
func Defaults() Config {
	return Config{
		Name:                            "alba-digi",
		Image:                           "public.ecr.aws/n0h7v2z5/alba-digi-api-rest:latest",
		ContainerPort:                   5050,
		CPU:                             1024,
		Memory:                          3072,
		MemoryReservation:               2048,
		CPUArchitecture:                 "X86_64",
		DesiredCount:                    2,
		ListenerPort:                    80,
		HTTPListener:                    true,
		TargetProtocol:                  "HTTP",
		AllowedCidrs:                    []string{"0.0.0.0/0"},
		HealthCheckPath:                 "/alive",
		HealthCheckIntervalSeconds:      10,
		HealthCheckTimeoutSeconds:       5,
		HealthyThreshold:                2,
		UnhealthyThreshold:              3,
		HealthCheckGracePeriodSeconds:   30,
		DeregistrationDelaySeconds:      30,
		DeploymentMinimumHealthyPercent: 100,
		DeploymentMaximumPercent:        200,
		AssignPublicIP:                  true,
		VpcCidr:                         "10.0.0.0/16",
		AvailabilityZones:               2,
		NatGateways:                     "single",
		LogRetentionDays:                14,
		HTTPSListenerPort:               443,
		SslPolicy:                       "ELBSecurityPolicy-TLS13-1-2-2021-06",
		ReadonlyRootFilesystem:          true,
		User:                            "1000",
		AutoscalingCPUTarget:            60,
		AutoscalingRequestsPerTarget:    1000,
	}
}

// Key describes one configuration key: its name in the project namespace, its
// Pulumi.yaml type and what it does. Keys lists them in README order.
type Key struct {
	Name        string
	Type        string // string, integer, boolean, array (of strings) or object (string map)
	Description string
	set         func(raw string) error
}

// Keys returns the configuration keys bound to c's fields, so that parsing,
// Pulumi.yaml and the README are checked against one list.
func (c *Config) Keys() []Key {
	return []Key{
		{"name", "string", "Base of every physical name (cluster, task family, load balancer, service, log group): up to 18 letters, digits and hyphens.", setString(&c.Name)},
		{"image", "string", "Container image.", setString(&c.Image)},
		{"containerName", "string", "Container name; defaults to <name>-api-rest.", setString(&c.ContainerName)},
		{"containerPort", "integer", "Port the API listens on; also the target group's port.", setInt(&c.ContainerPort)},
		{"cpu", "integer", "Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192, 16384).", setInt(&c.CPU)},
		{"memory", "integer", "Task memory in MiB, within Fargate's range for the CPU.", setInt(&c.Memory)},
		{"memoryReservation", "integer", "Container soft memory limit in MiB (≤ memory).", setInt(&c.MemoryReservation)},
		{"cpuArchitecture", "string", "X86_64 or ARM64.", setString(&c.CPUArchitecture)},
		{"desiredCount", "integer", "Number of tasks the service keeps running.", setInt(&c.DesiredCount)},
		{"listenerPort", "integer", "Load balancer HTTP listener port.", setInt(&c.ListenerPort)},
		{"httpListener", "boolean", "Keep the HTTP listener; with certificateArn it only redirects to HTTPS.", setBool(&c.HTTPListener)},
		{"internalLoadBalancer", "boolean", "Make the load balancer internal (reach it through CloudFront, API Gateway or a VPN).", setBool(&c.InternalLoadBalancer)},
		{"targetProtocol", "string", "Protocol from the load balancer to the tasks: HTTP, or HTTPS for an image that serves TLS.", setString(&c.TargetProtocol)},
		{"allowedCidrs", "array", "IPv4 CIDRs allowed to reach the load balancer.", setStrings(&c.AllowedCidrs)},
		{"healthCheckPath", "string", "Target group health-check path.", setString(&c.HealthCheckPath)},
		{"healthCheckIntervalSeconds", "integer", "Seconds between health checks (5-300).", setInt(&c.HealthCheckIntervalSeconds)},
		{"healthCheckTimeoutSeconds", "integer", "Health-check timeout (2-120, below the interval).", setInt(&c.HealthCheckTimeoutSeconds)},
		{"healthyThreshold", "integer", "Consecutive successes before a target is healthy (2-10).", setInt(&c.HealthyThreshold)},
		{"unhealthyThreshold", "integer", "Consecutive failures before a target is unhealthy (2-10).", setInt(&c.UnhealthyThreshold)},
		{"healthCheckGracePeriodSeconds", "integer", "Seconds the service ignores failing health checks of a new task.", setInt(&c.HealthCheckGracePeriodSeconds)},
		{"deregistrationDelaySeconds", "integer", "Seconds a draining target keeps its connections (0-3600).", setInt(&c.DeregistrationDelaySeconds)},
		{"deploymentMinimumHealthyPercent", "integer", "Rolling update: tasks kept running, in percent of desiredCount.", setInt(&c.DeploymentMinimumHealthyPercent)},
		{"deploymentMaximumPercent", "integer", "Rolling update: tasks allowed at once, in percent of desiredCount.", setInt(&c.DeploymentMaximumPercent)},
		{"assignPublicIp", "boolean", "Give tasks a public IP (needed in the default VPC, which has no NAT).", setBool(&c.AssignPublicIP)},
		{"vpcId", "string", "Existing VPC to use instead of the default VPC (with subnetIds).", setString(&c.VpcID)},
		{"subnetIds", "array", "Subnets of vpcId, at least two in different zones.", setStrings(&c.SubnetIDs)},
		{"createVpc", "boolean", "Create a VPC with public subnets for the load balancer and private subnets for the tasks.", setBool(&c.CreateVpc)},
		{"vpcCidr", "string", "CIDR of the created VPC (/16 to /24).", setString(&c.VpcCidr)},
		{"availabilityZones", "integer", "Zones of the created VPC (2-6).", setInt(&c.AvailabilityZones)},
		{"natGateways", "string", "NAT gateways of the created VPC: single or onePerAz.", setString(&c.NatGateways)},
		{"executionRoleArn", "string", "Existing task execution role (for example a lab account's LabRole); no role is created.", setString(&c.ExecutionRoleArn)},
		{"taskRoleArn", "string", "Existing task role; no role is created.", setString(&c.TaskRoleArn)},
		{"logRetentionDays", "integer", "Container log retention in days (a CloudWatch Logs value).", setInt(&c.LogRetentionDays)},
		{"tags", "object", "Extra tags for every taggable resource.", setStringMap(&c.Tags)},
		{"certificateArn", "string", "ACM certificate: adds an HTTPS listener and redirects HTTP to it.", setString(&c.CertificateArn)},
		{"httpsListenerPort", "integer", "HTTPS listener port.", setInt(&c.HTTPSListenerPort)},
		{"sslPolicy", "string", "HTTPS listener security policy (a TLS 1.3 policy).", setString(&c.SslPolicy)},
		{"autoscalingMinCount", "integer", "Autoscaling minimum task count.", setInt(&c.AutoscalingMinCount)},
		{"autoscalingMaxCount", "integer", "Autoscaling maximum task count; 0 turns autoscaling off.", setInt(&c.AutoscalingMaxCount)},
		{"autoscalingCpuTarget", "integer", "Target average CPU utilisation in percent.", setInt(&c.AutoscalingCPUTarget)},
		{"autoscalingRequestsPerTarget", "integer", "Target requests per task per minute.", setInt(&c.AutoscalingRequestsPerTarget)},
		{"environment", "object", "Plain environment variables (no secrets: use secrets).", setStringMap(&c.Environment)},
		{"secrets", "object", "Environment variables read from SSM parameter or Secrets Manager ARNs.", setStringMap(&c.Secrets)},
		{"accessLogs", "boolean", "Write load balancer access logs to a new S3 bucket.", setBool(&c.AccessLogs)},
		{"deletionProtection", "boolean", "Protect the load balancer from deletion (destroy then fails until it is turned off).", setBool(&c.DeletionProtection)},
		{"readonlyRootFilesystem", "boolean", "Mount the container's root filesystem read-only (/tmp stays writable); false for an image that writes elsewhere.", setBool(&c.ReadonlyRootFilesystem)},
		{"user", "string", "Non-root user (uid[:gid] or name) the container runs as; empty keeps the image's (often root).", setString(&c.User)},
		{"containerHealthCheckCommand", "string", "Container health-check shell command; empty turns it off.", setString(&c.ContainerHealthCheckCommand)},
		{"enableExecuteCommand", "boolean", "Turn on ECS Exec, with its task-role permissions and logging.", setBool(&c.EnableExecuteCommand)},
		{"fargateSpotPercent", "integer", "Share of tasks on Fargate Spot (0-100).", setInt(&c.FargateSpotPercent)},
	}
}

func setString(dst *string) func(string) error {
	return func(raw string) error { *dst = raw; return nil }
}

func setInt(dst *int) func(string) error {
	return func(raw string) error {
		v, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return errors.New("not an integer")
		}
		*dst = v
		return nil
	}
}

func setBool(dst *bool) func(string) error {
	return func(raw string) error {
		v, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return errors.New("not a boolean (true or false)")
		}
		*dst = v
		return nil
	}
}

func setStrings(dst *[]string) func(string) error {
	return func(raw string) error {
		var v []string
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return errors.New(`not a list of strings (for example ["a", "b"])`)
		}
		*dst = v
		return nil
	}
}

func setStringMap(dst *map[string]string) func(string) error {
	return func(raw string) error {
		var v map[string]string
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return errors.New(`not a map of strings (for example {"KEY": "value"})`)
		}
		*dst = v
		return nil
	}
}

var plainKeyRe = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// Parse reads raw config values (keyed without the project namespace, as the
// Pulumi CLI passes them: numbers and booleans as text, lists and maps as JSON)
// over the defaults, then validates the result. The error lists every problem.
func Parse(raw map[string]string) (Config, error) {
	c := Defaults()
	var errs []error
	known := map[string]bool{}
	for _, k := range c.Keys() {
		known[k.Name] = true
		v, ok := raw[k.Name]
		if !ok {
			continue
		}
		if err := k.set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: invalid value %q: %v", k.Name, v, err))
		}
	}
	var unknown []string
	for name := range raw {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		shown := name
		if !plainKeyRe.MatchString(name) {
			shown = strconv.Quote(name)
		}
		errs = append(errs, fmt.Errorf("%s: unknown key: see the keys in Pulumi.yaml", shown))
	}
	if c.ContainerName == "" {
		c.ContainerName = c.Name + "-api-rest"
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// LoadConfig reads the project's keys from the stack config and validates them.
// It reads raw text (never the SDK's GetInt, which turns "abc" into 0, nor the
// Require* functions, which panic) so that a wrong type is an error.
func LoadConfig(ctx *pulumi.Context) (Config, error) {
	cfg := config.New(ctx, "")
	raw := map[string]string{}
	defaults := Defaults()
	for _, k := range defaults.Keys() {
		if v, err := cfg.Try(k.Name); err == nil {
			raw[k.Name] = v
		}
	}
	c, err := Parse(raw)
	if err != nil {
		return c, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	return c, nil
}
