// Command alba-digi is the Pulumi program; the stack lives in package infra.
package main

import (
	"alba-digi/infra"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() { pulumi.Run(infra.Program) }
