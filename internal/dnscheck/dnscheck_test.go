package dnscheck_test

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"alba-digi/internal/dnscheck"
	"alba-digi/internal/fakeaws"
)

func TestNameServers(t *testing.T) {
	addr, asked := fakeaws.NewDNS(t, map[string][]string{
		"example.com":     {"ns-1.awsdns-01.com", "NS-2.AWSDNS-02.NET"},
		"api.example.com": {},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := dnscheck.Resolver{Server: addr}
	for _, tt := range []struct {
		name string
		want []string
	}{
		{"example.com", []string{"ns-1.awsdns-01.com", "ns-2.awsdns-02.net"}},
		{"api.example.com", nil}, // inside the zone: no cut
		{"nowhere.example", nil}, // no such name
	} {
		got, err := r.NameServers(ctx, tt.name)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if got := asked(); len(got) < 3 || got[0] != "example.com" {
		t.Errorf("the local server was asked %v: the resolver asked another", got)
	}
	// A resolver that does not answer is an error, not "no servers".
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if got, err := (dnscheck.Resolver{Server: dead.LocalAddr().String()}).NameServers(short, "example.com"); err == nil || !strings.Contains(err.Error(), dead.LocalAddr().String()) {
		t.Errorf("a silent resolver: %v, %v; want an error naming it", got, err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(dnscheck.ResolverEnv, "")
	if got := dnscheck.FromEnv().Server; got != dnscheck.DefaultResolver {
		t.Errorf("default %s", got)
	}
	t.Setenv(dnscheck.ResolverEnv, "10.0.0.2")
	if got := dnscheck.FromEnv().Server; got != "10.0.0.2:53" {
		t.Errorf("host only: %s, want port 53 added", got)
	}
}

func TestRegistrable(t *testing.T) {
	for name, want := range map[string]string{
		"api.example.co.uk": "example.co.uk", "api.dev.example.com": "example.com", "example.com": "example.com",
		"api.example.test": "example.test", "app.user.github.io": "user.github.io",
	} {
		if got, err := dnscheck.Registrable(name); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %s", name, got, err, want)
		}
	}
	for _, suffix := range []string{"co.uk", "com", "github.io"} {
		if got, err := dnscheck.Registrable(suffix); err == nil {
			t.Errorf("%s is a public suffix, got %q", suffix, got)
		}
	}
}
