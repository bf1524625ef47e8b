package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"alba-digi/internal/field"
)

// Input is what one run hands the program.
type Input struct {
	// Values are the raw values of the project namespace keyed without it, as
	// the Pulumi CLI passes them: numbers and booleans as text, lists and maps
	// as JSON.
	Values map[string]string
	// Secret names the keys whose values are secrets: never shown in an error.
	Secret map[string]bool
	// Region is aws:region, empty when the provider takes it from the environment.
	Region string
}

// Parse reads raw values (keyed without the project namespace) over the
// defaults and validates the result, as ParseInput does with no secrets and no
// region.
func Parse(raw map[string]string) (Config, error) { return ParseInput(Input{Values: raw}) }

// ParseInput reads in.Values over the defaults, then validates the result. The
// error is a field.ErrorList (see field.List) of every problem: a value of the
// wrong type, a key the program does not know, a value AWS would refuse.
func ParseInput(in Input) (Config, error) {
	c := Defaults()
	c.Region = in.Region
	var errs field.ErrorList
	for _, k := range keys {
		raw, ok := in.Values[k.Name]
		if !ok {
			continue
		}
		if err := k.set(&c, raw); err != nil {
			var shown any = raw
			if in.Secret[k.Name] {
				shown = field.Hidden
			}
			errs = append(errs, field.NewInvalid(field.NewPath(k.Name), shown, err.Error()))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(in.Values)) {
		if _, known := keyIndex[name]; !known {
			errs = append(errs, field.NewUnknown(field.NewPath(name), suggestKey(name)))
		}
	}
	if c.ContainerName == "" {
		c.ContainerName = c.Name + "-api-rest"
	}
	errs = append(errs, c.validate(in.Secret)...)
	return c, errs.ToAggregate()
}

var keyIndex = func() map[string]int {
	m := map[string]int{}
	for i, k := range keys {
		m[k.Name] = i
	}
	return m
}()

// suggestKey returns the known key nearest to name (the same letters in
// another case first, then the smallest edit distance, when it is small enough
// to be a typo), or "".
func suggestKey(name string) string {
	best, bestDistance := "", -1
	for _, k := range keys {
		if strings.EqualFold(k.Name, name) {
			return k.Name
		}
		d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(k.Name), nil)
		if bestDistance < 0 || d < bestDistance {
			best, bestDistance = k.Name, d
		}
	}
	if bestDistance <= max(2, len(name)/4) {
		return best
	}
	return ""
}

// EngineConfig returns the whole configuration the Pulumi engine hands a Go
// program, in the environment variable pulumi.EnvConfig (PULUMI_CONFIG): full
// keys ("alba-digi:cpu", "aws:region") to raw values. It is nil where the
// engine does not set it (Automation API inline programs, mocks).
func EngineConfig() map[string]string {
	var all map[string]string
	if raw := os.Getenv(pulumi.EnvConfig); raw != "" {
		_ = json.Unmarshal([]byte(raw), &all) // the engine's own JSON; nil on failure, as the SDK does
	}
	return all
}

// LoadConfig reads the stack's configuration and validates it. all lists every
// key the run was given (EngineConfig, or the map a test or the offline plan
// hands the mocks), so that a key of the project namespace the program does
// not know is an error, with the nearest known key; keys of other namespaces
// (aws:*) are left alone. Values are read from ctx, raw text, never with the
// SDK's GetInt (which turns "abc" into 0) nor Require* (which panic).
func LoadConfig(ctx *pulumi.Context, all map[string]string) (Config, error) {
	prefix := ctx.Project() + ":"
	names := map[string]bool{}
	for _, k := range keys {
		names[k.Name] = true
	}
	for full := range all {
		if name, ok := strings.CutPrefix(full, prefix); ok {
			names[name] = true
		}
	}
	in := Input{Values: map[string]string{}, Secret: map[string]bool{}}
	for name := range names {
		if v, ok := ctx.GetConfig(prefix + name); ok {
			in.Values[name] = v
			in.Secret[name] = ctx.IsConfigSecret(prefix + name)
		} else if v, ok := all[prefix+name]; ok {
			in.Values[name] = v
		}
	}
	if r, ok := ctx.GetConfig("aws:region"); ok {
		in.Region = r
	}
	c, err := ParseInput(in)
	if err != nil {
		return c, fmt.Errorf("invalid stack configuration:\n%w", err)
	}
	return c, nil
}
