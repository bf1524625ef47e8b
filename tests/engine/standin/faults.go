package main

import (
	"fmt"
	"os"
	"strings"
)

// FailInvokeEnv names the environment variable that makes the stand-in fail
// one data source, as "TOKEN=MESSAGE": each invoke of TOKEN fails with
// MESSAGE, the way the real provider fails a data source whose AWS call
// failed (an error from the Terraform bridge's Invoke: "invoking TOKEN: 1
// error occurred: …", which the engine reports as "invocation of TOKEN
// returned an error: …"). The engine test sets it on the workspace for the
// commands that should meet the failure.
const FailInvokeEnv = "STANDIN_FAIL_INVOKE"

func injectedFailure(token string) error {
	tok, msg, ok := strings.Cut(os.Getenv(FailInvokeEnv), "=")
	if !ok || tok != token {
		return nil
	}
	return fmt.Errorf("invoking %s: 1 error occurred:\n\t* %s", token, msg)
}
