//go:build pins

package infra

// The awsx components are registered by type token (see tokens.go), so no
// build imports the awsx SDK; this file, built by no command, keeps its exact
// version in go.mod, where `pulumi` reads which plugins the program needs.
import _ "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx"
