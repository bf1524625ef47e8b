//go:build engine

package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"alba-digi/internal/cost"
	"alba-digi/internal/mockaws"
	"alba-digi/internal/plan"
	"alba-digi/internal/stackconfig"
)

// TestNetworksUnderTheRealAwsx deploys both networks with the real awsx
// components: the prod stack's own VPC (awsx:ec2:Vpc: public subnets for the
// load balancer, private ones for the tasks, NAT gateways) through a failed
// `up` (an AWS call the component needs is refused), `up`, a change of its
// NAT strategy and `destroy`; and the dev stack in the account's default VPC
// (awsx:ec2:DefaultVpc). After each deploy it checks what the real component
// created against what the offline plan (the mocks' model of the component)
// and the cost estimate say.
func TestNetworksUnderTheRealAwsx(t *testing.T) {
	e := setUp(t)
	prod := e.stack("prod")
	// As in TestStackUnderTheRealEngine: a domain the public DNS never answers for.
	e.setConfig(prod, "alba-digi:domainName", "api.example.test")

	t.Run("a failure inside the awsx Vpc ends with its error once", func(t *testing.T) {
		denied := "reading EC2 Availability Zones: operation error EC2: DescribeAvailabilityZones, https response error StatusCode: 403, " +
			"RequestID: 5f8b7f4e-1111-2222-3333-444455556666, api error UnauthorizedOperation: You are not authorized to perform this operation."
		e.ws.SetEnvVar(failInvokeEnv, "aws:index/getAvailabilityZones:getAvailabilityZones="+denied)
		defer e.ws.UnsetEnvVar(failInvokeEnv)
		r := e.up(prod)
		r.mustFail(t, "pulumi up with DescribeAvailabilityZones refused")
		t.Logf("what the CLI printed:\n%s", r.progress)
		// The engine reports the component's error as the component's. The
		// awsx provider (Node.js) also logs it with its JavaScript stack, as
		// an unhandled rejection of its own: that one is awsx's.
		component := "awsx:ec2:Vpc resource 'alba-digi-prod-vpc' has a problem: invocation of aws:index/getAvailabilityZones:getAvailabilityZones returned an error"
		r.mustContain(t, "failed up", component, "UnauthorizedOperation: You are not authorized to perform this operation.")
		if n := strings.Count(r.progress, component); n != 2 { // once as it happens, once in the Diagnostics
			t.Errorf("the component's error is printed %d times, want once as it happens and once in the summary:\n%s", n, r.progress)
		}
		r.mustNotContain(t, "failed up", "resource monitor shut down", "waiting for RPCs", "program failed", "an unhandled error occurred")
	})

	prodUp := func(t *testing.T, what string) {
		var out bytes.Buffer
		start := time.Now()
		_, err := prod.Up(context.Background(), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
		result{out.String() + errText(err), out.String(), err, time.Since(start)}.mustSucceed(t, what)
	}

	var onePerAz networkState
	t.Run("up creates prod's VPC as the plan and the estimate say", func(t *testing.T) {
		prodUp(t, "pulumi up of prod")
		onePerAz = e.checkNetwork(t, prod, "prod")
		if len(onePerAz.nats) != 3 || len(onePerAz.eips) != 3 {
			t.Errorf("natGateways onePerAz in 3 zones: %d NAT gateways and %d Elastic IPs, want 3 and 3", len(onePerAz.nats), len(onePerAz.eips))
		}
	})

	t.Run("one NAT gateway instead of one per zone: two NAT gateways and their addresses go, nothing else is replaced", func(t *testing.T) {
		e.setConfig(prod, "alba-digi:natGateways", "single")
		var out bytes.Buffer
		start := time.Now()
		res, err := prod.Up(context.Background(), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
		result{out.String() + errText(err), out.String(), err, time.Since(start)}.mustSucceed(t, "pulumi up with natGateways single")
		single := e.checkNetwork(t, prod, "prod")
		if len(single.nats) != 1 || len(single.eips) != 1 {
			t.Errorf("natGateways single: %d NAT gateways and %d Elastic IPs, want 1 and 1", len(single.nats), len(single.eips))
		}
		gone := 0
		for urn := range onePerAz.all {
			if _, ok := single.all[urn]; !ok {
				gone++
			}
		}
		if changes := res.Summary.ResourceChanges; changes == nil || (*changes)["delete"] != gone || gone != 4 || (*changes)["create"] != 0 || (*changes)["replace"] != 0 {
			t.Errorf("changes %v; want the 4 resources that are gone (2 NAT gateways, 2 Elastic IPs) deleted, nothing created or replaced", changes)
		}
		for _, typ := range []string{"aws:lb/loadBalancer:LoadBalancer", "aws:ecs/service:Service"} {
			if before, after := onePerAz.idOf(typ), single.idOf(typ); before == "" || after != before {
				t.Errorf("%s: id %q became %q", typ, before, after)
			}
		}
	})

	t.Run("destroy prod", func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		_, err := prod.Destroy(context.Background(), optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(&out))
		result{out.String() + errText(err), out.String(), err, time.Since(start)}.mustSucceed(t, "pulumi destroy of prod")
		if left := e.state(t, prod); len(left) != 0 {
			t.Errorf("%d resources left after destroy", len(left))
		}
	})

	t.Run("dev in the default VPC", func(t *testing.T) {
		dev := e.stack("dev")
		r := e.up(dev)
		r.mustSucceed(t, "pulumi up of dev")
		e.checkNetwork(t, dev, "dev")
		var out bytes.Buffer
		_, err := dev.Destroy(context.Background(), optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(&out))
		result{out.String() + errText(err), out.String(), err, 0}.mustSucceed(t, "pulumi destroy of dev")
	})
}

// networkState is what a stack's state holds of its network.
type networkState struct {
	// all are the stack's resources by URN.
	all map[string]apitype.ResourceV3
	// subnets by id, nats and eips in URN order.
	subnets    map[string]apitype.ResourceV3
	nats, eips []apitype.ResourceV3
}

// idOf is the physical id of the stack's one resource of type typ.
func (n networkState) idOf(typ string) string {
	for _, r := range n.all {
		if string(r.Type) == typ && r.Custom {
			return string(r.ID)
		}
	}
	return ""
}

func (e *engine) state(t *testing.T, s auto.Stack) []apitype.ResourceV3 {
	t.Helper()
	exported, err := s.Export(context.Background())
	if err != nil {
		t.Fatalf("export %s: %v", s.Name(), err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &d); err != nil {
		t.Fatalf("state of %s: %v", s.Name(), err)
	}
	return d.Resources
}

// checkNetwork compares the network the engine deployed for stack with the
// offline plan of the same configuration (the stack file the engine ran):
// the component's children and their layout with the mocks' model of the
// component, the subnet ids the load balancer and the service got with the
// plan's, subnets per zone and kind, NAT gateways with their Elastic IPs and
// routes, tasks only in private subnets (createVpc), and the estimate's
// counts of NAT gateways and public addresses with what exists.
func (e *engine) checkNetwork(t *testing.T, s auto.Stack, name string) networkState {
	t.Helper()
	sc, err := stackconfig.LoadStack(e.work, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	offline, err := plan.Run(sc)
	if err != nil {
		t.Fatalf("offline plan of %s: %v", name, err)
	}
	n := networkState{all: map[string]apitype.ResourceV3{}, subnets: map[string]apitype.ResourceV3{}}
	for _, r := range e.state(t, s) {
		n.all[string(r.URN)] = r
		switch r.Type {
		case "aws:ec2/subnet:Subnet":
			n.subnets[string(r.ID)] = r
		case "aws:ec2/natGateway:NatGateway":
			n.nats = append(n.nats, r)
		case "aws:ec2/eip:Eip":
			n.eips = append(n.eips, r)
		}
	}
	// The stack's one load balancer and one service, whatever its prefix.
	var lb, svc apitype.ResourceV3
	for _, r := range n.all {
		switch r.Type {
		case "aws:lb/loadBalancer:LoadBalancer":
			lb = r
		case "aws:ecs/service:Service":
			svc = r
		}
	}
	if lb.URN == "" || svc.URN == "" {
		t.Fatalf("%s: no load balancer or no service in the state", name)
	}
	lbSubnets, taskSubnets := strs(lb.Inputs["subnets"]), strs(path(svc.Inputs, "networkConfiguration", "subnets"))

	// The offline plan gave the load balancer and the tasks the subnets the
	// real component gave the program (the state keeps no component's
	// outputs): the mocks answer the component with the ids the fake account
	// gives the subnets it creates, and the default VPC's public subnets.
	var planLB, planSvc plan.Resource
	for _, r := range offline.Plan.Resources {
		switch r.Type {
		case "aws:lb/loadBalancer:LoadBalancer":
			planLB = r
		case "aws:ecs/service:Service":
			planSvc = r
		}
	}
	if got, want := lbSubnets, strs(planLB.Inputs["subnets"]); !slices.Equal(got, want) {
		t.Errorf("%s: the load balancer's subnets are %v; the offline plan says %v", name, got, want)
	}
	if got, want := taskSubnets, strs(path(planSvc.Inputs, "networkConfiguration", "subnets")); !slices.Equal(got, want) {
		t.Errorf("%s: the tasks' subnets are %v; the offline plan says %v", name, got, want)
	}
	hours := mustHours(t)
	est := offline.Plan.Cost
	if got := countOf(est, "public IPv4 addresses of the load balancer", hours); got != len(lbSubnets) {
		t.Errorf("%s: the estimate prices %d load balancer addresses; it has %d subnets, one address each", name, got, len(lbSubnets))
	}
	if got := countOf(est, "NAT gateways:", hours); got != len(n.nats) {
		t.Errorf("%s: the estimate prices %d NAT gateways; the real component created %d", name, got, len(n.nats))
	}
	if got := countOf(est, "public IPv4 addresses of the NAT gateways", hours); got != len(n.eips) {
		t.Errorf("%s: the estimate prices %d NAT gateway addresses; the real component allocated %d Elastic IPs", name, got, len(n.eips))
	}

	if !offline.Config.CreateVpc {
		return n
	}
	e.checkVpc(t, name, n, offline, lbSubnets, taskSubnets)
	return n
}

// checkVpc checks the real awsx Vpc's children against the mocks' model of
// it, and its subnets, NAT gateways, addresses and routes against what the
// plan says of the network.
func (e *engine) checkVpc(t *testing.T, name string, n networkState, offline *plan.Result, lbSubnets, taskSubnets []string) {
	t.Helper()
	var model mockaws.VpcLayout
	for _, reg := range offline.Registrations {
		if reg.Type == "awsx:ec2:Vpc" {
			l, err := mockaws.ModelVpc(reg.Name, offline.Plan.Region, reg.Inputs)
			if err != nil {
				t.Fatalf("%s: the mocks' model of %s: %v", name, reg.Name, err)
			}
			model = l
		}
	}
	var created []string
	for urn, r := range n.all {
		if _, tail, ok := strings.Cut(urn, "::awsx:ec2:Vpc$"); ok {
			created = append(created, "awsx:ec2:Vpc$"+tail)
			if !strings.Contains(r.Provider, "::pulumi:providers:aws::default_"+strings.ReplaceAll(awsxAwsVersion, ".", "_")+"::") {
				t.Errorf("%s: %s is managed by %s, not aws %s's default provider", name, urn, r.Provider, awsxAwsVersion)
			}
		}
	}
	slices.Sort(created)
	if want := model.Resources(); !slices.Equal(created, want) {
		t.Errorf("%s: the real Vpc created\n  %s\nthe mocks' model says\n  %s", name, strings.Join(created, "\n  "), strings.Join(want, "\n  "))
	}

	// Subnets per zone and kind, with the model's CIDR blocks.
	kinds := map[string]map[string][]string{} // zone -> kind -> ids
	byName := map[string]apitype.ResourceV3{}
	for id, s := range n.subnets {
		zone, kind := fmt.Sprint(s.Inputs["availabilityZone"]), fmt.Sprint(path(s.Inputs, "tags", "SubnetType"))
		if kinds[zone] == nil {
			kinds[zone] = map[string][]string{}
		}
		kinds[zone][kind] = append(kinds[zone][kind], id)
		byName[s.URN.Name()] = s
		if public := s.Inputs["mapPublicIpOnLaunch"] == true; public != (kind == "Public") {
			t.Errorf("%s: subnet %s (%s) gives public IPs on launch: %v", name, s.URN.Name(), kind, public)
		}
	}
	zones := mockaws.Zones(offline.Plan.Region)[:offline.Plan.Network.Zones]
	if got := slices.Sorted(maps.Keys(kinds)); !slices.Equal(got, zones) {
		t.Errorf("%s: subnets in zones %v; the plan says %d zones: %v", name, got, offline.Plan.Network.Zones, zones)
	}
	for _, z := range zones {
		if len(kinds[z]["Public"]) != 1 || len(kinds[z]["Private"]) != 1 || len(kinds[z]) != 2 {
			t.Errorf("%s: zone %s has subnets %v; want one public and one private", name, z, kinds[z])
		}
	}
	for _, want := range model.Subnets {
		got := byName[want.Name]
		if got.Inputs["cidrBlock"] != want.CidrBlock || got.Inputs["availabilityZone"] != want.Zone {
			t.Errorf("%s: subnet %s is %v in %v; the model says %s in %s", name, want.Name, got.Inputs["cidrBlock"], got.Inputs["availabilityZone"], want.CidrBlock, want.Zone)
		}
	}

	// The load balancer in the public subnets, the tasks in the private ones
	// only, without public IPs.
	public, private := kindIDs(kinds, "Public"), kindIDs(kinds, "Private")
	if !offline.Config.InternalLoadBalancer && !sameSet(lbSubnets, public) {
		t.Errorf("%s: the load balancer is in %v; the public subnets are %v", name, lbSubnets, public)
	}
	if !sameSet(taskSubnets, private) {
		t.Errorf("%s: the tasks run in %v; the private subnets are %v", name, taskSubnets, private)
	}
	for _, r := range n.all {
		if r.Type == "aws:ecs/service:Service" && path(r.Inputs, "networkConfiguration", "assignPublicIp") != false {
			t.Errorf("%s: the tasks get a public IP", name)
		}
	}

	// One NAT gateway, or one per zone, each in a public subnet with an
	// Elastic IP of the stack; every private subnet's default route goes
	// through its zone's NAT gateway (or the only one).
	allocations := map[string]bool{}
	for _, eip := range n.eips {
		allocations[fmt.Sprint(eip.Outputs["allocationId"])] = true
	}
	natZone := map[string]string{}
	for _, nat := range n.nats {
		subnet, ok := n.subnets[fmt.Sprint(nat.Inputs["subnetId"])]
		if !ok || !slices.Contains(public, string(subnet.ID)) {
			t.Errorf("%s: NAT gateway %s is in %v, not in a public subnet", name, nat.URN.Name(), nat.Inputs["subnetId"])
		}
		if !allocations[fmt.Sprint(nat.Inputs["allocationId"])] {
			t.Errorf("%s: NAT gateway %s uses address %v, none of the stack's Elastic IPs", name, nat.URN.Name(), nat.Inputs["allocationId"])
		}
		natZone[string(nat.ID)] = fmt.Sprint(subnet.Inputs["availabilityZone"])
	}
	want := 1
	if offline.Plan.Network.NATPerZone {
		want = len(zones)
	}
	if len(n.nats) != want || len(n.eips) != want || len(slices.Compact(slices.Sorted(maps.Values(natZone)))) != want {
		t.Errorf("%s: %d NAT gateways in zones %v with %d Elastic IPs; the plan says %d (NAT per zone: %v)", name, len(n.nats), natZone, len(n.eips), want, offline.Plan.Network.NATPerZone)
	}
	tableSubnet := map[string]string{}
	for _, r := range n.all {
		if r.Type == "aws:ec2/routeTableAssociation:RouteTableAssociation" {
			tableSubnet[fmt.Sprint(r.Inputs["routeTableId"])] = fmt.Sprint(r.Inputs["subnetId"])
		}
	}
	routed := map[string]bool{}
	for _, r := range n.all {
		if r.Type != "aws:ec2/route:Route" || r.Inputs["destinationCidrBlock"] != "0.0.0.0/0" {
			continue
		}
		subnet := n.subnets[tableSubnet[fmt.Sprint(r.Inputs["routeTableId"])]]
		routed[string(subnet.ID)] = true
		nat, viaNAT := r.Inputs["natGatewayId"].(string)
		switch kind := path(subnet.Inputs, "tags", "SubnetType"); {
		case kind == "Public" && !strings.HasPrefix(fmt.Sprint(r.Inputs["gatewayId"]), "igw-"):
			t.Errorf("%s: public subnet %s routes to %v, not the internet gateway", name, subnet.URN.Name(), r.Inputs)
		case kind == "Private" && (!viaNAT || natZone[nat] == ""):
			t.Errorf("%s: private subnet %s routes to %v, not a NAT gateway", name, subnet.URN.Name(), r.Inputs)
		case kind == "Private" && offline.Plan.Network.NATPerZone && natZone[nat] != subnet.Inputs["availabilityZone"]:
			t.Errorf("%s: private subnet %s in %v routes through the NAT gateway of %s", name, subnet.URN.Name(), subnet.Inputs["availabilityZone"], natZone[nat])
		}
	}
	if len(routed) != len(n.subnets) {
		t.Errorf("%s: %d of %d subnets have a default route", name, len(routed), len(n.subnets))
	}
}

func kindIDs(kinds map[string]map[string][]string, kind string) []string {
	var ids []string
	for _, byKind := range kinds {
		ids = append(ids, byKind[kind]...)
	}
	slices.Sort(ids)
	return ids
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = fmt.Sprint(x)
	}
	return out
}

func path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		next, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = next[k]
	}
	return cur
}

func mustHours(t *testing.T) float64 {
	t.Helper()
	p, err := cost.LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	return p.HoursPerMonth
}

// countOf is how many of what an estimate's line counts (its quantity in
// hours a month); 0 without the line.
func countOf(e *cost.Estimate, prefix string, hours float64) int {
	for _, g := range e.Groups {
		for _, l := range g.Lines {
			if strings.HasPrefix(l.What, prefix) {
				return int(l.Quantity/hours + 0.5)
			}
		}
	}
	return 0
}
