package tests

import (
	"slices"
	"strings"
	"testing"

	"alba-digi/internal/diff"
	"alba-digi/internal/field"
	"alba-digi/internal/mockaws"
)

const (
	tCert       = "aws:acm/certificate:Certificate"
	tCertValid  = "aws:acm/certificateValidation:CertificateValidation"
	tRecord     = "aws:route53/record:Record"
	exampleZone = "Z0EXAMPLE0COM000000000" // the fake account's example.com
)

// dependsOnInput reports whether the register request of the resource named
// name made its input depend on the resource named dep.
func dependsOnInput(v stackView, name, input, dep string) bool {
	for _, urn := range v.registration(name).PropertyDependencies[input] {
		if mockaws.URNName(urn) == dep {
			return true
		}
	}
	return false
}

// TestDomainChain: with domainName the certificate is validated by a DNS
// record in the domain's zone, the HTTPS listener waits for the validation,
// HTTP answers 301, and the domain is an alias of the load balancer.
func TestDomainChain(t *testing.T) {
	res := deploy(t, "dev", "domainName=api.example.com")
	v := view(t, res)
	cert := v.one(tCert)
	expect(t, cert, map[string]string{"domainName": "api.example.com", "validationMethod": "DNS"})
	dvo := v.registration(cert.Name).Outputs["domainValidationOptions"].ArrayValue()[0].ObjectValue()

	record := v.named("domain-validation-record")
	expect(t, record, map[string]string{
		"zoneId": exampleZone, "name": dvo["resourceRecordName"].StringValue(), "type": "CNAME",
		"records.0": dvo["resourceRecordValue"].StringValue(), "allowOverwrite": "false",
	})
	if r := v.registration(record.Name); r.RetainOnDelete {
		t.Error("a record the stack made is retained on destroy")
	}
	for _, input := range []string{"name", "type", "records"} {
		if !dependsOnInput(v, record.Name, input, cert.Name) {
			t.Errorf("validation record's %s does not come from the certificate", input)
		}
	}
	validation := v.one(tCertValid)
	expect(t, validation, map[string]string{
		"certificateArn": outputOf(t, v, cert.Name, "arn"), "validationRecordFqdns.0": outputOf(t, v, record.Name, "fqdn"),
	})
	if !dependsOnInput(v, validation.Name, "validationRecordFqdns", record.Name) {
		t.Error("the validation does not wait for the record")
	}
	https := v.named("alba-digi-https")
	expect(t, https, map[string]string{"protocol": "HTTPS", "port": "443", "certificateArn": outputOf(t, v, cert.Name, "arn")})
	if !dependsOnInput(v, https.Name, "certificateArn", validation.Name) {
		t.Error("the HTTPS listener does not wait for the certificate's validation")
	}
	expect(t, v.named("alba-digi-http"), map[string]string{"defaultActions.0.type": "redirect", "defaultActions.0.redirect.statusCode": "HTTP_301", "defaultActions.0.redirect.protocol": "HTTPS"})

	alias := v.named("domain-alias")
	expect(t, alias, map[string]string{
		"zoneId": exampleZone, "name": "api.example.com", "type": "A",
		"aliases.0.name":   outputOf(t, v, "alba-digi-load-balancer", "dnsName"),
		"aliases.0.zoneId": outputOf(t, v, "alba-digi-load-balancer", "zoneId"), "aliases.0.evaluateTargetHealth": "true",
	})
	if out := res.Plan.Outputs; out["url"] != "https://api.example.com" || out["aliveUrl"] != "https://api.example.com/alive" {
		t.Errorf("url %v aliveUrl %v, want the domain's", out["url"], out["aliveUrl"])
	}
}

// TestDomainWithACertificateMadeElsewhere: certificateArn and domainName add
// only the alias record.
func TestDomainWithACertificateMadeElsewhere(t *testing.T) {
	const arn = "arn:aws:acm:us-east-1:123456789012:certificate/0f3d2b1a-1111-2222-3333-444455556666"
	v := view(t, deploy(t, "dev", "domainName=api.example.com", "certificateArn="+arn))
	if n := len(v.all(tCert)) + len(v.all(tCertValid)); n != 0 {
		t.Errorf("%d certificate resources with a certificate made elsewhere", n)
	}
	if rs := v.all(tRecord); len(rs) != 1 || rs[0].Name != "domain-alias" {
		t.Errorf("records %v, want the alias only", rs)
	}
	expect(t, v.named("alba-digi-https"), map[string]string{"certificateArn": arn})
}

func TestDomainRejects(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		path      string
		detail    string
	}{
		{"upper case", []string{"domainName=Api.Example.com"}, "domainName", "lower-case DNS name"},
		{"wildcard", []string{"domainName=*.example.com"}, "domainName", "lower-case DNS name"},
		{"one label", []string{"domainName=localhost"}, "domainName", "lower-case DNS name"},
		{"label ending in a hyphen", []string{"domainName=api-.example.com"}, "domainName", "lower-case DNS name"},
		{"internal load balancer", []string{"domainName=api.example.com", "internalLoadBalancer=true"}, "domainName", "load balancer is internal"},
		{"zone without domain", []string{"hostedZoneId=Z0EXAMPLE0COM000000000"}, "hostedZoneId", "without domainName"},
		{"zone id shape", []string{"domainName=api.example.com", "hostedZoneId=example.com"}, "hostedZoneId", "hosted zone id"},
		{"zone that does not hold the domain", []string{"domainName=api.example.com", "hostedZoneId=Z0EXAMPLE0ORG000000000"}, "domainName", "zone example.org (Z0EXAMPLE0ORG000000000) does not contain it"},
		{"private zone", []string{"domainName=api.corp.internal"}, "domainName", "zone corp.internal is private"},
		{"no zone holds it", []string{"domainName=api.shop.example.invalid"}, "domainName", "no public hosted zone of the account holds it (tried api.shop.example.invalid, shop.example.invalid, example.invalid)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryDeploy("dev", tt.overrides...)
			list := field.List(err)
			if !slices.ContainsFunc(list, func(e *field.Error) bool {
				return e.Field == tt.path && e.Type == field.Invalid && strings.Contains(e.Detail, tt.detail)
			}) {
				t.Errorf("error %v, want invalid %s: %s", err, tt.path, tt.detail)
			}
		})
	}
}

// TestNewDomainReplacesTheCertificate: a new domain replaces the certificate,
// its validation and both records, none of them critical (the listener moves to
// the new certificate in place, after its validation).
func TestNewDomainReplacesTheCertificate(t *testing.T) {
	d := diff.Compare(deploy(t, "prod").Plan, deploy(t, "prod", "domainName=www.example.com").Plan)
	got := map[string]bool{}
	for _, c := range d.Changed {
		got[c.Name] = c.Replace
		if c.Critical != "" {
			t.Errorf("%s is a critical replacement", c.Name)
		}
		if c.Name == "alba-digi-prod-certificate" && !strings.Contains(c.Verb(), "moves to it before the old one is deleted") {
			t.Errorf("certificate verb %q", c.Verb())
		}
	}
	for _, name := range []string{"alba-digi-prod-certificate", "alba-digi-prod-certificate-validation", "domain-validation-record", "domain-alias"} {
		if !got[name] {
			t.Errorf("%s not replaced (changes: %v)", name, got)
		}
	}
	if len(got) != 4 || len(d.Added)+len(d.Removed) != 0 {
		t.Errorf("changes %v, added %v, removed %v; want the four replacements only", got, d.Added, d.Removed)
	}
}

// TestZoneIsTheLongestThatHoldsTheDomain walks the labels from the domain
// upwards: the apex finds its own zone, a deeper name the longest zone that
// holds it.
func TestZoneIsTheLongestThatHoldsTheDomain(t *testing.T) {
	for domain, zone := range map[string]string{
		"example.com":             exampleZone,
		"api.example.com":         exampleZone,
		"api.dev.example.com":     exampleZone,              // no dev.example.com zone: example.com
		"api.dev.example.org":     "Z0DEV0EXAMPLE0ORG00000", // dev.example.org's own zone, not example.org
		"api.staging.example.org": "Z0EXAMPLE0ORG000000000",
	} {
		v := view(t, deploy(t, "dev", "domainName="+domain))
		expect(t, v.named("domain-alias"), map[string]string{"zoneId": zone, "name": domain})
	}
}

// TestValidationRecordAdoptedOnlyWhenAsked: the record ACM shares between
// certificates of a name is taken over, and kept on destroy, only with
// adoptValidationRecord; and the validation waits certificateValidationMinutes
// (by default the provider's own 75).
func TestValidationRecordAdoptedOnlyWhenAsked(t *testing.T) {
	v := view(t, deploy(t, "dev", "domainName=api.example.com", "adoptValidationRecord=true"))
	record := v.named("domain-validation-record")
	expect(t, record, map[string]string{"allowOverwrite": "true"})
	if !v.registration(record.Name).RetainOnDelete {
		t.Error("an adopted record is deleted on destroy: the other certificate's renewal needs it")
	}
	validation := v.one(tCertValid)
	if got := v.registration(validation.Name).CreateTimeout; got != "75m" {
		t.Errorf("validation create timeout %q, want 75m", got)
	}
	if validation.Options == nil || validation.Options.CreateTimeout != "75m" {
		t.Errorf("the plan does not show the validation's timeout: %+v", validation.Options)
	}
	longer := view(t, deploy(t, "dev", "domainName=api.example.com", "certificateValidationMinutes=240"))
	if got := longer.registration(longer.one(tCertValid).Name).CreateTimeout; got != "240m" {
		t.Errorf("with certificateValidationMinutes 240 the create timeout is %q", got)
	}
}
