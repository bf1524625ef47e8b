package release

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A failed call to AWS is worth another try or it is not. What the AWS SDK
// itself retries passes (throttling, AWS's own faults, a dropped connection,
// a timeout: its retry package's default checks): the check reads again until
// its deadline and names the last one. A call AWS refuses for who makes it
// (access denied), for the credentials it is signed with (unknown, expired,
// a signature it rejects, which a clock far off also causes), or for what it
// asks (a bad parameter) fails the same way every time: the check stops at
// once and says what to change.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html
// https://docs.aws.amazon.com/sdk-for-go/v2/developer-guide/configure-retries-timeouts.html

// deniedCodes are AWS's error codes for a caller it may not let do this.
var deniedCodes = []string{
	"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
}

// credentialCodes are AWS's error codes for credentials it does not accept:
// unknown or expired, or a signature it rejects (a clock far off signs for
// the wrong time).
var credentialCodes = []string{
	"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
	"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "MissingAuthenticationToken",
	"RequestExpired", "RequestInTheFuture", "RequestTimeTooSkewed",
}

// Permanent reports whether err, from a call to AWS, would fail again the
// same way: AWS answered with an error its SDK does not retry, of a caller
// or request it refuses (4xx). A fault of AWS or of the network is not
// permanent, nor is throttling.
func Permanent(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false // no answer from AWS: the network
	}
	if awsretry.IsErrorRetryables(awsretry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return false
	}
	code := api.ErrorCode()
	if slices.Contains(deniedCodes, code) || slices.Contains(credentialCodes, code) {
		return true
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		status := resp.HTTPStatusCode()
		return status >= 400 && status < 500 && status != http.StatusTooManyRequests
	}
	return false
}

// Denied reports whether AWS refused the caller this action.
func Denied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && slices.Contains(deniedCodes, api.ErrorCode())
}

// badCredentials reports whether AWS did not accept the call's credentials.
func badCredentials(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && slices.Contains(credentialCodes, api.ErrorCode())
}

// iamPrefixes are the IAM action prefixes of the services the check calls,
// by the AWS SDK's service id.
var iamPrefixes = map[string]string{
	"ECS": "ecs", "Elastic Load Balancing v2": "elasticloadbalancing", "CloudWatch Logs": "logs",
	"STS": "sts", "CodeDeploy": "codedeploy",
}

// IAMAction is the IAM action of the call that failed with err
// ("ecs:ListTasks"), or "" when err is not from a call to AWS. Of calls
// wrapped in others (a credential refresh inside an ECS call), the innermost
// is the one AWS refused.
func IAMAction(err error) string {
	var op *smithy.OperationError
	for e := err; e != nil; {
		if o, ok := e.(*smithy.OperationError); ok {
			op = o
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		default:
			e = nil
		}
	}
	if op == nil {
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
	switch {
	case Denied(e.Err):
		return fmt.Sprintf("AWS refused %s to %s (%v): `pulumi up` cannot tell whether the release worked. Allow %s to %s (the policy of the role or user `pulumi up` runs as; the README lists the calls the check makes), or run as an identity that may", e.Action, who, e.Err, e.Action, who)
	case badCredentials(e.Err):
		return fmt.Sprintf("AWS did not accept the credentials of %s for %s (%v): they are unknown or expired, or the machine's clock is far off; renew them (aws sso login, new keys, the CI job's role) and check the clock, then run `pulumi up` again", who, e.Action, e.Err)
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
