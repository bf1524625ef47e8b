//go:build providerschema

// Package providerschema checks the resources the program registers by type
// token (infra/tokens.go) against the provider's own Go SDK types, which are
// generated from its schema: the same type tokens, input names and shapes,
// and every input the schema requires. It imports the SDK packages the
// program avoids (4.5 GB and nearly 4 minutes to compile cold on 2 cores), so
// it builds only with its tag, as a CI step of its own:
//
//	go test -trimpath -tags providerschema ./tests/providerschema
package providerschema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/mockaws"
	"alba-digi/internal/plan"
	"alba-digi/internal/stackconfig"
)

// sdkTypes are the SDK's resource constructors and the plain type of their
// inputs, by the type token the SDK registers.
var sdkTypes = []struct {
	declare func(ctx *pulumi.Context) error
	args    pulumi.Input
}{
	{func(ctx *pulumi.Context) error {
		_, err := wafv2.NewWebAcl(ctx, "x", &wafv2.WebAclArgs{
			DefaultAction:    &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
			Scope:            pulumi.String("REGIONAL"),
			VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{CloudwatchMetricsEnabled: pulumi.Bool(true), MetricName: pulumi.String("x"), SampledRequestsEnabled: pulumi.Bool(true)},
		})
		return err
	}, wafv2.WebAclArgs{}},
	{func(ctx *pulumi.Context) error {
		_, err := wafv2.NewWebAclAssociation(ctx, "x", &wafv2.WebAclAssociationArgs{ResourceArn: pulumi.String("a"), WebAclArn: pulumi.String("b")})
		return err
	}, wafv2.WebAclAssociationArgs{}},
	{func(ctx *pulumi.Context) error {
		_, err := wafv2.NewWebAclLoggingConfiguration(ctx, "x", &wafv2.WebAclLoggingConfigurationArgs{LogDestinationConfigs: pulumi.StringArray{pulumi.String("a")}, ResourceArn: pulumi.String("b")})
		return err
	}, wafv2.WebAclLoggingConfigurationArgs{}},
}

// TestWAFTokensAndInputsAreTheProviders runs the program with waf on and
// checks each WAF resource it registers against the SDK: the SDK registers
// the same token, every input the program sets is an input of that type with
// the SDK's shape, and every input the SDK requires is set.
func TestWAFTokensAndInputsAreTheProviders(t *testing.T) {
	sc, err := stackconfig.LoadStack("../..", "dev", []string{"waf=true", `wafExcludedRules=["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"]`, "wafForwardedIpHeader=X-Forwarded-For"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := plan.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]mockaws.Registration{}
	for _, r := range res.Registrations {
		if strings.HasPrefix(r.Type, "aws:wafv2/") {
			ours[r.Type] = r
		}
	}
	if len(ours) != len(sdkTypes) {
		t.Fatalf("the program registers %d WAF types, want %d: %v", len(ours), len(sdkTypes), ours)
	}
	for _, sdk := range sdkTypes {
		mocks := &mockaws.Mocks{Region: "us-east-1"}
		if err := pulumi.RunErr(sdk.declare, pulumi.WithMocks("p", "s", mocks)); err != nil {
			t.Fatal(err)
		}
		token := mocks.Registrations()[0].Type
		r, ok := ours[token]
		if !ok {
			t.Errorf("the SDK registers %s; the program registers no resource of that token", token)
			continue
		}
		plainArgs := sdk.args.ElementType()
		checkObject(t, token, resource.NewObjectProperty(r.Inputs), plainArgs)
		if v, ok := r.Inputs["version"]; ok {
			t.Errorf("%s: unexpected version input %v", token, v)
		}
	}
}

// checkObject checks that every key of v is a field of the plain SDK struct
// typ (by its pulumi tag) with a matching shape, and that every field typ
// requires (not a pointer, slice or map) is set.
func checkObject(t *testing.T, path string, v resource.PropertyValue, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsOutput() {
		v = v.OutputValue().Element
	}
	switch typ.Kind() {
	case reflect.Struct:
		if !v.IsObject() {
			t.Errorf("%s: %v, want an object (%s)", path, v, typ)
			return
		}
		fields := map[string]reflect.StructField{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if tag := f.Tag.Get("pulumi"); tag != "" {
				fields[strings.Split(tag, ",")[0]] = f
			}
		}
		obj := v.ObjectValue()
		for k, e := range obj {
			f, ok := fields[string(k)]
			if !ok {
				t.Errorf("%s.%s: not an input of %s", path, k, typ)
				continue
			}
			checkObject(t, path+"."+string(k), e, f.Type)
		}
		for name, f := range fields {
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
				continue
			}
			if _, set := obj[resource.PropertyKey(name)]; !set {
				t.Errorf("%s.%s: required by %s, not set", path, name, typ)
			}
		}
	case reflect.Slice:
		if !v.IsArray() {
			t.Errorf("%s: %v, want an array (%s)", path, v, typ)
			return
		}
		for i, e := range v.ArrayValue() {
			checkObject(t, path+"["+string(rune('0'+i))+"]", e, typ.Elem())
		}
	case reflect.Map:
		if !v.IsObject() {
			t.Errorf("%s: %v, want a map (%s)", path, v, typ)
			return
		}
		for k, e := range v.ObjectValue() {
			checkObject(t, path+"."+string(k), e, typ.Elem())
		}
	case reflect.String:
		if !v.IsString() {
			t.Errorf("%s: %v, want a string", path, v)
		}
	case reflect.Bool:
		if !v.IsBool() {
			t.Errorf("%s: %v, want a boolean", path, v)
		}
	case reflect.Int, reflect.Float64:
		if !v.IsNumber() {
			t.Errorf("%s: %v, want a number", path, v)
		}
	default:
		t.Errorf("%s: SDK type %s not checked", path, typ)
	}
}

// TestRuleJSONIsAWSWAFRules decodes the web ACL's ruleJson as the provider
// does (into the AWS SDK's wafv2 Rule type, which follows AWS WAF's API),
// strictly: a field AWS WAF does not know fails, and so does a rule left
// empty, which the provider refuses.
func TestRuleJSONIsAWSWAFRules(t *testing.T) {
	for _, overrides := range [][]string{
		{"waf=true"},
		{"waf=true", "wafMode=count", "wafForwardedIpHeader=X-Forwarded-For", `wafCountRuleGroups=["AWSManagedRulesKnownBadInputsRuleSet"]`, `wafExcludedRules=["AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"]`},
	} {
		sc, err := stackconfig.LoadStack("../..", "dev", overrides)
		if err != nil {
			t.Fatal(err)
		}
		res, err := plan.Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Plan.Resources {
			if r.Type != "aws:wafv2/webAcl:WebAcl" {
				continue
			}
			raw, _ := r.Inputs["ruleJson"].(string)
			dec := json.NewDecoder(strings.NewReader(raw))
			dec.DisallowUnknownFields()
			var rules []waftypes.Rule
			if err := dec.Decode(&rules); err != nil {
				t.Fatalf("%v: ruleJson does not decode into AWS WAF rules: %v\n%s", overrides, err, raw)
			}
			if len(rules) != 4 {
				t.Errorf("%v: %d rules, want 4", overrides, len(rules))
			}
			for i, rule := range rules {
				if reflect.ValueOf(rule).IsZero() || rule.Name == nil || rule.VisibilityConfig == nil || rule.Statement == nil {
					t.Errorf("%v: rule %d is incomplete: %+v", overrides, i, rule)
				}
				if (rule.Action == nil) == (rule.OverrideAction == nil) {
					t.Errorf("%v: rule %s needs exactly one of Action (own rules) and OverrideAction (rule groups)", overrides, *rule.Name)
				}
			}
		}
	}
}
