package fakeaws

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The load balancer's listeners, as Elastic Load Balancing's query API
// answers them (API version 2015-12-01): the stand-in provider creates,
// modifies and deletes them with CreateListener, ModifyListener and
// DeleteListener, CodeDeploy moves their traffic during a deployment, and
// DescribeListeners reports the default actions as ELB stores them:
//   - a forward to one target group comes back with its TargetGroupArn and a
//     ForwardConfig of that one group at weight 1; a weighted forward to
//     several comes back with the ForwardConfig alone, no TargetGroupArn
//     (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html,
//     and terraform-provider-aws's listener flattening, which reads both);
//   - a target group no listener forwards to is "unused": ELB runs no health
//     checks on its targets, and DescribeTargetHealth says so with the reason
//     Target.NotInUse
//     (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
//     Only an account that knows listeners applies it: an account told of
//     target groups alone (the unit tests of the rolling release) takes every
//     target group as in use.

// elbAction is one action of a listener, as ELB stores it.
type elbAction struct {
	Type           string
	Order          int
	TargetGroupArn string
	// Forward is the weighted forward (ForwardConfig.TargetGroups).
	Forward    []TargetWeight
	Stickiness bool
	// Redirect and FixedResponse are kept as the caller sent them
	// (RedirectConfig.Protocol → "Protocol", ...).
	Redirect, FixedResponse map[string]string
}

// TargetWeight is one target group of a weighted forward.
type TargetWeight struct {
	TargetGroupArn string
	Weight         int
}

type elbListener struct {
	arn, loadBalancerArn string
	port                 int
	protocol, sslPolicy  string
	certificates, alpn   []string
	actions              []elbAction
	order                int // creation order, for DescribeListeners
	modifications        int
}

// normalize stores a forward as ELB does: a single target group both ways,
// several in the ForwardConfig only; a weight left out is 1.
func (act *elbAction) normalize() {
	if act.Type != "forward" {
		return
	}
	if len(act.Forward) == 0 && act.TargetGroupArn != "" {
		act.Forward = []TargetWeight{{act.TargetGroupArn, 1}}
	}
	if len(act.Forward) == 1 {
		act.TargetGroupArn = act.Forward[0].TargetGroupArn
	} else {
		// ELB lists the target groups of a weighted forward in the order of
		// their ARNs, whatever order they were given in.
		act.TargetGroupArn = ""
		slices.SortFunc(act.Forward, func(x, y TargetWeight) int { return strings.Compare(x.TargetGroupArn, y.TargetGroupArn) })
	}
}

// forwardWeights is the weight the listener's default forward gives each
// target group; nil when it forwards nowhere.
func (l *elbListener) forwardWeights() map[string]int {
	for _, act := range l.actions {
		if act.Type == "forward" {
			out := map[string]int{}
			for _, tw := range act.Forward {
				out[tw.TargetGroupArn] = tw.Weight
			}
			return out
		}
	}
	return nil
}

// setForward makes the listener's default action a forward with these
// weights, as CodeDeploy's ModifyListener calls do.
func (l *elbListener) setForward(weights []TargetWeight) {
	act := elbAction{Type: "forward", Forward: slices.Clone(weights)}
	act.normalize()
	l.actions = []elbAction{act}
	l.modifications++
}

// inUse reports whether a listener forwards to the target group, at any
// weight; true for every target group of an account that knows no listener.
func (a *Account) inUse(tg string) bool {
	if len(a.listeners) == 0 {
		return true
	}
	for _, l := range a.listeners {
		if _, ok := l.forwardWeights()[tg]; ok {
			return true
		}
	}
	return false
}

// actionsFrom reads the actions of a query request (DefaultActions.member.N...).
func actionsFrom(form url.Values, prefix string) []elbAction {
	var out []elbAction
	for i := 1; form.Has(fmt.Sprintf("%s.member.%d.Type", prefix, i)); i++ {
		p := fmt.Sprintf("%s.member.%d.", prefix, i)
		act := elbAction{Type: form.Get(p + "Type"), TargetGroupArn: form.Get(p + "TargetGroupArn")}
		act.Order, _ = strconv.Atoi(form.Get(p + "Order"))
		for j := 1; form.Has(fmt.Sprintf("%sForwardConfig.TargetGroups.member.%d.TargetGroupArn", p, j)); j++ {
			q := fmt.Sprintf("%sForwardConfig.TargetGroups.member.%d.", p, j)
			w := 1
			if v := form.Get(q + "Weight"); v != "" {
				w, _ = strconv.Atoi(v)
			}
			act.Forward = append(act.Forward, TargetWeight{form.Get(q + "TargetGroupArn"), w})
		}
		act.Stickiness = form.Get(p+"ForwardConfig.TargetGroupStickinessConfig.Enabled") == "true"
		act.Redirect = sub(form, p+"RedirectConfig.")
		act.FixedResponse = sub(form, p+"FixedResponseConfig.")
		act.normalize()
		out = append(out, act)
	}
	return out
}

func sub(form url.Values, prefix string) map[string]string {
	var out map[string]string
	for k := range form {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[rest] = form.Get(k)
		}
	}
	return out
}

func members(form url.Values, prefix string) []string {
	var out []string
	for i := 1; form.Has(fmt.Sprintf("%s.member.%d", prefix, i)); i++ {
		out = append(out, form.Get(fmt.Sprintf("%s.member.%d", prefix, i)))
	}
	return out
}

// elbCall answers the listener calls of ELB's query API; false when action
// is not one of them.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeListeners.html
// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteListener.html
func (a *Account) elbCall(w http.ResponseWriter, action string, form url.Values) bool {
	switch action {
	case "CreateListener":
		lb := form.Get("LoadBalancerArn")
		port, _ := strconv.Atoi(form.Get("Port"))
		for _, l := range a.listeners {
			if l.loadBalancerArn == lb && l.port == port {
				elbError(w, "DuplicateListener", "A listener already exists on this port for this load balancer")
				return true
			}
		}
		a.listenerSerial++
		_, part, ok := strings.Cut(lb, ":loadbalancer/")
		if !ok {
			elbError(w, "ValidationError", fmt.Sprintf("'%s' is not a valid load balancer ARN", lb))
			return true
		}
		l := &elbListener{
			arn:             fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:listener/%s/%016x", a.region, AccountID, part, 0x5eed0000+a.listenerSerial),
			loadBalancerArn: lb, port: port, protocol: form.Get("Protocol"), sslPolicy: form.Get("SslPolicy"),
			alpn: members(form, "AlpnPolicy"), actions: actionsFrom(form, "DefaultActions"), order: a.listenerSerial,
		}
		for i := 1; form.Has(fmt.Sprintf("Certificates.member.%d.CertificateArn", i)); i++ {
			l.certificates = append(l.certificates, form.Get(fmt.Sprintf("Certificates.member.%d.CertificateArn", i)))
		}
		a.listeners[l.arn] = l
		elbAnswer(w, action, "<Listeners>"+listenerXML(l)+"</Listeners>")
	case "ModifyListener":
		l, ok := a.listeners[form.Get("ListenerArn")]
		if !ok {
			elbError(w, "ListenerNotFound", "One or more listeners not found")
			return true
		}
		if v := form.Get("Port"); v != "" {
			l.port, _ = strconv.Atoi(v)
		}
		if v := form.Get("Protocol"); v != "" {
			l.protocol = v
		}
		if v := form.Get("SslPolicy"); v != "" {
			l.sslPolicy = v
		}
		if form.Has("Certificates.member.1.CertificateArn") {
			l.certificates = nil
			for i := 1; form.Has(fmt.Sprintf("Certificates.member.%d.CertificateArn", i)); i++ {
				l.certificates = append(l.certificates, form.Get(fmt.Sprintf("Certificates.member.%d.CertificateArn", i)))
			}
		}
		if acts := actionsFrom(form, "DefaultActions"); len(acts) > 0 {
			l.actions = acts
			l.modifications++
		}
		elbAnswer(w, action, "<Listeners>"+listenerXML(l)+"</Listeners>")
	case "DescribeListeners":
		a.describeListeners(w, form)
	case "DeleteListener":
		if _, ok := a.listeners[form.Get("ListenerArn")]; !ok {
			elbError(w, "ListenerNotFound", "One or more listeners not found")
			return true
		}
		delete(a.listeners, form.Get("ListenerArn"))
		elbAnswer(w, action, "")
	default:
		return false
	}
	return true
}

// describeListeners answers by ListenerArns or by LoadBalancerArn (one of
// them is required), in pages of PageSize (at most 400).
func (a *Account) describeListeners(w http.ResponseWriter, form url.Values) {
	arns, lb := members(form, "ListenerArns"), form.Get("LoadBalancerArn")
	if (len(arns) == 0) == (lb == "") {
		elbError(w, "ValidationError", "Either a load balancer ARN or listener ARNs must be specified, but not both")
		return
	}
	var list []*elbListener
	for _, arn := range arns {
		l, ok := a.listeners[arn]
		if !ok {
			elbError(w, "ListenerNotFound", "One or more listeners not found")
			return
		}
		list = append(list, l)
	}
	if lb != "" {
		for _, l := range a.listeners {
			if l.loadBalancerArn == lb {
				list = append(list, l)
			}
		}
		slices.SortFunc(list, func(x, y *elbListener) int { return x.order - y.order })
	}
	size := 400
	if v := form.Get("PageSize"); v != "" {
		size, _ = strconv.Atoi(v)
		if size < 1 || size > 400 {
			elbError(w, "ValidationError", "Page size must be between 1 and 400")
			return
		}
	}
	page, next := pageOf(list, form.Get("Marker"), size)
	var b strings.Builder
	b.WriteString("<Listeners>")
	for _, l := range page {
		b.WriteString(listenerXML(l))
	}
	b.WriteString("</Listeners>")
	if next != "" {
		b.WriteString("<NextMarker>" + next + "</NextMarker>")
	}
	elbAnswer(w, "DescribeListeners", b.String())
}

func listenerXML(l *elbListener) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<member><ListenerArn>%s</ListenerArn><LoadBalancerArn>%s</LoadBalancerArn><Port>%d</Port><Protocol>%s</Protocol>", l.arn, l.loadBalancerArn, l.port, l.protocol)
	if l.sslPolicy != "" {
		fmt.Fprintf(&b, "<SslPolicy>%s</SslPolicy>", l.sslPolicy)
	}
	if len(l.certificates) > 0 {
		b.WriteString("<Certificates>")
		for _, c := range l.certificates {
			fmt.Fprintf(&b, "<member><CertificateArn>%s</CertificateArn></member>", c)
		}
		b.WriteString("</Certificates>")
	}
	if len(l.alpn) > 0 {
		b.WriteString("<AlpnPolicy>")
		for _, p := range l.alpn {
			fmt.Fprintf(&b, "<member>%s</member>", p)
		}
		b.WriteString("</AlpnPolicy>")
	}
	b.WriteString("<DefaultActions>")
	for _, act := range l.actions {
		fmt.Fprintf(&b, "<member><Type>%s</Type>", act.Type)
		if act.Order > 0 {
			fmt.Fprintf(&b, "<Order>%d</Order>", act.Order)
		}
		if act.TargetGroupArn != "" {
			fmt.Fprintf(&b, "<TargetGroupArn>%s</TargetGroupArn>", act.TargetGroupArn)
		}
		if len(act.Forward) > 0 {
			b.WriteString("<ForwardConfig><TargetGroups>")
			for _, tw := range act.Forward {
				fmt.Fprintf(&b, "<member><TargetGroupArn>%s</TargetGroupArn><Weight>%d</Weight></member>", tw.TargetGroupArn, tw.Weight)
			}
			fmt.Fprintf(&b, "</TargetGroups><TargetGroupStickinessConfig><Enabled>%t</Enabled></TargetGroupStickinessConfig></ForwardConfig>", act.Stickiness)
		}
		for _, c := range []struct {
			name   string
			fields map[string]string
		}{{"RedirectConfig", act.Redirect}, {"FixedResponseConfig", act.FixedResponse}} {
			if c.fields == nil {
				continue
			}
			keys := make([]string, 0, len(c.fields))
			for k := range c.fields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b.WriteString("<" + c.name + ">")
			for _, k := range keys {
				fmt.Fprintf(&b, "<%s>%s</%s>", k, html.EscapeString(c.fields[k]), k)
			}
			b.WriteString("</" + c.name + ">")
		}
		b.WriteString("</member>")
	}
	b.WriteString("</DefaultActions></member>")
	return b.String()
}

func elbAnswer(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>0f1e2d3c-0000-4000-8000-000000000001</RequestId></ResponseMetadata></%sResponse>`,
		action, action, result, action, action)
}

func elbError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>0</RequestId></ErrorResponse>`, code, html.EscapeString(message))
}

// Listener is what ELB reports of a listener's default forward: the weight
// of each target group, in ELB's order.
func (a *Account) Listener(arn string) []TargetWeight {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.simulate(a.now())
	l, ok := a.listeners[arn]
	if !ok {
		return nil
	}
	for _, act := range l.actions {
		if act.Type == "forward" {
			return slices.Clone(act.Forward)
		}
	}
	return nil
}
