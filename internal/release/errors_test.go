package release

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// apiError is a call's error as the SDK returns it: the operation, the HTTP
// answer, AWS's code.
func apiError(service, op string, status int, code string) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "as AWS says it"},
	}}
}

// TestPermanent: what the SDK retries passes, what AWS refuses for good
// does not, and the refusal names the innermost call and says what to do.
func TestPermanent(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
		message   string // part of the *Refused message, for permanent ones
	}{
		{"throttling", apiError("ECS", "ListTasks", 400, "ThrottlingException"), false, ""},
		{"a throttle code AWS sends with 400", apiError("ECS", "ListTasks", 400, "LimitExceededException"), false, ""},
		{"AWS's fault", apiError("ECS", "DescribeServices", 500, "ServerException"), false, ""},
		{"unavailable", apiError("Elastic Load Balancing v2", "DescribeTargetHealth", 503, "ServiceUnavailable"), false, ""},
		{"the network", &smithy.OperationError{ServiceID: "ECS", OperationName: "ListTasks", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, false, ""},
		{"access denied", apiError("ECS", "ListTasks", 400, "AccessDeniedException"), true, "Allow ecs:ListTasks to arn:aws:iam::123456789012:user/ci"},
		{"denied by ELB", apiError("Elastic Load Balancing v2", "DescribeTargetHealth", 403, "AccessDenied"), true, "Allow elasticloadbalancing:DescribeTargetHealth"},
		{"an expired token", apiError("ECS", "DescribeServices", 400, "ExpiredTokenException"), true, "did not accept the credentials of arn:aws:iam::123456789012:user/ci for ecs:DescribeServices"},
		{"a clock far off", apiError("ECS", "DescribeServices", 400, "InvalidSignatureException"), true, "clock"},
		{"a bad request", apiError("ECS", "DescribeTasks", 400, "InvalidParameterException"), true, "AWS refused ecs:DescribeTasks"},
		{"a refused credential refresh inside an ECS call", &smithy.OperationError{ServiceID: "ECS", OperationName: "ListTasks", Err: apiError("STS", "AssumeRole", 403, "AccessDenied")}, true, "Allow sts:AssumeRole"},
	}
	for _, tt := range tests {
		if got := Permanent(tt.err); got != tt.permanent {
			t.Errorf("%s: Permanent = %v, want %v", tt.name, got, tt.permanent)
		}
		r := refused(tt.err, "arn:aws:iam::123456789012:user/ci")
		var ref *Refused
		if tt.permanent != errors.As(r, &ref) {
			t.Errorf("%s: refused = %T, want a *Refused %v", tt.name, r, tt.permanent)
			continue
		}
		if tt.permanent && !strings.Contains(r.Error(), tt.message) {
			t.Errorf("%s: %q lacks %q", tt.name, r.Error(), tt.message)
		}
	}
}
