package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// frontEnd is the internet-facing part: load balancer, target group, listeners.
type frontEnd struct {
	lb          *lb.LoadBalancer
	targetGroup *lb.TargetGroup
	// listeners are what the service waits for: AWS refuses a service whose target
	// group no listener uses yet.
	listeners []pulumi.Resource
	// With a CodeDeploy release: the second target group, the production
	// listeners that forward to the pair (the HTTPS one with HTTPS, else the
	// HTTP one) and the test listener.
	greenTargetGroup *lb.TargetGroup
	production       []*lb.Listener
	test             *lb.Listener
}

// loadBalancer declares the Application Load Balancer, its target group and
// listeners.
//
// The load balancer and target group are auto-named from the tutorial's names
// (alba-digi-load-balancer-1a2b3c4; see elbLogicalName for longer names): their name, scheme, type, and the target group's port, protocol,
// target type and VPC force replacement, and a fixed name would make the new one
// collide with the old one, which its listener still uses. The Name tag keeps
// the tutorial's name for the console.
func (s *stack) loadBalancer(net *network, groups *securityGroups, certificateArn pulumi.StringOutput) (*frontEnd, error) {
	c := s.cfg
	args := &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(c.InternalLoadBalancer),
		IpAddressType:            pulumi.String("ipv4"),
		SecurityGroups:           pulumi.StringArray{groups.lb.ID()},
		Subnets:                  net.lbSubnets,
		DropInvalidHeaderFields:  pulumi.Bool(true),
		DesyncMitigationMode:     pulumi.String("defensive"),
		EnableDeletionProtection: pulumi.Bool(c.DeletionProtection),
		Tags:                     s.tags(s.names.LoadBalancer),
	}
	var opts []pulumi.ResourceOption
	if c.AccessLogs {
		logs, err := s.accessLogsBucket()
		if err != nil {
			return nil, err
		}
		args.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
			Bucket:  logs.bucket,
			Prefix:  pulumi.String(c.Name),
			Enabled: pulumi.Bool(true),
		}
		// ELB checks that it may write to the bucket when logging is turned on.
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{logs.policy}))
	}
	alb, err := lb.NewLoadBalancer(s.ctx, s.names.LoadBalancerResource, args, opts...)
	if err != nil {
		return nil, err
	}

	tg, err := s.targetGroup(net, s.names.TargetGroupResource, s.names.TargetGroup)
	if err != nil {
		return nil, err
	}
	out := &frontEnd{lb: alb, targetGroup: tg}
	// With a CodeDeploy release, each release swaps the target group that
	// production traffic (and test traffic) goes to: CodeDeploy, not the
	// stack, owns the listeners' default action from then on, so the stack
	// ignores its changes (a refresh reads the swapped one, which must not be
	// put back). The service's load balancer entry is likewise CodeDeploy's
	// (service.go).
	// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-bluegreen.html
	var listenerOpts []pulumi.ResourceOption
	if c.CodeDeploy() {
		if out.greenTargetGroup, err = s.targetGroup(net, s.names.GreenTargetGroupResource, s.names.GreenTargetGroup); err != nil {
			return nil, err
		}
		listenerOpts = append(listenerOpts, pulumi.IgnoreChanges([]string{"defaultActions"}))
	}

	forward := lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
		Type:           pulumi.String("forward"),
		TargetGroupArn: tg.Arn,
	}}
	httpActions := forward
	if c.HTTPS() {
		httpActions = lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerDefaultActionRedirectArgs{
				Protocol:   pulumi.String("HTTPS"),
				Port:       pulumi.Sprintf("%d", c.HTTPSListenerPort),
				StatusCode: pulumi.String("HTTP_301"),
			},
		}}
	}
	if c.HTTPListener {
		var opts []pulumi.ResourceOption
		if !c.HTTPS() {
			opts = listenerOpts // it forwards; with HTTPS it redirects, and stays the stack's
		}
		httpListener, err := lb.NewListener(s.ctx, s.names.HTTPListener, &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(c.ListenerPort),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions:  httpActions,
			Tags:            s.tags(s.names.HTTPListener),
		}, opts...)
		if err != nil {
			return nil, err
		}
		out.listeners = append(out.listeners, httpListener)
		if !c.HTTPS() {
			out.production = append(out.production, httpListener)
		}
	}
	if c.HTTPS() {
		httpsListener, err := lb.NewListener(s.ctx, s.names.HTTPSListener, &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(c.HTTPSListenerPort),
			Protocol:        pulumi.String("HTTPS"),
			SslPolicy:       pulumi.String(c.SslPolicy),
			CertificateArn:  certificateArn,
			DefaultActions:  forward,
			Tags:            s.tags(s.names.HTTPSListener),
		}, listenerOpts...)
		if err != nil {
			return nil, err
		}
		out.listeners = append(out.listeners, httpsListener)
		out.production = append(out.production, httpsListener)
	}
	if c.CodeDeploy() {
		// It answers testCidrs only, and CodeDeploy points it at the new
		// revision before production traffic moves. With HTTPS it serves
		// HTTPS with the production listener's certificate and policy: a
		// plain HTTP listener that forwards is what the scanners' "HTTP
		// listeners redirect to HTTPS" rules (Security Hub ELB.1, checkov
		// CKV_AWS_2) fail, and test requests carry what production ones do.
		args := &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(c.TestListenerPort),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: out.greenTargetGroup.Arn,
			}},
			Tags: s.tags(s.names.TestListener),
		}
		if c.HTTPS() {
			args.Protocol, args.SslPolicy, args.CertificateArn = pulumi.String("HTTPS"), pulumi.String(c.SslPolicy), certificateArn
		}
		out.test, err = lb.NewListener(s.ctx, s.names.TestListener, args, listenerOpts...)
		if err != nil {
			return nil, err
		}
		out.listeners = append(out.listeners, out.test)
	}
	return out, nil
}

// targetGroup declares one of the service's target groups: IP targets on
// the container port, health-checked on healthCheckPath with every setting
// explicit (the provider's defaults, 3/3 thresholds, are neither AWS's nor the
// tutorial's).
func (s *stack) targetGroup(net *network, logical, name string) (*lb.TargetGroup, error) {
	c := s.cfg
	return lb.NewTargetGroup(s.ctx, logical, &lb.TargetGroupArgs{
		TargetType:          pulumi.String("ip"), // Fargate tasks register by IP (awsvpc)
		Protocol:            pulumi.String(c.TargetProtocol),
		Port:                pulumi.Int(c.ContainerPort),
		VpcId:               net.vpcID,
		DeregistrationDelay: pulumi.Int(c.DeregistrationDelaySeconds),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String(c.TargetProtocol),
			Port:               pulumi.String("traffic-port"),
			Path:               pulumi.String(c.HealthCheckPath),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(c.HealthCheckIntervalSeconds),
			Timeout:            pulumi.Int(c.HealthCheckTimeoutSeconds),
			HealthyThreshold:   pulumi.Int(c.HealthyThreshold),
			UnhealthyThreshold: pulumi.Int(c.UnhealthyThreshold),
		},
		Tags: s.tags(name),
	})
}
