package plan

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestPlainMasksSecretsAndUnknowns(t *testing.T) {
	inputs := resource.PropertyMap{
		"password": resource.MakeSecret(resource.NewProperty("hunter2")),
		"nested": resource.NewProperty(resource.PropertyMap{
			"token": resource.MakeSecret(resource.NewProperty("abc")),
			"port":  resource.NewProperty(5050.0),
		}),
		"arn":    resource.MakeComputed(resource.NewProperty("")),
		"output": resource.NewProperty(resource.Output{Element: resource.NewProperty("x"), Known: true, Secret: true}),
		"list":   resource.NewProperty([]resource.PropertyValue{resource.NewProperty(true), resource.NewProperty(0.5)}),
	}
	got := plainMap(inputs)
	want := map[string]any{
		"password": Masked,
		"nested":   map[string]any{"token": Masked, "port": json.Number("5050")},
		"arn":      Unknown,
		"output":   Masked,
		"list":     []any{true, 0.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plain = %#v\nwant %#v", got, want)
	}
}
