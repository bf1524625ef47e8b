// Package awsxschema checks the inputs the stack sends to the awsx
// components (awsx:ec2:Vpc, awsx:ec2:DefaultVpc) against the awsx provider's
// schema, offline. The program registers those components by type token
// with untyped inputs (infra/tokens.go), and neither the engine nor the
// awsx provider checks a component's inputs: a misspelt input is silently
// ignored (the component takes its default) and a wrong value fails only
// deep in `pulumi up`. The part of the schema that describes those inputs
// is kept here (schema.json, see Extract), taken from the provider the
// project pins; the engine test checks it against the schema the real
// provider answers with.
package awsxschema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Tokens are the components whose inputs the stack sends and Extract keeps.
var Tokens = []string{"awsx:ec2:DefaultVpc", "awsx:ec2:Vpc"}

// Source says where schema.json comes from; Extract writes it into the file.
const Source = "The inputs of awsx:ec2:Vpc and awsx:ec2:DefaultVpc and the types they use, from the provider schema (schema.json) of " +
	"github.com/pulumi/pulumi-awsx at tag v2.22.0 (Apache License 2.0, Copyright Pulumi Corporation), " +
	"as the awsx provider plugin 2.22.0 answers GetSchema; descriptions left out. " +
	"Written by Extract; the engine test checks it against the real provider (see tests/engine)."

//go:embed schema.json
var extracted []byte

// Schema is the part of a Pulumi package schema that describes resource inputs.
// https://www.pulumi.com/docs/iac/extending-pulumi/schema/
type Schema struct {
	Source    string              `json:"source,omitempty"`
	Name      string              `json:"name"`
	Version   string              `json:"version"`
	Resources map[string]Resource `json:"resources"`
	Types     map[string]Type     `json:"types"`
}

// Resource is a resource's inputs.
type Resource struct {
	IsComponent     bool                `json:"isComponent,omitempty"`
	InputProperties map[string]Property `json:"inputProperties,omitempty"`
	RequiredInputs  []string            `json:"requiredInputs,omitempty"`
}

// Property is the type of one input or object property.
type Property struct {
	Type                 string    `json:"type,omitempty"`
	Ref                  string    `json:"$ref,omitempty"`
	Items                *Property `json:"items,omitempty"`
	AdditionalProperties *Property `json:"additionalProperties,omitempty"`
	// Plain: the provider needs the value itself, not an output of another
	// resource (the component computes its layout from it before creating
	// anything).
	Plain                bool `json:"plain,omitempty"`
	WillReplaceOnChanges bool `json:"willReplaceOnChanges,omitempty"`
}

// Type is an object type or an enum of the schema.
type Type struct {
	Type       string              `json:"type"`
	Properties map[string]Property `json:"properties,omitempty"`
	Required   []string            `json:"required,omitempty"`
	Enum       []EnumValue         `json:"enum,omitempty"`
}

// EnumValue is one value an enum type allows.
type EnumValue struct {
	Value any `json:"value"`
}

// Load returns the schema part this package keeps.
func Load() (Schema, error) {
	var s Schema
	if err := json.Unmarshal(extracted, &s); err != nil {
		return s, fmt.Errorf("awsx schema: %w", err)
	}
	return s, nil
}

// Extract returns the part of the full provider schema that describes the
// inputs of tokens and the types they use (only the provider's own types:
// another package's, such as aws's, are named by their reference), as
// schema.json keeps it. It refuses a schema node it would not keep whole,
// so that the check never passes on a part of the schema it dropped.
func Extract(full []byte, tokens []string) ([]byte, error) {
	var raw struct {
		Name      string                     `json:"name"`
		Version   string                     `json:"version"`
		Resources map[string]json.RawMessage `json:"resources"`
		Types     map[string]json.RawMessage `json:"types"`
	}
	if err := json.Unmarshal(full, &raw); err != nil {
		return nil, err
	}
	out := Schema{Source: Source, Name: raw.Name, Version: raw.Version, Resources: map[string]Resource{}, Types: map[string]Type{}}
	var todo []string
	for _, tok := range tokens {
		msg, ok := raw.Resources[tok]
		if !ok {
			return nil, fmt.Errorf("%s is not a resource of %s %s", tok, raw.Name, raw.Version)
		}
		var r Resource
		// A resource's properties and required are its outputs.
		if err := strictDecode(msg, &r, "properties", "required"); err != nil {
			return nil, fmt.Errorf("%s: %w", tok, err)
		}
		out.Resources[tok] = r
		for _, p := range r.InputProperties {
			todo = append(todo, p.refs()...)
		}
	}
	for len(todo) > 0 {
		ref := todo[0]
		todo = todo[1:]
		name, local := strings.CutPrefix(ref, "#/types/")
		if _, done := out.Types[name]; !local || done {
			continue
		}
		msg, ok := raw.Types[name]
		if !ok {
			return nil, fmt.Errorf("type %s is not in the schema", ref)
		}
		var t Type
		if err := strictDecode(msg, &t); err != nil {
			return nil, fmt.Errorf("type %s: %w", name, err)
		}
		out.Types[name] = t
		for _, p := range t.Properties {
			todo = append(todo, p.refs()...)
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	return append(b, '\n'), err
}

// strictDecode decodes msg into v without its descriptions (at any depth)
// and the top-level keys in drop, and refuses any other key v has no field
// for.
func strictDecode(msg json.RawMessage, v any, drop ...string) error {
	var generic map[string]any
	if err := json.Unmarshal(msg, &generic); err != nil {
		return err
	}
	for _, k := range drop {
		delete(generic, k)
	}
	var strip func(x any, names bool) any
	strip = func(x any, names bool) any {
		switch y := x.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, v := range y {
				// The keys of properties and inputProperties are names, not
				// schema keywords: an input may be called description.
				if !names && k == "description" {
					continue
				}
				out[k] = strip(v, !names && (k == "properties" || k == "inputProperties"))
			}
			return out
		case []any:
			for i := range y {
				y[i] = strip(y[i], false)
			}
		}
		return x
	}
	clean, err := json.Marshal(strip(generic, false))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (p Property) refs() []string {
	var out []string
	if p.Ref != "" {
		out = append(out, p.Ref)
	}
	for _, q := range []*Property{p.Items, p.AdditionalProperties} {
		if q != nil {
			out = append(out, q.refs()...)
		}
	}
	return out
}

// Check checks the inputs of a registration of component token against
// the schema: every input is one the component declares, of its type (enum
// values included, objects and arrays to the bottom), the required ones are
// there, and a plain input depends on no other resource (deps are the
// registration's property dependencies). It returns every problem, each
// with the input's path.
func (s Schema) Check(token string, inputs resource.PropertyMap, deps map[string][]string) []error {
	r, ok := s.Resources[token]
	if !ok {
		return []error{fmt.Errorf("%s is not a resource of %s %s", token, s.Name, s.Version)}
	}
	c := checker{s: s}
	c.object(token, r.InputProperties, r.RequiredInputs, inputs)
	for _, k := range slices.Sorted(maps.Keys(r.InputProperties)) {
		if r.InputProperties[k].Plain && len(deps[k]) > 0 {
			c.fail(token+"."+k, "a plain input, but it depends on %s: awsx needs the value itself", strings.Join(deps[k], ", "))
		}
	}
	return c.errs
}

type checker struct {
	s    Schema
	errs []error
}

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (c *checker) object(path string, props map[string]Property, required []string, v resource.PropertyMap) {
	for _, k := range slices.Sorted(maps.Keys(v)) {
		p, ok := props[string(k)]
		if !ok {
			c.fail(path+"."+string(k), "not an input of %s %s (known: %s)", c.s.Name, c.s.Version, strings.Join(slices.Sorted(maps.Keys(props)), ", "))
			continue
		}
		c.value(path+"."+string(k), p, v[k])
	}
	for _, k := range required {
		if x, ok := v[resource.PropertyKey(k)]; !ok || x.IsNull() {
			c.fail(path+"."+k, "required")
		}
	}
}

func (c *checker) value(path string, p Property, v resource.PropertyValue) {
	switch {
	case v.IsNull():
		return
	case v.IsSecret():
		if p.Plain {
			c.fail(path, "a plain input cannot be a secret")
		}
		c.value(path, p, v.SecretValue().Element)
		return
	case v.IsComputed() || v.IsOutput():
		if p.Plain {
			c.fail(path, "a plain input must be known when the program runs")
		}
		return
	}
	if p.Ref != "" {
		name, local := strings.CutPrefix(p.Ref, "#/types/")
		t, ok := c.s.Types[name]
		if !local || !ok {
			c.fail(path, "type %s is not in the schema part kept here", p.Ref)
			return
		}
		if len(t.Enum) > 0 {
			c.enum(path, name, t, v)
			return
		}
		if !v.IsObject() {
			c.fail(path, "%s is not an object (%s)", show(v), name)
			return
		}
		c.object(path, t.Properties, t.Required, v.ObjectValue())
		return
	}
	switch p.Type {
	case "string":
		if !v.IsString() {
			c.fail(path, "%s is not a string", show(v))
		}
	case "boolean":
		if !v.IsBool() {
			c.fail(path, "%s is not a boolean", show(v))
		}
	case "number":
		if !v.IsNumber() {
			c.fail(path, "%s is not a number", show(v))
		}
	case "integer":
		if !v.IsNumber() || v.NumberValue() != math.Trunc(v.NumberValue()) {
			c.fail(path, "%s is not an integer", show(v))
		}
	case "array":
		if !v.IsArray() {
			c.fail(path, "%s is not an array", show(v))
			return
		}
		for i, e := range v.ArrayValue() {
			c.value(fmt.Sprintf("%s[%d]", path, i), *p.Items, e)
		}
	case "object":
		if !v.IsObject() {
			c.fail(path, "%s is not an object", show(v))
			return
		}
		for k, e := range v.ObjectValue() {
			c.value(path+"."+string(k), *p.AdditionalProperties, e)
		}
	default:
		c.fail(path, "schema type %q is not checked here", p.Type)
	}
}

func (c *checker) enum(path, name string, t Type, v resource.PropertyValue) {
	var allowed []string
	for _, e := range t.Enum {
		if resource.NewPropertyValue(e.Value).DeepEquals(v) {
			return
		}
		allowed = append(allowed, fmt.Sprint(e.Value))
	}
	c.fail(path, "%s is not one of %s (%s)", show(v), strings.Join(allowed, ", "), name)
}

func show(v resource.PropertyValue) string {
	b, err := json.Marshal(v.Mappable())
	if err != nil {
		return v.String()
	}
	return string(b)
}
