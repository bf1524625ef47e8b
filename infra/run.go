package infra

import (
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Main runs Program under the Pulumi engine and returns the process's exit
// code. It is pulumi.Run with one difference: when the engine stops a
// deployment (a step failed, such as the rollout check after the service's
// update, or the user cancelled), it reports why itself and shuts its resource
// monitor down, while the program still has registrations in flight: the
// stack's outputs and the resources that wait on the failed one (the SDK
// resolves a failed resource's outputs as unknown and goes on). Those calls
// end with "resource monitor shut down"; pulumi.Run would log that as a second
// error of the stack, after the diagnosis. Main exits quietly instead.
func Main() int {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		err := Program(ctx)
		if err != nil && EngineStopped(err) {
			// A registration the engine answered after it stopped the
			// deployment (the release waits on the listeners, which wait on
			// a VPC whose provider failed): the engine reports why.
			return loggedError{err}
		}
		if err != nil {
			// As pulumi.Run logs it: the engine shows it as the stack's error.
			_ = ctx.Log.Error(fmt.Sprintf("an unhandled error occurred: program failed: \n%v", err), nil)
			return loggedError{err}
		}
		return nil
	})
	if errors.Is(err, pulumi.ErrPlugins) {
		pulumi.Run(Program) // prints the plugins the program needs, as the SDK does
	}
	return ExitCode(err, os.Stderr)
}

// loggedError is an error the program has logged to the engine.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// ExitCode is the exit code for the error pulumi.RunErr returned, written to
// w when nobody has reported it: 0 without error; the SDK's "logged error"
// code, which the language host takes as already reported, for an error the
// program logged or one the engine caused by stopping the deployment (see
// Main); 1 otherwise.
func ExitCode(err error, w interface{ WriteString(string) (int, error) }) int {
	var logged loggedError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &logged) || EngineStopped(err):
		return constant.ExitStatusLoggedError
	default:
		_, _ = w.WriteString(fmt.Sprintf("error: program failed: %v\n", err))
		return 1
	}
}

// EngineStopped reports whether err is how a call to the engine ends once
// the engine stopped the deployment: gRPC Unavailable, either the resource
// monitor's "resource monitor shut down ..." (pulumi
// pkg/resource/deploy/source_eval.go, v3.274.1) or, once the monitor's server
// is closed, the connection refused; or the registration of a component
// whose provider failed to construct it (an awsx VPC whose AWS call failed):
// the monitor reports the provider's error as the component's and answers
// the registration with gRPC Unknown "resource monitor shut down" (same
// file, RegisterResource of a remote component). Every RPC of the program
// goes to the engine, and the engine reports why it stopped.
func EngineStopped(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		s, ok := status.FromError(e)
		if !ok {
			continue
		}
		if s.Code() == codes.Unavailable || s.Code() == codes.Unknown && s.Message() == constructFailed {
			return true
		}
	}
	return false
}

// constructFailed is the whole message of the resource monitor's answer to
// a component registration whose Construct failed.
const constructFailed = "resource monitor shut down"
