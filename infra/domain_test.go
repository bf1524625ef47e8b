package infra

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCheckDelegation compares what the public DNS says of the domain with
// the Route 53 zone: delegated, not delegated (the registrar still names other
// servers), shadowed by a more specific delegated zone, or no answer.
func TestCheckDelegation(t *testing.T) {
	ours := []string{"ns-1.awsdns-01.com", "ns-2.awsdns-02.net"}
	z := &zone{id: "Z0EXAMPLE0COM000000000", name: "example.com", nameServers: ours}
	cfg := Defaults()
	cfg.DomainName = "api.dev.example.com"
	tests := []struct {
		name   string
		public map[string][]string // NS answers by name
		want   string              // "" for no error
		warned bool
	}{
		{"delegated", map[string][]string{"example.com": {"NS-2.awsdns-02.net.", "ns-1.awsdns-01.com."}}, "", false},
		{"not delegated", map[string][]string{"example.com": {"dns1.registrar-servers.com."}}, "zone example.com is not delegated to Route 53: the public DNS names dns1.registrar-servers.com as its name servers, the hosted zone Z0EXAMPLE0COM000000000 has ns-1.awsdns-01.com, ns-2.awsdns-02.net", false},
		{"shadowed", map[string][]string{"dev.example.com": {"ns-9.other.net."}, "example.com": {"ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."}}, "the public DNS delegates dev.example.com to name servers ns-9.other.net, which shadows Route 53 zone example.com", false},
		{"no answer", map[string][]string{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(_ context.Context, name string) ([]string, error) {
				if ns, ok := tt.public[name]; ok {
					return ns, nil
				}
				return nil, errors.New("no such host")
			}
			warned := false
			err := checkDelegation(context.Background(), cfg, z, lookup, func(string) { warned = true })
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if warned != tt.warned {
				t.Errorf("warned %v, want %v", warned, tt.warned)
			}
		})
	}
}

// TestServicePrincipalsFollowThePartition: China's regional service
// principals end in amazonaws.com.cn, and every ARN names the partition.
func TestServicePrincipalsFollowThePartition(t *testing.T) {
	for _, tt := range []struct{ region, partition, suffix string }{
		{"eu-west-1", "aws", "amazonaws.com"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
	} {
		doc := alarmTopicKeyPolicy(tt.region, "123456789012", "alba-digi")
		for _, want := range []string{
			`"AWS":"arn:` + tt.partition + `:iam::123456789012:root"`,
			`"Service":"cloudwatch.` + tt.suffix + `"`,
			`"aws:SourceArn":"arn:` + tt.partition + `:cloudwatch:` + tt.region + `:123456789012:alarm:alba-digi.*"`,
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: alarm key policy lacks %s:\n%s", tt.region, want, doc)
			}
		}
	}
}
