package tests

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"alba-digi/internal/cost"
	"alba-digi/internal/diff"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/plan"
	"alba-digi/internal/render"
)

// near: money to the cent.
func near(a, b float64) bool { return math.Abs(a-b) < 0.006 }

func lineOf(t *testing.T, e *cost.Estimate, prefix string) cost.Line {
	t.Helper()
	for _, g := range e.Groups {
		for _, l := range g.Lines {
			if strings.HasPrefix(l.What, prefix) {
				return l
			}
		}
	}
	t.Fatalf("no line %q in %+v", prefix, e.Groups)
	return cost.Line{}
}

// TestDevEstimate recomputes the dev stack's estimate by hand from the price
// file's us-east-1 figures (730 hours a month).
func TestDevEstimate(t *testing.T) {
	e := deploy(t, "dev").Plan.Cost
	const h = 730.0
	// 2 tasks × 1 vCPU × 730 h × $0.04048 = $59.10; 2 × 3 GB × 730 h × $0.004445 = $19.47
	vcpu, mem := 2*1*h*0.04048, 2*3*h*0.004445
	// load balancer: 730 h × $0.0225 = $16.43; 1 LCU × 730 h × $0.008 = $5.84
	alb, lcu := h*0.0225, 1*h*0.008
	// public IPv4: the load balancer's 6 (one per zone of us-east-1's default
	// VPC, which has six) and the 2 tasks', × 730 h × $0.005
	lbIPs, taskIPs := 6*h*0.005, 2*h*0.005
	// Container Insights, AWS's table: 13 metrics for the cluster, 15 for the
	// service, 10 for the task family = 38 × $0.30 = $11.40; 1 GB logs × $0.50;
	// 1 GB × 14/30 month × $0.03; 5 alarms × $0.10
	insights, ingest, storage, alarms := (13+15+10)*0.30, 1*0.50, 1*14.0/30*0.03, 5*0.10
	for prefix, want := range map[string]float64{
		"Fargate x86 vCPU": vcpu, "Fargate x86 memory": mem, "Application Load Balancer": alb, "capacity units": lcu,
		"public IPv4 addresses of the load balancer": lbIPs, "public IPv4 addresses of the tasks": taskIPs,
		"Container Insights": insights, "log ingestion": ingest, "log storage": storage, "alarms": alarms,
	} {
		if got := lineOf(t, e, prefix).Monthly; !near(got, want) {
			t.Errorf("%s: $%.2f, want $%.2f", prefix, got, want)
		}
	}
	// Before the load balancer's zones and Container Insights were counted as
	// AWS bills them: $126.10 (3 addresses, 20 metrics). The two corrected
	// lines add 3 × 730 × $0.005 = $10.95 and 18 × $0.30 = $5.40: $142.45.
	want := 59.10 + 19.47 + 16.43 + 5.84 + 21.90 + 7.30 + 11.40 + 0.50 + 0.01 + 0.50
	if !near(want, 126.10+10.95+5.40) {
		t.Fatalf("hand sum $%.2f", want)
	}
	if !near(e.Total, want) || e.Partial || e.ScaledTotal != 0 || e.Region != "us-east-1" {
		t.Errorf("total $%.2f partial %v scaled %v region %s, want $%.2f, complete, no scaling, us-east-1", e.Total, e.Partial, e.ScaledTotal, e.Region, want)
	}
	if len(e.Assumptions) < 3 || e.PricesAsOf == "" {
		t.Errorf("assumptions %q, prices as of %q", e.Assumptions, e.PricesAsOf)
	}
}

// TestProdEstimate: three tasks scaled to twelve, a NAT gateway per zone in
// three zones, two KMS keys, a dashboard and the access-log bucket.
func TestProdEstimate(t *testing.T) {
	e := deploy(t, "prod").Plan.Cost
	const h = 730.0
	for prefix, want := range map[string]float64{
		"Fargate x86 vCPU":                           3 * 1 * h * 0.04048,  // $88.65
		"Fargate x86 memory":                         3 * 3 * h * 0.004445, // $29.20
		"NAT gateways: 3":                            3 * h * 0.045,        // $98.55
		"data through the NAT gateways":              3 * 10 * 0.045,       // $1.35
		"public IPv4 addresses of the NAT gateways":  3 * h * 0.005,        // $10.95
		"public IPv4 addresses of the load balancer": 3 * h * 0.005,        // $10.95 (three zones of the new VPC)
		"log storage":                                1 * 90.0 / 30 * 0.03, // $0.09
		"dashboards":                                 3.0,
		"KMS keys: 2":                                (2 + 2*2) * 1.0, // 2 keys + 2 billed rotations each: $6 a month from the third year
		"access logs in S3":                          1 * 0.023,
		"AWS WAF web ACL":                            5.0,
		"rules and managed rule groups: 4":           4 * 1.0,                  // the rate limit and three groups
		"requests inspected":                         1 * 3600 * h * 6e-7,      // 1 request a second: $1.58
		"WAF log ingestion":                          1 * 3600 * h / 1e6 * 0.5, // 1 KB each: 2.628 GB, $1.31
		"WAF log storage":                            2.628 * 90.0 / 30 * 0.03, // $0.24
		"alarms: 6":                                  6 * 0.10,
	} {
		if got := lineOf(t, e, prefix).Monthly; !near(got, want) {
			t.Errorf("%s: $%.2f, want $%.2f", prefix, got, want)
		}
	}
	for _, g := range e.Groups {
		for _, l := range g.Lines {
			if strings.HasPrefix(l.What, "public IPv4 addresses of the tasks") {
				t.Errorf("prod's tasks have no public IP, but %q is priced", l.What)
			}
		}
	}
	if l := lineOf(t, e, "KMS keys: 2"); !strings.Contains(l.What, "steady cost (first year $2.00)") {
		t.Errorf("KMS line %q does not give the first year's cost beside the steady one", l.What)
	}
	if l := lineOf(t, e, "Container Insights"); l.Quantity != 38 {
		t.Errorf("Container Insights: %g metrics, want 38 (13 + 15 + 10)", l.Quantity)
	}
	// 117.85 compute + 22.27 load balancer + 12.13 firewall + 121.80 network
	// + 15.59 observability + 6.02 other. Before: $274.03 with 20 Insights
	// metrics, the keys at their first year's $1 and no firewall: + 18 ×
	// $0.30 + 4 × $1 + $12.13 for the web ACL and + $0.10 for its alarm.
	if want := 274.03 + 5.40 + 4.00 + 12.13 + 0.10; !near(e.Total, want) {
		t.Errorf("total $%.2f, want $%.2f", e.Total, want)
	}
	// 9 more tasks at the maximum: 9 × 730 × (1 × 0.04048 + 3 × 0.004445) = $353.56
	if want := 295.66 + 9*h*(0.04048+3*0.004445); !near(e.ScaledTotal, want) {
		t.Errorf("scaled total $%.2f, want $%.2f", e.ScaledTotal, want)
	}
}

// TestLoadBalancerAddressesPerZone: in the default VPC the load balancer
// takes an address in each of the region's zones (six in us-east-1, four in
// us-west-2), whatever the plan's subnet list says; with subnets of its
// own, one per subnet.
func TestLoadBalancerAddressesPerZone(t *testing.T) {
	const h = 730.0
	for _, tt := range []struct {
		name      string
		overrides []string
		zones     float64
	}{
		{"us-east-1 default VPC", nil, 6},
		{"us-west-2 default VPC", []string{"aws:region=us-west-2"}, 4},
		{"eu-west-1 default VPC", []string{"aws:region=eu-west-1"}, 3},
		{"existing VPC, two subnets", []string{"vpcId=vpc-0123456789abcdef0", `subnetIds=["subnet-0aaaaaaaaaaaaaaa1","subnet-0bbbbbbbbbbbbbbb2"]`, "assignPublicIp=false"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := deploy(t, "dev", tt.overrides...).Plan.Cost
			if got := lineOf(t, e, "public IPv4 addresses of the load balancer").Monthly; !near(got, tt.zones*h*0.005) {
				t.Errorf("$%.2f, want %g × 730 h × $0.005 = $%.2f", got, tt.zones, tt.zones*h*0.005)
			}
		})
	}
}

// TestCostDiff: turning on a NAT gateway per zone says what it adds, per
// group and in total; a bigger task says so in compute.
func TestCostDiff(t *testing.T) {
	const h = 730.0
	base := deploy(t, "dev", "createVpc=true", "assignPublicIp=false", "availabilityZones=3").Plan
	perZone := deploy(t, "dev", "createVpc=true", "assignPublicIp=false", "availabilityZones=3", "natGateways=onePerAz").Plan
	d := diff.Compare(base, perZone).Cost
	// 2 more NAT gateways: 2 × 730 h × $0.045 + 2 × 10 GB × $0.045 + 2 × 730 h × $0.005 = $65.70 + $0.90 + $7.30
	if want := 2*h*0.045 + 2*10*0.045 + 2*h*0.005; d == nil || !near(d.Total, want) {
		t.Fatalf("NAT per zone: %+v, want +$%.2f", d, want)
	}
	if len(d.Groups) != 1 || d.Groups[0].Name != cost.Network || !slices.Contains(d.Groups[0].What, "~ NAT gateways: 3") && !slices.Contains(d.Groups[0].What, "+ NAT gateways: 3") {
		t.Errorf("groups %+v, want network's NAT gateways", d.Groups)
	}
	bigger := deploy(t, "dev", "cpu=2048", "memory=4096").Plan
	d = diff.Compare(deploy(t, "dev").Plan, bigger).Cost
	// 2 tasks: +1 vCPU each: 2 × 730 × $0.04048 = $59.10; +1 GB each: 2 × 730 × $0.004445 = $6.49
	if want := 2*h*0.04048 + 2*h*0.004445; !near(d.Total, want) || len(d.Groups) != 1 || d.Groups[0].Name != cost.Compute {
		t.Errorf("bigger task: %+v, want +$%.2f in compute", d, want)
	}
	text := renderDiff(t, deploy(t, "dev").Plan, bigger, "markdown")
	if !strings.Contains(text, "### Monthly cost: +$65.59 a month") {
		t.Errorf("markdown diff lacks the cost change:\n%s", text)
	}
}

// TestRegionWithoutPrices: a region the price file does not hold gets no
// guessed figure: every line names what it could not price, and the total
// says it is partial.
func TestRegionWithoutPrices(t *testing.T) {
	e := deploy(t, "dev", "aws:region=sa-east-1").Plan.Cost
	if !e.Partial || e.Total != 0 {
		t.Errorf("total $%.2f partial %v, want $0 and partial", e.Total, e.Partial)
	}
	if l := lineOf(t, e, "Application Load Balancer"); l.Missing != "no verified price for sa-east-1" {
		t.Errorf("load balancer line %+v", l)
	}
	// eu-west-1 has everything but the load balancer's hour.
	e = deploy(t, "dev", "aws:region=eu-west-1").Plan.Cost
	if l := lineOf(t, e, "Application Load Balancer"); !e.Partial || l.Missing != "no verified price for eu-west-1" || lineOf(t, e, "Fargate x86 vCPU").Monthly == 0 {
		t.Errorf("eu-west-1: partial %v, load balancer %+v", e.Partial, l)
	}
}

// TestEveryDeclaredTypeIsPricedOrFree: a resource added to the stack later
// must be priced or named free, never silently left out.
func TestEveryDeclaredTypeIsPricedOrFree(t *testing.T) {
	for _, res := range []*plan.Result{
		deploy(t, "dev"), deploy(t, "prod"),
		deploy(t, "dev", "enableExecuteCommand=true", "fargateSpotPercent=50", "accessLogs=true", "logsKmsKey=true", "dashboard=true",
			"alarmEmail=ops@example.com", "domainName=api.example.com", "autoscalingMaxCount=4", "autoscalingMinCount=2"),
	} {
		for _, r := range res.Plan.Resources {
			_, free := cost.Free[r.Type]
			if !free && !slices.Contains(cost.Priced, r.Type) {
				t.Errorf("%s (%s) is neither priced nor listed as free", r.Type, r.Name)
			}
		}
		if len(res.Plan.Cost.Unpriced) != 0 {
			t.Errorf("unpriced %q", res.Plan.Cost.Unpriced)
		}
	}
	// A type it does not know is listed, and makes the estimate partial.
	e := cost.Of(mustPrices(t), "us-east-1", []cost.Resource{{Type: "aws:rds/instance:Instance", Name: "db"}})
	if !e.Partial || !slices.Equal(e.Unpriced, []string{"aws:rds/instance:Instance"}) {
		t.Errorf("unknown type: partial %v, unpriced %q", e.Partial, e.Unpriced)
	}
}

func mustPrices(t *testing.T) cost.Prices {
	t.Helper()
	p, err := cost.LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPriceFileNamesItsSources: every price says where it comes from and
// the date that source states.
func TestPriceFileNamesItsSources(t *testing.T) {
	p := mustPrices(t)
	for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"} {
		prices := p.Regions[region]
		if len(prices) < 12 {
			t.Errorf("%s: %d prices", region, len(prices))
		}
		for key, pr := range prices {
			if pr.Value <= 0 || pr.Source == "" || pr.AsOf == "" || pr.Unit == "" || !slices.Contains([]string{"aws", "example", "weak"}, pr.Quality) {
				t.Errorf("%s %s: %+v", region, key, pr)
			}
		}
	}
}

func renderDiff(t *testing.T, base, next *plan.Plan, format string) string {
	t.Helper()
	var b strings.Builder
	if err := render.Diff(&b, format, diff.Compare(base, next)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// counted is how many of what a line counts: its quantity, in hours a month
// for the NAT gateways and the public addresses; 0 without the line.
func counted(e *cost.Estimate, prefix string, hours float64) float64 {
	for _, g := range e.Groups {
		for _, l := range g.Lines {
			if strings.HasPrefix(l.What, prefix) {
				return l.Quantity / hours
			}
		}
	}
	return 0
}

// TestEstimateCountsWhatTheVpcCreates: the estimate prices NAT gateways and
// public IPv4 addresses by its own count from the VPC's inputs; that count
// is what the awsx Vpc creates for those inputs (mockaws.ModelVpc, which the
// engine test checks against the real component): NAT gateways, their
// Elastic IPs, and the load balancer's address in each public subnet. For
// the stack's networks, and for inputs the program does not send today
// (no strategy: awsx's default; None).
func TestEstimateCountsWhatTheVpcCreates(t *testing.T) {
	hours := mustPrices(t).HoursPerMonth
	check := func(t *testing.T, what string, e *cost.Estimate, l mockaws.VpcLayout, lbSubnets int) {
		t.Helper()
		for _, c := range []struct {
			line string
			want int
		}{
			{"NAT gateways:", len(l.NatGateways)},
			{"data through the NAT gateways", len(l.NatGateways) * 10},
			{"public IPv4 addresses of the NAT gateways", len(l.EIPs)},
			{"public IPv4 addresses of the load balancer", lbSubnets},
		} {
			got := counted(e, c.line, hours)
			if c.line == "data through the NAT gateways" {
				got *= hours // GB, not hours
			}
			if math.Abs(got-float64(c.want)) > 1e-9 {
				t.Errorf("%s: the estimate counts %g for %q; the awsx Vpc creates %d", what, got, c.line, c.want)
			}
		}
	}
	for _, zones := range []int{2, 3, 6} {
		for _, nat := range []string{"single", "onePerAz"} {
			what := fmt.Sprintf("%d zones, natGateways %s", zones, nat)
			res := deploy(t, "prod", fmt.Sprintf("availabilityZones=%d", zones), "natGateways="+nat)
			v := view(t, res)
			reg := v.registration(v.one(tVpc).Name)
			l, err := mockaws.ModelVpc(reg.Name, res.Plan.Region, reg.Inputs)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if len(l.SubnetIDs("Public")) != zones || len(l.SubnetIDs("Private")) != zones {
				t.Errorf("%s: %d public and %d private subnets", what, len(l.SubnetIDs("Public")), len(l.SubnetIDs("Private")))
			}
			check(t, what, res.Plan.Cost, l, len(l.SubnetIDs("Public")))
		}
	}
	for _, nat := range []any{nil, "None", "Single", "OnePerAz"} {
		inputs := map[string]any{"subnetStrategy": "Auto", "subnetSpecs": []any{map[string]any{"type": "Public"}, map[string]any{"type": "Private"}}}
		if nat != nil {
			inputs["natGateways"] = map[string]any{"strategy": nat}
		}
		l, err := mockaws.ModelVpc("vpc", "us-east-1", resource.NewPropertyMapFromMap(inputs))
		if err != nil {
			t.Fatal(err)
		}
		e := cost.Of(mustPrices(t), "us-east-1", []cost.Resource{{Type: tVpc, Name: "vpc", Inputs: inputs}, {Type: tLB, Name: "lb", Inputs: map[string]any{}}})
		check(t, fmt.Sprintf("natGateways.strategy %v", nat), e, l, len(l.SubnetIDs("Public")))
	}
}
