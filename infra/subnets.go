package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/field"
)

// checkSubnets asks the account, through the provider's read-only subnet data
// source, about the subnets an existing VPC names: each must exist and belong
// to vpcId, no two may share an availability zone, and together they must
// span at least two zones, or AWS refuses the load balancer after part of the
// stack exists ("You can specify only one subnet per Availability Zone";
// "at least two Availability Zones").
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#availability-zones
// It runs before any resource is declared, in preview as in up.
func checkSubnets(ctx *pulumi.Context, c Config) error {
	if c.NetworkKind() != ExistingVPC {
		return nil
	}
	p := field.NewPath("subnetIds")
	var errs field.ErrorList
	zones := map[string]int{} // zone → index of its first subnet
	found := true
	for i, id := range c.SubnetIDs {
		subnet, err := lookupSubnet(ctx, id)
		if err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			errs = append(errs, field.NewInvalid(p.Index(i), id, "no such subnet in the stack's account and region: "+first))
			found = false
			continue
		}
		if subnet.VpcID != c.VpcID {
			errs = append(errs, field.NewInvalid(p.Index(i), id, fmt.Sprintf("the subnet belongs to %s, not to vpcId %s", subnet.VpcID, c.VpcID)))
		}
		if first, dup := zones[subnet.AvailabilityZone]; dup {
			errs = append(errs, field.NewInvalid(p.Index(i), id, fmt.Sprintf(
				"in availability zone %s, as subnetIds[%d] (%s): the load balancer takes at most one subnet per zone; keep one of them",
				subnet.AvailabilityZone, first, c.SubnetIDs[first])))
			continue
		}
		zones[subnet.AvailabilityZone] = i
	}
	if found && len(zones) < 2 {
		names := slices.Sorted(maps.Keys(zones))
		errs = append(errs, field.NewInvalid(p, c.SubnetIDs, fmt.Sprintf("all in %s: the load balancer needs subnets in at least two availability zones", strings.Join(names, ", "))))
	}
	return errs.ToAggregate()
}
