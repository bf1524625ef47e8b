package infra

import (
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
	if _, err := s3.NewBucketLifecycleConfigurationV2(s.ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:         pulumi.String("expire-access-logs"),
				Status:     pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(s.cfg.LogRetentionDays)},
			},
		},
	}); err != nil {
		return nil, err
	}
	elbAccount := elb.GetServiceAccountOutput(s.ctx, elb.GetServiceAccountOutputArgs{}).Arn()
	policyDoc := pulumi.All(bucket.Arn, elbAccount).ApplyT(func(args []any) string {
		return policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
			Sid:       "ElbWritesAccessLogs",
			Effect:    "Allow",
			Principal: map[string]string{"AWS": args[1].(string)},
			Action:    []string{"s3:PutObject"},
			Resource:  []string{args[0].(string) + "/" + s.cfg.Name + "/AWSLogs/*"},
		}}}.String()
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
