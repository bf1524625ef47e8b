package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"alba-digi/infra"
)

// The config block of Pulumi.yaml and the README's configuration table are
// generated from infra.Keys, the one place each key is declared; these tests
// fail when either drifts, and -update rewrites them.

// projectConfigYAML renders the config block of Pulumi.yaml.
func projectConfigYAML() string {
	var b strings.Builder
	b.WriteString("config:\n")
	for _, k := range infra.Keys() {
		fmt.Fprintf(&b, "  %s:\n    type: %s\n", k.Name, k.Type())
		if k.Type() == "array" {
			b.WriteString("    items:\n      type: string\n")
		}
		description := k.Description
		if k.AppliesWhen != "" {
			description += " Only " + strings.ReplaceAll(k.AppliesWhen, "`", "") + "."
		}
		fmt.Fprintf(&b, "    description: %s\n", strconv.Quote(description))
		fmt.Fprintf(&b, "    default: %s\n", yamlValue(k.ProjectDefault()))
	}
	return b.String()
}

func yamlValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	text, _ := json.Marshal(v) // ints, booleans and lists of strings
	return string(text)
}

// readmeConfigTable renders the README's configuration table.
func readmeConfigTable() string {
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Applies | What it does |\n|---|---|---|---|---|\n")
	for _, k := range infra.Keys() {
		shown := "—"
		switch {
		case k.DerivedDefault != "":
			shown = "`" + k.DerivedDefault + "`"
		case k.Default != nil:
			shown = "`" + strings.Trim(yamlValue(k.Default), `"`) + "`"
			if l, ok := k.Default.([]string); ok {
				text, _ := json.Marshal(l)
				shown = "`" + string(text) + "`"
			}
		}
		applies := k.AppliesWhen
		if applies == "" {
			applies = "always"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", k.Name, k.Type(), shown, applies, k.Description)
	}
	return b.String()
}

func TestPulumiYamlConfigIsGenerated(t *testing.T) {
	path := projectDir + "/Pulumi.yaml"
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(text, []byte("\nconfig:\n"))
	if i < 0 {
		t.Fatal("Pulumi.yaml has no config: block")
	}
	want := append(append([]byte{}, text[:i+1]...), projectConfigYAML()...)
	if !bytes.Equal(text, want) {
		if !*update {
			t.Fatalf("Pulumi.yaml's config block is out of date; run go test ./tests -update")
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkSection(t, "docs/configuration.md", "config", readmeConfigTable())
}

// TestPulumiYamlDefaultsAreTheCodes loads Pulumi.yaml with Pulumi's own loader
// and parses its defaults as the CLI hands them to the program: the result
// must be infra.Defaults().
func TestPulumiYamlDefaultsAreTheCodes(t *testing.T) {
	project, err := workspace.LoadProject(projectDir + "/Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if project.Name.String() != "alba-digi" || project.Runtime.Name() != "go" {
		t.Errorf("project %s runtime %s, want alba-digi go", project.Name, project.Runtime.Name())
	}
	if len(project.Config) != len(infra.Keys()) {
		t.Errorf("Pulumi.yaml declares %d keys, the code %d", len(project.Config), len(infra.Keys()))
	}
	defaults := map[string]string{}
	for _, k := range infra.Keys() {
		spec, ok := project.Config[k.Name]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %s", k.Name)
			continue
		}
		if spec.TypeName() != k.Type() {
			t.Errorf("Pulumi.yaml %s: type %s, want %s", k.Name, spec.TypeName(), k.Type())
		}
		// The CLI refuses a stack that sets no value for a typed key without a
		// default (pulumi pkg/workspace/config.go): every key needs one.
		if spec.Default == nil {
			t.Errorf("Pulumi.yaml %s has no default: pulumi preview would call it missing", k.Name)
		} else {
			text, _ := json.Marshal(spec.Default)
			if s, ok := spec.Default.(string); ok {
				text = []byte(s)
			}
			defaults[k.Name] = string(text)
		}
	}
	fromYaml, err := infra.Parse(defaults)
	if err != nil {
		t.Fatalf("Pulumi.yaml defaults do not validate: %v", err)
	}
	want := infra.Defaults()
	want.ContainerName = want.Name + "-api-rest"
	if !reflect.DeepEqual(fromYaml, want) {
		t.Errorf("Pulumi.yaml defaults\n%+v\ndiffer from infra.Defaults()\n%+v", fromYaml, want)
	}
}
