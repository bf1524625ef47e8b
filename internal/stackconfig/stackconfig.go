// Package stackconfig loads a stack's configuration with Pulumi's own project
// and stack loaders, as the Pulumi CLI hands it to the program.
package stackconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// StackConfig is a stack's configuration as the Pulumi CLI hands it to the
// program: full keys ("alba-digi:cpu", "aws:region") to text values, with lists
// and maps as JSON.
type StackConfig struct {
	Project string
	Stack   string
	Values  map[string]string
	// Secret lists the keys whose values are secrets.
	Secret []string
}

// LoadStack reads dir/Pulumi.yaml and dir/Pulumi.<stack>.yaml with Pulumi's own
// loaders and applies the project's config defaults to the keys the stack file
// does not set, as the CLI does. overrides are "key=value" pairs (keys in the
// project namespace may omit it) applied last, as `pulumi config set` would.
func LoadStack(dir, stack string, overrides []string) (*StackConfig, error) {
	project, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load project: %w", err)
	}
	stackPath := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(stackPath); err != nil {
		return nil, fmt.Errorf("stack %q: %w", stack, err)
	}
	ps, err := workspace.LoadProjectStack(nil, project, stackPath)
	if err != nil {
		return nil, fmt.Errorf("load stack %q: %w", stack, err)
	}
	values, err := ps.Config.Decrypt(config.NopDecrypter)
	if err != nil {
		return nil, fmt.Errorf("read config of stack %q: %w", stack, err)
	}
	name := project.Name.String()
	out := &StackConfig{Project: name, Stack: stack, Values: map[string]string{}}
	for k, v := range values {
		out.Values[k.String()] = v
	}
	for _, k := range ps.Config.SecureKeys() {
		out.Secret = append(out.Secret, k.String())
	}
	sort.Strings(out.Secret)
	for key, spec := range project.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = name + ":" + key
		}
		if _, set := out.Values[full]; set {
			continue
		}
		value := spec.Value
		if value == nil {
			value = spec.Default
		}
		if value == nil {
			continue
		}
		text, err := configText(value)
		if err != nil {
			return nil, fmt.Errorf("project config %q: %w", key, err)
		}
		out.Values[full] = text
	}
	for _, kv := range overrides {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("-config %q: want key=value", kv)
		}
		if !strings.Contains(key, ":") {
			key = name + ":" + key
		}
		out.Values[key] = value
	}
	return out, nil
}

// configText renders a config value the way the CLI passes it to a program:
// strings as they are, everything else as JSON.
func configText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// ProjectValues returns the values in the project namespace, keyed without it,
// as infra.Parse takes them.
func (s *StackConfig) ProjectValues() map[string]string {
	out := map[string]string{}
	for k, v := range s.Values {
		if name, ok := strings.CutPrefix(k, s.Project+":"); ok {
			out[name] = v
		}
	}
	return out
}

// Region is the stack's aws:region, or "".
func (s *StackConfig) Region() string { return s.Values["aws:region"] }
