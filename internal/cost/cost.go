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
}

// Group names, in the order shown.
const (
	Compute      = "compute"
	LoadBalancer = "load balancer"
	Network      = "network"
	Observe      = "observability"
	Other        = "other"
)

var groupOrder = []string{Compute, LoadBalancer, Network, Observe, Other}

// Assumed volumes: what a quiet API of this size uses, stated with the estimate.
const (
	lcuBaseline        = 1.0  // load balancer capacity units, on average
	natGBPerMonth      = 10.0 // GB through each NAT gateway a month (image pulls, logs, calls out)
	logsGBPerMonth     = 1.0  // GB of container logs ingested a month
	insightsMetrics    = 20.0 // Container Insights metrics of a cluster with one service
	accessLogsGB       = 1.0  // GB of access logs kept
	freeDashboards     = 3    // per account; this estimate prices the stack's as beyond them
	spotCeilingComment = "Fargate Spot tasks at the on-demand price, as a ceiling: Spot prices float (AWS: up to 70 % less)"
)

// Free are the declared resource types AWS does not bill by themselves (their
// cost, if any, is in another line: a listener's in the load balancer's hours).
var Free = map[string]string{
	"pulumi:pulumi:Stack":                                       "the stack itself",
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
}

// Priced are the declared resource types the estimate prices.
var Priced = []string{
	"aws:ecs/service:Service", "aws:lb/loadBalancer:LoadBalancer", "awsx:ec2:Vpc",
	"aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard",
	"aws:kms/key:Key", "aws:s3/bucketV2:BucketV2",
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
	td, _ := e.one("aws:ecs/taskDefinition:TaskDefinition")
	vcpu := num(td.Inputs["cpu"]) / 1024
	gb := num(td.Inputs["memory"]) / 1024
	arch := "X86_64"
	if rp, ok := td.Inputs["runtimePlatform"].(map[string]any); ok {
		if a, ok := rp["cpuArchitecture"].(string); ok {
			arch = a
		}
	}
	tasks := num(svc.Inputs["desiredCount"])
	if target, ok := e.one("aws:appautoscaling/target:Target"); ok {
		tasks = num(target.Inputs["minCapacity"])
	}
	vcpuKey, gbKey, label := "fargate_vcpu_hour", "fargate_gb_hour", "x86"
	if arch == "ARM64" {
		vcpuKey, gbKey, label = "fargate_arm_vcpu_hour", "fargate_arm_gb_hour", "ARM"
	}
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

// zones is how many zones the load balancer's subnets span: its subnet list
// when the plan knows it, else the VPC's zones, else the default VPC's
// subnets (one per zone).
func (e *estimator) zones(lb Resource) int {
	if subnets, ok := lb.Inputs["subnets"].([]any); ok && len(subnets) > 0 {
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
		e.add(Observe, fmt.Sprintf("Container Insights: %g metrics", insightsMetrics), "cloudwatch_custom_metric_month_first_10k", insightsMetrics, "metric-months")
		e.assumed = append(e.assumed, fmt.Sprintf("Container Insights: %g metrics for a cluster with one service, billed as custom metrics (its performance log events are in the logs line)", insightsMetrics))
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
		e.add(Other, fmt.Sprintf("KMS keys: %d", len(keys)), "kms_customer_managed_key_month", float64(len(keys)), "key-months")
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
