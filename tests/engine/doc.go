// Package engine holds the test that runs the project under the real Pulumi
// engine: the pulumi CLI and its Go language host on the project's own
// Pulumi.yaml and stack files, with the real awsx provider, a stand-in aws
// provider plugin (./standin) and a local AWS stand-in. It is compiled only
// with the engine build tag (see engine_test.go).
package engine
