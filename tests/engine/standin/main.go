// Command standin is a stand-in for the AWS provider plugin, for the engine
// test: installed as pulumi-resource-aws (`pulumi plugin install resource aws
// 6.83.4 --file standin`, and under the version awsx's components ask for), it
// speaks the provider gRPC interface of the Pulumi SDK (proto/go) to the real
// engine and answers for the same fake account as the SDK mocks
// (internal/mockaws): ids, ARNs, auto-names, data sources, and the EC2
// resources the real awsx components create. The ECS task definitions and
// services it handles as the real provider does (ecs.go:
// terraform-provider-aws's create, update, read, delete and plan of them),
// calling the test's local AWS stand-in (fakeaws.Account) through the AWS
// API at AWS_ENDPOINT_URL, where the program's own reads and its rollout
// check find them.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"alba-digi/internal/diff"
	"alba-digi/internal/fakeaws"
	"alba-digi/internal/mockaws"
)

func main() {
	version, err := installedVersion()
	if err != nil {
		fmt.Fprintf(os.Stderr, "standin: %v\n", err)
		os.Exit(2)
	}
	err = provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{version: version, mocks: &mockaws.Mocks{Region: "us-east-1"}, account: os.Getenv("AWS_ENDPOINT_URL")}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "standin: %v\n", err)
		os.Exit(1)
	}
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	// version is the aws plugin version it is installed as.
	version string
	mocks   *mockaws.Mocks
	// account is the local AWS stand-in's endpoint; empty: no AWS side.
	account string
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

func (p *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"aws","version":%q}`, p.version)}, nil
}

func (p *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	if args, err := unmarshal(req.GetArgs()); err == nil {
		if v, ok := args["region"]; ok && v.IsString() && v.StringValue() != "" {
			p.mocks.Region = v.StringValue()
		}
	}
	// Previews of creates and updates come to the plugin (see previewUpdate).
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: true}, nil
}

func (p *server) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if err := injectedFailure(req.GetTok()); err != nil {
		return nil, err
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	if req.GetTok() == callerIdentityToken && p.account != "" {
		return p.callerIdentity(ctx)
	}
	out, err := p.mocks.Call(pulumi.MockCallArgs{Token: req.GetTok(), Args: args})
	if err != nil {
		// AWS's "not found" is a failure the program reports, not a broken plugin.
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// unmarshalPair reads a request's old and new properties.
func unmarshalPair(olds, news *structpb.Struct) (resource.PropertyMap, resource.PropertyMap, error) {
	o, err := unmarshal(olds)
	if err != nil {
		return nil, nil, err
	}
	n, err := unmarshal(news)
	return o, n, err
}

func (p *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	olds, news, err := unmarshalPair(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	checked, err := p.mocks.Check(req.GetType(), mockaws.URNName(req.GetUrn()), olds, news)
	if err != nil {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Property: "name", Reason: err.Error()}}}, nil
	}
	if req.GetType() == applicationType {
		checkApplication(req.GetUrn(), olds, checked)
	}
	in, err := marshal(checked)
	return &pulumirpc.CheckResponse{Inputs: in}, err
}

// Diff compares the old inputs with the new ones; a change of a property the
// provider cannot update in place replaces the resource (internal/diff's table).
func (p *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetType() == serviceType {
		state, err := unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		return serviceDiff(state, olds, news, req.GetIgnoreChanges()), nil
	}
	var changed []resource.PropertyKey
	if diffsAgainstState(req.GetType()) {
		state, err := unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		changed = stateDiff(state, news)
	} else if d := olds.Diff(news); d != nil && d.AnyChanges() {
		changed = d.ChangedKeys()
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME}
	for _, k := range changed {
		if ignored(req.GetIgnoreChanges(), string(k)) {
			continue
		}
		resp.Diffs = append(resp.Diffs, string(k))
		if diff.Replaces(req.GetType(), string(k)) || forceNew[req.GetType()][string(k)] {
			resp.Replaces = append(resp.Replaces, string(k))
		}
	}
	if len(resp.Diffs) == 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_NONE
	}
	return resp, nil
}

func ignored(paths []string, key string) bool {
	for _, p := range paths {
		if p == key {
			return true
		}
	}
	return false
}

func (p *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if req.GetPreview() {
		// The inputs, as the engine answers for a plugin without previews.
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outputs, err := p.mocks.Create(req.GetType(), mockaws.URNName(req.GetUrn()), inputs)
	if err != nil {
		return nil, err
	}
	providerState(req.GetType(), outputs)
	if p.account != "" {
		if rid, ok, err := p.createRelease(ctx, req.GetType(), outputs); ok {
			if err != nil {
				return nil, err
			}
			id = rid
		}
		switch req.GetType() {
		case taskDefinitionType:
			err = p.registerTaskDefinition(ctx, outputs)
		case serviceType:
			id, err = p.createService(ctx, outputs)
		case targetGroupType:
			err = p.tellTargetGroup(outputs)
		case "aws:ecs/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup":
			err = p.tag(req.GetType(), outputs, false)
		}
		if err != nil {
			return nil, err
		}
	}
	props, err := marshal(outputs)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, news, err := unmarshalPair(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(previewUpdate(req.GetType(), olds, news))
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	oldInputs, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	_, outputs, err := p.mocks.Create(req.GetType(), mockaws.URNName(req.GetUrn()), news)
	if err != nil {
		return nil, err
	}
	providerState(req.GetType(), outputs)
	if p.account != "" {
		if ok, err := p.updateRelease(ctx, req.GetType(), olds, outputs); ok && err != nil {
			return nil, err
		}
		switch req.GetType() {
		case serviceType:
			err = p.updateService(ctx, olds, oldInputs, outputs)
		case targetGroupType:
			err = p.tellTargetGroup(outputs)
		case "aws:ecs/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup":
			err = p.tag(req.GetType(), outputs, false)
		}
		if err != nil {
			return nil, err
		}
	}
	props, err := marshal(outputs)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// Read refreshes a resource from its state; the service from what the
// account runs (its task definition and count), as the provider reads it.
func (p *server) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if req.GetType() == listenerType && p.account != "" {
		return p.refreshListener(ctx, req)
	}
	if req.GetType() != serviceType || p.account == "" {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	c, err := p.ecsClient(ctx)
	if err != nil {
		return nil, err
	}
	exists, err := p.readService(ctx, c, props)
	if err != nil {
		return nil, err
	}
	if !exists {
		return &pulumirpc.ReadResponse{}, nil // gone: the engine drops it from the state
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	for _, k := range []resource.PropertyKey{"taskDefinition", "desiredCount", "loadBalancers"} {
		inputs[k] = props[k]
	}
	outProps, err := marshal(props)
	if err != nil {
		return nil, err
	}
	outInputs, err := marshal(inputs)
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: outProps, Inputs: outInputs}, err
}

func (p *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if t := req.GetType(); (t == "aws:ecs/cluster:Cluster" || t == "aws:cloudwatch/logGroup:LogGroup") && p.account != "" {
		props, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		if err := p.tag(t, props, true); err != nil {
			return nil, err
		}
	}
	if req.GetType() == serviceType && p.account != "" {
		props, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		if err := p.deleteService(ctx, props); err != nil {
			return nil, err
		}
	}
	if p.account != "" {
		props, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		if _, err := p.deleteRelease(ctx, req.GetType(), props); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func (p *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func str(m resource.PropertyMap, k resource.PropertyKey) string {
	if v, ok := m[k]; ok {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

// tag tells the account that a cluster or log group was made or changed
// with its tags, or deleted, so that the program's ownership check reads it
// there as it would read AWS.
func (p *server) tag(typ string, props resource.PropertyMap, deleted bool) error {
	kind := "log group"
	if typ == "aws:ecs/cluster:Cluster" {
		kind = "cluster"
	}
	tags := map[string]string{}
	if v, ok := props["tags"]; ok && v.IsObject() {
		for k, t := range v.ObjectValue() {
			if t.IsString() {
				tags[string(k)] = t.StringValue()
			}
		}
	}
	body, _ := json.Marshal(fakeaws.TagRequest{Kind: kind, Name: str(props, "name"), Tags: tags, Deleted: deleted})
	resp, err := http.Post(strings.TrimSuffix(p.account, "/")+fakeaws.TagPath, "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("local AWS stand-in: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("local AWS stand-in: %s", resp.Status)
	}
	return nil
}

// post sends the local AWS stand-in what has no AWS API of its own there.
func (p *server) post(op string, in any) (*http.Response, error) {
	body, _ := json.Marshal(in)
	resp, err := http.Post(strings.TrimSuffix(p.account, "/")+fakeaws.StandinPath+op, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("local AWS stand-in: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp, fmt.Errorf("local AWS stand-in: %s %s", op, resp.Status)
	}
	return resp, nil
}
