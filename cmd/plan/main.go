// Command plan shows offline what `pulumi up` would create for a stack: it runs
// the stack program under the Pulumi SDK's mocks with the stack's config
// (Pulumi.yaml defaults and Pulumi.<stack>.yaml, as the CLI applies them) and
// prints the resources, their inputs and the outputs. With -diff it compares
// against an earlier JSON plan and flags replacements. No AWS account or Pulumi
// CLI needed.
//
//	go run -trimpath ./cmd/plan [-stack dev] [-format text|markdown|json|mermaid|mermaid-dependencies] [-diff base.json] [-config key=value]...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"alba-digi/internal/diff"
	"alba-digi/internal/plan"
	"alba-digi/internal/render"
	"alba-digi/internal/stackconfig"
)

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	stack := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to plan")
	dir := flags.String("dir", ".", "project directory (holding Pulumi.yaml)")
	format := flags.String("format", "text", "output format: "+strings.Join(render.Formats, ", ")+" (mermaid: the architecture; mermaid-dependencies: every resource and what waits for what)")
	base := flags.String("diff", "", "compare against this earlier JSON plan (from -format json)")
	var overrides repeated
	flags.Var(&overrides, "config", "override a config value, key=value (repeatable)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	if !slices.Contains(render.Formats, *format) {
		return fmt.Errorf("-format %q: want %s", *format, strings.Join(render.Formats, ", "))
	}

	sc, err := stackconfig.LoadStack(*dir, *stack, overrides)
	if err != nil {
		return err
	}
	result, err := plan.Run(sc)
	if err != nil {
		return fmt.Errorf("stack %q: %w", *stack, err)
	}
	if *base == "" {
		return render.Plan(stdout, *format, result.Plan)
	}
	f, err := os.Open(*base)
	if err != nil {
		return err
	}
	defer f.Close()
	before, err := plan.ReadJSON(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *base, err)
	}
	return render.Diff(stdout, *format, diff.Compare(before, result.Plan))
}
