//go:build engine

package engine

import (
	"os"
	"os/exec"
	"path/filepath"
)

// Provider plugin versions the engine asks for: the program pins the aws and
// awsx Go SDKs' versions (go.mod); the awsx components register their
// children with the @pulumi/aws version awsx 2.22.0 pins in its package.json.
const (
	awsVersion      = "6.83.4"
	awsxVersion     = "2.22.0"
	awsxAwsVersion  = "6.66.3"
	awsxPluginEnv   = "ALBA_DIGI_AWSX_PLUGIN"
	failInvokeEnv   = "STANDIN_FAIL_INVOKE" // standin's FailInvokeEnv
	awsxPluginUsage = awsxPluginEnv + " must name the launcher of the real awsx provider " + awsxVersion +
		" (pulumi-resource-awsx, Node.js; .ci/run builds it and sets the variable)"
)

// installPlugins installs into the test's PULUMI_HOME the real awsx provider
// (a Node.js program: `node` must be on PATH) and the aws stand-in, built
// from ./standin, under both aws versions.
func (e *engine) installPlugins(dir string) {
	e.t.Helper()
	awsx := os.Getenv(awsxPluginEnv)
	if awsx == "" {
		e.t.Fatal(awsxPluginUsage)
	}
	if _, err := os.Stat(awsx); err != nil {
		e.t.Fatalf("%s: %v", awsxPluginUsage, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		e.t.Fatalf("the awsx provider runs on Node.js, and node is not on PATH: %v", err)
	}
	pulumi := filepath.Join(e.bin, "pulumi")
	e.run(exec.Command(pulumi, "plugin", "install", "resource", "awsx", awsxVersion, "--file", awsx), dir)
	standin := filepath.Join(dir, "pulumi-resource-aws")
	e.run(exec.Command("go", "build", "-trimpath", "-o", standin, "./tests/engine/standin"), project)
	for _, v := range []string{awsVersion, awsxAwsVersion} {
		e.run(exec.Command(pulumi, "plugin", "install", "resource", "aws", v, "--file", standin), dir)
	}
}
