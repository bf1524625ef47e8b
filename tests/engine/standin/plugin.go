package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
)

// installedVersion is the aws plugin version the stand-in is installed as,
// from the folder `pulumi plugin install resource aws VERSION --file`
// installs it in (resource-aws-vVERSION): one binary answers as each version
// the program and the awsx components ask the engine for (the program pins
// the provider's Go SDK version, awsx 2.22.0 its own @pulumi/aws).
func installedVersion() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir := filepath.Base(filepath.Dir(exe))
	v, ok := strings.CutPrefix(dir, "resource-aws-v")
	if !ok || filepath.Base(exe) != "pulumi-resource-aws" {
		return "", fmt.Errorf("install me with `pulumi plugin install resource aws VERSION --file`, not as %s", exe)
	}
	if _, err := semver.Parse(v); err != nil {
		return "", fmt.Errorf("plugin folder %s: %w", dir, err)
	}
	return v, nil
}
