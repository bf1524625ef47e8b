package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// logsKey declares the customer-managed KMS key the log groups are encrypted
// with (logsKmsKey): the account administers it, and CloudWatch Logs of the
// stack's region may use it for this account's log groups only, as AWS's key
// policy for log data reads. Rotation is on; a destroyed key waits the shortest
// window AWS allows before deletion.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
// https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
//
// Every log group of the stack shares the key: it is declared on the first call.
func (s *stack) logsKey() (pulumi.StringPtrInput, error) {
	if !s.cfg.LogsKmsKey || s.logsKeyDone {
		return s.logsKeyArn, nil
	}
	account := aws.GetCallerIdentityOutput(s.ctx, aws.GetCallerIdentityOutputArgs{}).AccountId()
	policy := pulumi.All(s.region, account).ApplyT(func(args []any) string {
		region, account := args[0].(string), args[1].(string)
		p := partition(region)
		return policyDocument{Version: "2012-10-17", Statement: []policyStatement{
			{Sid: "AccountAdministers", Effect: "Allow", Principal: map[string]string{"AWS": "arn:" + p + ":iam::" + account + ":root"}, Action: []string{"kms:*"}, Resource: []string{"*"}},
			{
				Sid: "CloudWatchLogsEncrypts", Effect: "Allow", Principal: map[string]string{"Service": "logs." + region + "." + dnsSuffix(region)},
				Action:    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
				Resource:  []string{"*"},
				Condition: map[string]map[string]string{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:" + p + ":logs:" + region + ":" + account + ":log-group:*"}},
			},
		}}.String()
	}).(pulumi.StringOutput)
	key, err := kms.NewKey(s.ctx, s.names.LogsKey, &kms.KeyArgs{
		Description:          pulumi.String("Log groups of " + s.cfg.Name),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(7),
		Policy:               policy,
		Tags:                 s.tags(s.names.LogsKey),
	})
	if err != nil {
		return nil, err
	}
	s.logsKeyArn, s.logsKeyDone = key.Arn, true
	return s.logsKeyArn, nil
}
