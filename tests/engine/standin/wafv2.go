package main

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The AWS WAF resources as the real provider keeps them: what it stores in
// the state after a create or update is what AWS WAF returns, read back
// through the Terraform schema, not what the program sent; and its diff is
// the Terraform plan of the program's inputs against that state. Where the
// two differ, every preview after `up` shows a change (pulumi/pulumi-aws#1775,
// #1423, #2664, and terraform-provider-aws's internal/service/wafv2: web_acl.go,
// web_acl_logging_configuration.go, flex.go). The stand-in copies the
// differences those issues come from:
//
//   - a web ACL's typed rules are a Terraform set: they read back in the
//     set's hash order, not the program's, and their empty override actions
//     ({} of none or count: flattenOverrideAction keeps an empty block as a
//     nil element) read back as nothing;
//   - a web ACL's ruleJson is kept as the schema's StateFunc normalises it
//     (structure.NormalizeJsonString: keys sorted, no spaces), and the typed
//     rules are then empty;
//   - a logging configuration's redacted header names read back in lower
//     case ("The value is returned in lower case by the API"), and its empty
//     redacted fields (method, queryString, uriPath) as nothing.

const (
	typeWebACL        = "aws:wafv2/webAcl:WebAcl"
	typeWebACLLogging = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
)

// diffsAgainstState reports whether the stand-in diffs a resource of type typ
// as the provider does, the new inputs against the state, rather than against
// the old inputs.
func diffsAgainstState(typ string) bool { return typ == typeWebACL || typ == typeWebACLLogging }

// providerState turns the outputs of a create or update of a resource of
// type typ into what the provider keeps in the state.
func providerState(typ string, state resource.PropertyMap) {
	switch typ {
	case typeWebACL:
		if v, ok := state["ruleJson"]; ok && v.IsString() {
			state["ruleJson"] = resource.NewStringProperty(normalizeJSON(v.StringValue()))
			state["rules"] = resource.NewArrayProperty(nil)
			return
		}
		if v, ok := state["rules"]; ok && v.IsArray() {
			rules := slices.Clone(v.ArrayValue())
			for i, r := range rules {
				rules[i] = withoutEmptyOverrideActions(r)
			}
			slices.SortFunc(rules, func(a, b resource.PropertyValue) int { return strings.Compare(setHash(a), setHash(b)) })
			state["rules"] = resource.NewArrayProperty(rules)
		}
	case typeWebACLLogging:
		if v, ok := state["redactedFields"]; ok && v.IsArray() {
			var fields []resource.PropertyValue
			for _, f := range v.ArrayValue() {
				if !f.IsObject() {
					fields = append(fields, f)
					continue
				}
				field := f.ObjectValue().Copy()
				for _, empty := range []resource.PropertyKey{"method", "queryString", "uriPath"} {
					if _, ok := field[empty]; ok {
						field[empty] = resource.NewNullProperty()
					}
				}
				if h, ok := field["singleHeader"]; ok && h.IsObject() {
					header := h.ObjectValue().Copy()
					if n, ok := header["name"]; ok && n.IsString() {
						header["name"] = resource.NewStringProperty(strings.ToLower(n.StringValue()))
					}
					field["singleHeader"] = resource.NewObjectProperty(header)
				}
				fields = append(fields, resource.NewObjectProperty(field))
			}
			state["redactedFields"] = resource.NewArrayProperty(fields)
		}
	}
}

// withoutEmptyOverrideActions reads a typed rule back without the empty
// blocks of its override action.
func withoutEmptyOverrideActions(rule resource.PropertyValue) resource.PropertyValue {
	if !rule.IsObject() {
		return rule
	}
	r := rule.ObjectValue().Copy()
	if oa, ok := r["overrideAction"]; ok && oa.IsObject() {
		action := oa.ObjectValue().Copy()
		for k, v := range action {
			if v.IsObject() && len(v.ObjectValue()) == 0 {
				action[k] = resource.NewNullProperty()
			}
		}
		r["overrideAction"] = resource.NewObjectProperty(action)
	}
	return resource.NewObjectProperty(r)
}

// setHash orders set elements as a hash of their content does: not the
// order they were given in.
func setHash(v resource.PropertyValue) string {
	b, _ := json.Marshal(v.Mappable())
	sum := sha256.Sum256(b)
	return string(sum[:])
}

// normalizeJSON is Terraform's structure.NormalizeJsonString: the JSON
// decoded and encoded again; text that is not JSON is kept as it is.
func normalizeJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}

// stateDiff is the provider's plan: each input the program sets, against
// what the state holds for it; computed outputs the program does not set are
// not compared.
func stateDiff(state, news resource.PropertyMap) []resource.PropertyKey {
	var changed []resource.PropertyKey
	for k, v := range news {
		if strings.HasPrefix(string(k), "__") {
			continue
		}
		if old, ok := state[k]; !ok || !old.DeepEquals(v) {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	return changed
}

// previewUpdate answers the preview of an update of a resource of type typ:
// the new inputs, as the engine answers for a plugin without previews, but
// for the WAF types the state the provider plans: what the state holds, with
// the new inputs over it, kept as the provider keeps them. The provider's
// plan keeps the outputs AWS computed (the web ACL's ARN), so what refers to
// them (the association's webAclArn, the logging's resourceArn: both force a
// replacement) sees no change; with the inputs alone, the ARN would be
// unknown and both would show as replaced in every preview of a rule change.
func previewUpdate(typ string, state, news resource.PropertyMap) resource.PropertyMap {
	if !diffsAgainstState(typ) {
		return news
	}
	planned := state.Copy()
	for k, v := range news {
		planned[k] = v
	}
	providerState(typ, planned)
	return planned
}
