//go:build engine

package engine

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"

	"alba-digi/internal/fakeaws"
	"alba-digi/internal/mockaws"
)

// localDNS is a local resolver that knows no name.
func localDNS(t *testing.T) string {
	addr, _ := fakeaws.NewDNS(t, nil)
	return addr
}

// TestStacksCoexistUnderTheRealEngine: dev and the prod example in one
// account and region. Dev's second `up` passes its own resources; prod
// previews beside it under its own prefix; a third stack that keeps the
// default prefix stops at preview with the name, the owning stack and the
// key, and previews once it has a prefix of its own.
func TestStacksCoexistUnderTheRealEngine(t *testing.T) {
	e := setUp(t)
	dev, prod, staging := e.stack("dev"), e.stack("prod"), e.stack("staging")

	t.Run("dev up, and up again over its own resources", func(t *testing.T) {
		e.up(dev).mustSucceed(t, "pulumi up --stack dev")
		r := e.up(dev)
		r.mustSucceed(t, "pulumi up --stack dev again")
		r.mustNotContain(t, "second up", "already exists", "belongs to stack")
	})

	t.Run("prod previews beside dev", func(t *testing.T) {
		e.setConfig(prod, "alba-digi:domainName", "api.example.test")
		r := e.preview(prod)
		r.mustSucceed(t, "pulumi preview --stack prod")
		r.mustContain(t, "prod", "aws:ecs:Cluster alba-digi-prod-cluster create", "aws:cloudwatch:LogGroup alba-digi-prod-insights-logs create")
	})

	t.Run("a third stack with dev's prefix stops at preview", func(t *testing.T) {
		e.setConfig(staging, "aws:region", "us-east-1")
		r := e.preview(staging)
		r.mustFail(t, "pulumi preview --stack staging")
		t.Logf("what the CLI printed:\n%s", r.progress)
		r.mustContain(t, "staging", "cluster alba-digi-cluster already exists", "belongs to stack dev of project alba-digi",
			"log group /ecs/alba-digi already exists", "Set name to a prefix of this stack's own, such as alba-digi-staging")
		e.setConfig(staging, "alba-digi:name", "alba-digi-staging")
		e.preview(staging).mustSucceed(t, "pulumi preview --stack staging with its own prefix")
	})

	t.Run("the domain's delegation, asked of a named resolver", func(t *testing.T) {
		delegated, _ := fakeaws.NewDNS(t, map[string][]string{"example.test": mockaws.ZoneNameServers("example.test")})
		elsewhere, _ := fakeaws.NewDNS(t, map[string][]string{"example.test": {"dns1.registrar-servers.test"}})
		e.ws.SetEnvVar("ALBA_DIGI_DNS_RESOLVER", elsewhere)
		r := e.preview(prod)
		r.mustFail(t, "pulumi preview --stack prod, delegated elsewhere")
		r.mustContain(t, "delegated elsewhere", "zone example.test is not delegated to Route 53: the public DNS (asked through "+elsewhere+") names dns1.registrar-servers.test", "set acceptDelegationMismatch")
		e.setConfig(prod, "alba-digi:acceptDelegationMismatch", "true")
		r = e.preview(prod)
		r.mustSucceed(t, "pulumi preview --stack prod, the mismatch accepted")
		r.mustContain(t, "accepted", "(accepted with acceptDelegationMismatch")
		e.removeConfig(prod, "alba-digi:acceptDelegationMismatch")

		e.ws.SetEnvVar("ALBA_DIGI_DNS_RESOLVER", delegated)
		e.setConfig(dev, "alba-digi:domainName", "api.example.test")
		r = e.up(dev)
		r.mustSucceed(t, "pulumi up --stack dev with a domain")
		r.mustContain(t, "up with a domain", "waiting up to 75m (certificateValidationMinutes) for ACM to validate the certificate of api.example.test through DNS record _")
		r.mustNotContain(t, "up with a domain", "could not check", "not delegated")
	})

	t.Run("destroy dev", func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		_, err := dev.Destroy(context.Background(), optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(&out))
		result{out.String() + errText(err), out.String(), err, time.Since(start)}.mustSucceed(t, "pulumi destroy --stack dev")
		e.setConfig(staging, "alba-digi:name", "alba-digi")
		e.preview(staging).mustSucceed(t, "pulumi preview --stack staging with dev's prefix after dev's destroy")
	})
}
