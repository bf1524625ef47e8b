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
