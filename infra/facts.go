package infra

import "fmt"

// Domain facts that resources, validation and the plan all ask about, computed
// in one place.

// NetworkKind is where the stack runs.
type NetworkKind string

// The three networks a stack can use.
const (
	// DefaultVPC is the account's default VPC (the tutorial's): load balancer
	// and tasks share its public subnets; it has no NAT.
	DefaultVPC NetworkKind = "default"
	// ExistingVPC is the VPC and subnets named by vpcId and subnetIds.
	ExistingVPC NetworkKind = "existing"
	// NewVPC is a VPC the stack creates (createVpc), with public and private
	// subnets and NAT gateways.
	NewVPC NetworkKind = "new"
)

// NetworkKind returns the network the stack uses.
func (c Config) NetworkKind() NetworkKind {
	switch {
	case c.CreateVpc:
		return NewVPC
	case c.VpcID != "":
		return ExistingVPC
	default:
		return DefaultVPC
	}
}

// HTTPS reports whether the load balancer has an HTTPS listener: with a
// certificate made elsewhere, or one the stack makes for domainName.
func (c Config) HTTPS() bool { return c.CertificateArn != "" || c.DomainName != "" }

// Autoscaling reports whether target-tracking autoscaling is on.
func (c Config) Autoscaling() bool { return c.AutoscalingMaxCount > 0 }

// NATPerZone reports whether a created VPC has one NAT gateway per zone.
func (c Config) NATPerZone() bool { return c.NatGateways == "onePerAz" }

// PublicScheme is the scheme of the API's URL, and the port suffix (":8080")
// when the listener is not on the scheme's default port.
func (c Config) PublicScheme() (scheme, port string) {
	scheme, p, standard := "http", c.ListenerPort, 80
	if c.HTTPS() {
		scheme, p, standard = "https", c.HTTPSListenerPort, 443
	}
	if p != standard {
		return scheme, fmt.Sprintf(":%d", p)
	}
	return scheme, ""
}

// ListenerPorts are the load balancer's open ports, HTTP first.
func (c Config) ListenerPorts() []int {
	var ports []int
	if c.HTTPListener {
		ports = append(ports, c.ListenerPort)
	}
	if c.HTTPS() {
		ports = append(ports, c.HTTPSListenerPort)
	}
	return ports
}

// rollingBounds are the task counts a rolling update may reach: at most upper
// running, at least lower kept healthy.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
func (c Config) rollingBounds() (upper, lower int) {
	return rollingBounds(c.DesiredCount, c.DeploymentMinimumHealthyPercent, c.DeploymentMaximumPercent)
}

func rollingBounds(desired, minPercent, maxPercent int) (upper, lower int) {
	// ECS rounds the maximum down and the minimum up.
	return desired * maxPercent / 100, (desired*minPercent + 99) / 100
}

// RollingBatch is how many tasks a rolling update replaces at once: those the
// maximum allows above the minimum, at most desiredCount. Below 1 the update
// cannot progress (validation refuses it).
func (c Config) RollingBatch() int {
	return rollingBatch(c.DesiredCount, c.DeploymentMinimumHealthyPercent, c.DeploymentMaximumPercent)
}

func rollingBatch(desired, minPercent, maxPercent int) int {
	upper, lower := rollingBounds(desired, minPercent, maxPercent)
	return min(upper-lower, desired)
}

// CodeDeploy reports whether releases go through CodeDeploy (blue/green,
// canary or linear) rather than ECS's rolling update.
func (c Config) CodeDeploy() bool {
	return c.DeploymentStrategy != StrategyRolling && c.DeploymentStrategy != ""
}

// TrafficShift is how a CodeDeploy release moves production traffic.
type TrafficShift struct {
	// Config is the CodeDeploy deployment configuration's name: a predefined
	// one where it fits, else the stack's own (Custom).
	Config string `json:"config"`
	Custom bool   `json:"custom"`
	// Type is AllAtOnce, TimeBasedCanary or TimeBasedLinear; Percent and
	// Minutes its first share (canary) or step (linear) and interval.
	Type    string `json:"type"`
	Percent int    `json:"percent,omitempty"`
	Minutes int    `json:"minutes,omitempty"`
	// ShiftMinutes is how long production traffic takes to move entirely.
	ShiftMinutes int `json:"shiftMinutes"`
}

// predefinedShifts are CodeDeploy's own deployment configurations for ECS.
// https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html#deployment-configuration-ecs
var predefinedShifts = map[TrafficShift]string{
	{Type: "AllAtOnce"}: "CodeDeployDefault.ECSAllAtOnce",
	{Type: "TimeBasedCanary", Percent: 10, Minutes: 5}:  "CodeDeployDefault.ECSCanary10Percent5Minutes",
	{Type: "TimeBasedCanary", Percent: 10, Minutes: 15}: "CodeDeployDefault.ECSCanary10Percent15Minutes",
	{Type: "TimeBasedLinear", Percent: 10, Minutes: 1}:  "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
	{Type: "TimeBasedLinear", Percent: 10, Minutes: 3}:  "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
}

// TrafficShift is how releases move production traffic; nil with the
// rolling strategy.
// customShiftName is the name of the stack's own deployment configuration:
// its shape is in it (alba-digi-canary-20pct-3min), so a new shape is a new
// configuration beside the old one. Every argument of a deployment
// configuration forces a new one (terraform-provider-aws
// internal/service/deploy/deployment_config.go has no update), and CodeDeploy
// refuses to delete one a group still uses (DeploymentConfigInUseException,
// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeleteDeploymentConfig.html):
// with a name of its own the default create-before-delete creates the new
// one, moves the group to it, then deletes the old one.
func customShiftName(prefix string, t TrafficShift) string {
	kind := "canary"
	if t.Type == "TimeBasedLinear" {
		kind = "linear"
	}
	return fmt.Sprintf("%s-%s-%dpct-%dmin", prefix, kind, t.Percent, t.Minutes)
}

func (c Config) TrafficShift() *TrafficShift {
	var t TrafficShift
	switch c.DeploymentStrategy {
	case StrategyBlueGreen:
		t = TrafficShift{Type: "AllAtOnce"}
	case StrategyCanary:
		t = TrafficShift{Type: "TimeBasedCanary", Percent: c.CanaryPercent, Minutes: c.CanaryMinutes, ShiftMinutes: c.CanaryMinutes}
	case StrategyLinear:
		t = TrafficShift{Type: "TimeBasedLinear", Percent: c.LinearPercent, Minutes: c.LinearMinutes}
		if c.LinearPercent > 0 {
			t.ShiftMinutes = (100/c.LinearPercent - 1 + min(1, 100%c.LinearPercent)) * c.LinearMinutes
		}
	default:
		return nil
	}
	key := TrafficShift{Type: t.Type, Percent: t.Percent, Minutes: t.Minutes}
	if name, ok := predefinedShifts[key]; ok {
		t.Config = name
	} else {
		t.Custom = true
		t.Config = customShiftName(c.Name, t)
	}
	return &t
}
