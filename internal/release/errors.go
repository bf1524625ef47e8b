package release

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A failed call to AWS is worth another try or it is not. Throttling, AWS's
// own faults (5xx) and the network (a timeout, a dropped connection) pass:
// the check reads again until its deadline and names the last one. A call
// AWS refuses for who makes it (access denied, credentials it does not know,
// an expired token) or for what it asks (a bad parameter) fails the same way
// every time: the check stops at once and says which permission is missing
// and for whom.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html

// deniedCodes are AWS's error codes for a caller it refuses.
var deniedCodes = []string{
	"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
	"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
	"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "MissingAuthenticationToken",
}

// transientCodes are AWS's error codes worth another try, whatever their
// HTTP status.
var transientCodes = []string{
	"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
	"RequestThrottled", "SlowDown", "ServerException", "InternalFailure", "InternalError",
	"ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
}

// Permanent reports whether err, from a call to AWS, would fail again the
// same way: AWS refused the caller or the request (a 4xx answer other than
// throttling). A fault of AWS or of the network is not permanent.
func Permanent(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false // no answer from AWS: the network
	}
	code := api.ErrorCode()
	for _, c := range transientCodes {
		if code == c {
			return false
		}
	}
	for _, c := range deniedCodes {
		if code == c {
			return true
		}
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		status := resp.HTTPStatusCode()
		return status >= 400 && status < 500 && status != http.StatusTooManyRequests
	}
	return false
}

// Denied reports whether AWS refused the caller (not the request).
func Denied(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	for _, c := range deniedCodes {
		if api.ErrorCode() == c {
			return true
		}
	}
	return false
}

// iamPrefixes are the IAM action prefixes of the services the check calls,
// by the AWS SDK's service id.
var iamPrefixes = map[string]string{
	"ECS": "ecs", "Elastic Load Balancing v2": "elasticloadbalancing", "CloudWatch Logs": "logs",
	"STS": "sts", "CodeDeploy": "codedeploy",
}

// IAMAction is the IAM action of the call that failed with err
// ("ecs:ListTasks"), or "" when err is not from a call to AWS.
func IAMAction(err error) string {
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return ""
	}
	prefix, ok := iamPrefixes[op.ServiceID]
	if !ok {
		prefix = strings.ToLower(strings.ReplaceAll(op.ServiceID, " ", ""))
	}
	return prefix + ":" + op.OperationName
}

// Refused is a call AWS will refuse again: the release cannot be followed.
type Refused struct {
	// Action is the IAM action refused; Identity who asked.
	Action, Identity string
	Err              error
}

func (e *Refused) Error() string {
	who := e.Identity
	if who == "" {
		who = "the provider's identity"
	}
	if Denied(e.Err) {
		return fmt.Sprintf("AWS refused %s to %s (%v): `pulumi up` cannot tell whether the release worked. Allow %s to %s (the policy of the role or user `pulumi up` runs as; the README lists the read-only calls the check makes), or run as an identity that may", e.Action, who, e.Err, e.Action, who)
	}
	return fmt.Sprintf("AWS refused %s (%v): `pulumi up` cannot tell whether the release worked", e.Action, e.Err)
}

func (e *Refused) Unwrap() error { return e.Err }

// refused wraps a permanent error of a call made as identity; other errors
// pass unchanged.
func refused(err error, identity string) error {
	if err == nil || !Permanent(err) {
		return err
	}
	var r *Refused
	if errors.As(err, &r) {
		return err
	}
	return &Refused{Action: IAMAction(err), Identity: identity, Err: err}
}
