package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
	"alba-digi/internal/render"
)

const (
	tWAFPolicy = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
)

// TestWAFIsOffInDev: the tutorial's stack declares no firewall and its plan
// says nothing of one.
func TestWAFIsOffInDev(t *testing.T) {
	res := deploy(t, "dev")
	for _, r := range res.Plan.Resources {
		if strings.HasPrefix(r.Type, "aws:wafv2/") || r.Type == tWAFPolicy {
			t.Errorf("dev declares %s %s", r.Type, r.Name)
		}
	}
	if res.Plan.Firewall != nil {
		t.Errorf("dev's plan has a firewall: %+v", res.Plan.Firewall)
	}
}

// TestWAFChain: the web ACL is regional and associated with the load
// balancer; its logs go to aws-waf-logs-<name>, with the stack's retention,
// the Authorization and Cookie headers redacted, through a resource policy of
// the stack that lets only this account's log delivery write to this group,
// and the logging waits for that policy.
func TestWAFChain(t *testing.T) {
	v := view(t, deploy(t, "dev", "waf=true", "logRetentionDays=30"))
	acl := v.one(tWebACL)
	aclArn := outputOf(t, v, acl.Name, "arn")
	expect(t, acl, map[string]string{
		"name": "alba-digi-waf", "scope": "REGIONAL", "defaultAction": `{"allow":{}}`,
		"visibilityConfig.cloudwatchMetricsEnabled": "true", "visibilityConfig.sampledRequestsEnabled": "true", "visibilityConfig.metricName": "alba-digi-waf",
		"rules": "<absent>", "tags.Name": "alba-digi-waf",
	})
	expect(t, v.one(tWebACLAssoc), map[string]string{
		"resourceArn": outputOf(t, v, v.one(tLB).Name, "arn"), "webAclArn": aclArn,
	})
	var group plan.Resource
	for _, g := range v.all(tLogGroup) {
		if strings.HasPrefix(get(g, "name"), "aws-waf-logs-") {
			group = g
		}
	}
	expect(t, group, map[string]string{"name": "aws-waf-logs-alba-digi", "retentionInDays": "30", "kmsKeyId": "<absent>"})
	groupArn := outputOf(t, v, group.Name, "arn")
	logging := v.one(tWebACLLog)
	expect(t, logging, map[string]string{
		"resourceArn": aclArn, "logDestinationConfigs": `["` + groupArn + `"]`,
		"redactedFields": `[{"singleHeader":{"name":"authorization"}},{"singleHeader":{"name":"cookie"}}]`,
	})
	if len(logging.DependsOn) != 1 || logging.DependsOn[0] != "alba-digi-waf-logs-policy" {
		t.Errorf("the logging configuration depends on %v, want the log resource policy", logging.DependsOn)
	}
	policy := v.one(tWAFPolicy)
	expect(t, policy, map[string]string{"policyName": "alba-digi-waf-logs-policy"})
	var doc struct {
		Statement []struct {
			Principal map[string]string
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(get(policy, "policyDocument")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 {
		t.Fatalf("policy %s", get(policy, "policyDocument"))
	}
	st := doc.Statement[0]
	if st.Principal["Service"] != "delivery.logs.amazonaws.com" || strings.Join(st.Action, ",") != "logs:CreateLogStream,logs:PutLogEvents" ||
		len(st.Resource) != 1 || st.Resource[0] != groupArn+":log-stream:*" ||
		st.Condition["StringEquals"]["aws:SourceAccount"] != "123456789012" || st.Condition["ArnLike"]["aws:SourceArn"] != "arn:aws:logs:us-east-1:123456789012:*" {
		t.Errorf("log resource policy statement %+v", st)
	}
	// AWS removes an association by its load balancer and a logging
	// configuration by its web ACL: the old ones go before the new ones.
	for _, r := range []plan.Resource{acl, v.one(tWebACLAssoc), logging, policy, group} {
		if r.Options == nil || !r.Options.DeleteBeforeReplace {
			t.Errorf("%s %s is not deleteBeforeReplace", r.Type, r.Name)
		}
	}
}

// TestWAFRules: the rate limit first, then the managed groups in the
// configured order, each blocking unless the web ACL or the group counts,
// with each excluded rule only counted; the ruleJson is the provider's
// normal form (keys sorted, no spaces), as its state keeps it.
func TestWAFRules(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		want      string
	}{
		{"defaults", []string{"waf=true"}, `[` +
			`{"Action":{"Block":{}},"Name":"alba-digi-rate-limit","Priority":0,"Statement":{"RateBasedStatement":{"AggregateKeyType":"IP","EvaluationWindowSec":300,"Limit":2000}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"alba-digi-rate-limit","SampledRequestsEnabled":true}},` +
			`{"Name":"AWSManagedRulesAmazonIpReputationList","OverrideAction":{"None":{}},"Priority":1,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesAmazonIpReputationList","VendorName":"AWS"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"AWSManagedRulesAmazonIpReputationList","SampledRequestsEnabled":true}},` +
			`{"Name":"AWSManagedRulesCommonRuleSet","OverrideAction":{"None":{}},"Priority":2,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesCommonRuleSet","VendorName":"AWS"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"AWSManagedRulesCommonRuleSet","SampledRequestsEnabled":true}},` +
			`{"Name":"AWSManagedRulesKnownBadInputsRuleSet","OverrideAction":{"None":{}},"Priority":3,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesKnownBadInputsRuleSet","VendorName":"AWS"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"AWSManagedRulesKnownBadInputsRuleSet","SampledRequestsEnabled":true}}]`},
		{"count mode behind a CDN, one rule excluded", []string{"waf=true", "wafMode=count", "wafRateLimit=500", "wafForwardedIpHeader=X-Forwarded-For",
			`wafManagedRuleGroups=["AWSManagedRulesCommonRuleSet"]`, `wafExcludedRules=["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"]`}, `[` +
			`{"Action":{"Count":{}},"Name":"alba-digi-rate-limit","Priority":0,"Statement":{"RateBasedStatement":{"AggregateKeyType":"FORWARDED_IP","EvaluationWindowSec":300,"ForwardedIPConfig":{"FallbackBehavior":"MATCH","HeaderName":"X-Forwarded-For"},"Limit":500}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"alba-digi-rate-limit","SampledRequestsEnabled":true}},` +
			`{"Name":"AWSManagedRulesCommonRuleSet","OverrideAction":{"Count":{}},"Priority":1,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesCommonRuleSet","RuleActionOverrides":[{"ActionToUse":{"Count":{}},"Name":"SizeRestrictions_BODY"}],"VendorName":"AWS"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"AWSManagedRulesCommonRuleSet","SampledRequestsEnabled":true}}]`},
		{"one group counting, no rate limit", []string{"waf=true", "wafRateLimit=0", `wafManagedRuleGroups=["AWSManagedRulesSQLiRuleSet","AWSManagedRulesCommonRuleSet"]`, `wafCountRuleGroups=["AWSManagedRulesSQLiRuleSet"]`}, `[` +
			`{"Name":"AWSManagedRulesSQLiRuleSet","OverrideAction":{"Count":{}},"Priority":0,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesSQLiRuleSet","VendorName":"AWS"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"AWSManagedRulesSQLiRuleSet","SampledRequestsEnabled":true}},` +
			`{"Name":"AWSManagedRulesCommonRuleSet","OverrideAction":{"None":{}},"Priority":1,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesCommonRuleSet","VendorName":"AWS"}},"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"AWSManagedRulesCommonRuleSet","SampledRequestsEnabled":true}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acl := view(t, deploy(t, "dev", tt.overrides...)).one(tWebACL)
			if got := get(acl, "ruleJson"); got != tt.want {
				t.Errorf("%s ruleJson:\n%s\nwant:\n%s", acl.Name, got, tt.want)
			}
		})
	}
}

// TestWAFCapacityInThePlan: the plan states the web ACL's capacity against
// the 1,500 units its base price includes, rule by rule, in every format.
func TestWAFCapacityInThePlan(t *testing.T) {
	res := deploy(t, "dev", "waf=true", `wafManagedRuleGroups=["AWSManagedRulesCommonRuleSet","AWSManagedRulesSQLiRuleSet","AWSManagedRulesLinuxRuleSet"]`)
	f := res.Plan.Firewall
	// 700 + 200 + 200 for the groups, 2 for the rate-based rule
	if f == nil || f.Capacity != 1102 || f.IncludedCapacity != 1500 || f.Mode != "block" || len(f.Rules) != 4 {
		t.Fatalf("firewall %+v", f)
	}
	var text, md, js strings.Builder
	for format, b := range map[string]*strings.Builder{"text": &text, "markdown": &md, "json": &js} {
		if err := render.Plan(b, format, res.Plan); err != nil {
			t.Fatal(err)
		}
	}
	for format, want := range map[string]string{
		text.String(): "Web application firewall (AWS WAF) in block mode: 1102 of the 1500 capacity units (WCU) its base price includes; logs to aws-waf-logs-alba-digi",
		md.String():   "| `AWSManagedRulesSQLiRuleSet` | 200 | block | AWS managed rule group |",
		js.String():   `"capacity": 1102,`,
	} {
		if !strings.Contains(format, want) {
			t.Errorf("plan lacks %q:\n%s", want, format)
		}
	}
	// The diff shows the firewall when it changes, and its rules' changes.
	d := diff.Compare(deploy(t, "dev", "waf=true").Plan, res.Plan)
	if d.Firewall == nil || d.Firewall.Capacity != 1102 {
		t.Errorf("diff firewall %+v", d.Firewall)
	}
	out := renderDiff(t, deploy(t, "dev", "waf=true").Plan, res.Plan, "text")
	for _, want := range []string{"~ alba-digi-waf (aws:wafv2/webAcl:WebAcl): update in place", "ruleJson[3].Name: AWSManagedRulesKnownBadInputsRuleSet → AWSManagedRulesLinuxRuleSet", "1102 of the 1500"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
}

// TestWAFAlarm: with alarms on, one more alarm on the web ACL's total of
// blocked requests (counted ones in count mode), wired like the others.
func TestWAFAlarm(t *testing.T) {
	for _, tt := range []struct {
		mode, metric string
	}{{"block", "BlockedRequests"}, {"count", "CountedRequests"}} {
		v := view(t, deploy(t, "dev", "waf=true", "wafMode="+tt.mode, "alarmWafBlockedPerMinute=250", "alarmEmail=ops@example.com"))
		a := v.named(v.res.Config.Names().AlarmWAFBlocked)
		expect(t, a, map[string]string{
			"namespace": "AWS/WAFV2", "metricName": tt.metric, "statistic": "Sum", "threshold": "250",
			"dimensions":         `{"Region":"us-east-1","Rule":"ALL","WebACL":"alba-digi-waf"}`,
			"comparisonOperator": "GreaterThanOrEqualToThreshold", "treatMissingData": "notBreaching",
			"period": "60", "evaluationPeriods": "5", "datapointsToAlarm": "3",
			"alarmActions.0": outputOf(t, v, "alba-digi-alarms", "arn"),
		})
	}
	if n := len(view(t, deploy(t, "dev", "waf=true", "alarms=false")).all(tAlarm)); n != 0 {
		t.Errorf("alarms off: %d alarms", n)
	}
}

// TestWAFEstimate recomputes the firewall's lines by hand: the web ACL, one
// rule per rule or group, the requests at one a second, their logs at 1 KB.
func TestWAFEstimate(t *testing.T) {
	const h = 730.0
	e := deploy(t, "dev", "waf=true").Plan.Cost
	requests := 1 * 3600 * h // 2,628,000
	for prefix, want := range map[string]float64{
		"AWS WAF web ACL":                   5.00,
		"rules and managed rule groups: 4":  4 * 1.00,
		"requests inspected: 2.628 million": requests * 0.60 / 1e6, // $1.58
		"WAF log ingestion: 2.63 GB":        requests / 1e6 * 0.50, // $1.31
		"WAF log storage: 1.23 GB kept 14":  requests / 1e6 * 14 / 30 * 0.03,
	} {
		if got := lineOf(t, e, prefix).Monthly; !near(got, want) {
			t.Errorf("%s: $%.2f, want $%.2f", prefix, got, want)
		}
	}
	// dev's $142.45, the firewall's $11.93 and the WAF alarm's $0.10
	if !near(e.Total, 142.45+11.93+0.10) || e.Partial {
		t.Errorf("total $%.2f partial %v, want $154.48", e.Total, e.Partial)
	}
}
