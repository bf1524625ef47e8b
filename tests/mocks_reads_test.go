package tests

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/infra"
	"alba-digi/internal/dnscheck"
	"alba-digi/internal/fakeaws"
	"alba-digi/internal/mockaws"
)

// TestProgramUnderMocksReadsNothing: infra.Program under the SDK's mocks, as
// a user's own unit test runs it (Pulumi's unit-testing guide), sends no
// request to AWS, whichever stack: every AWS endpoint points at a local
// server that counts what reaches it, and credentials are set so that a read
// would be sent; the DNS check's resolver is a local one that records what
// it is asked.
func TestProgramUnderMocksReadsNothing(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Header.Get("X-Amz-Target")+" "+r.URL.String())
		mu.Unlock()
		http.Error(w, "no AWS here", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	pointAWSAt(t, srv.URL, "AKIDMOCKTEST")
	// The domain check's DNS too: a local resolver that records what it is asked.
	resolver, asked := fakeaws.NewDNS(t, nil)
	t.Setenv(dnscheck.ResolverEnv, resolver)
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			sc := engineConfig(t, stack)
			mocks := &mockaws.Mocks{Region: "us-east-1"}
			if err := pulumi.RunErr(infra.Program, pulumi.WithMocks(sc.Project, sc.Stack, mocks), withConfig(sc)); err != nil {
				t.Fatalf("infra.Program under mocks: %v", err)
			}
			if n := len(mocks.Registrations()); n < 20 {
				t.Errorf("%d resources declared, want the whole stack", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(calls) > 0 {
				t.Errorf("infra.Program under mocks sent %d requests to AWS: %q", len(calls), calls)
			}
			if names := asked(); len(names) > 0 {
				t.Errorf("infra.Program under mocks asked the DNS for %q", names)
			}
		})
	}
}
