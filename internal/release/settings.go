package release

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Settings are the AWS provider's settings, from the same stack config keys
// the provider reads (pulumi-aws v6: aws:region, aws:profile,
// aws:sharedConfigFiles, aws:sharedCredentialsFiles, aws:accessKey,
// aws:secretKey, aws:token, aws:assumeRole, aws:endpoints), so that the
// rollout check, the program's reads and cmd/doctor act as the identity the
// provider deploys with, in its account. Keys left unset fall back, as the
// provider's do, to the AWS SDK's own settings (AWS_PROFILE, AWS_REGION,
// AWS_ENDPOINT_URL, the credential chain).
// https://www.pulumi.com/registry/packages/aws/installation-configuration/
type Settings struct {
	Region, Profile                           string
	SharedConfigFiles, SharedCredentialsFiles []string
	AccessKey, SecretKey, Token               string
	AssumeRole                                *AssumeRole
	// Endpoints are custom endpoints by the provider's service keys (ecs,
	// elbv2, cloudwatchlogs, sts, …).
	Endpoints map[string]string
}

// AssumeRole is aws:assumeRole: the role the provider assumes.
type AssumeRole struct {
	RoleArn           string            `json:"roleArn"`
	ExternalID        string            `json:"externalId"`
	SessionName       string            `json:"sessionName"`
	Duration          string            `json:"duration"`
	Policy            string            `json:"policy"`
	PolicyArns        []string          `json:"policyArns"`
	SourceIdentity    string            `json:"sourceIdentity"`
	Tags              map[string]string `json:"tags"`
	TransitiveTagKeys []string          `json:"transitiveTagKeys"`
}

// SettingsFrom reads Settings from stack config values by full key ("aws:profile"):
// strings as they are, lists and objects as JSON, as the Pulumi CLI hands
// them to a program.
func SettingsFrom(values map[string]string) (Settings, error) {
	s := Settings{
		Region: values["aws:region"], Profile: values["aws:profile"],
		AccessKey: values["aws:accessKey"], SecretKey: values["aws:secretKey"], Token: values["aws:token"],
	}
	for key, dst := range map[string]any{
		"aws:sharedConfigFiles":      &s.SharedConfigFiles,
		"aws:sharedCredentialsFiles": &s.SharedCredentialsFiles,
		"aws:assumeRole":             &s.AssumeRole,
	} {
		if raw := values[key]; raw != "" {
			if err := json.Unmarshal([]byte(raw), dst); err != nil {
				return s, fmt.Errorf("%s: not what the AWS provider takes: %v", key, err)
			}
		}
	}
	if raw := values["aws:endpoints"]; raw != "" {
		// A list of objects, each mapping service keys to URLs.
		var list []map[string]string
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return s, fmt.Errorf("aws:endpoints: not what the AWS provider takes (a list of {service: url}): %v", err)
		}
		s.Endpoints = map[string]string{}
		for _, m := range list {
			for k, v := range m {
				s.Endpoints[strings.ToLower(k)] = v
			}
		}
	}
	if (s.AccessKey == "") != (s.SecretKey == "") {
		return s, fmt.Errorf("aws:accessKey and aws:secretKey: set both, or neither")
	}
	return s, nil
}

// endpoint is the custom endpoint of the first of the provider's service
// keys that has one.
func (s Settings) endpoint(keys ...string) *string {
	for _, k := range keys {
		if u := s.Endpoints[k]; u != "" {
			return aws.String(u)
		}
	}
	return nil
}

// Load builds the AWS SDK configuration of s, checks that credentials can be
// had, and returns the clients the rollout check reads with.
func Load(ctx context.Context, s Settings) (Clients, error) {
	cfg, err := s.config(ctx)
	if err != nil {
		return Clients{}, err
	}
	if cfg.Region == "" {
		return Clients{}, fmt.Errorf("no AWS region: set aws:region in the stack file, or AWS_REGION")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return Clients{}, fmt.Errorf("%w: %v", ErrNoCredentials, err)
	}
	c := NewClients(cfg)
	c.ECS = ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = or(s.endpoint("ecs"), o.BaseEndpoint) })
	c.ELB = elb.NewFromConfig(cfg, func(o *elb.Options) { o.BaseEndpoint = or(s.endpoint("elbv2", "elb"), o.BaseEndpoint) })
	c.Logs = cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = or(s.endpoint("cloudwatchlogs", "logs"), o.BaseEndpoint)
	})
	c.STS = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = or(s.endpoint("sts"), o.BaseEndpoint) })
	return c, nil
}

func or(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}

func (s Settings) config(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if len(s.SharedConfigFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(expandHome(s.SharedConfigFiles)))
	}
	if len(s.SharedCredentialsFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(expandHome(s.SharedCredentialsFiles)))
	}
	if s.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, s.Token)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("AWS configuration: %w", err)
	}
	if r := s.AssumeRole; r != nil && r.RoleArn != "" {
		client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = or(s.endpoint("sts"), o.BaseEndpoint) })
		var duration time.Duration
		if r.Duration != "" {
			if duration, err = time.ParseDuration(r.Duration); err != nil {
				return cfg, fmt.Errorf("aws:assumeRole.duration %q: %v", r.Duration, err)
			}
		}
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, r.RoleArn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = r.SessionName
			if o.RoleSessionName == "" {
				o.RoleSessionName = "alba-digi-rollout-check"
			}
			if r.ExternalID != "" {
				o.ExternalID = aws.String(r.ExternalID)
			}
			if r.Policy != "" {
				o.Policy = aws.String(r.Policy)
			}
			if r.SourceIdentity != "" {
				o.SourceIdentity = aws.String(r.SourceIdentity)
			}
			if duration > 0 {
				o.Duration = duration
			}
			for _, a := range r.PolicyArns {
				o.PolicyARNs = append(o.PolicyARNs, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
			}
			for k, v := range r.Tags {
				o.Tags = append(o.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			o.TransitiveTagKeys = r.TransitiveTagKeys
		}))
	}
	return cfg, nil
}

func expandHome(paths []string) []string {
	home, _ := os.UserHomeDir()
	out := make([]string, len(paths))
	for i, p := range paths {
		if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
			p = filepath.Join(home, rest)
		}
		out[i] = p
	}
	return out
}

// Account returns the account and ARN the clients act as (STS GetCallerIdentity).
func (c Clients) Account(ctx context.Context) (account, arn string, err error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("who am I (sts:GetCallerIdentity): %w", err)
	}
	return aws.ToString(out.Account), aws.ToString(out.Arn), nil
}
