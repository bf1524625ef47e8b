package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// accessLogs is the bucket the load balancer writes its access logs to.
type accessLogs struct {
	bucket pulumi.StringOutput
	policy pulumi.Resource
}

// accessLogsBucket declares a private, encrypted bucket whose policy lets the
// region's Elastic Load Balancing account write the logs, and which expires them
// after logRetentionDays. ELB writes only with SSE-S3, not KMS.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
//
// ForceDestroy empties the bucket on `pulumi destroy`, which otherwise fails on
// a bucket with objects in it: destroy leaves nothing behind.
func (s *stack) accessLogsBucket() (*accessLogs, error) {
	name := s.names.AccessLogsBucket
	bucket, err := s3.NewBucketV2(s.ctx, name, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(true),
		Tags:         s.tags(name),
	})
	if err != nil {
		return nil, err
	}
	block, err := s3.NewBucketPublicAccessBlock(s.ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(s.ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
			s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
				ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
					SseAlgorithm: pulumi.String("AES256"),
				},
			},
		},
	}); err != nil {
		return nil, err
	}
	// Versioning keeps a deleted or overwritten log; the lifecycle rule expires
	// the versions it keeps after the same retention.
	versioning, err := s3.NewBucketVersioningV2(s.ctx, name, &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	})
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(s.ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-access-logs"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				// A log lives logRetentionDays in all: current until the day
				// before, then one day as a noncurrent version (versioning keeps
				// what expires as a noncurrent version until its own rule).
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(max(1, s.cfg.LogRetentionDays-1))},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(1),
				},
			},
		},
	}, pulumi.DependsOn([]pulumi.Resource{versioning})); err != nil {
		return nil, err
	}
	// ELB writes under <prefix>/AWSLogs/<account>/: the policy lets it write
	// there for this account's load balancers only, as AWS's policy reads.
	principal := s.elbLogWriter()
	account := aws.GetCallerIdentityOutput(s.ctx, aws.GetCallerIdentityOutputArgs{}).AccountId()
	policyDoc := pulumi.All(bucket.Arn, principal, account).ApplyT(func(args []any) string {
		return accessLogsPolicy(args[0].(string), s.cfg.Name, args[2].(string), args[1].(map[string]string)).String()
	}).(pulumi.StringOutput)
	// S3 rejects a policy change while the public access block is being written.
	policy, err := s3.NewBucketPolicy(s.ctx, name, &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policyDoc,
	}, pulumi.DependsOn([]pulumi.Resource{block}))
	if err != nil {
		return nil, err
	}
	return &accessLogs{bucket: bucket.Bucket, policy: policy}, nil
}

// accessLogsPolicy lets principal put objects in bucketArn under
// prefix/AWSLogs/account/ only: where ELB writes the access logs of account's
// load balancers that log with prefix, and nothing another account's load
// balancer could write.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
func accessLogsPolicy(bucketArn, prefix, account string, principal map[string]string) policyDocument {
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
		Sid:       "ElbWritesAccessLogs",
		Effect:    "Allow",
		Principal: principal,
		Action:    []string{"s3:PutObject"},
		Resource:  []string{bucketArn + "/" + prefix + "/AWSLogs/" + account + "/*"},
	}}}
}

// elbAccountRegions are the regions where Elastic Load Balancing writes access
// logs from an account of its own (the regions available before August 2022);
// in the others, and those opened since, the log delivery service principal
// writes them, and the provider's map of ELB accounts has no entry.
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
var elbAccountRegions = map[string]bool{
	"us-east-1": true, "us-east-2": true, "us-west-1": true, "us-west-2": true, "af-south-1": true,
	"ap-east-1": true, "ap-southeast-3": true, "ap-south-1": true, "ap-northeast-3": true, "ap-northeast-2": true,
	"ap-southeast-1": true, "ap-southeast-2": true, "ap-northeast-1": true, "ca-central-1": true,
	"eu-central-1": true, "eu-west-1": true, "eu-west-2": true, "eu-south-1": true, "eu-west-3": true,
	"eu-north-1": true, "me-south-1": true, "sa-east-1": true, "us-gov-west-1": true, "us-gov-east-1": true,
	"cn-north-1": true, "cn-northwest-1": true,
}

// logDeliveryPrincipal writes access logs in the regions without an ELB account.
const logDeliveryPrincipal = "logdelivery.elasticloadbalancing.amazonaws.com"

// elbLogWriter is the principal the bucket policy lets write: the region's ELB
// account (asked of the provider) where there is one, else the log delivery
// service. The region is the one the provider deploys to (resolveRegion asks
// it when aws:region is not set).
func (s *stack) elbLogWriter() pulumi.StringMapOutput {
	if r := s.cfg.Region; r != "" && !elbAccountRegions[r] {
		return pulumi.StringMap{"Service": pulumi.String(logDeliveryPrincipal)}.ToStringMapOutput()
	}
	account := elb.GetServiceAccountOutput(s.ctx, elb.GetServiceAccountOutputArgs{}).Arn()
	return pulumi.StringMap{"AWS": account}.ToStringMapOutput()
}
