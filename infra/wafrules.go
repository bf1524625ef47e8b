package infra

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// managedRuleGroup is one of AWS's managed rule groups (vendor AWS) this
// stack can run: its name, its capacity in web ACL capacity units (WCU), and
// the names of its rules (the names a rule action override, and so
// wafExcludedRules, takes). Paid groups (Bot Control, account takeover and
// account creation fraud prevention) are left out: they carry their own
// subscription and request fees, which the estimate does not price.
type managedRuleGroup struct {
	Name  string
	WCU   int
	Rules []string
}

// managedRuleGroups are the free AWS managed rule groups, copied from AWS's
// documentation (the latest static version of each group):
// https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
// https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html
// https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-use-case.html
// A rule AWS adds later is not in this list: excluding it by name is then
// refused until the list is updated.
var managedRuleGroups = []managedRuleGroup{
	// Baseline rule groups.
	{"AWSManagedRulesCommonRuleSet", 700, []string{
		"NoUserAgent_HEADER", "UserAgent_BadBots_HEADER",
		"SizeRestrictions_QUERYSTRING", "SizeRestrictions_Cookie_HEADER", "SizeRestrictions_BODY", "SizeRestrictions_URIPATH",
		"EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_QUERYARGUMENTS",
		"GenericLFI_QUERYARGUMENTS", "GenericLFI_URIPATH", "GenericLFI_BODY",
		"RestrictedExtensions_URIPATH", "RestrictedExtensions_QUERYARGUMENTS",
		"GenericRFI_QUERYARGUMENTS", "GenericRFI_BODY", "GenericRFI_URIPATH",
		"CrossSiteScripting_COOKIE", "CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_BODY", "CrossSiteScripting_URIPATH",
	}},
	{"AWSManagedRulesAdminProtectionRuleSet", 100, []string{"AdminProtection_URIPATH"}},
	{"AWSManagedRulesKnownBadInputsRuleSet", 200, []string{
		"JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_BODY", "JavaDeserializationRCE_URIPATH", "JavaDeserializationRCE_QUERYSTRING",
		"Host_localhost_HEADER", "PROPFIND_METHOD", "ExploitablePaths_URIPATH",
		"Log4JRCE_HEADER", "Log4JRCE_QUERYSTRING", "Log4JRCE_BODY", "Log4JRCE_URIPATH",
	}},
	// IP reputation rule groups.
	{"AWSManagedRulesAmazonIpReputationList", 25, []string{"AWSManagedIPReputationList", "AWSManagedReconnaissanceList", "AWSManagedIPDDoSList"}},
	{"AWSManagedRulesAnonymousIpList", 50, []string{"AnonymousIPList", "HostingProviderIPList"}},
	// Use-case specific rule groups.
	{"AWSManagedRulesSQLiRuleSet", 200, []string{"SQLi_QUERYARGUMENTS", "SQLiExtendedPatterns_QUERYARGUMENTS", "SQLi_BODY", "SQLiExtendedPatterns_BODY", "SQLi_COOKIE"}},
	{"AWSManagedRulesLinuxRuleSet", 200, []string{"LFI_URIPATH", "LFI_QUERYSTRING", "LFI_HEADER"}},
	{"AWSManagedRulesUnixRuleSet", 100, []string{"UNIXShellCommandsVariables_QUERYARGUMENTS", "UNIXShellCommandsVariables_BODY"}},
	{"AWSManagedRulesWindowsRuleSet", 200, []string{
		"WindowsShellCommands_COOKIE", "WindowsShellCommands_QUERYARGUMENTS", "WindowsShellCommands_BODY",
		"PowerShellCommands_COOKIE", "PowerShellCommands_QUERYARGUMENTS", "PowerShellCommands_BODY",
	}},
	{"AWSManagedRulesPHPRuleSet", 100, []string{"PHPHighRiskMethodsVariables_HEADER", "PHPHighRiskMethodsVariables_QUERYSTRING", "PHPHighRiskMethodsVariables_BODY"}},
	{"AWSManagedRulesWordPressRuleSet", 100, []string{"WordPressExploitableCommands_QUERYSTRING", "WordPressExploitablePaths_URIPATH"}},
}

// defaultManagedRuleGroups are AWS's baseline protection for an API: the core
// rule set, known bad inputs and Amazon's IP reputation list.
var defaultManagedRuleGroups = []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}

// managedRuleGroupNames lists the names of managedRuleGroups.
func managedRuleGroupNames() []string {
	names := make([]string, len(managedRuleGroups))
	for i, g := range managedRuleGroups {
		names[i] = g.Name
	}
	return names
}

func findManagedRuleGroup(name string) (managedRuleGroup, bool) {
	i := slices.IndexFunc(managedRuleGroups, func(g managedRuleGroup) bool { return g.Name == name })
	if i < 0 {
		return managedRuleGroup{}, false
	}
	return managedRuleGroups[i], true
}

const (
	// wafIncludedCapacity is the capacity the base price of a web ACL
	// includes; AWS charges more above it (up to 5,000 WCU), which the
	// estimate does not price, so the stack stays within it.
	// https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html
	wafIncludedCapacity = 1500
	// rateBasedWCU is a rate-based rule's capacity without a scope-down
	// statement or custom keys.
	// https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
	rateBasedWCU = 2
	// wafRateWindowSeconds is the rate limit's evaluation window: the limit is
	// per 5 minutes, AWS's default, set explicitly (see webACLRules).
	// https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
	wafRateWindowSeconds = 300
	// The rate limit AWS accepts (RateBasedStatement.Limit).
	// https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
	wafRateLimitMin = 10
	wafRateLimitMax = 2_000_000_000
)

// Web ACL modes (wafMode).
const (
	wafBlock = "block"
	wafCount = "count"
)

var wafModes = []string{wafBlock, wafCount}

// Firewall is the web ACL a stack declares, as the plan shows it: its mode,
// the capacity it uses of what its base price includes, and its rules in the
// order AWS evaluates them.
type Firewall struct {
	Mode             string         `json:"mode"`
	Capacity         int            `json:"capacity"`
	IncludedCapacity int            `json:"includedCapacity"`
	Rules            []FirewallRule `json:"rules"`
	LogGroup         string         `json:"logGroup"`
}

// FirewallRule is one rule of the web ACL.
type FirewallRule struct {
	Name string `json:"name"`
	WCU  int    `json:"wcu"`
	// Action is what a match does: block, or count (it is only counted and
	// logged).
	Action string `json:"action"`
	// Detail says what the rule does in words.
	Detail string `json:"detail"`
}

// Firewall returns the web ACL of c, nil when waf is off.
func (c Config) Firewall() *Firewall {
	if !c.WAF {
		return nil
	}
	f := &Firewall{Mode: c.WAFMode, IncludedCapacity: wafIncludedCapacity, LogGroup: c.Names().WAFLogGroup}
	action := func(count bool) string {
		if count || c.WAFMode == wafCount {
			return wafCount
		}
		return wafBlock
	}
	if c.WAFRateLimit > 0 {
		on := "client IP"
		if c.WAFForwardedIPHeader != "" {
			on = "client IP in " + c.WAFForwardedIPHeader
		}
		f.Rules = append(f.Rules, FirewallRule{Name: c.Names().WAFRateRule, WCU: rateBasedWCU, Action: action(false),
			Detail: fmt.Sprintf("rate limit: %d requests per 5 minutes per %s", c.WAFRateLimit, on)})
	}
	for _, name := range c.WAFManagedRuleGroups {
		g, _ := findManagedRuleGroup(name)
		detail := "AWS managed rule group"
		if excluded := c.excludedRules(name); len(excluded) > 0 {
			detail += "; only counted: " + strings.Join(excluded, ", ")
		}
		f.Rules = append(f.Rules, FirewallRule{Name: name, WCU: g.WCU, Action: action(slices.Contains(c.WAFCountRuleGroups, name)), Detail: detail})
	}
	for _, r := range f.Rules {
		f.Capacity += r.WCU
	}
	return f
}

// excludedRules are the rules of group that wafExcludedRules names, in the
// order given.
func (c Config) excludedRules(group string) []string {
	var out []string
	for _, entry := range c.WAFExcludedRules {
		if g, rule, ok := strings.Cut(entry, "/"); ok && g == group {
			out = append(out, rule)
		}
	}
	return out
}

// The web ACL's rules, in the JSON of AWS WAF's API (Rule), which the
// provider's ruleJson takes as it is: its typed rules input is a Terraform set
// of nested blocks that reads back in another order and without its empty
// actions ({} of None and Count), which shows as a change on every preview
// (pulumi/pulumi-aws#1775, #1423, #2664).
// https://docs.aws.amazon.com/waf/latest/APIReference/API_Rule.html
type wafRule struct {
	Name             string             `json:"Name"`
	Priority         int                `json:"Priority"`
	Statement        wafStatement       `json:"Statement"`
	Action           *wafAction         `json:"Action,omitempty"`
	OverrideAction   *wafOverrideAction `json:"OverrideAction,omitempty"`
	VisibilityConfig wafVisibility      `json:"VisibilityConfig"`
}

type wafStatement struct {
	ManagedRuleGroupStatement *wafManagedGroupStatement `json:"ManagedRuleGroupStatement,omitempty"`
	RateBasedStatement        *wafRateBasedStatement    `json:"RateBasedStatement,omitempty"`
}

type wafManagedGroupStatement struct {
	VendorName          string                  `json:"VendorName"`
	Name                string                  `json:"Name"`
	RuleActionOverrides []wafRuleActionOverride `json:"RuleActionOverrides,omitempty"`
}

// wafRuleActionOverride makes one rule of a managed group count instead of
// block: AWS's replacement for ExcludedRules.
// https://docs.aws.amazon.com/waf/latest/APIReference/API_RuleActionOverride.html
type wafRuleActionOverride struct {
	Name        string    `json:"Name"`
	ActionToUse wafAction `json:"ActionToUse"`
}

type wafRateBasedStatement struct {
	Limit               int             `json:"Limit"`
	EvaluationWindowSec int             `json:"EvaluationWindowSec"`
	AggregateKeyType    string          `json:"AggregateKeyType"`
	ForwardedIPConfig   *wafForwardedIP `json:"ForwardedIPConfig,omitempty"`
}

// wafForwardedIP takes the client's IP from a header a proxy in front sets.
// https://docs.aws.amazon.com/waf/latest/APIReference/API_ForwardedIPConfig.html
type wafForwardedIP struct {
	HeaderName       string `json:"HeaderName"`
	FallbackBehavior string `json:"FallbackBehavior"`
}

type wafEmpty struct{}

type wafAction struct {
	Block *wafEmpty `json:"Block,omitempty"`
	Count *wafEmpty `json:"Count,omitempty"`
}

type wafOverrideAction struct {
	None  *wafEmpty `json:"None,omitempty"`
	Count *wafEmpty `json:"Count,omitempty"`
}

type wafVisibility struct {
	CloudWatchMetricsEnabled bool   `json:"CloudWatchMetricsEnabled"`
	MetricName               string `json:"MetricName"`
	SampledRequestsEnabled   bool   `json:"SampledRequestsEnabled"`
}

// visibility turns on the metrics and the sampled requests of a rule, named
// metric.
func visibility(metric string) wafVisibility {
	return wafVisibility{CloudWatchMetricsEnabled: true, MetricName: metric, SampledRequestsEnabled: true}
}

// webACLRules returns the web ACL's rules as ruleJson: the rate limit first
// (it stops a flood before the other rules inspect it), then the managed
// groups in the order of wafManagedRuleGroups. The JSON is in the form the
// provider keeps in its state (keys sorted, no spaces: the schema's
// StateFunc normalises it), so that what is sent and what is kept are the
// same text.
func (c Config) webACLRules() (string, error) {
	var rules []wafRule
	for _, r := range c.Firewall().Rules {
		rule := wafRule{Name: r.Name, Priority: len(rules), VisibilityConfig: visibility(r.Name)}
		if r.Name == c.Names().WAFRateRule {
			rate := &wafRateBasedStatement{Limit: c.WAFRateLimit, EvaluationWindowSec: wafRateWindowSeconds, AggregateKeyType: "IP"}
			if c.WAFForwardedIPHeader != "" {
				// A request whose header holds no valid IP matches: the rule's
				// action applies to it, so a malformed header cannot dodge the
				// limit.
				rate.AggregateKeyType = "FORWARDED_IP"
				rate.ForwardedIPConfig = &wafForwardedIP{HeaderName: c.WAFForwardedIPHeader, FallbackBehavior: "MATCH"}
			}
			rule.Statement.RateBasedStatement = rate
			rule.Action = &wafAction{Block: &wafEmpty{}}
			if r.Action == wafCount {
				rule.Action = &wafAction{Count: &wafEmpty{}}
			}
		} else {
			group := &wafManagedGroupStatement{VendorName: "AWS", Name: r.Name}
			for _, name := range c.excludedRules(r.Name) {
				group.RuleActionOverrides = append(group.RuleActionOverrides, wafRuleActionOverride{Name: name, ActionToUse: wafAction{Count: &wafEmpty{}}})
			}
			rule.Statement.ManagedRuleGroupStatement = group
			rule.OverrideAction = &wafOverrideAction{None: &wafEmpty{}}
			if r.Action == wafCount {
				rule.OverrideAction = &wafOverrideAction{Count: &wafEmpty{}}
			}
		}
		rules = append(rules, rule)
	}
	return normalJSON(rules)
}

// normalJSON marshals v as the provider's state keeps a JSON input
// (Terraform's structure.NormalizeJsonString: decoded, then encoded again,
// which sorts object keys and drops spaces).
func normalJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return "", err
	}
	b, err = json.Marshal(generic)
	return string(b), err
}
