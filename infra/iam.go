package infra

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// taskRoles are the ARNs of the execution role (ECS pulls the image, writes
// logs, reads secrets) and of the task role (the application's own AWS access).
type taskRoles struct {
	execution pulumi.StringOutput
	task      pulumi.StringOutput
	// policies are the roles' policies and attachments: the service waits for
	// them, so that its first tasks do not start before they may pull the
	// image, read secrets or open an ECS Exec channel.
	policies []pulumi.Resource
}

// policyDocument is an IAM policy, marshalled from typed values.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
	// Condition is operator → key → value.
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func (d policyDocument) String() string {
	b, _ := json.Marshal(d) // cannot fail: the document holds strings only
	return string(b)
}

var ecsTasksTrust = policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
	Effect:    "Allow",
	Principal: map[string]string{"Service": "ecs-tasks.amazonaws.com"},
	Action:    []string{"sts:AssumeRole"},
}}}

// roles creates the two roles, or uses the ARNs from config: lab accounts forbid
// creating roles and hand out one (LabRole). Given roles get no policies from
// this program; they must already allow what the task needs.
//
// Role names are auto-named from the logical name, so a replacement (a changed
// trust policy does not replace; a changed name would) never collides.
func (s *stack) roles(cluster *clusterResources) (*taskRoles, error) {
	c := s.cfg
	out := &taskRoles{}
	if c.ExecutionRoleArn != "" {
		out.execution = pulumi.String(c.ExecutionRoleArn).ToStringOutput()
	} else {
		role, err := iam.NewRole(s.ctx, s.names.ExecutionRole, &iam.RoleArgs{
			Description:      pulumi.String("ECS task execution role of " + c.Name + ": image pulls, logs, secrets"),
			AssumeRolePolicy: pulumi.String(ecsTasksTrust.String()),
			Tags:             s.tags(s.names.ExecutionRole),
		})
		if err != nil {
			return nil, err
		}
		policyArn := s.region.ApplyT(func(r string) string {
			return "arn:" + partition(r) + ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
		}).(pulumi.StringOutput)
		attachment, err := iam.NewRolePolicyAttachment(s.ctx, s.names.ExecutionRolePolicy, &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: policyArn,
		})
		if err != nil {
			return nil, err
		}
		out.policies = append(out.policies, attachment)
		if doc, ok := secretsPolicy(c.Secrets); ok {
			policy, err := iam.NewRolePolicy(s.ctx, s.names.SecretsPolicy, &iam.RolePolicyArgs{
				Role:   role.Name,
				Policy: pulumi.String(doc.String()),
			})
			if err != nil {
				return nil, err
			}
			out.policies = append(out.policies, policy)
		}
		out.execution = role.Arn
	}

	if c.TaskRoleArn != "" {
		out.task = pulumi.String(c.TaskRoleArn).ToStringOutput()
		return out, nil
	}
	role, err := iam.NewRole(s.ctx, s.names.TaskRole, &iam.RoleArgs{
		Description:      pulumi.String("ECS task role of " + c.Name + ": the application's own AWS access (none by default)"),
		AssumeRolePolicy: pulumi.String(ecsTasksTrust.String()),
		Tags:             s.tags(s.names.TaskRole),
	})
	if err != nil {
		return nil, err
	}
	if c.EnableExecuteCommand {
		// ECS Exec runs the SSM agent in the task: it opens its channels with the
		// task role and logs the session to the exec log group.
		// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html
		policy := cluster.execLogGroup.Arn.ApplyT(func(groupArn string) string {
			return policyDocument{Version: "2012-10-17", Statement: []policyStatement{
				{Sid: "EcsExecChannels", Effect: "Allow", Resource: []string{"*"}, Action: []string{
					"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
					"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
				}},
				{Sid: "EcsExecLogGroups", Effect: "Allow", Resource: []string{"*"}, Action: []string{"logs:DescribeLogGroups"}},
				{Sid: "EcsExecLogs", Effect: "Allow", Resource: []string{groupArn + ":*"}, Action: []string{
					"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents",
				}},
			}}.String()
		}).(pulumi.StringOutput)
		execPolicy, err := iam.NewRolePolicy(s.ctx, s.names.ExecPolicy, &iam.RolePolicyArgs{
			Role:   role.Name,
			Policy: policy,
		})
		if err != nil {
			return nil, err
		}
		out.policies = append(out.policies, execPolicy)
	}
	out.task = role.Arn
	return out, nil
}

// secretsPolicy allows reading exactly the configured secrets and nothing more.
func secretsPolicy(secrets map[string]string) (policyDocument, bool) {
	var params, secretArns []string
	for _, valueFrom := range secrets {
		a, _ := secretSource(valueFrom) // validated: an SSM or Secrets Manager ARN
		if a.Service == "ssm" {
			params = append(params, valueFrom)
		} else {
			secretArns = append(secretArns, secretResource(a))
		}
	}
	// Sorted and without repeats: two variables may read the same secret.
	slices.Sort(params)
	params = slices.Compact(params)
	slices.Sort(secretArns)
	secretArns = slices.Compact(secretArns)
	doc := policyDocument{Version: "2012-10-17"}
	if len(params) > 0 {
		doc.Statement = append(doc.Statement, policyStatement{
			Sid: "ReadSsmParameters", Effect: "Allow", Action: []string{"ssm:GetParameters"}, Resource: params,
		})
	}
	if len(secretArns) > 0 {
		doc.Statement = append(doc.Statement, policyStatement{
			Sid: "ReadSecrets", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: secretArns,
		})
	}
	return doc, len(doc.Statement) > 0
}

// secretSuffixRe matches the hyphen and six characters Secrets Manager appends
// to a secret's name in its ARN.
var secretSuffixRe = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// secretResource is the IAM resource of a Secrets Manager valueFrom: the secret's
// ARN without the JSON key, version stage and version id that ECS accepts after
// it (secret:<name>:<json-key>:<version-stage>:<version-id>), and with "-??????"
// for a partial ARN that lacks the random suffix.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
func secretResource(a arn.ARN) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "secret:"), ":")
	if !secretSuffixRe.MatchString(name) {
		name += "-??????"
	}
	a.Resource = "secret:" + name
	return a.String()
}
