// Command standin is a stand-in for the AWS provider plugin, for the engine
// test: installed as pulumi-resource-aws (`pulumi plugin install resource aws
// 6.83.4 --file standin`, and under the version awsx's components ask for), it
// speaks the provider gRPC interface of the Pulumi SDK (proto/go) to the real
// engine and answers for the same fake account as the SDK mocks
// (internal/mockaws): ids, ARNs, auto-names, data sources, and the EC2
// resources the real awsx components create. What the rollout check reads
// back from AWS (the service's deployments, the task definitions' revisions)
// lives in the test's local AWS stand-in (fakeaws.Account), which this plugin
// tells what it did, as the real provider calls ECS, through
// AWS_ENDPOINT_URL.
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
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: false}, nil
}

func (p *server) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if err := injectedFailure(req.GetTok()); err != nil {
		return nil, err
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
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
	d := olds.Diff(news)
	if d == nil || !d.AnyChanges() {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME}
	for _, k := range d.ChangedKeys() {
		if ignored(req.GetIgnoreChanges(), string(k)) {
			continue
		}
		resp.Diffs = append(resp.Diffs, string(k))
		if diff.Replaces(req.GetType(), string(k)) {
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

func (p *server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outputs, err := p.mocks.Create(req.GetType(), mockaws.URNName(req.GetUrn()), inputs)
	if err != nil {
		return nil, err
	}
	if id, err = p.tellAccount(req.GetType(), id, nil, outputs); err != nil {
		return nil, err
	}
	props, err := marshal(outputs)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, news, err := unmarshalPair(req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	_, outputs, err := p.mocks.Create(req.GetType(), mockaws.URNName(req.GetUrn()), news)
	if err != nil {
		return nil, err
	}
	if _, err := p.tellAccount(req.GetType(), req.GetId(), olds, outputs); err != nil {
		return nil, err
	}
	props, err := marshal(outputs)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// Read refreshes a resource from its state; the service from what the
// account runs (its task definition and count), as the provider reads it.
func (p *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if req.GetType() != "aws:ecs/service:Service" || p.account == "" {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	got, err := p.call("describe", fakeaws.StandinRequest{Service: str(props, "name")})
	if err != nil {
		return nil, err
	}
	if !got.Exists {
		return &pulumirpc.ReadResponse{}, nil // gone: the engine drops it from the state
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	for _, m := range []resource.PropertyMap{props, inputs} {
		m["taskDefinition"] = resource.NewStringProperty(got.TaskDefinition)
		m["desiredCount"] = resource.NewNumberProperty(float64(got.DesiredCount))
	}
	outProps, err := marshal(props)
	if err != nil {
		return nil, err
	}
	outInputs, err := marshal(inputs)
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: outProps, Inputs: outInputs}, err
}

func (p *server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if req.GetType() == "aws:ecs/service:Service" && p.account != "" {
		props, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		if _, err := p.call("delete-service", fakeaws.StandinRequest{Service: str(props, "name")}); err != nil {
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

// tellAccount does to the local AWS stand-in what the provider does to ECS
// for a task definition (a new revision) or a service (a deployment, or a new
// count), and returns the resource's id.
func (p *server) tellAccount(typ, id string, olds, outputs resource.PropertyMap) (string, error) {
	if p.account == "" {
		return id, nil
	}
	switch typ {
	case "aws:ecs/taskDefinition:TaskDefinition":
		family := str(outputs, "family")
		got, err := p.call("register-task-definition", fakeaws.StandinRequest{Region: p.mocks.Region, Family: family, ContainerDefinitions: str(outputs, "containerDefinitions")})
		if err != nil {
			return "", err
		}
		arn := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", p.mocks.Region, mockaws.Account, family, got.Revision)
		outputs["arn"] = resource.NewStringProperty(arn)
		outputs["revision"] = resource.NewNumberProperty(float64(got.Revision))
	case "aws:ecs/service:Service":
		// ECS starts a deployment for a new service, and for an update that
		// changes the task definition, the network or load balancer
		// configuration or the capacity providers, or that forces one.
		deployment := olds == nil
		for _, k := range []resource.PropertyKey{"taskDefinition", "networkConfiguration", "loadBalancers", "capacityProviderStrategies"} {
			if olds != nil && !olds[k].DeepEquals(outputs[k]) {
				deployment = true
			}
		}
		if v, ok := outputs["forceNewDeployment"]; ok && v.IsBool() && v.BoolValue() {
			deployment = true
		}
		desired := 0
		if v, ok := outputs["desiredCount"]; ok && v.IsNumber() {
			desired = int(v.NumberValue())
		}
		_, err := p.call("deploy", fakeaws.StandinRequest{
			Cluster: str(outputs, "cluster"), Service: str(outputs, "name"), TaskDefinition: str(outputs, "taskDefinition"),
			DesiredCount: desired, NewDeployment: deployment,
		})
		if err != nil {
			return "", err
		}
	}
	return id, nil
}

func (p *server) call(op string, in fakeaws.StandinRequest) (fakeaws.StandinResponse, error) {
	body, _ := json.Marshal(in)
	resp, err := http.Post(strings.TrimSuffix(p.account, "/")+fakeaws.StandinPath+op, "application/json", bytes.NewReader(body))
	if err != nil {
		return fakeaws.StandinResponse{}, fmt.Errorf("local AWS stand-in: %w", err)
	}
	defer resp.Body.Close()
	var out fakeaws.StandinResponse
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("local AWS stand-in: %s %s", op, resp.Status)
	}
	return out, json.NewDecoder(resp.Body).Decode(&out)
}
