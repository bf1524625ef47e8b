// Command alba-digi is the Pulumi program; the stack lives in package infra.
package main

import (
	"os"

	"alba-digi/infra"
)

func main() { os.Exit(infra.Main()) }
