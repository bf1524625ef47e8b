package infra

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/dnscheck"
	"alba-digi/internal/field"
)

// The API's own domain: with domainName the stack makes an ACM certificate
// validated by DNS in the domain's Route 53 public hosted zone, uses it on the
// HTTPS listener (HTTP then answers 301), and points the domain at the load
// balancer with an alias record, as AWS Copilot's http.alias and the CDK's
// ApplicationLoadBalancedFargateService do.
// https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html

// zone is the Route 53 public hosted zone that holds domainName, with the
// name servers Route 53 gave it.
type zone struct {
	id, name    string
	nameServers []string
}

// zoneCandidates are the zones that may hold domainName, longest first: the
// domain itself (its apex), then each parent down to its registrable domain
// (api.dev.example.com, dev.example.com, example.com; api.example.co.uk,
// example.co.uk), never into a public suffix (co.uk), which is no one's zone.
func (c Config) zoneCandidates() []string {
	registrable, err := dnscheck.Registrable(c.DomainName)
	if err != nil {
		return nil // validation refuses a public suffix
	}
	labels := strings.Split(c.DomainName, ".")
	var names []string
	for i := range labels {
		name := strings.Join(labels[i:], ".")
		names = append(names, name)
		if name == registrable {
			break
		}
	}
	return names
}

// notFound tells the provider's "no such zone" from other failures.
func notFound(err error) bool {
	return strings.Contains(err.Error(), "no matching Route 53 Hosted Zone found") || strings.Contains(err.Error(), "NoSuchHostedZone")
}

// lookupZone asks the account, through the provider's read-only data source,
// for the zone of domainName before anything is declared: hostedZoneId's, or
// the longest public zone whose name holds the domain. It must exist, be
// public, and contain the domain.
func lookupZone(ctx *pulumi.Context, c Config) (*zone, error) {
	if c.DomainName == "" {
		return nil, nil
	}
	if c.HostedZoneID != "" {
		z, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{ZoneId: pulumi.StringRef(c.HostedZoneID)})
		if err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			return nil, field.ErrorList{field.NewInvalid(field.NewPath("hostedZoneId"), c.HostedZoneID, "no such public hosted zone in the account ("+first+")")}.ToAggregate()
		}
		return checkZone(c, field.NewPath("hostedZoneId"), c.HostedZoneID, z)
	}
	tried := c.zoneCandidates()
	for _, name := range tried {
		z, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{Name: pulumi.StringRef(name), PrivateZone: pulumi.BoolRef(false)})
		switch {
		case err != nil && notFound(err):
			continue
		case err != nil:
			first, _, _ := strings.Cut(err.Error(), "\n")
			return nil, field.ErrorList{field.NewInvalid(field.NewPath("domainName"), c.DomainName, "cannot look up its hosted zone "+name+" ("+first+")")}.ToAggregate()
		}
		return checkZone(c, field.NewPath("domainName"), c.DomainName, z)
	}
	return nil, field.ErrorList{field.NewInvalid(field.NewPath("domainName"), c.DomainName,
		"no public hosted zone of the account holds it (tried "+strings.Join(tried, ", ")+"): create one, or set hostedZoneId")}.ToAggregate()
}

// checkZone checks the zone found for the domain: public, and holding it.
func checkZone(c Config, p *field.Path, shown any, z *route53.LookupZoneResult) (*zone, error) {
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
	return &zone{id: z.ZoneId, name: name, nameServers: z.NameServers}, nil
}

// checkDelegation asks the public DNS (through lookupNS, which asks the
// public resolver via, not the machine's own) which zone answers for the
// domain, walking up from it, no further than its registrable domain, to the
// first name with name servers (the zone cut), and compares it with the
// Route 53 zone: ACM validates the certificate through the public DNS, so a
// zone that is not delegated, or a more specific delegated zone that shadows
// it, leaves the validation waiting until it times out. A mismatch the user
// knows about is a warning with acceptDelegationMismatch. A DNS that does not
// answer proves nothing: the check is skipped with a warning.
func checkDelegation(ctx context.Context, c Config, z *zone, lookupNS func(context.Context, string) ([]string, error), via string, warn func(string)) error {
	if z == nil {
		return nil
	}
	for _, name := range c.zoneCandidates() {
		servers, err := lookupNS(ctx, name)
		if err != nil || len(servers) == 0 {
			if ctx.Err() != nil {
				break
			}
			continue // no zone cut at this name
		}
		public := normalizeServers(servers)
		ours := normalizeServers(z.nameServers)
		var problem string
		switch {
		case name != z.name:
			problem = fmt.Sprintf("the public DNS (asked through %s) delegates %s to name servers %s, which shadows Route 53 zone %s (%s): ACM would never see the validation record; set hostedZoneId to the zone of %s",
				via, name, strings.Join(public, ", "), z.name, z.id, name)
		case !slices.Equal(public, ours):
			problem = fmt.Sprintf("zone %s is not delegated to Route 53: the public DNS (asked through %s) names %s as its name servers, the hosted zone %s has %s; set those at the domain's registrar (or its parent zone)",
				name, via, strings.Join(public, ", "), z.id, strings.Join(ours, ", "))
		default:
			return nil
		}
		if c.AcceptDelegationMismatch {
			warn(problem + " (accepted with acceptDelegationMismatch: the certificate's validation waits up to " + validationTimeout(c) + " for ACM to see the record)")
			return nil
		}
		return field.ErrorList{field.NewInvalid(field.NewPath("domainName"), c.DomainName, problem+"; if you know this mismatch and it is right, set acceptDelegationMismatch")}.ToAggregate()
	}
	warn(fmt.Sprintf("could not check that the public DNS (asked through %s) delegates %s to Route 53 zone %s (no name server answer): if it does not, the certificate's validation waits up to %s (certificateValidationMinutes) and fails", via, c.DomainName, z.name, validationTimeout(c)))
	return nil
}

func normalizeServers(servers []string) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = strings.ToLower(strings.TrimSuffix(s, "."))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// validationTimeout bounds the wait for ACM's DNS validation:
// certificateValidationMinutes, by default the provider's own default wait
// (75 minutes); ACM itself tries for 72 hours, and Route 53 answers within a
// minute or two, but ACM's checks can take longer than either suggests.
// https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
// https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html
func validationTimeout(c Config) string { return fmt.Sprintf("%dm", c.CertificateValidationMinutes) }

// validationProgressEvery is how often `pulumi up` says it still waits for
// ACM's validation.
var validationProgressEvery = 5 * time.Minute

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
	// ACM gives every certificate of a name in the account the same
	// validation record. Taking over one that exists (made by hand, or by
	// another stack's certificate) is asked for with adoptValidationRecord, and
	// such a record is kept on destroy: the other certificate's renewal needs
	// it. Otherwise a record already there fails the create.
	recordOpts := []pulumi.ResourceOption{pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(s.names.CertificateRecordWas)}})}
	if c.AdoptValidationRecord {
		recordOpts = append(recordOpts, pulumi.RetainOnDelete(true))
	}
	record, err := route53.NewRecord(s.ctx, s.names.CertificateRecord, &route53.RecordArgs{
		ZoneId:         pulumi.String(z.id),
		Name:           option.ResourceRecordName().Elem(),
		Type:           option.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(c.AdoptValidationRecord),
	}, recordOpts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(s.ctx, s.names.CertificateValidation, &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, pulumi.Timeouts(&pulumi.CustomTimeouts{Create: validationTimeout(c)}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if !s.ctx.DryRun() {
		s.sayValidationWait(record.Fqdn, validation.CertificateArn, z.name)
	}
	return validation.CertificateArn, nil
}

// sayValidationWait says, once the validation record exists, what `pulumi up`
// waits for and for how long, and again every validationProgressEvery until
// the certificate is validated: the provider's wait prints nothing of its own.
func (s *stack) sayValidationWait(fqdn, validated pulumi.StringOutput, zoneName string) {
	done := make(chan struct{})
	validated.ApplyT(func(string) error {
		close(done)
		return nil
	})
	fqdn.ApplyT(func(record string) error {
		c := s.cfg
		what := fmt.Sprintf("ACM to validate the certificate of %s through DNS record %s in zone %s", c.DomainName, record, zoneName)
		say := func(msg string) { _ = s.ctx.Log.Info(msg, nil) }
		go reportWait(what, validationTimeout(c), validationProgressEvery, done, s.ctx.Context().Done(), say)
		return nil
	})
}

// reportWait says what `pulumi up` waits for and for how long at most, then
// again every interval, with the time waited, until done or stop is closed.
func reportWait(what, limit string, every time.Duration, done, stop <-chan struct{}, say func(string)) {
	say(fmt.Sprintf("waiting up to %s (certificateValidationMinutes) for %s", limit, what))
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-stop:
			return
		case <-tick.C:
			say(fmt.Sprintf("still waiting for %s: %s of %s", what, time.Since(start).Round(every), limit))
		}
	}
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
	}, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(s.names.AliasRecordWas)}}))
	return err
}
