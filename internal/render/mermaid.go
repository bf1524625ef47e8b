package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
)

// Diagram is what the Mermaid flowchart of a plan shows: its resources in
// groups, the dependencies between them, and the traffic path apart.
type Diagram struct {
	Groups  []Group
	Edges   []Edge
	Traffic Traffic
	// Styled is true for a diff's diagram: nodes carry a change class and the
	// diagram a legend.
	Styled bool
}

// Group is a subgraph: network, load balancer, service, identity, logs.
type Group struct {
	ID, Title string
	Nodes     []Node
}

// Node is one resource.
type Node struct {
	ID    string
	Label string
	// Type and Name identify the resource the node stands for.
	Type, Name string
	// Class is the change a diff makes to it: added, changed, replaced,
	// removed, or empty.
	Class string
}

// Edge is a dependency: To waits for From, because of Via (the inputs that
// reference From, or dependsOn, drawn dashed).
type Edge struct {
	From, To string
	Label    string
	Dashed   bool
}

// Traffic is the path a request takes, with the ports and the sources the
// security-group rules allow.
type Traffic struct {
	Nodes []Node
	Edges []Edge
}

// groups in the order they are drawn, with the resource types in each.
var groups = []struct {
	id, title string
	types     []string
}{
	{"g_network", "Network", []string{"awsx:ec2:DefaultVpc", "awsx:ec2:Vpc", typeSecurityGroup, typeIngress, typeEgress}},
	{"g_lb", "Load balancer", []string{typeLoadBalancer, typeTargetGroup, typeListener, typeWebACL, "aws:wafv2/webAclAssociation:WebAclAssociation", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation", "aws:route53/record:Record"}},
	{"g_service", "Service", []string{"aws:ecs/cluster:Cluster", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/service:Service", "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"}},
	{"g_identity", "Identity", []string{"aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy"}},
	{"g_codedeploy", "CodeDeploy", []string{typeCodeDeployApp, typeDeploymentGroup, typeDeploymentConfig}},
	{"g_logs", "Logs and alarms", []string{"aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard", "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription", "aws:s3/bucketV2:BucketV2", "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"}},
}

const (
	typeSecurityGroup = "aws:ec2/securityGroup:SecurityGroup"
	typeIngress       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeEgress        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	typeLoadBalancer  = "aws:lb/loadBalancer:LoadBalancer"
	typeTargetGroup   = "aws:lb/targetGroup:TargetGroup"
	typeListener      = "aws:lb/listener:Listener"
	typeService       = "aws:ecs/service:Service"
	typeWebACL        = "aws:wafv2/webAcl:WebAcl"

	typeCodeDeployApp     = "aws:codedeploy/application:Application"
	typeDeploymentGroup   = "aws:codedeploy/deploymentGroup:DeploymentGroup"
	typeDeploymentConfig  = "aws:codedeploy/deploymentConfig:DeploymentConfig"
	typeCodeDeployRelease = "alba-digi:release:CodeDeploy"
)

// kinds says in words what a resource of each type is.
var kinds = map[string]string{
	"awsx:ec2:DefaultVpc":     "Default VPC",
	"awsx:ec2:Vpc":            "VPC",
	typeSecurityGroup:         "Security group",
	typeIngress:               "Ingress rule",
	typeEgress:                "Egress rule",
	typeLoadBalancer:          "Load balancer",
	typeTargetGroup:           "Target group",
	typeListener:              "Listener",
	"aws:ecs/cluster:Cluster": "ECS cluster",
	"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "Capacity providers",
	"aws:ecs/taskDefinition:TaskDefinition":                     "Task definition",
	typeService:                                                 "ECS service",
	"aws:appautoscaling/target:Target":                          "Scaling target",
	"aws:appautoscaling/policy:Policy":                          "Scaling policy",
	"aws:iam/role:Role":                                         "IAM role",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":         "Policy attachment",
	"aws:iam/rolePolicy:RolePolicy":                             "Role policy",
	"aws:cloudwatch/logGroup:LogGroup":                          "Log group",
	"aws:acm/certificate:Certificate":                           "Certificate",
	"aws:acm/certificateValidation:CertificateValidation":       "Certificate validation",
	"aws:route53/record:Record":                                 "DNS record",
	"aws:cloudwatch/metricAlarm:MetricAlarm":                    "Alarm",
	"aws:cloudwatch/dashboard:Dashboard":                        "Dashboard",
	"aws:sns/topic:Topic":                                       "SNS topic",
	"aws:sns/topicSubscription:TopicSubscription":               "Email subscription",
	"aws:s3/bucketV2:BucketV2":                                  "S3 bucket",
	"aws:s3/bucketPolicy:BucketPolicy":                          "Bucket policy",
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":    "Public access block",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "Bucket encryption",
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       "Bucket lifecycle",
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy":                                         "Log resource policy",
	typeWebACL: "Web ACL",
	"aws:wafv2/webAclAssociation:WebAclAssociation":                   "Web ACL association",
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "Web ACL logging",
	typeCodeDeployApp:    "CodeDeploy application",
	typeDeploymentGroup:  "Deployment group",
	typeDeploymentConfig: "Deployment configuration",
}

// NewDiagram lays out the plan p.
func NewDiagram(p *plan.Plan) *Diagram {
	d := &Diagram{}
	placed := map[string]bool{}
	for _, g := range groups {
		group := Group{ID: g.id, Title: g.title}
		for _, r := range p.Resources {
			if slices.Contains(g.types, r.Type) {
				group.Nodes = append(group.Nodes, node(r))
				placed[key(r.Type, r.Name)] = true
			}
		}
		if len(group.Nodes) > 0 {
			d.Groups = append(d.Groups, group)
		}
	}
	other := Group{ID: "g_other", Title: "Other"}
	for _, r := range p.Resources {
		if !placed[key(r.Type, r.Name)] {
			other.Nodes = append(other.Nodes, node(r))
		}
	}
	if len(other.Nodes) > 0 {
		d.Groups = append(d.Groups, other)
	}
	d.Edges = edges(p)
	d.Traffic = traffic(p)
	return d
}

// NewDiffDiagram lays out the next plan of d, each node classed by what the
// change does to it, and the resources d removes beside them.
func NewDiffDiagram(d *diff.Diff) *Diagram {
	if d.Next == nil {
		return nil
	}
	dg := NewDiagram(d.Next)
	dg.Styled = true
	class := changeClasses(d)
	for gi := range dg.Groups {
		for ni := range dg.Groups[gi].Nodes {
			n := &dg.Groups[gi].Nodes[ni]
			n.Class = class[key(n.Type, n.Name)]
		}
	}
	if d.Base != nil {
		removed := Group{ID: "g_removed", Title: "Removed"}
		for _, r := range d.RemovedResources {
			for _, br := range d.Base.Resources {
				if br.Type == r.Type && br.Name == r.Name {
					n := node(br)
					n.Class = "removed"
					removed.Nodes = append(removed.Nodes, n)
				}
			}
		}
		if len(removed.Nodes) > 0 {
			dg.Groups = append(dg.Groups, removed)
		}
	}
	return dg
}

func key(typ, name string) string { return typ + "::" + name }

// changeClasses is what a diff does to each resource it touches, by key:
// added, changed or replaced.
func changeClasses(d *diff.Diff) map[string]string {
	class := map[string]string{}
	for _, c := range d.Changed {
		class[key(c.Type, c.Name)] = map[bool]string{true: "replaced", false: "changed"}[c.Replace]
	}
	for _, a := range d.AddedResources {
		class[key(a.Type, a.Name)] = "added"
	}
	return class
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9]+`)

// nodeID is a Mermaid-safe id: letters, digits and underscores only, with a
// hash of type and name so that names differing only in other characters
// still get different ids.
func nodeID(typ, name string) string {
	sum := sha256.Sum256([]byte(key(typ, name)))
	short := typ
	if i := strings.LastIndex(short, ":"); i >= 0 {
		short = short[i+1:]
	}
	return "r_" + strings.Trim(unsafeID.ReplaceAllString(short+"_"+name, "_"), "_") + "_" + hex.EncodeToString(sum[:3])
}

func node(r plan.Resource) Node {
	kind, ok := kinds[r.Type]
	if !ok {
		kind = r.Type
	}
	name := r.PhysicalName
	if name == "" || r.Type == typeLoadBalancer || r.Type == typeTargetGroup {
		name = tagName(r)
	}
	label := kind + " " + name
	if detail := details(r); detail != "" {
		label += " · " + detail
	}
	return Node{ID: nodeID(r.Type, r.Name), Label: label, Type: r.Type, Name: r.Name}
}

// tagName is the name a reader knows a resource by: its Name tag (the
// tutorial's name of an auto-named load balancer), else its logical name.
func tagName(r plan.Resource) string {
	if tags, ok := r.Inputs["tags"].(map[string]any); ok {
		if n, ok := tags["Name"].(string); ok && n != "" {
			return n
		}
	}
	return r.Name
}

// lookup reads an input by its path: map keys, or list indexes; nil when
// the path leads nowhere.
func lookup(r plan.Resource, path ...string) any {
	var cur any = r.Inputs
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// alarmMetric is the metric an alarm watches: its own, or for a metric-math
// alarm (one metric summed over both target groups of a CodeDeploy release)
// the one its first query reads.
func alarmMetric(r plan.Resource) string {
	if m := input(r, "metricName"); m != "" {
		return m
	}
	return input(r, "metricQueries", "0", "metric", "metricName")
}

// input reads an input by its path, as text; "" when there is none.
func input(r plan.Resource, path ...string) string {
	if v := lookup(r, path...); v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// details are the one or two facts that say what a resource does.
func details(r plan.Resource) string {
	switch r.Type {
	case typeTargetGroup:
		return fmt.Sprintf("%s %s · %s", input(r, "protocol"), input(r, "port"), input(r, "healthCheck", "path"))
	case typeListener:
		return fmt.Sprintf("%s %s", input(r, "protocol"), input(r, "port"))
	case typeLoadBalancer:
		if input(r, "internal") == "true" {
			return "internal"
		}
		return "internet-facing"
	case typeIngress, typeEgress:
		return ruleText(r)
	case "aws:ecs/taskDefinition:TaskDefinition":
		return fmt.Sprintf("%s CPU · %s MiB", input(r, "cpu"), input(r, "memory"))
	case typeService:
		return input(r, "desiredCount") + " tasks"
	case "awsx:ec2:Vpc":
		return input(r, "cidrBlock")
	case "aws:cloudwatch/logGroup:LogGroup":
		return input(r, "retentionInDays") + " days"
	case "aws:route53/record:Record":
		return input(r, "type")
	case "aws:acm/certificate:Certificate":
		return input(r, "domainName") + " · " + input(r, "validationMethod")
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		return fmt.Sprintf("%s ≥ %s", alarmMetric(r), input(r, "threshold"))
	case "aws:appautoscaling/target:Target":
		return fmt.Sprintf("%s to %s tasks", input(r, "minCapacity"), input(r, "maxCapacity"))
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		arn := input(r, "policyArn")
		return arn[strings.LastIndex(arn, "/")+1:]
	}
	return ""
}

// ruleText says what a security-group rule allows: protocol, ports, source or
// destination.
func ruleText(r plan.Resource) string {
	proto := input(r, "ipProtocol")
	ports := input(r, "fromPort")
	if to := input(r, "toPort"); to != ports {
		ports += "-" + to
	}
	if proto == "-1" {
		proto, ports = "all traffic", ""
	}
	peer := input(r, "cidrIpv4")
	if peer == "" {
		peer = "its peer group"
		for _, dep := range r.Dependencies {
			if dep.Via == "referencedSecurityGroupId" {
				peer = "group " + dep.Name
			}
		}
	}
	dir := "from"
	if r.Type == typeEgress {
		dir = "to"
	}
	return strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s", proto, ports, dir, peer)), " ")
}

// edges are the dependencies between the plan's resources, one per pair,
// labelled with the inputs that make them.
func edges(p *plan.Plan) []Edge {
	type pair struct{ from, to string }
	vias := map[pair][]string{}
	for _, r := range p.Resources {
		for _, dep := range r.Dependencies {
			k := pair{nodeID(dep.Type, dep.Name), nodeID(r.Type, r.Name)}
			vias[k] = append(vias[k], dep.Via)
		}
	}
	var out []Edge
	for k, v := range vias {
		slices.Sort(v)
		v = slices.Compact(v)
		out = append(out, Edge{From: k.from, To: k.to, Label: strings.Join(v, ", "), Dashed: len(v) == 1 && v[0] == plan.DependsOn})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

// traffic draws a request's path from the rules that allow it: the load
// balancer group's ingress rules (listener ports and the CIDRs allowed), then
// the tasks group's rule that lets the load balancer in on the container port.
func traffic(p *plan.Plan) Traffic {
	var lbGroup, taskGroup, service *plan.Resource
	for i := range p.Resources {
		r := &p.Resources[i]
		switch r.Type {
		case typeLoadBalancer:
			for _, dep := range r.Dependencies {
				if dep.Via == "securityGroups" {
					lbGroup = &plan.Resource{Type: dep.Type, Name: dep.Name}
				}
			}
		case typeService:
			service = r
			for _, dep := range r.Dependencies {
				if dep.Via == "networkConfiguration" && dep.Type == typeSecurityGroup {
					taskGroup = &plan.Resource{Type: dep.Type, Name: dep.Name}
				}
			}
		}
	}
	t := Traffic{}
	if lbGroup == nil || taskGroup == nil || service == nil {
		return t
	}
	const clients, lb, tasks = "t_clients", "t_load_balancer", "t_tasks"
	t.Nodes = append(t.Nodes, Node{ID: clients, Label: "Clients"})
	t.Nodes = append(t.Nodes, Node{ID: lb, Label: "Load balancer"})
	t.Nodes = append(t.Nodes, Node{ID: tasks, Label: "Tasks × " + input(*service, "desiredCount")})
	listeners := map[string]string{}
	for _, r := range p.Resources {
		if r.Type == typeListener {
			listeners[input(r, "port")] = input(r, "protocol")
		}
	}
	byPort := map[string][]string{}
	for _, r := range p.Resources {
		if !ruleOf(r, typeIngress, lbGroup.Name) {
			continue
		}
		if cidr := input(r, "cidrIpv4"); cidr != "" {
			byPort[input(r, "fromPort")] = append(byPort[input(r, "fromPort")], cidr)
		}
	}
	ports := make([]string, 0, len(byPort))
	for port := range byPort {
		ports = append(ports, port)
	}
	sort.Slice(ports, func(i, j int) bool {
		return len(ports[i]) < len(ports[j]) || (len(ports[i]) == len(ports[j]) && ports[i] < ports[j])
	})
	for _, port := range ports {
		id := "t_listener_" + unsafeID.ReplaceAllString(port, "_")
		t.Nodes = append(t.Nodes, Node{ID: id, Label: fmt.Sprintf("Listener :%s %s", port, listeners[port])})
		cidrs := byPort[port]
		slices.Sort(cidrs)
		t.Edges = append(t.Edges, Edge{From: clients, To: id, Label: fmt.Sprintf("tcp %s from %s", port, strings.Join(cidrs, ", "))}, Edge{From: id, To: lb})
	}
	for _, r := range p.Resources {
		if ruleOf(r, typeIngress, taskGroup.Name) && input(r, "cidrIpv4") == "" {
			t.Edges = append(t.Edges, Edge{From: lb, To: tasks, Label: fmt.Sprintf("tcp %s from the load balancer's group", input(r, "fromPort"))})
		}
	}
	return t
}

// ruleOf reports whether r is a rule of type typ of the group named group.
func ruleOf(r plan.Resource, typ, group string) bool {
	if r.Type != typ {
		return false
	}
	for _, dep := range r.Dependencies {
		if dep.Via == "securityGroupId" && dep.Name == group {
			return true
		}
	}
	return false
}

// mermaidText escapes text for a quoted Mermaid label: the characters that
// would end the label, or be read as HTML or markdown, become entity codes.
var mermaidText = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;", "`", "#96;", "\n", " ",
).Replace
