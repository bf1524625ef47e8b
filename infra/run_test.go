package infra

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestExitCode(t *testing.T) {
	shutDown := status.Error(codes.Unavailable, "resource monitor shut down while sending resource outputs")
	tests := []struct {
		name    string
		err     error
		code    int
		printed string
	}{
		{"success", nil, 0, ""},
		{"logged by the program", loggedError{errors.New("invalid stack configuration")}, constant.ExitStatusLoggedError, ""},
		{"engine stopped: stack outputs in flight", fmt.Errorf("waiting for RPCs: %w", shutDown), constant.ExitStatusLoggedError, ""},
		{"engine stopped: registration in flight", fmt.Errorf("waiting for RPCs: %w", status.Error(codes.Unavailable, "resource monitor shut down while sending resource registration")), constant.ExitStatusLoggedError, ""},
		{"engine stopped: monitor closed", fmt.Errorf("waiting for RPCs: %w", status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:36063: connect: connection refused"`)), constant.ExitStatusLoggedError, ""},
		{"engine stopped: a component's provider failed to construct it", fmt.Errorf("waiting for RPCs: %w", status.Error(codes.Unknown, "resource monitor shut down")), constant.ExitStatusLoggedError, ""},
		{"another Unknown RPC error is reported", fmt.Errorf("waiting for RPCs: %w", status.Error(codes.Unknown, "resource monitor shut down: disk full")), 1, "error: program failed: waiting for RPCs: rpc error: code = Unknown desc = resource monitor shut down: disk full\n"},
		{"another RPC error is reported", fmt.Errorf("waiting for RPCs: %w", status.Error(codes.Internal, "boom")), 1, "error: program failed: waiting for RPCs: rpc error: code = Internal desc = boom\n"},
		{"another error is reported", errors.New("boom"), 1, "error: program failed: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			if got := ExitCode(tt.err, &out); got != tt.code || out.String() != tt.printed {
				t.Errorf("ExitCode = %d, printed %q; want %d, %q", got, out.String(), tt.code, tt.printed)
			}
		})
	}
}

// TestProviderVersionsAreGoMods: the resources registered by type token ask
// the engine for the provider versions go.mod pins, as the SDKs would.
func TestProviderVersionsAreGoMods(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for module, want := range map[string]string{
		"github.com/pulumi/pulumi-aws/sdk/v6":  awsVersion,
		"github.com/pulumi/pulumi-awsx/sdk/v2": awsxVersion,
	} {
		if !strings.Contains(string(data), module+" v"+want+"\n") {
			t.Errorf("go.mod does not pin %s v%s", module, want)
		}
	}
}
