package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/field"
)

// The API's own domain: with domainName the stack makes an ACM certificate
// validated by DNS in the domain's Route 53 public hosted zone, uses it on the
// HTTPS listener (HTTP then answers 301), and points the domain at the load
// balancer with an alias record, as AWS Copilot's http.alias and the CDK's
// ApplicationLoadBalancedFargateService do.
// https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html

// zone is the Route 53 public hosted zone that holds domainName.
type zone struct{ id, name string }

// hostedZoneName is the zone looked up when hostedZoneId is not set: the
// domain's parent (example.com for api.example.com).
func (c Config) hostedZoneName() string {
	_, parent, _ := strings.Cut(c.DomainName, ".")
	return parent
}

// lookupZone asks the account, through the provider's read-only data source,
// for the zone of domainName, before anything is declared: it must exist, be
// public, and contain the domain.
func lookupZone(ctx *pulumi.Context, c Config) (*zone, error) {
	if c.DomainName == "" {
		return nil, nil
	}
	args := &route53.LookupZoneArgs{PrivateZone: pulumi.BoolRef(false)}
	p := field.NewPath("hostedZoneId")
	var shown any = c.HostedZoneID
	if c.HostedZoneID != "" {
		args.ZoneId = pulumi.StringRef(c.HostedZoneID)
	} else {
		args.Name = pulumi.StringRef(c.hostedZoneName())
		p, shown = field.NewPath("domainName"), c.DomainName
	}
	z, err := route53.LookupZone(ctx, args)
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		detail := "no public hosted zone " + c.hostedZoneName() + " in the account: create it, or set hostedZoneId to the zone that holds domainName (" + first + ")"
		if c.HostedZoneID != "" {
			detail = "no such public hosted zone in the account (" + first + ")"
		}
		return nil, field.ErrorList{field.NewInvalid(p, shown, detail)}.ToAggregate()
	}
	name := strings.TrimSuffix(z.Name, ".")
	var errs field.ErrorList
	if z.PrivateZone != nil && *z.PrivateZone {
		errs = append(errs, field.NewInvalid(p, shown, "zone "+name+" is private: the certificate's validation record and the alias must be in a public zone"))
	}
	if c.DomainName != name && !strings.HasSuffix(c.DomainName, "."+name) {
		errs = append(errs, field.NewInvalid(field.NewPath("domainName"), c.DomainName, fmt.Sprintf("zone %s (%s) does not contain it", name, z.ZoneId)))
	}
	if err := errs.ToAggregate(); err != nil {
		return nil, err
	}
	return &zone{id: z.ZoneId, name: name}, nil
}

// certificate returns the HTTPS listener's certificate: certificateArn, or a
// new ACM certificate for domainName once DNS has validated it (the listener
// waits for the validation). A new domain replaces the certificate: Pulumi
// creates the new one first, the listener moves to it in place, then the old
// one is deleted.
func (s *stack) certificate(z *zone) (pulumi.StringOutput, error) {
	c := s.cfg
	if c.CertificateArn != "" || c.DomainName == "" {
		return pulumi.String(c.CertificateArn).ToStringOutput(), nil
	}
	cert, err := acm.NewCertificate(s.ctx, s.names.Certificate, &acm.CertificateArgs{
		DomainName:       pulumi.String(c.DomainName),
		ValidationMethod: pulumi.String("DNS"),
		Tags:             s.tags(s.names.Certificate),
	})
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(s.ctx, s.names.CertificateRecord, &route53.RecordArgs{
		ZoneId:  pulumi.String(z.id),
		Name:    option.ResourceRecordName().Elem(),
		Type:    option.ResourceRecordType().Elem(),
		Records: pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:     pulumi.Int(300),
		// ACM gives a domain the same validation record every time: a replaced
		// certificate, or one made by hand before, finds it already there.
		AllowOverwrite: pulumi.Bool(true),
	})
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(s.ctx, s.names.CertificateValidation, &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	})
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return validation.CertificateArn, nil
}

// alias points domainName at the load balancer.
func (s *stack) alias(z *zone, alb *lb.LoadBalancer) error {
	if z == nil {
		return nil
	}
	_, err := route53.NewRecord(s.ctx, s.names.AliasRecord, &route53.RecordArgs{
		ZoneId: pulumi.String(z.id),
		Name:   pulumi.String(s.cfg.DomainName),
		Type:   pulumi.String("A"),
		Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
			Name:                 alb.DnsName,
			ZoneId:               alb.ZoneId,
			EvaluateTargetHealth: pulumi.Bool(true),
		}},
	})
	return err
}
