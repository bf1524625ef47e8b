package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// securityGroups are the two groups of the stack: the load balancer's, open on
// its listener ports to allowedCidrs only, and the tasks', reachable only from the
// load balancer's group on the container port.
type securityGroups struct {
	lb    *securityGroup
	tasks *securityGroup
	// rules are every rule of both groups: the service waits for them, so that
	// its first tasks can pull their image and pass health checks.
	rules []pulumi.Resource
}

// securityGroups declares the groups with no inline rules and one standalone rule
// resource per rule (never both on one group: they would overwrite each other).
// Without inline egress the provider removes AWS's default allow-all egress, so
// the rules below are the whole of each group.
//
// A group's name and description force replacement; the names are auto-named
// from the logical name so the new group can exist beside the old one while the
// load balancer and service move to it.
func (s *stack) securityGroups(net *network) (*securityGroups, error) {
	c := s.cfg
	lbGroup, err := newSecurityGroup(s.ctx, s.names.LBSecurityGroup, securityGroupArgs{
		Description: "Load balancer of " + c.Name + ": listener ports from allowedCidrs",
		VpcID:       net.vpcID,
		Tags:        s.tags(s.names.LBSecurityGroup),
	})
	if err != nil {
		return nil, err
	}
	taskGroup, err := newSecurityGroup(s.ctx, s.names.TaskSecurityGroup, securityGroupArgs{
		Description: "Tasks of " + c.Name + ": container port from the load balancer only",
		VpcID:       net.vpcID,
		Tags:        s.tags(s.names.TaskSecurityGroup),
	})
	if err != nil {
		return nil, err
	}
	out := &securityGroups{lb: lbGroup, tasks: taskGroup}

	for _, port := range c.ListenerPorts() {
		for _, cidr := range c.AllowedCidrs {
			name := s.names.LBIngress(port, cidr)
			rule, err := vpc.NewSecurityGroupIngressRule(s.ctx, name, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: lbGroup.ID(),
				Description:     pulumi.Sprintf("Listener port %d from %s", port, cidr),
				IpProtocol:      pulumi.String("tcp"),
				FromPort:        pulumi.Int(port),
				ToPort:          pulumi.Int(port),
				CidrIpv4:        pulumi.String(cidr),
				Tags:            s.tags(name),
			})
			if err != nil {
				return nil, err
			}
			out.rules = append(out.rules, rule)
		}
	}
	if c.CodeDeploy() {
		// The test listener sends requests to the new revision before it gets
		// production traffic: open to testCidrs only (none by default).
		for _, cidr := range c.TestCidrs {
			name := s.names.LBIngress(c.TestListenerPort, cidr)
			rule, err := vpc.NewSecurityGroupIngressRule(s.ctx, name, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: lbGroup.ID(),
				Description:     pulumi.Sprintf("Test listener port %d from %s", c.TestListenerPort, cidr),
				IpProtocol:      pulumi.String("tcp"),
				FromPort:        pulumi.Int(c.TestListenerPort),
				ToPort:          pulumi.Int(c.TestListenerPort),
				CidrIpv4:        pulumi.String(cidr),
				Tags:            s.tags(name),
			})
			if err != nil {
				return nil, err
			}
			out.rules = append(out.rules, rule)
		}
	}
	lbEgress := s.names.LBEgress
	lbToTasks, err := vpc.NewSecurityGroupEgressRule(s.ctx, lbEgress, &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           lbGroup.ID(),
		Description:               pulumi.Sprintf("Container port %d to the tasks (traffic and health checks)", c.ContainerPort),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(c.ContainerPort),
		ToPort:                    pulumi.Int(c.ContainerPort),
		ReferencedSecurityGroupId: taskGroup.ID(),
		Tags:                      s.tags(lbEgress),
	})
	if err != nil {
		return nil, err
	}
	taskIngress := s.names.TaskIngress
	tasksFromLB, err := vpc.NewSecurityGroupIngressRule(s.ctx, taskIngress, &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           taskGroup.ID(),
		Description:               pulumi.Sprintf("Container port %d from the load balancer only", c.ContainerPort),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(c.ContainerPort),
		ToPort:                    pulumi.Int(c.ContainerPort),
		ReferencedSecurityGroupId: lbGroup.ID(),
		Tags:                      s.tags(taskIngress),
	})
	if err != nil {
		return nil, err
	}
	// Tasks pull their image, write logs and call AWS APIs over the internet (or
	// NAT); without VPC endpoints for each of those, egress must be open.
	taskEgress := s.names.TaskEgress
	tasksOut, err := vpc.NewSecurityGroupEgressRule(s.ctx, taskEgress, &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: taskGroup.ID(),
		Description:     pulumi.String("All outbound: image pulls, logs and AWS APIs"),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Tags:            s.tags(taskEgress),
	})
	if err != nil {
		return nil, err
	}
	out.rules = append(out.rules, lbToTasks, tasksFromLB, tasksOut)
	return out, nil
}
