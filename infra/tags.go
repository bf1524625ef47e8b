package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// reservedTagKeys are set by this program on every taggable resource.
var reservedTagKeys = []string{"Name", "project", "stack"}

func withoutReserved(tags map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tags {
		out[k] = v
	}
	for _, k := range reservedTagKeys {
		delete(out, k)
	}
	return out
}

// tags returns the tags of a resource named name: the user's tags, then Name,
// project and stack last so that a user tag cannot overwrite them (as Copilot's
// stack/tags.go does).
func (s *stack) tags(name string) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range withoutReserved(s.cfg.Tags) {
		out[k] = pulumi.String(v)
	}
	out["Name"] = pulumi.String(name)
	out["project"] = pulumi.String(s.project)
	out["stack"] = pulumi.String(s.stackName)
	return out
}
