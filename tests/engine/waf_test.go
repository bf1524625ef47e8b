//go:build engine

package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// previewChanges runs `pulumi preview --diff` and returns what it printed and
// its change summary.
func (e *engine) previewChanges(s auto.Stack) (result, map[apitype.OpType]int) {
	var out bytes.Buffer
	start := time.Now()
	res, err := s.Preview(context.Background(), optpreview.Diff(), optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&out))
	return result{out.String() + errText(err), out.String(), err, time.Since(start)}, res.ChangeSummary
}

// changed is the number of resources a change summary creates, updates,
// replaces or deletes.
func changed(summary map[apitype.OpType]int) int {
	n := 0
	for op, count := range summary {
		if op != apitype.OpSame {
			n += count
		}
	}
	return n
}

// TestWAFUnderTheRealEngine: `waf: true` plans, deploys and destroys under
// the real CLI; a preview after `up` shows no change, though the stand-in
// keeps what the provider keeps (the WAF inputs it reads back differently,
// see standin/wafv2.go), and so does a preview after an update of the rules;
// a bad value is refused with its key before anything changes.
func TestWAFUnderTheRealEngine(t *testing.T) {
	e := setUp(t)
	dev := e.stack("dev")
	e.setConfig(dev, "alba-digi:waf", "true")
	// An excluded rule and a counting group, so that the rules hold rule
	// action overrides and both override actions.
	if err := dev.SetConfigWithOptions(context.Background(), "alba-digi:wafExcludedRules[0]", auto.ConfigValue{Value: "AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"}, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
	if err := dev.SetConfigWithOptions(context.Background(), "alba-digi:wafCountRuleGroups[0]", auto.ConfigValue{Value: "AWSManagedRulesKnownBadInputsRuleSet"}, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
	wafResources := []string{
		"aws:wafv2:WebAcl alba-digi-waf", "aws:wafv2:WebAclAssociation alba-digi-waf-association",
		"aws:wafv2:WebAclLoggingConfiguration alba-digi-waf-logging", "aws:cloudwatch:LogResourcePolicy alba-digi-waf-logs-policy",
		"aws:cloudwatch:LogGroup alba-digi-waf-logs", "aws:cloudwatch:MetricAlarm alba-digi.waf-blocked",
	}

	t.Run("preview plans the firewall", func(t *testing.T) {
		r := e.preview(dev)
		r.mustSucceed(t, "pulumi preview with waf")
		for _, w := range wafResources {
			r.mustContain(t, "preview", w+" create")
		}
	})

	t.Run("up deploys it, and a second preview shows no change", func(t *testing.T) {
		r := e.up(dev)
		r.mustSucceed(t, "pulumi up with waf")
		for _, w := range wafResources {
			r.mustContain(t, "up", w+" created")
		}
		p, summary := e.previewChanges(dev)
		p.mustSucceed(t, "pulumi preview after up")
		if n := changed(summary); n != 0 {
			t.Errorf("the preview after up changes %d resources (%v):\n%s", n, summary, p.progress)
		}
	})

	t.Run("a new rate limit updates the web ACL in place, and the next preview shows no change", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:wafRateLimit", "1000")
		p, summary := e.previewChanges(dev)
		p.mustSucceed(t, "pulumi preview of a new rate limit")
		if summary[apitype.OpUpdate] != 1 || changed(summary) != 1 {
			t.Errorf("a new rate limit: %v, want one update:\n%s", summary, p.progress)
		}
		p.mustContain(t, "preview", "~ aws:wafv2/webAcl:WebAcl: (update)", "~ ruleJson: (json)", "~ Limit              : 2000 => 1000")
		r := e.up(dev)
		r.mustSucceed(t, "pulumi up of a new rate limit")
		again, summary := e.previewChanges(dev)
		again.mustSucceed(t, "pulumi preview after the update")
		if n := changed(summary); n != 0 {
			t.Errorf("the preview after the update changes %d resources (%v):\n%s", n, summary, again.progress)
		}
	})

	t.Run("a rate limit out of range is refused with its key", func(t *testing.T) {
		e.setConfig(dev, "alba-digi:wafRateLimit", "5")
		r := e.preview(dev)
		r.mustFail(t, "pulumi preview with wafRateLimit 5")
		r.mustContain(t, "bad rate limit", "wafRateLimit: invalid value 5: requests per 5 minutes from 10 to 2000000000, or 0 for no rate limit")
		e.removeConfig(dev, "alba-digi:wafRateLimit")
	})

	t.Run("destroy removes it", func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		_, err := dev.Destroy(context.Background(), optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(&out))
		r := result{out.String() + errText(err), out.String(), err, time.Since(start)}
		r.mustSucceed(t, "pulumi destroy")
		for _, w := range wafResources {
			r.mustContain(t, "destroy", w+" deleted")
		}
		state, err := dev.Export(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s := string(state.Deployment); strings.Contains(s, "aws:wafv2") {
			t.Errorf("the state still holds WAF resources after destroy")
		}
	})
}
