package infra

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/field"
)

// checkSubnets asks the account, through the provider's read-only subnet data
// source, about the subnets an existing VPC names: each must exist and belong
// to vpcId, and together they must span at least two availability zones, or
// AWS refuses the load balancer after part of the stack exists.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#availability-zones
// It runs before any resource is declared, in preview as in up.
func checkSubnets(ctx *pulumi.Context, c Config) error {
	if c.NetworkKind() != ExistingVPC {
		return nil
	}
	p := field.NewPath("subnetIds")
	var errs field.ErrorList
	zones := map[string]bool{}
	for i, id := range c.SubnetIDs {
		subnet, err := lookupSubnet(ctx, id)
		if err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			errs = append(errs, field.NewInvalid(p.Index(i), id, "no such subnet in the stack's account and region: "+first))
			continue
		}
		if subnet.VpcID != c.VpcID {
			errs = append(errs, field.NewInvalid(p.Index(i), id, fmt.Sprintf("the subnet belongs to %s, not to vpcId %s", subnet.VpcID, c.VpcID)))
		}
		zones[subnet.AvailabilityZone] = true
	}
	if len(errs) == 0 && len(zones) < 2 {
		var names []string
		for z := range zones {
			names = append(names, z)
		}
		slices.Sort(names)
		errs = append(errs, field.NewInvalid(p, c.SubnetIDs, fmt.Sprintf("all in %s: the load balancer needs subnets in at least two availability zones", strings.Join(names, ", "))))
	}
	return errs.ToAggregate()
}
