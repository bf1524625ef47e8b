package infra

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCheckDelegation compares what the public DNS says of the domain with
// the Route 53 zone: delegated, not delegated (the registrar still names other
// servers), shadowed by a more specific delegated zone, or no answer; a
// mismatch accepted with acceptDelegationMismatch is a warning; the resolver
// asked is named; the walk stops at the registrable domain.
func TestCheckDelegation(t *testing.T) {
	ours := []string{"ns-1.awsdns-01.com", "ns-2.awsdns-02.net"}
	const via = "192.0.2.53:53"
	tests := []struct {
		name, domain string
		zone         string
		accept       bool
		public       map[string][]string // NS answers by name
		want         string              // "" for no error
		warning      string              // "" for none
		asked        []string
	}{
		{name: "delegated", public: map[string][]string{"example.com": {"NS-2.awsdns-02.net.", "ns-1.awsdns-01.com."}}, asked: []string{"api.dev.example.com", "dev.example.com", "example.com"}},
		{name: "not delegated", public: map[string][]string{"example.com": {"dns1.registrar-servers.com."}},
			want: "zone example.com is not delegated to Route 53: the public DNS (asked through 192.0.2.53:53) names dns1.registrar-servers.com as its name servers, the hosted zone Z0EXAMPLE0COM000000000 has ns-1.awsdns-01.com, ns-2.awsdns-02.net; set those at the domain's registrar (or its parent zone); if you know this mismatch and it is right, set acceptDelegationMismatch"},
		{name: "not delegated, accepted", accept: true, public: map[string][]string{"example.com": {"dns1.registrar-servers.com."}},
			warning: "zone example.com is not delegated to Route 53: the public DNS (asked through 192.0.2.53:53) names dns1.registrar-servers.com as its name servers, the hosted zone Z0EXAMPLE0COM000000000 has ns-1.awsdns-01.com, ns-2.awsdns-02.net; set those at the domain's registrar (or its parent zone) (accepted with acceptDelegationMismatch: the certificate's validation waits up to 75m for ACM to see the record)"},
		{name: "shadowed", public: map[string][]string{"dev.example.com": {"ns-9.other.net."}, "example.com": {"ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."}},
			want: "the public DNS (asked through 192.0.2.53:53) delegates dev.example.com to name servers ns-9.other.net, which shadows Route 53 zone example.com"},
		{name: "no answer", public: map[string][]string{},
			warning: "could not check that the public DNS (asked through 192.0.2.53:53) delegates api.dev.example.com to Route 53 zone example.com (no name server answer): if it does not, the certificate's validation waits up to 75m (certificateValidationMinutes) and fails"},
		{name: "the walk stops at the registrable domain", domain: "api.example.co.uk", zone: "example.co.uk", public: map[string][]string{"co.uk": {"dns1.nic.uk."}},
			warning: "could not check", asked: []string{"api.example.co.uk", "example.co.uk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.DomainName, cfg.AcceptDelegationMismatch = "api.dev.example.com", tt.accept
			z := &zone{id: "Z0EXAMPLE0COM000000000", name: "example.com", nameServers: ours}
			if tt.domain != "" {
				cfg.DomainName, z.name = tt.domain, tt.zone
			}
			var asked []string
			lookup := func(_ context.Context, name string) ([]string, error) {
				asked = append(asked, name)
				if ns, ok := tt.public[name]; ok {
					return ns, nil
				}
				return nil, errors.New("no such host")
			}
			var warning string
			err := checkDelegation(context.Background(), cfg, z, lookup, via, func(w string) { warning = w })
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if (warning == "") != (tt.warning == "") || !strings.Contains(warning, tt.warning) {
				t.Errorf("warning %q, want %q", warning, tt.warning)
			}
			if tt.asked != nil && !slices.Equal(asked, tt.asked) {
				t.Errorf("asked %v, want %v", asked, tt.asked)
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

// TestReportWait: `pulumi up` says what it waits for and for how long, then
// again while it waits, and stops once the wait is over.
func TestReportWait(t *testing.T) {
	done, stop := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var said []string
	finished := make(chan struct{})
	go func() {
		reportWait("ACM to validate the certificate of api.example.com", "75m", 5*time.Millisecond, done, stop, func(m string) {
			mu.Lock()
			said = append(said, m)
			mu.Unlock()
		})
		close(finished)
	}()
	time.Sleep(40 * time.Millisecond)
	close(done)
	select {
	case <-finished:
	case <-time.After(time.Second):
		t.Fatal("reportWait goes on after the wait is over")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(said) < 3 || said[0] != "waiting up to 75m (certificateValidationMinutes) for ACM to validate the certificate of api.example.com" ||
		!strings.HasPrefix(said[1], "still waiting for ACM to validate the certificate of api.example.com: ") || !strings.HasSuffix(said[1], " of 75m") {
		t.Errorf("said %q", said)
	}
	n := len(said)
	time.Sleep(20 * time.Millisecond)
	if len(said) != n {
		t.Errorf("said more after the wait was over: %q", said[n:])
	}
}
