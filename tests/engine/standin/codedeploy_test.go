package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"alba-digi/internal/fakeaws"
	"alba-digi/internal/mockaws"
)

const (
	lbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alba-digi-lb/0123456789abcdef"
	blue  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-blue/1111111111111111"
	green = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alba-digi-green/2222222222222222"
)

// TestListenerRefreshAfterASwap: a refresh reads the production listener as
// CodeDeploy left it, in the shape the state has, as the provider does: a
// listener declared with targetGroupArn reads back an empty targetGroupArn
// once the forward is weighted (the drift a blue/green stack must handle),
// one declared with a forward block reads back the weights.
func TestListenerRefreshAfterASwap(t *testing.T) {
	a := fakeaws.NewAccount(t)
	t.Setenv("AWS_ENDPOINT_URL", a.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	p := &server{mocks: &mockaws.Mocks{Region: "us-east-1"}, account: a.URL}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		port    float64
		action  resource.PropertyMap
		want    string
		wantArn string
	}{
		"declared with targetGroupArn": {80, resource.PropertyMap{"type": resource.NewStringProperty("forward"), "targetGroupArn": resource.NewStringProperty(blue)}, "", ""},
		"declared with a forward block": {8080, resource.PropertyMap{"type": resource.NewStringProperty("forward"), "forward": resource.NewObjectProperty(resource.PropertyMap{
			"targetGroups": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{"arn": resource.NewStringProperty(blue), "weight": resource.NewNumberProperty(100)})}),
		})}, blue + "=0 " + green + "=100", ""},
	} {
		t.Run(name, func(t *testing.T) {
			inputs := resource.PropertyMap{
				"loadBalancerArn": resource.NewStringProperty(lbArn), "port": resource.NewNumberProperty(tc.port), "protocol": resource.NewStringProperty("HTTP"),
				"defaultActions": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(tc.action)}),
			}
			state := inputs.Copy()
			id, err := p.createListener(ctx, state)
			if err != nil {
				t.Fatal(err)
			}
			if created := object(list(state, "defaultActions")[0].ObjectValue(), "forward"); (created != nil) != (tc.action["forward"].V != nil) {
				t.Errorf("after create, the state's forward block is %v, want it only when declared", created)
			}
			// CodeDeploy moves production to green, keeping blue at weight 0.
			_, err = elb.NewFromConfig(cfg).ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(id), DefaultActions: []elbtypes.Action{{
				Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(green), Weight: aws.Int32(100)}, {TargetGroupArn: aws.String(blue), Weight: aws.Int32(0)}}},
			}}})
			if err != nil {
				t.Fatal(err)
			}
			props, _ := marshal(state)
			ins, _ := marshal(inputs)
			got, err := p.Read(ctx, &pulumirpc.ReadRequest{Id: id, Type: listenerType, Properties: props, Inputs: ins})
			if err != nil {
				t.Fatal(err)
			}
			read, _ := unmarshal(got.GetInputs())
			act := list(read, "defaultActions")[0].ObjectValue()
			if arn := str(act, "targetGroupArn"); arn != tc.wantArn {
				t.Errorf("refreshed targetGroupArn %q, want %q", arn, tc.wantArn)
			}
			weights := ""
			if f := object(act, "forward"); f != nil {
				for _, tg := range list(f, "targetGroups") {
					if weights != "" {
						weights += " "
					}
					weights += fmt.Sprintf("%s=%g", str(tg.ObjectValue(), "arn"), number(tg.ObjectValue(), "weight"))
				}
			}
			if weights != tc.want {
				t.Errorf("refreshed forward %q, want %q", weights, tc.want)
			}
		})
	}
}
