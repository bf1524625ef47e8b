package mockaws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestAutoNameFailsLikeTheProvider(t *testing.T) {
	if n, err := autoName("alba-digi-load-balancer", 32); err != nil || len(n) != 31 {
		t.Errorf("autoName(alba-digi-load-balancer) = %q, %v", n, err)
	}
	if _, err := autoName("orders-api-servic1-load-balancer", 32); err == nil {
		t.Error("a 32-character logical name was auto-named within 32 characters")
	}
}

func TestSubnetLookup(t *testing.T) {
	m := &Mocks{Region: "eu-west-1", AssumedVpc: "vpc-0123456789abcdef0", AssumedSubnets: []string{"subnet-x1", "subnet-x2"}}
	tests := []struct {
		id, vpc, zone string
		wantErr       bool
	}{
		{DefaultSubnets[1], DefaultVpcID, "eu-west-1b", false},
		{"subnet-0f1e2d3c4b5a60001", OtherVpcID, "eu-west-1a", false},
		{"subnet-x2", "vpc-0123456789abcdef0", "eu-west-1b", false},
		{"subnet-unknown", "", "", true},
	}
	for _, tt := range tests {
		got, err := m.subnet(resource.NewPropertyMapFromMap(map[string]any{"id": tt.id}))
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: found, want AWS's not-found error", tt.id)
			}
			continue
		}
		if err != nil || got["vpcId"].StringValue() != tt.vpc || got["availabilityZone"].StringValue() != tt.zone {
			t.Errorf("%s: %v %v, want %s in %s", tt.id, got, err, tt.vpc, tt.zone)
		}
	}
}
