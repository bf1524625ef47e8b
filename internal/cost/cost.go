// Package cost estimates what a stack declares costs a month, at AWS list
// prices, from the plan's resources and a price file (prices.json: each price
// with its source and the date that source states). A resource type it
// neither prices nor knows to be free is listed as unpriced, never left out,
// and a price the file lacks for the region is named, not guessed.
package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed prices.json
var pricesJSON []byte

// Price is one list price with where it comes from.
type Price struct {
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	Source     string  `json:"source"`
	SourceKind string  `json:"sourceKind"`
	AsOf       string  `json:"asOf"`
	// Quality is "aws" (AWS's pricing-page data), "example" (a worked
	// example on an AWS pricing page) or "weak" (a third-party quote).
	Quality string `json:"quality"`
}

// Prices is the price file.
type Prices struct {
	Currency      string                      `json:"currency"`
	HoursPerMonth float64                     `json:"hoursPerMonth"`
	Collected     string                      `json:"collected"`
	Note          string                      `json:"note"`
	Regions       map[string]map[string]Price `json:"regions"`
	Global        map[string]Price            `json:"global"`
}

// LoadPrices reads the price file the package embeds (once: it does not
// change while the program runs).
func LoadPrices() (Prices, error) { return loadPrices() }

var loadPrices = sync.OnceValues(func() (Prices, error) {
	var p Prices
	err := json.Unmarshal(pricesJSON, &p)
	return p, err
})

// Resource is a declared resource, as the plan holds it.
type Resource struct {
	Type, Name string
	Inputs     map[string]any
}

// Line is one priced (or unpriced) item.
type Line struct {
	What     string  `json:"what"`
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
	// Price is the unit price; Monthly the line's monthly cost. Unpriced lines
	// have neither, and say why in Missing.
	Price   float64 `json:"price,omitempty"`
	Monthly float64 `json:"monthly"`
	Source  string  `json:"source,omitempty"`
	AsOf    string  `json:"asOf,omitempty"`
	// Weak: the price comes from a third-party quote, not AWS's own data;
	// Quality is the price's (see Price).
	Weak    bool   `json:"weak,omitempty"`
	Quality string `json:"quality,omitempty"`
	Missing string `json:"missing,omitempty"`
}

// Group is lines of one kind, with their total.
type Group struct {
	Name  string  `json:"name"`
	Lines []Line  `json:"lines"`
	Total float64 `json:"total"`
}

// Estimate is the monthly estimate of a stack.
type Estimate struct {
	Region   string  `json:"region"`
	Currency string  `json:"currency"`
	Groups   []Group `json:"groups"`
	Total    float64 `json:"total"`
	// Partial: some line has no price; Total leaves it out.
	Partial bool `json:"partial"`
	// Scaled is the total at the autoscaling maximum (0 without autoscaling).
	ScaledTotal float64  `json:"scaledTotal,omitempty"`
	Assumptions []string `json:"assumptions"`
	// Unpriced are resource types neither priced nor known to be free.
	Unpriced   []string `json:"unpriced,omitempty"`
	PricesAsOf string   `json:"pricesAsOf"`
	// PerRelease is what one CodeDeploy release adds (nil without one): not
	// in Total, which would need an assumption of how often you release.
	PerRelease *ReleaseCost `json:"perRelease,omitempty"`
}

// Release is a CodeDeploy release as the plan estimates it: from the start
// of the replacement task set to the end of the original, both run at full
// count. Its parts, in seconds: the start allowance (image pull and
// container start), the new tasks' health checks, the traffic shift, the
// termination wait, and the original tasks' draining.
type Release struct {
	StartSeconds, HealthySeconds, ShiftSeconds, TerminationSeconds, DrainSeconds int
}

// Seconds is how long both task sets run.
func (r Release) Seconds() int {
	return r.StartSeconds + r.HealthySeconds + r.ShiftSeconds + r.TerminationSeconds + r.DrainSeconds
}

// ReleaseCost is what one release adds: the second task set's task-hours.
type ReleaseCost struct {
	Lines       []Line   `json:"lines"`
	Total       float64  `json:"total"`
	Partial     bool     `json:"partial"`
	Assumptions []string `json:"assumptions"`
}

// Group names, in the order shown.
const (
	Compute      = "compute"
	LoadBalancer = "load balancer"
	Firewall     = "firewall"
	Network      = "network"
	Observe      = "observability"
	Other        = "other"
)

var groupOrder = []string{Compute, LoadBalancer, Firewall, Network, Observe, Other}

// Assumed volumes: what a quiet API of this size uses, stated with the estimate.
const (
	lcuBaseline        = 1.0  // load balancer capacity units, on average
	natGBPerMonth      = 10.0 // GB through each NAT gateway a month (image pulls, logs, calls out)
	logsGBPerMonth     = 1.0  // GB of container logs ingested a month
	accessLogsGB       = 1.0  // GB of access logs kept
	freeDashboards     = 3    // per account; this estimate prices the stack's as beyond them
	requestsPerSecond  = 1.0  // requests the API answers a second, on average (a quiet API)
	wafLogKBPerRequest = 1.0  // KB of WAF log per request (a record with a few headers)
	spotCeilingComment = "Fargate Spot tasks at the on-demand price, as a ceiling: Spot prices float (AWS: up to 70 % less)"
)

// insightsMetrics are the metrics Container Insights publishes in the
// ECS/ContainerInsights namespace, billed as custom metrics: one metric for
// each metric name and dimension set, so counted per cluster, per service and
// per task definition family, as AWS's table lists them.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
var insightsMetrics = struct{ cluster, service, family int }{
	// ContainerInstanceCount, ServiceCount, TaskCount, and the ten below.
	cluster: 3 + 10,
	// DeploymentCount, DesiredTaskCount, PendingTaskCount, RunningTaskCount,
	// TaskSetCount, and the ten below.
	service: 5 + 10,
	// The ten published for the cluster, for each service and for each task
	// definition family alike: CpuUtilized, CpuReserved, MemoryUtilized,
	// MemoryReserved, NetworkRxBytes, NetworkTxBytes, StorageReadBytes,
	// StorageWriteBytes, and on Fargate EphemeralStorageReserved and
	// EphemeralStorageUtilized.
	family: 10,
}

// defaultVpcZones is how many Availability Zones a region has, and so how
// many default subnets its default VPC has (one in each zone) and how many
// public IPv4 addresses an internet-facing load balancer in the default VPC
// takes (one per zone it is in). Accounts may see fewer zones of a region.
// https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
// https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html
var defaultVpcZones = map[string]int{
	"us-east-1": 6, "us-west-2": 4, "eu-west-1": 3, "eu-central-1": 3, "ap-southeast-1": 3,
}

// keyRotationsBilled is how many rotations of a key's material AWS bills:
// each of the first two adds the price of a key a month, later ones are free.
// With the yearly automatic rotation a key costs one key-month a month in its
// first year, two in its second, three from then on.
// https://aws.amazon.com/kms/pricing/
const keyRotationsBilled = 2

// Free are the declared resource types AWS does not bill by themselves (their
// cost, if any, is in another line: a listener's in the load balancer's hours).
var Free = map[string]string{
	"pulumi:pulumi:Stack":                                       "the stack itself",
	"alba-digi:release:Rolling":                                 "the release: a component of the stack that verifies the rollout, no AWS resource",
	"awsx:ec2:DefaultVpc":                                       "the account's default VPC",
	"aws:ec2/securityGroup:SecurityGroup":                       "security groups",
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security group rules",
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   "security group rules",
	"aws:ecs/cluster:Cluster":                                   "the cluster (Container Insights is its own line)",
	"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "capacity providers",
	"aws:ecs/taskDefinition:TaskDefinition":                     "task definitions (the tasks are priced with the service)",
	"aws:iam/role:Role":                                         "IAM",
	"aws:iam/rolePolicy:RolePolicy":                             "IAM",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":         "IAM",
	"aws:lb/targetGroup:TargetGroup":                            "in the load balancer's capacity units",
	"aws:lb/listener:Listener":                                  "in the load balancer's hours",
	"aws:appautoscaling/target:Target":                          "Application Auto Scaling",
	"aws:appautoscaling/policy:Policy":                          "Application Auto Scaling",
	"aws:acm/certificate:Certificate":                           "public ACM certificates",
	"aws:acm/certificateValidation:CertificateValidation":       "a wait, not a resource",
	"aws:route53/record:Record":                                 "records (the zone is the account's; alias queries to a load balancer are free)",
	"aws:sns/topic:Topic":                                       "SNS: the first 1,000 emails a month are free",
	"aws:sns/topicSubscription:TopicSubscription":               "SNS subscriptions",
	"aws:s3/bucketPolicy:BucketPolicy":                          "bucket settings",
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":    "bucket settings",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "bucket settings",
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               "bucket settings",
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       "bucket settings",
	"aws:wafv2/webAclAssociation:WebAclAssociation":                                              "in the web ACL's price",
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":                            "WAF logging (the log ingestion is its own line)",
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy":                                         "CloudWatch Logs resource policies",
	// "There is no additional charge for code deployments to Amazon EC2, AWS
	// Lambda or Amazon ECS through AWS CodeDeploy."
	// https://aws.amazon.com/codedeploy/pricing/
	// What a release costs is the tasks of the second task set (OfRelease).
	"alba-digi:release:CodeDeploy":                     "the release: a component of the stack that starts and follows CodeDeploy deployments, no AWS resource",
	"aws:codedeploy/application:Application":           "CodeDeploy: no charge for deployments to Amazon ECS",
	"aws:codedeploy/deploymentGroup:DeploymentGroup":   "CodeDeploy: no charge for deployments to Amazon ECS",
	"aws:codedeploy/deploymentConfig:DeploymentConfig": "CodeDeploy: no charge for deployments to Amazon ECS",
}

// Priced are the declared resource types the estimate prices.
var Priced = []string{
	"aws:ecs/service:Service", "aws:lb/loadBalancer:LoadBalancer", "awsx:ec2:Vpc",
	"aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard",
	"aws:kms/key:Key", "aws:s3/bucketV2:BucketV2", "aws:wafv2/webAcl:WebAcl",
}

// estimator builds one estimate.
type estimator struct {
	p       Prices
	region  string
	res     []Resource
	lines   map[string][]Line
	assumed []string
	partial bool
}

// price looks up a price of the region (or a global one); ok is false when
// the file has none.
func (e *estimator) price(key string) (Price, bool) {
	if pr, ok := e.p.Regions[e.region][key]; ok {
		return pr, true
	}
	pr, ok := e.p.Global[key]
	return pr, ok
}

// add adds a line of quantity units of price key to group.
func (e *estimator) add(group, what, key string, quantity float64, unit string) {
	pr, ok := e.price(key)
	if !ok {
		e.partial = true
		e.lines[group] = append(e.lines[group], Line{What: what, Quantity: quantity, Unit: unit, Missing: fmt.Sprintf("no verified price for %s", regionName(e.region))})
		return
	}
	e.lines[group] = append(e.lines[group], Line{
		What: what, Quantity: math.Round(quantity*1000) / 1000, Unit: unit, Price: pr.Value, Monthly: round(quantity * pr.Value),
		Source: pr.Source, AsOf: pr.AsOf, Weak: pr.Quality == "weak", Quality: pr.Quality,
	})
}

func regionName(r string) string {
	if r == "" {
		return "the provider's region (aws:region is not set)"
	}
	return r
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

func (e *estimator) all(typ string) []Resource {
	var out []Resource
	for _, r := range e.res {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func (e *estimator) one(typ string) (Resource, bool) {
	all := e.all(typ)
	if len(all) == 0 {
		return Resource{}, false
	}
	return all[0], true
}

// Of estimates the monthly cost of the resources, in region.
func Of(p Prices, region string, resources []Resource) *Estimate {
	e := &estimator{p: p, region: region, res: resources, lines: map[string][]Line{}}
	hours := p.HoursPerMonth
	e.assumed = append(e.assumed, fmt.Sprintf("%g hours a month", hours))

	scaled := e.compute(hours)
	e.loadBalancer(hours)
	e.firewall(hours)
	e.network(hours)
	e.observability()
	e.other()

	est := &Estimate{Region: region, Currency: p.Currency, Assumptions: e.assumed, Partial: e.partial, PricesAsOf: e.asOf()}
	for _, name := range groupOrder {
		lines := e.lines[name]
		if len(lines) == 0 {
			continue
		}
		g := Group{Name: name, Lines: lines}
		for _, l := range lines {
			g.Total = round(g.Total + l.Monthly)
		}
		est.Groups = append(est.Groups, g)
		est.Total = round(est.Total + g.Total)
	}
	if scaled > 0 {
		est.ScaledTotal = round(est.Total + scaled)
	}
	seen := map[string]bool{}
	for _, r := range resources {
		if _, free := Free[r.Type]; !free && !slices.Contains(Priced, r.Type) && !seen[r.Type] {
			seen[r.Type] = true
			est.Unpriced = append(est.Unpriced, r.Type)
			est.Partial = true
		}
	}
	return est
}

// asOf is the span of dates of the prices the estimate uses.
func (e *estimator) asOf() string {
	var dates []string
	for _, lines := range e.lines {
		for _, l := range lines {
			if l.AsOf != "" {
				dates = append(dates, l.AsOf)
			}
		}
	}
	if len(dates) == 0 {
		return ""
	}
	slices.Sort(dates)
	if dates[0] == dates[len(dates)-1] {
		return dates[0]
	}
	return dates[0] + " to " + dates[len(dates)-1]
}

// compute prices the service's tasks: desiredCount of them all month, vCPU
// and memory of the task definition, x86 or ARM. It returns what the tasks
// above desiredCount would add at the autoscaling maximum.
func (e *estimator) compute(hours float64) float64 {
	svc, ok := e.one("aws:ecs/service:Service")
	if !ok {
		return 0
	}
	tasks, vcpu, gb, label, vcpuKey, gbKey := e.taskShape()
	if strategies, ok := svc.Inputs["capacityProviderStrategies"].([]any); ok && len(strategies) > 0 {
		e.assumed = append(e.assumed, spotCeilingComment)
	}
	e.add(Compute, fmt.Sprintf("Fargate %s vCPU: %g tasks × %g vCPU", label, tasks, vcpu), vcpuKey, tasks*vcpu*hours, "vCPU-hours")
	e.add(Compute, fmt.Sprintf("Fargate %s memory: %g tasks × %g GB", label, tasks, gb), gbKey, tasks*gb*hours, "GB-hours")
	target, ok := e.one("aws:appautoscaling/target:Target")
	if !ok {
		return 0
	}
	more := num(target.Inputs["maxCapacity"]) - tasks
	cpuPrice, ok1 := e.price(vcpuKey)
	memPrice, ok2 := e.price(gbKey)
	if more <= 0 || !ok1 || !ok2 {
		return 0
	}
	e.assumed = append(e.assumed, fmt.Sprintf("autoscaling between %g and %g tasks: the total is at the minimum; at the maximum it is the scaled total", tasks, num(target.Inputs["maxCapacity"])))
	return more * hours * (vcpu*cpuPrice.Value + gb*memPrice.Value)
}

// OfRelease prices the peak of one CodeDeploy release in region: the
// replacement task set runs as many tasks as the original (desiredCount, the
// autoscaling minimum with autoscaling) for r.Seconds(), at the Fargate
// price of the task definition's size. CodeDeploy itself charges nothing
// for deployments to ECS, and the second target group and the test listener
// nothing either: the load balancer is billed by its hours and capacity
// units, not by its listeners or target groups.
// https://aws.amazon.com/codedeploy/pricing/
// https://aws.amazon.com/elasticloadbalancing/pricing/
func OfRelease(p Prices, region string, resources []Resource, r Release) *ReleaseCost {
	e := &estimator{p: p, region: region, res: resources, lines: map[string][]Line{}}
	hours := float64(r.Seconds()) / 3600
	tasks, vcpu, gb, label, vcpuKey, gbKey := e.taskShape()
	e.add(Compute, fmt.Sprintf("Fargate %s vCPU: %g more tasks × %g vCPU for %s min", label, tasks, vcpu, strconv.FormatFloat(round(hours*60), 'f', -1, 64)), vcpuKey, tasks*vcpu*hours, "vCPU-hours")
	e.add(Compute, fmt.Sprintf("Fargate %s memory: %g more tasks × %g GB for %s min", label, tasks, gb, strconv.FormatFloat(round(hours*60), 'f', -1, 64)), gbKey, tasks*gb*hours, "GB-hours")
	out := &ReleaseCost{Lines: e.lines[Compute], Partial: e.partial}
	for _, l := range out.Lines {
		out.Total = round(out.Total + l.Monthly)
	}
	out.Assumptions = append(e.assumed,
		fmt.Sprintf("a release runs a second task set of %g tasks beside the first for about %d s: %d s to pull the image and start, %d s of health checks, %d s of traffic shift, %d s of termination wait, %d s of draining",
			tasks, r.Seconds(), r.StartSeconds, r.HealthySeconds, r.ShiftSeconds, r.TerminationSeconds, r.DrainSeconds),
		"CodeDeploy charges nothing for deployments to Amazon ECS, and the second target group and the test listener nothing either (one load balancer, billed by its hours and capacity units)",
		"per release, not in the monthly total: multiply by the releases you make in a month")
	if target, ok := e.one("aws:appautoscaling/target:Target"); ok {
		// The replacement task set starts at the service's count at the time,
		// anywhere between the autoscaling bounds.
		out.Assumptions = append(out.Assumptions, fmt.Sprintf("with autoscaling, at the minimum of %g tasks: a release while the service runs its maximum of %g costs up to %g times as much",
			tasks, num(target.Inputs["maxCapacity"]), num(target.Inputs["maxCapacity"])/max(tasks, 1)))
	}
	return out
}

// taskShape is the service's task count (desiredCount, or the autoscaling
// minimum), each task's vCPU and GB, and the Fargate price keys of its
// architecture.
func (e *estimator) taskShape() (tasks, vcpu, gb float64, label, vcpuKey, gbKey string) {
	svc, _ := e.one("aws:ecs/service:Service")
	td, _ := e.one("aws:ecs/taskDefinition:TaskDefinition")
	vcpu = num(td.Inputs["cpu"]) / 1024
	gb = num(td.Inputs["memory"]) / 1024
	tasks = num(svc.Inputs["desiredCount"])
	if target, ok := e.one("aws:appautoscaling/target:Target"); ok {
		tasks = num(target.Inputs["minCapacity"])
	}
	vcpuKey, gbKey, label = "fargate_vcpu_hour", "fargate_gb_hour", "x86"
	if rp, ok := td.Inputs["runtimePlatform"].(map[string]any); ok && rp["cpuArchitecture"] == "ARM64" {
		vcpuKey, gbKey, label = "fargate_arm_vcpu_hour", "fargate_arm_gb_hour", "ARM"
	}
	return tasks, vcpu, gb, label, vcpuKey, gbKey
}

// loadBalancer prices the load balancer's hours and a baseline of capacity
// units, and its public addresses (one per zone, when internet-facing).
func (e *estimator) loadBalancer(hours float64) {
	lb, ok := e.one("aws:lb/loadBalancer:LoadBalancer")
	if !ok {
		return
	}
	e.add(LoadBalancer, "Application Load Balancer", "alb_hour", hours, "hours")
	e.add(LoadBalancer, fmt.Sprintf("capacity units: %g on average", lcuBaseline), "alb_lcu_hour", lcuBaseline*hours, "LCU-hours")
	e.assumed = append(e.assumed, fmt.Sprintf("%g load balancer capacity unit on average (a quiet API: up to 25 new connections a second, 1 GB an hour)", lcuBaseline))
	if internal, _ := lb.Inputs["internal"].(bool); !internal {
		zones := e.zones(lb)
		e.add(Network, fmt.Sprintf("public IPv4 addresses of the load balancer: one per zone, %d zones", zones), "public_ipv4_hour", float64(zones)*hours, "address-hours")
	}
}

// firewall prices the web ACL: the ACL itself, each rule or managed rule
// group, the requests it inspects at the stack's traffic assumption, and the
// log ingestion and storage of those requests (AWS WAF logs every request it
// inspects). A web ACL's first 1,500 capacity units are in its price, and the
// program keeps to them.
// https://aws.amazon.com/waf/pricing/
func (e *estimator) firewall(hours float64) {
	acl, ok := e.one("aws:wafv2/webAcl:WebAcl")
	if !ok {
		return
	}
	var rules []any
	if raw, ok := acl.Inputs["ruleJson"].(string); ok {
		_ = json.Unmarshal([]byte(raw), &rules) // the program's own JSON; no rules priced if it did not parse
	}
	requests := requestsPerSecond * 3600 * hours
	logGB := requests * wafLogKBPerRequest / 1e6
	e.add(Firewall, "AWS WAF web ACL", "waf_web_acl_month", 1, "web ACL-months")
	e.add(Firewall, fmt.Sprintf("rules and managed rule groups: %d", len(rules)), "waf_rule_month", float64(len(rules)), "rule-months")
	e.add(Firewall, fmt.Sprintf("requests inspected: %s million", strconv.FormatFloat(requests/1e6, 'f', -1, 64)), "waf_request", requests, "requests")
	e.add(Firewall, fmt.Sprintf("WAF log ingestion: %s GB", strconv.FormatFloat(round(logGB), 'f', -1, 64)), "cloudwatch_logs_ingest_gb", logGB, "GB")
	if groups := e.all("aws:cloudwatch/logGroup:LogGroup"); len(groups) > 0 {
		retention := num(groups[0].Inputs["retentionInDays"])
		stored := logGB * math.Min(retention, 3650) / 30
		e.add(Firewall, fmt.Sprintf("WAF log storage: %s GB kept %g days", strconv.FormatFloat(round(stored), 'f', -1, 64), retention), "cloudwatch_logs_storage_gb_month", stored, "GB-months")
	}
	e.assumed = append(e.assumed, fmt.Sprintf("%g request a second on average (%s million a month) through the web ACL, each logged in about %g KB", requestsPerSecond, strconv.FormatFloat(requests/1e6, 'f', -1, 64), wafLogKBPerRequest))
}

// zones is how many zones the load balancer's subnets span. In the default
// VPC it takes every default subnet, one in each of the region's zones: the
// region's real count is used and stated (the offline mocks' default VPC has
// as many, but an estimate of another plan need not). Elsewhere its subnets are one per zone (the program
// refuses two of one zone): their number, else the created VPC's zones.
func (e *estimator) zones(lb Resource) int {
	if _, ok := e.one("awsx:ec2:DefaultVpc"); ok {
		if n, known := defaultVpcZones[e.region]; known {
			e.assumed = append(e.assumed, fmt.Sprintf("the default VPC of %s has a subnet in each of its %d zones, and the load balancer takes a public IPv4 address in each", e.region, n))
			return n
		}
	}
	if subnets, ok := lb.Inputs["subnets"].([]any); ok && len(subnets) > 0 {
		if _, ok := e.one("awsx:ec2:DefaultVpc"); ok {
			e.assumed = append(e.assumed, fmt.Sprintf("the default VPC of %s has %d zones (the plan's subnets; the region's real count is not known here)", regionName(e.region), len(subnets)))
		}
		return len(subnets)
	}
	if vpc, ok := e.one("awsx:ec2:Vpc"); ok {
		return int(vpcZones(vpc))
	}
	e.assumed = append(e.assumed, "3 zones in the default VPC")
	return 3
}

// vpcZones is how many zones an awsx Vpc spans: its availabilityZoneNames,
// else numberOfAvailabilityZones, else awsx's default of 3.
// https://www.pulumi.com/registry/packages/awsx/api-docs/ec2/vpc/#inputs
func vpcZones(vpc Resource) float64 {
	if names, ok := vpc.Inputs["availabilityZoneNames"].([]any); ok {
		return float64(len(names))
	}
	if _, ok := vpc.Inputs["numberOfAvailabilityZones"]; ok {
		return num(vpc.Inputs["numberOfAvailabilityZones"])
	}
	return 3
}

// vpcNATs is how many NAT gateways an awsx Vpc creates, each with a public
// address (an Elastic IP it allocates, or one the inputs give): its
// natGateways strategy, OnePerAz when none is given (awsx's default, with
// both public and private subnets), Single one, None none.
func vpcNATs(vpc Resource) float64 {
	strategy := "OnePerAz"
	if ng, ok := vpc.Inputs["natGateways"].(map[string]any); ok {
		if s, ok := ng["strategy"].(string); ok {
			strategy = s
		}
	}
	switch strings.ToLower(strategy) {
	case "oneperaz":
		return vpcZones(vpc)
	case "single":
		return 1
	}
	return 0
}

// network prices NAT gateways (one, or one per zone, each with its public
// address and a stated amount of data) and the tasks' public addresses.
func (e *estimator) network(hours float64) {
	if vpc, ok := e.one("awsx:ec2:Vpc"); ok && vpcNATs(vpc) > 0 {
		nats := vpcNATs(vpc)
		e.add(Network, fmt.Sprintf("NAT gateways: %g", nats), "nat_gateway_hour", nats*hours, "hours")
		e.add(Network, fmt.Sprintf("data through the NAT gateways: %g GB each", natGBPerMonth), "nat_gateway_gb_processed", nats*natGBPerMonth, "GB")
		e.add(Network, fmt.Sprintf("public IPv4 addresses of the NAT gateways: %g", nats), "public_ipv4_hour", nats*hours, "address-hours")
		e.assumed = append(e.assumed, fmt.Sprintf("%g GB a month through each NAT gateway (image pulls, logs, calls out)", natGBPerMonth))
	}
	svc, ok := e.one("aws:ecs/service:Service")
	if !ok {
		return
	}
	if nc, ok := svc.Inputs["networkConfiguration"].(map[string]any); ok && nc["assignPublicIp"] == true {
		tasks := num(svc.Inputs["desiredCount"])
		if target, ok := e.one("aws:appautoscaling/target:Target"); ok {
			tasks = num(target.Inputs["minCapacity"])
		}
		e.add(Network, fmt.Sprintf("public IPv4 addresses of the tasks: %g", tasks), "public_ipv4_hour", tasks*hours, "address-hours")
	}
}

// observability prices Container Insights, logs, alarms and dashboards.
func (e *estimator) observability() {
	if cluster, ok := e.one("aws:ecs/cluster:Cluster"); ok && containerInsights(cluster) {
		services := len(e.all("aws:ecs/service:Service"))
		families := map[string]bool{}
		for _, td := range e.all("aws:ecs/taskDefinition:TaskDefinition") {
			families[fmt.Sprint(td.Inputs["family"])] = true
		}
		metrics := insightsMetrics.cluster + services*insightsMetrics.service + len(families)*insightsMetrics.family
		e.add(Observe, fmt.Sprintf("Container Insights: %d metrics (cluster %d, services %d, task families %d)",
			metrics, insightsMetrics.cluster, services*insightsMetrics.service, len(families)*insightsMetrics.family),
			"cloudwatch_custom_metric_month_first_10k", float64(metrics), "metric-months")
		e.assumed = append(e.assumed, fmt.Sprintf("Container Insights: every metric of AWS's ECS Container Insights table for each dimension set (%d for a cluster, %d a service, %d a task family), billed as custom metrics (its performance log events are in the logs line)",
			insightsMetrics.cluster, insightsMetrics.service, insightsMetrics.family))
	}
	if groups := e.all("aws:cloudwatch/logGroup:LogGroup"); len(groups) > 0 {
		retention := num(groups[0].Inputs["retentionInDays"])
		e.add(Observe, fmt.Sprintf("log ingestion: %g GB", logsGBPerMonth), "cloudwatch_logs_ingest_gb", logsGBPerMonth, "GB")
		stored := logsGBPerMonth * math.Min(retention, 3650) / 30
		e.add(Observe, fmt.Sprintf("log storage: %s GB kept %g days", strconv.FormatFloat(round(stored), 'f', -1, 64), retention), "cloudwatch_logs_storage_gb_month", stored, "GB-months")
		e.assumed = append(e.assumed, fmt.Sprintf("%g GB of container logs a month (a quiet API)", logsGBPerMonth))
	}
	if alarms := e.all("aws:cloudwatch/metricAlarm:MetricAlarm"); len(alarms) > 0 {
		e.add(Observe, fmt.Sprintf("alarms: %d", len(alarms)), "cloudwatch_alarm_standard_month", float64(len(alarms)), "alarm-months")
	}
	if dashboards := e.all("aws:cloudwatch/dashboard:Dashboard"); len(dashboards) > 0 {
		e.add(Observe, fmt.Sprintf("dashboards: %d", len(dashboards)), "cloudwatch_dashboard_month", float64(len(dashboards)), "dashboard-months")
		e.assumed = append(e.assumed, fmt.Sprintf("the dashboard is priced as beyond the %d each account has free", freeDashboards))
	}
}

func containerInsights(cluster Resource) bool {
	settings, _ := cluster.Inputs["settings"].([]any)
	for _, s := range settings {
		if m, ok := s.(map[string]any); ok && m["name"] == "containerInsights" && m["value"] != "disabled" {
			return true
		}
	}
	return false
}

// other prices KMS keys and the access-log bucket.
func (e *estimator) other() {
	if keys := e.all("aws:kms/key:Key"); len(keys) > 0 {
		rotating := 0
		for _, k := range keys {
			if k.Inputs["enableKeyRotation"] == true {
				rotating++
			}
		}
		months := float64(len(keys) + rotating*keyRotationsBilled)
		what := fmt.Sprintf("KMS keys: %d", len(keys))
		if rotating > 0 {
			first := float64(len(keys))
			if pr, ok := e.price("kms_customer_managed_key_month"); ok {
				first *= pr.Value
			}
			what += fmt.Sprintf(", %d rotated: steady cost (first year $%.2f)", rotating, first)
			e.assumed = append(e.assumed, fmt.Sprintf("KMS keys with rotation at their steady cost: each of the first %d yearly rotations adds a key-month a month, later ones are free", keyRotationsBilled))
		}
		e.add(Other, what, "kms_customer_managed_key_month", months, "key-months")
	}
	if buckets := e.all("aws:s3/bucketV2:BucketV2"); len(buckets) > 0 {
		e.add(Other, fmt.Sprintf("access logs in S3: %g GB", accessLogsGB), "s3_standard_gb_month_first_50tb", accessLogsGB*float64(len(buckets)), "GB-months")
		e.assumed = append(e.assumed, fmt.Sprintf("%g GB of access logs kept", accessLogsGB))
	}
}

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case json.Number:
		f, _ := n.Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f
	}
	return 0
}

// Delta is the change of an estimate, per group and in total.
type Delta struct {
	Groups []GroupDelta `json:"groups"`
	Total  float64      `json:"total"`
	// Partial: either estimate is partial.
	Partial bool `json:"partial"`
}

// GroupDelta is one group's change, with what changed in it.
type GroupDelta struct {
	Name   string  `json:"name"`
	Change float64 `json:"change"`
	// What lists the lines added, removed or changed.
	What []string `json:"what"`
}

// Compare is the change from base to next; nil when either is nil, or
// nothing priced changes.
func Compare(base, next *Estimate) *Delta {
	if base == nil || next == nil {
		return nil
	}
	d := &Delta{Total: round(next.Total - base.Total), Partial: base.Partial || next.Partial}
	for _, name := range groupOrder {
		b, n := groupOf(base, name), groupOf(next, name)
		change := round(n.Total - b.Total)
		var what []string
		before := map[string]float64{}
		for _, l := range b.Lines {
			before[l.What] += l.Monthly
		}
		after := map[string]float64{}
		for _, l := range n.Lines {
			after[l.What] += l.Monthly
		}
		for _, l := range n.Lines {
			if _, ok := before[l.What]; !ok {
				what = append(what, "+ "+l.What)
			} else if round(before[l.What]) != round(after[l.What]) {
				what = append(what, "~ "+l.What)
			}
		}
		for _, l := range b.Lines {
			if _, ok := after[l.What]; !ok {
				what = append(what, "- "+l.What)
			}
		}
		if change != 0 || len(what) > 0 {
			d.Groups = append(d.Groups, GroupDelta{Name: name, Change: change, What: what})
		}
	}
	if len(d.Groups) == 0 && d.Total == 0 {
		return nil
	}
	return d
}

func groupOf(e *Estimate, name string) Group {
	for _, g := range e.Groups {
		if g.Name == name {
			return g
		}
	}
	return Group{Name: name}
}

// Money formats an amount with its sign for a change ("+$98.55"), or plain.
func Money(v float64, signed bool) string {
	s := fmt.Sprintf("$%.2f", math.Abs(v))
	switch {
	case signed && v > 0:
		return "+" + s
	case v < 0:
		return "-" + s
	}
	return s
}
