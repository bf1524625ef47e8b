package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// wafRedactedHeaders are left out of the web ACL's logs: credentials and
// session cookies. Lower case, as AWS WAF returns them.
// https://docs.aws.amazon.com/waf/latest/developerguide/logging-management.html
var wafRedactedHeaders = []string{"authorization", "cookie"}

// firewall declares the web application firewall in front of the load
// balancer (waf): a regional web ACL with the configured rules (see
// Config.Firewall), its association with the load balancer, and its logs.
//
// Replacement: only a new name replaces the web ACL (name and scope force it;
// the scope is fixed), and the name is fixed, so the old one is deleted first
// (its association and logging go with it, and the load balancer is
// unprotected until the new one is associated). The association and
// the logging configuration are deleted before their replacements are made:
// AWS removes them by the resource they are on (DisassociateWebACL takes the
// load balancer, DeleteLoggingConfiguration the web ACL), so deleting the old
// one after the new one exists would remove the new one.
func (s *stack) firewall(front *frontEnd) error {
	c := s.cfg
	if !c.WAF {
		return nil
	}
	rules, err := c.webACLRules()
	if err != nil {
		return err
	}
	acl, err := newWebACL(s.ctx, s.names.WebACL, webACLArgs{
		Name:        s.names.WebACL,
		Description: "Web application firewall of " + c.Name,
		RuleJSON:    rules,
		Tags:        s.tags(s.names.WebACL),
	}, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return err
	}
	if err := newWebACLAssociation(s.ctx, s.names.WebACLAssociation, front.lb.Arn, acl.Arn, pulumi.DeleteBeforeReplace(true)); err != nil {
		return err
	}

	key, err := s.logsKey()
	if err != nil {
		return err
	}
	logs, err := cloudwatch.NewLogGroup(s.ctx, s.names.WAFLogGroupResource, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(s.names.WAFLogGroup),
		RetentionInDays: pulumi.Int(c.LogRetentionDays),
		KmsKeyId:        key,
		Tags:            s.tags(s.names.WAFLogGroup),
	}, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return err
	}
	policy, err := s.wafLogPolicy(logs)
	if err != nil {
		return err
	}
	// WAF checks, when logging is turned on, that a resource policy lets its
	// log delivery write to the group; without one it adds the group to the
	// account's shared default policy, which it cannot grow past its size limit.
	return newWebACLLogging(s.ctx, s.names.WAFLogging, acl.Arn, logs.Arn, wafRedactedHeaders,
		pulumi.DependsOn([]pulumi.Resource{policy}), pulumi.DeleteBeforeReplace(true))
}

// wafLogPolicy declares the CloudWatch Logs resource policy that lets AWS WAF's
// log delivery write to the web ACL's log group, and nothing else: this
// account's deliveries, to this group. The stack owns it, instead of the
// shared policy WAF otherwise edits (AWSLogDeliveryWrite20150319), which
// grows with every log group of every stack and fails at CloudWatch Logs'
// 5,120-character limit. An account has at most 10 resource policies per
// region.
// https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
//
// Its name is fixed: a new one (a new stack name) deletes the old one first,
// since putting a policy of the same name overwrites it.
func (s *stack) wafLogPolicy(logs *cloudwatch.LogGroup) (*cloudwatch.LogResourcePolicy, error) {
	account := aws.GetCallerIdentityOutput(s.ctx, aws.GetCallerIdentityOutputArgs{}).AccountId()
	document := pulumi.All(s.region, account, logs.Arn).ApplyT(func(args []any) (string, error) {
		return wafLogPolicyDocument(args[0].(string), args[1].(string), args[2].(string))
	}).(pulumi.StringOutput)
	return cloudwatch.NewLogResourcePolicy(s.ctx, s.names.WAFLogPolicy, &cloudwatch.LogResourcePolicyArgs{
		PolicyName:     pulumi.String(s.names.WAFLogPolicy),
		PolicyDocument: document,
	}, pulumi.DeleteBeforeReplace(true))
}

// wafLogPolicyDocument is the resource policy of the WAF log group logGroupArn,
// in account and region, as AWS documents it for log delivery.
func wafLogPolicyDocument(region, account, logGroupArn string) (string, error) {
	p := partition(region)
	return normalJSON(policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
		Sid:       "WafLogDelivery",
		Effect:    "Allow",
		Principal: map[string]string{"Service": "delivery.logs." + dnsSuffix(region)},
		Action:    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource:  []string{logGroupArn + ":log-stream:*"},
		Condition: map[string]map[string]string{
			"StringEquals": {"aws:SourceAccount": account},
			"ArnLike":      {"aws:SourceArn": "arn:" + p + ":logs:" + region + ":" + account + ":*"},
		},
	}}})
}
