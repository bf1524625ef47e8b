//go:build engine

package engine

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"alba-digi/internal/awsxschema"
)

var updateAwsxSchema = flag.Bool("update-awsx-schema", false, "rewrite internal/awsxschema/schema.json from the real awsx provider's schema")

// TestAwsxSchemaIsTheProviders: the part of the awsx schema the offline
// input check uses (internal/awsxschema/schema.json) is what the real awsx
// provider 2.22.0 answers to GetSchema, cut by awsxschema.Extract. With
// -update-awsx-schema it rewrites the file instead.
func TestAwsxSchemaIsTheProviders(t *testing.T) {
	launcher := os.Getenv(awsxPluginEnv)
	if launcher == "" {
		t.Fatal(awsxPluginUsage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A provider plugin takes the engine's address (unused for GetSchema)
	// and prints the port it serves on.
	cmd := exec.CommandContext(ctx, launcher, "127.0.0.1:1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", launcher, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the awsx provider printed no port: %v\n%s", err, stderr.String())
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := pulumirpc.NewResourceProviderClient(conn).GetSchema(ctx, &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatalf("GetSchema of the awsx provider: %v\n%s", err, stderr.String())
	}
	got, err := awsxschema.Extract([]byte(resp.GetSchema()), awsxschema.Tokens)
	if err != nil {
		t.Fatalf("the awsx provider's schema: %v", err)
	}
	const file = project + "/internal/awsxschema/schema.json"
	if *updateAwsxSchema {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, got) {
		t.Errorf("%s is not the awsx provider's schema for %v; rerun with -update-awsx-schema and review the diff.\nthe provider's:\n%s", file, awsxschema.Tokens, got)
	}
}
