// Package dnscheck asks the public DNS which name servers a name is delegated
// to, through a public resolver it names, never the machine's own: a
// corporate split-horizon resolver, a VPC resolver with a private zone of the
// same name, or a stale local cache would answer for a DNS that ACM never
// sees, and make a correct delegation look wrong (or a wrong one right).
// It also knows, from the public suffix list, where a name's registrable
// domain ends, so that no check walks up into a public suffix (co.uk).
package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// DefaultResolver is the public resolver asked when ResolverEnv names none:
// Cloudflare's, which answers from the public DNS.
// https://developers.cloudflare.com/1.1.1.1/ip-addresses/
const DefaultResolver = "1.1.1.1:53"

// ResolverEnv names another resolver (host:port), for a network that lets
// DNS out only through its own forwarder, or a test's local server.
const ResolverEnv = "ALBA_DIGI_DNS_RESOLVER"

// Resolver asks one DNS resolver.
type Resolver struct {
	// Server is the resolver's address, host:port.
	Server string
}

// FromEnv is the resolver ResolverEnv names, else DefaultResolver.
func FromEnv() Resolver {
	if s := strings.TrimSpace(os.Getenv(ResolverEnv)); s != "" {
		if _, _, err := net.SplitHostPort(s); err != nil {
			s = net.JoinHostPort(s, "53")
		}
		return Resolver{Server: s}
	}
	return Resolver{Server: DefaultResolver}
}

// NameServers are name's NS records as the resolver answers them, lower
// case, without the final dot; none when name is not a zone cut (the
// resolver finds no NS records, or no such name). Any other failure (no
// answer, refused) is an error.
func (r Resolver) NameServers(ctx context.Context, name string) ([]string, error) {
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, r.Server)
	}}
	// A final dot: the name is absolute, no search domain of the machine's is
	// tried.
	records, err := res.LookupNS(ctx, strings.TrimSuffix(name, ".")+".")
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("NS of %s through %s: %w", name, r.Server, err)
	}
	var servers []string
	for _, rec := range records {
		servers = append(servers, strings.ToLower(strings.TrimSuffix(rec.Host, ".")))
	}
	return servers, nil
}

// Registrable is name's registrable domain (example.co.uk for
// api.example.co.uk), by the public suffix list; an error when name is a
// public suffix itself.
// https://publicsuffix.org/
func Registrable(name string) (string, error) {
	return publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(name, "."))
}
