package render

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"alba-digi/infra"
	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
)

// Architecture is the picture a person reads first: what the system is and
// where a request goes. One node per component a person names (the load
// balancer with its listeners, the service with its tasks, the VPC, each
// role, the logs, the alarms as one node...), each made of the resources
// that implement it; links are the paths that matter: traffic (with ports
// and who may connect, from the security-group rules), image pulls, logs,
// roles assumed, what the alarms watch. Security groups and their rules are
// labels, not nodes. The dependency graph (Diagram) stays on demand.
type Architecture struct {
	// Network is the VPC subgraph's title; Inside are the components in it.
	Network string
	Inside  []Component
	Outside []Component
	Links   []Link
	// Styled: a diff's picture, each component classed by the change to any
	// of its resources, with a legend.
	Styled bool
}

// Component is one node and the resources it stands for.
type Component struct {
	ID, Label string
	// External: not part of the stack (clients, the image registry).
	External bool
	// Resources are the type::name keys of the resources it is made of.
	Resources []string
	Class     string
}

// Link is a path between components.
type Link struct {
	From, To, Label string
	// Traffic links are drawn thick; Dashed ones are control (roles, watching).
	Traffic, Dashed bool
}

// The names of a CodeDeploy release's test listener (its logical name) and
// second target group (its Name tag), as infra names them.
const (
	testListenerSuffix     = "-test-listener"
	greenTargetGroupSuffix = "-target-green"
)

// componentOf says which component a resource belongs to, by type (and, for
// roles and keys, by name).
func componentOf(r plan.Resource) string {
	switch r.Type {
	case typeLoadBalancer:
		return "c_lb"
	case typeListener:
		if strings.HasSuffix(r.Name, testListenerSuffix) {
			return "c_test_listener"
		}
		return "c_lb"
	case typeTargetGroup:
		if strings.HasSuffix(tagName(r), greenTargetGroupSuffix) {
			return "c_tg_green"
		}
		return "c_tg"
	case typeCodeDeployApp, typeDeploymentGroup, typeDeploymentConfig, typeCodeDeployRelease:
		return "c_codedeploy"
	case typeSecurityGroup, typeIngress, typeEgress:
		if strings.Contains(r.Name, "lb-sg") {
			return "c_lb"
		}
		return "c_service"
	case "aws:ecs/cluster:Cluster", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "aws:ecs/taskDefinition:TaskDefinition",
		typeService, "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy", "alba-digi:release:Rolling":
		return "c_service"
	case "awsx:ec2:DefaultVpc", "awsx:ec2:Vpc":
		return "c_vpc"
	case "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy":
		if strings.Contains(r.Name, "codedeploy-role") {
			return "c_codedeploy"
		}
		if strings.Contains(r.Name, "execution") {
			return "c_exec_role"
		}
		return "c_task_role"
	case "aws:cloudwatch/logGroup:LogGroup":
		if strings.Contains(r.Name, "waf") {
			return "c_waf"
		}
		return "c_logs"
	case typeWebACL, "aws:wafv2/webAclAssociation:WebAclAssociation", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "aws:cloudwatch/logResourcePolicy:LogResourcePolicy":
		return "c_waf"
	case "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription":
		return "c_alarms"
	case "aws:cloudwatch/dashboard:Dashboard":
		return "c_dashboard"
	case "aws:kms/key:Key":
		return "c_key_" + unsafeID.ReplaceAllString(r.Name, "_")
	case "aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation":
		return "c_certificate"
	case "aws:route53/record:Record":
		if strings.Contains(r.Name, "certificate") {
			return "c_certificate"
		}
		return "c_domain"
	}
	if strings.HasPrefix(r.Type, "aws:s3/") {
		return "c_bucket"
	}
	return "c_other"
}

// NewArchitecture draws the plan p as components.
func NewArchitecture(p *plan.Plan) *Architecture {
	by := map[string][]plan.Resource{}
	for _, r := range p.Resources {
		c := componentOf(r)
		by[c] = append(by[c], r)
	}
	first := func(c, typ string) (plan.Resource, bool) {
		for _, r := range by[c] {
			if r.Type == typ {
				return r, true
			}
		}
		return plan.Resource{}, false
	}
	a := &Architecture{}
	component := func(id, label string) Component {
		c := Component{ID: id, Label: label}
		for _, r := range by[id] {
			c.Resources = append(c.Resources, key(r.Type, r.Name))
		}
		return c
	}

	// The network.
	a.Network = "Network"
	if vpc, ok := first("c_vpc", "awsx:ec2:Vpc"); ok {
		nat := "one NAT gateway"
		if input(vpc, "natGateways", "strategy") == "OnePerAz" {
			nat = "a NAT gateway per zone"
		}
		a.Network = fmt.Sprintf("VPC %s · %s zones · public and private subnets · %s", input(vpc, "cidrBlock"), input(vpc, "numberOfAvailabilityZones"), nat)
	} else if _, ok := first("c_vpc", "awsx:ec2:DefaultVpc"); ok {
		a.Network = "the account's default VPC · public subnets, no NAT"
	} else if svc, ok := first("c_service", typeService); ok {
		a.Network = "existing VPC · subnets " + strings.Join(list(svc, "networkConfiguration", "subnets"), ", ")
	}

	lb, hasLB := first("c_lb", typeLoadBalancer)
	svc, hasService := first("c_service", typeService)
	if hasLB {
		var listeners []string
		for _, r := range by["c_lb"] {
			if r.Type == typeListener {
				l := fmt.Sprintf("%s :%s", input(r, "protocol"), input(r, "port"))
				if input(r, "defaultActions", "0", "type") == "redirect" {
					l += " → 301"
				}
				listeners = append(listeners, l)
			}
		}
		sort.Strings(listeners)
		a.Inside = append(a.Inside, component("c_lb", fmt.Sprintf("Load balancer %s · %s · %s", tagName(lb), details(lb), strings.Join(listeners, ", "))))
	}
	// The firewall is a regional AWS service on the load balancer, not in the
	// network: drawn outside it, between the clients and the load balancer.
	var waf Component
	if acl, ok := first("c_waf", typeWebACL); ok {
		label := "Web application firewall " + input(acl, "name")
		if f := p.Firewall; f != nil {
			label += fmt.Sprintf(" · AWS WAF, %s mode · %d of %d WCU", f.Mode, f.Capacity, f.IncludedCapacity)
			for _, r := range f.Rules {
				if strings.HasPrefix(r.Detail, "rate limit: ") {
					label += " · " + strings.TrimPrefix(r.Detail, "rate limit: ")
				}
			}
		}
		if lg, ok := first("c_waf", "aws:cloudwatch/logGroup:LogGroup"); ok {
			label += fmt.Sprintf(" · logs %s · %s days", input(lg, "name"), input(lg, "retentionInDays"))
		}
		waf = component("c_waf", label)
	}
	release := releaseOf(p)
	test, hasTest := first("c_test_listener", typeListener)
	if hasTest {
		a.Inside = append(a.Inside, component("c_test_listener", testListenerLabel(test, release)))
	}
	targetGroup := func(id, role string) {
		if tg, ok := first(id, typeTargetGroup); ok {
			a.Inside = append(a.Inside, component(id, fmt.Sprintf("Target group %s%s · %s %s · health check %s", tagName(tg), role, input(tg, "protocol"), input(tg, "port"), input(tg, "healthCheck", "path"))))
		}
	}
	if len(by["c_tg_green"]) > 0 {
		// A CodeDeploy release: each release swaps the two, so blue and
		// green are their roles at the first release.
		targetGroup("c_tg", " · production (blue)")
		targetGroup("c_tg_green", " · the new revision (green)")
	} else {
		targetGroup("c_tg", "")
	}
	if hasService {
		label := fmt.Sprintf("ECS service %s · %s tasks", input(svc, "name"), input(svc, "desiredCount"))
		if td, ok := first("c_service", "aws:ecs/taskDefinition:TaskDefinition"); ok {
			label += fmt.Sprintf(" × %s CPU / %s MiB · %s", input(td, "cpu"), input(td, "memory"), image(td))
		}
		if target, ok := first("c_service", "aws:appautoscaling/target:Target"); ok {
			label += fmt.Sprintf(" · scales %s to %s", input(target, "minCapacity"), input(target, "maxCapacity"))
		}
		a.Inside = append(a.Inside, component("c_service", label))
	}

	// Outside the network.
	clients := Component{ID: "c_clients", Label: "Clients", External: true}
	a.Outside = append(a.Outside, clients)
	if waf.ID != "" {
		a.Outside = append(a.Outside, waf)
	}
	if d, ok := first("c_domain", "aws:route53/record:Record"); ok {
		a.Outside = append(a.Outside, component("c_domain", "Domain "+input(d, "name")+" · Route 53 alias"))
	}
	if cert, ok := first("c_certificate", "aws:acm/certificate:Certificate"); ok {
		a.Outside = append(a.Outside, component("c_certificate", "Certificate "+input(cert, "domainName")+" · ACM, validated by DNS"))
	}
	if hasService {
		a.Outside = append(a.Outside, Component{ID: "c_registry", Label: "Image registry " + registry(by["c_service"]), External: true})
	}
	for _, role := range []struct{ id, what string }{{"c_exec_role", "Execution role · pulls the image, writes logs, reads secrets"}, {"c_task_role", "Task role · the API's own AWS calls"}} {
		if len(by[role.id]) > 0 {
			a.Outside = append(a.Outside, component(role.id, role.what))
		}
	}
	if lg, ok := first("c_logs", "aws:cloudwatch/logGroup:LogGroup"); ok {
		// Every log group of the stack, the containers' first (the shortest name).
		var names []string
		for _, r := range by["c_logs"] {
			if r.Type == "aws:cloudwatch/logGroup:LogGroup" {
				names = append(names, input(r, "name"))
			}
		}
		sort.SliceStable(names, func(i, j int) bool { return len(names[i]) < len(names[j]) })
		a.Outside = append(a.Outside, component("c_logs", fmt.Sprintf("Logs %s · %s days", strings.Join(names, ", "), input(lg, "retentionInDays"))))
	}
	var alarms []string
	email := ""
	for _, r := range by["c_alarms"] {
		switch r.Type {
		case "aws:cloudwatch/metricAlarm:MetricAlarm":
			alarms = append(alarms, alarmMetric(r))
		case "aws:sns/topicSubscription:TopicSubscription":
			email = " · email " + input(r, "endpoint")
		}
	}
	if len(alarms) > 0 {
		sort.Strings(alarms)
		a.Outside = append(a.Outside, component("c_alarms", "Alarms: "+strings.Join(alarms, ", ")+email))
	}
	if app, ok := first("c_codedeploy", typeCodeDeployApp); ok {
		a.Outside = append(a.Outside, component("c_codedeploy", codeDeployLabel(app, by["c_codedeploy"], release)))
	}
	if len(by["c_dashboard"]) > 0 {
		a.Outside = append(a.Outside, component("c_dashboard", "Dashboard"))
	}
	if b, ok := first("c_bucket", "aws:s3/bucketV2:BucketV2"); ok {
		a.Outside = append(a.Outside, component("c_bucket", "Access-log bucket "+b.PhysicalName))
	}
	var keys []string
	for id := range by {
		if strings.HasPrefix(id, "c_key_") {
			keys = append(keys, id)
		}
	}
	sort.Strings(keys)
	for _, id := range keys {
		a.Outside = append(a.Outside, component(id, "KMS key "+by[id][0].Name))
	}
	if len(by["c_other"]) > 0 {
		a.Outside = append(a.Outside, component("c_other", fmt.Sprintf("Other: %d resources", len(by["c_other"]))))
	}

	// Links.
	t := traffic(p)
	for _, e := range t.Edges {
		if e.From == "t_clients" && hasTest && e.To == "t_listener_"+input(test, "port") {
			if len(by["c_waf"]) > 0 {
				// The web ACL is the load balancer's: it inspects test requests too.
				a.Links = append(a.Links, Link{From: "c_clients", To: "c_waf", Label: e.Label, Traffic: true},
					Link{From: "c_waf", To: "c_test_listener", Label: "test requests no rule blocks", Traffic: true})
			} else {
				a.Links = append(a.Links, Link{From: "c_clients", To: "c_test_listener", Label: e.Label, Traffic: true})
			}
			continue
		}
		if e.From == "t_clients" {
			target := "c_lb"
			if len(by["c_waf"]) > 0 && hasLB {
				// AWS WAF inspects every request before the load balancer routes it.
				target = "c_waf"
			}
			if _, ok := first("c_domain", "aws:route53/record:Record"); ok {
				a.Links = append(a.Links, Link{From: "c_clients", To: "c_domain", Label: "DNS"})
			}
			a.Links = append(a.Links, Link{From: "c_clients", To: target, Label: e.Label, Traffic: true})
		}
		if e.From == "t_load_balancer" && e.To == "t_tasks" {
			a.Links = append(a.Links, Link{From: "c_tg", To: "c_service", Label: e.Label, Traffic: true})
			if len(by["c_tg_green"]) > 0 {
				a.Links = append(a.Links, Link{From: "c_tg_green", To: "c_service", Label: e.Label, Traffic: true})
			}
		}
	}
	if hasLB && len(by["c_waf"]) > 0 {
		a.Links = append(a.Links, Link{From: "c_waf", To: "c_lb", Label: "requests no rule blocks", Traffic: true})
	}
	if hasLB && len(by["c_tg"]) > 0 {
		if len(by["c_tg_green"]) > 0 {
			a.Links = append(a.Links, Link{From: "c_lb", To: "c_tg", Label: "production traffic", Traffic: true},
				Link{From: "c_lb", To: "c_tg_green", Label: "the share shifted during a release", Traffic: true})
		} else {
			a.Links = append(a.Links, Link{From: "c_lb", To: "c_tg", Label: "forwards", Traffic: true})
		}
	}
	if hasTest && len(by["c_tg_green"]) > 0 {
		a.Links = append(a.Links, Link{From: "c_test_listener", To: "c_tg_green", Label: "test traffic", Traffic: true})
	}
	if len(by["c_codedeploy"]) > 0 {
		shift := "shifts production traffic between the target groups"
		if release != nil {
			shift += ": " + shiftText(release.Shift)
		}
		a.Links = append(a.Links, Link{From: "c_codedeploy", To: "c_lb", Label: shift, Dashed: true})
		end := "starts the new task set, ends the original"
		if release != nil {
			end += fmt.Sprintf(" %d min after the shift", release.TerminationMinutes)
		}
		a.Links = append(a.Links, Link{From: "c_codedeploy", To: "c_service", Label: end, Dashed: true})
		if release != nil && release.RollbackAlarm != "" && len(by["c_alarms"]) > 0 {
			a.Links = append(a.Links, Link{From: "c_codedeploy", To: "c_alarms", Label: "rolls back when " + release.RollbackAlarm + " trips", Dashed: true})
		}
	}
	if len(by["c_domain"]) > 0 && hasLB {
		a.Links = append(a.Links, Link{From: "c_domain", To: "c_lb", Label: "alias"})
	}
	if len(by["c_certificate"]) > 0 && hasLB {
		a.Links = append(a.Links, Link{From: "c_certificate", To: "c_lb", Label: "TLS"})
	}
	if hasService {
		pull := "pulls the image"
		if _, ok := first("c_vpc", "awsx:ec2:Vpc"); ok {
			pull += " through NAT"
		} else if input(svc, "networkConfiguration", "assignPublicIp") == "true" {
			pull += " over its public IP"
		}
		a.Links = append(a.Links, Link{From: "c_service", To: "c_registry", Label: pull})
		if len(by["c_logs"]) > 0 {
			a.Links = append(a.Links, Link{From: "c_service", To: "c_logs", Label: "logs"})
		}
		for _, role := range []string{"c_exec_role", "c_task_role"} {
			if len(by[role]) > 0 {
				a.Links = append(a.Links, Link{From: "c_service", To: role, Label: "assumes", Dashed: true})
			}
		}
	}
	if len(alarms) > 0 {
		watchedAll := []string{"c_lb", "c_service"}
		if slices.Contains(alarms, "BlockedRequests") || slices.Contains(alarms, "CountedRequests") {
			watchedAll = append(watchedAll, "c_waf")
		}
		for _, watched := range watchedAll {
			a.Links = append(a.Links, Link{From: "c_alarms", To: watched, Label: "watch", Dashed: true})
		}
	}
	if len(by["c_dashboard"]) > 0 {
		a.Links = append(a.Links, Link{From: "c_dashboard", To: "c_service", Label: "shows", Dashed: true})
	}
	if len(by["c_bucket"]) > 0 && hasLB {
		a.Links = append(a.Links, Link{From: "c_lb", To: "c_bucket", Label: "access logs"})
	}
	for _, id := range keys {
		name := by[id][0].Name
		switch {
		case strings.Contains(name, "logs") && len(by["c_logs"]) > 0:
			a.Links = append(a.Links, Link{From: id, To: "c_logs", Label: "encrypts", Dashed: true})
			if lg, ok := first("c_waf", "aws:cloudwatch/logGroup:LogGroup"); ok && input(lg, "kmsKeyId") != "" && input(lg, "kmsKeyId") != "<absent>" {
				a.Links = append(a.Links, Link{From: id, To: "c_waf", Label: "encrypts its logs", Dashed: true})
			}
		case strings.Contains(name, "alarms") && len(alarms) > 0:
			a.Links = append(a.Links, Link{From: id, To: "c_alarms", Label: "encrypts the topic", Dashed: true})
		}
	}
	return a
}

// releaseOf is the plan's CodeDeploy release, nil without one.
func releaseOf(p *plan.Plan) *infra.ReleasePlan {
	if p.Rollout == nil {
		return nil
	}
	return p.Rollout.Release
}

// testListenerLabel says the test listener's port and who may reach it.
func testListenerLabel(l plan.Resource, r *infra.ReleasePlan) string {
	label := fmt.Sprintf("Test listener of the load balancer · %s :%s", input(l, "protocol"), input(l, "port"))
	switch {
	case r == nil:
	case len(r.TestCidrs) > 0:
		label += " · from " + strings.Join(r.TestCidrs, ", ")
	default:
		label += " · no client (testCidrs empty): health checks only"
	}
	return label
}

// codeDeployLabel names the CodeDeploy application, its group, the
// deployment configuration and when a release rolls back.
func codeDeployLabel(app plan.Resource, parts []plan.Resource, r *infra.ReleasePlan) string {
	label := "CodeDeploy " + input(app, "name")
	for _, g := range parts {
		if g.Type == typeDeploymentGroup {
			label += " · group " + input(g, "deploymentGroupName")
		}
	}
	if r == nil {
		return label
	}
	label += " · " + r.Shift.Config + " · rolls back on failure"
	if r.RollbackAlarm != "" {
		label += " and on its alarm"
	}
	return label
}

// shiftText says how a release moves production traffic, briefly.
func shiftText(t infra.TrafficShift) string {
	switch t.Type {
	case "TimeBasedCanary":
		return fmt.Sprintf("%d %% for %d min, then the rest", t.Percent, t.Minutes)
	case "TimeBasedLinear":
		return fmt.Sprintf("%d %% more every %d min", t.Percent, t.Minutes)
	}
	return "all at once"
}

// image is the container image of a task definition.
func image(td plan.Resource) string {
	defs := input(td, "containerDefinitions")
	if i := strings.Index(defs, `"image":"`); i >= 0 {
		rest := defs[i+len(`"image":"`):]
		if j := strings.Index(rest, `"`); j >= 0 {
			return rest[:j]
		}
	}
	return "image"
}

// registry is the host of the service's image.
func registry(service []plan.Resource) string {
	for _, r := range service {
		if r.Type == "aws:ecs/taskDefinition:TaskDefinition" {
			host, _, _ := strings.Cut(image(r), "/")
			if !strings.Contains(host, ".") {
				return "Docker Hub"
			}
			return host
		}
	}
	return ""
}

// list reads a list input as strings.
func list(r plan.Resource, path ...string) []string {
	items, _ := lookup(r, path...).([]any)
	var out []string
	for _, i := range items {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

// NewArchitectureDiff draws the next plan of d, each component classed by
// the change to any of its resources, and the components d removes whole.
func NewArchitectureDiff(d *diff.Diff) *Architecture {
	if d.Next == nil {
		return nil
	}
	a := NewArchitecture(d.Next)
	a.Styled = true
	change := changeClasses(d)
	removedBy := map[string]int{}
	for _, r := range d.RemovedResources {
		removedBy[componentOf(baseResource(d, r))]++
	}
	classify := func(c *Component) {
		var kinds []string
		for _, k := range c.Resources {
			kinds = append(kinds, change[k])
		}
		switch {
		case slices.Contains(kinds, "replaced"):
			c.Class = "replaced"
		case len(kinds) > 0 && !slices.Contains(kinds, "") && !slices.Contains(kinds, "changed") && !slices.Contains(kinds, "replaced") && removedBy[c.ID] == 0:
			c.Class = "added"
		case slices.Contains(kinds, "changed") || slices.Contains(kinds, "added") || removedBy[c.ID] > 0:
			c.Class = "changed"
		}
	}
	present := map[string]bool{}
	for i := range a.Inside {
		classify(&a.Inside[i])
		present[a.Inside[i].ID] = true
	}
	for i := range a.Outside {
		classify(&a.Outside[i])
		present[a.Outside[i].ID] = true
	}
	if d.Base != nil {
		base := NewArchitecture(d.Base)
		for _, c := range append(base.Inside, base.Outside...) {
			if !present[c.ID] && !c.External {
				c.Class = "removed"
				a.Outside = append(a.Outside, c)
			}
		}
	}
	return a
}

// baseResource is the base plan's resource r names (its inputs tell which
// component it was part of), or r alone.
func baseResource(d *diff.Diff, r diff.Ref) plan.Resource {
	if d.Base != nil {
		for _, br := range d.Base.Resources {
			if br.Type == r.Type && br.Name == r.Name {
				return br
			}
		}
	}
	return plan.Resource{Type: r.Type, Name: r.Name}
}

// ChangedDependencies is the dependency graph of what a diff changes: the
// nodes it adds, changes, replaces or removes, and the edges between them and
// their direct neighbours; nil when nothing changes.
func ChangedDependencies(d *diff.Diff) *Diagram {
	full := NewDiffDiagram(d)
	if full == nil || d.Empty() {
		return nil
	}
	keep := map[string]bool{}
	for _, g := range full.Groups {
		for _, n := range g.Nodes {
			if n.Class != "" {
				keep[n.ID] = true
			}
		}
	}
	var edges []Edge
	near := map[string]bool{}
	for _, e := range full.Edges {
		if keep[e.From] || keep[e.To] {
			edges = append(edges, e)
			near[e.From], near[e.To] = true, true
		}
	}
	out := &Diagram{Styled: true, Edges: edges}
	for _, g := range full.Groups {
		group := Group{ID: g.ID, Title: g.Title}
		for _, n := range g.Nodes {
			if keep[n.ID] || near[n.ID] {
				group.Nodes = append(group.Nodes, n)
			}
		}
		if len(group.Nodes) > 0 {
			out.Groups = append(out.Groups, group)
		}
	}
	return out
}
