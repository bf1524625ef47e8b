package release

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"golang.org/x/net/http/httpproxy"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Settings are the AWS provider's settings, read from the same stack config
// keys the provider reads, so that the rollout check, the program's reads and
// cmd/doctor act as the identity the provider deploys with, in its account,
// through the same endpoints and network. Every key of pulumi-aws v6 that
// changes who signs a call or where it goes is here (the provider's
// configuration reference, and its Go SDK's config package:
// https://www.pulumi.com/registry/packages/aws/installation-configuration/):
//   - who: aws:accessKey, aws:secretKey, aws:token, aws:profile,
//     aws:sharedConfigFiles, aws:sharedCredentialsFiles, aws:assumeRole,
//     aws:assumeRoleWithWebIdentity, aws:ec2MetadataServiceEndpoint(Mode);
//   - where: aws:region, aws:stsRegion, aws:endpoints, aws:useFipsEndpoint,
//     aws:useDualstackEndpoint;
//   - how: aws:httpProxy, aws:httpsProxy, aws:noProxy, aws:customCaBundle,
//     aws:insecure, aws:maxRetries, aws:retryMode, aws:skipMetadataApiCheck
//     (read only when set: the EC2 metadata service is then off);
//   - aws:skipCredentialsValidation and aws:skipRequestingAccountId: the
//     provider asks STS nothing, and neither can the account check.
//
// Keys left unset fall back, as the provider's do, to the AWS SDK's own
// settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, HTTPS_PROXY,
// AWS_CA_BUNDLE, the credential chain). Keys that only change what the
// provider creates (aws:defaultTags, aws:ignoreTags, aws:s3UsePathStyle) do
// not matter to the calls made here.
type Settings struct {
	Region, Profile                           string
	SharedConfigFiles, SharedCredentialsFiles []string
	AccessKey, SecretKey, Token               string
	AssumeRole                                *AssumeRole
	AssumeRoleWithWebIdentity                 *WebIdentity
	// StsRegion is the region of STS's endpoint, when not Region.
	StsRegion string
	// Endpoints are custom endpoints by the provider's service keys (ecs,
	// elbv2, logs, sts, codedeploy, and their aliases).
	Endpoints                                    map[string]string
	UseFIPSEndpoint, UseDualstackEndpoint        bool
	HTTPProxy, HTTPSProxy, NoProxy               string
	CustomCABundle                               string
	Insecure                                     bool
	MaxRetries                                   int
	RetryMode                                    string
	EC2MetadataEndpoint, EC2MetadataEndpointMode string
	// SkipMetadataAPICheck: aws:skipMetadataApiCheck set true, so the
	// provider never takes credentials from the EC2 instance metadata service.
	SkipMetadataAPICheck bool
	// SkipIdentity: aws:skipCredentialsValidation or aws:skipRequestingAccountId
	// is set, so the provider never asks STS who it is.
	SkipIdentity bool
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

// WebIdentity is aws:assumeRoleWithWebIdentity: a role assumed with an
// OpenID Connect token (a CI job's), from the key or a file.
type WebIdentity struct {
	RoleArn              string   `json:"roleArn"`
	SessionName          string   `json:"sessionName"`
	WebIdentityToken     string   `json:"webIdentityToken"`
	WebIdentityTokenFile string   `json:"webIdentityTokenFile"`
	Duration             string   `json:"duration"`
	Policy               string   `json:"policy"`
	PolicyArns           []string `json:"policyArns"`
}

// ProviderKeys are the provider's keys Settings reads.
var ProviderKeys = []string{
	"aws:region", "aws:profile", "aws:sharedConfigFiles", "aws:sharedCredentialsFiles",
	"aws:accessKey", "aws:secretKey", "aws:token", "aws:assumeRole", "aws:assumeRoleWithWebIdentity",
	"aws:stsRegion", "aws:endpoints", "aws:useFipsEndpoint", "aws:useDualstackEndpoint",
	"aws:httpProxy", "aws:httpsProxy", "aws:noProxy", "aws:customCaBundle", "aws:insecure",
	"aws:maxRetries", "aws:retryMode", "aws:ec2MetadataServiceEndpoint", "aws:ec2MetadataServiceEndpointMode",
	"aws:skipCredentialsValidation", "aws:skipRequestingAccountId", "aws:skipMetadataApiCheck",
}

// endpointKeys are the provider's aws:endpoints keys of each service the
// check calls, its own key first, then the aliases it accepts
// (pulumi-aws v6 sdk/go/aws/config Endpoints). "elb" and
// "elasticloadbalancing" are the Classic Load Balancer's, not these.
var endpointKeys = map[string][]string{
	"ecs":        {"ecs"},
	"elbv2":      {"elbv2", "elasticloadbalancingv2"},
	"logs":       {"logs", "cloudwatchlogs", "cloudwatchlog"},
	"sts":        {"sts"},
	"codedeploy": {"codedeploy", "deploy"},
}

// SettingsFrom reads Settings from stack config values by full key ("aws:profile"):
// strings as they are, lists and objects as JSON, as the Pulumi CLI hands
// them to a program.
func SettingsFrom(values map[string]string) (Settings, error) {
	s := Settings{
		Region: values["aws:region"], Profile: values["aws:profile"],
		AccessKey: values["aws:accessKey"], SecretKey: values["aws:secretKey"], Token: values["aws:token"],
		StsRegion: values["aws:stsRegion"], HTTPProxy: values["aws:httpProxy"], HTTPSProxy: values["aws:httpsProxy"],
		NoProxy: values["aws:noProxy"], CustomCABundle: values["aws:customCaBundle"], RetryMode: values["aws:retryMode"],
		EC2MetadataEndpoint: values["aws:ec2MetadataServiceEndpoint"], EC2MetadataEndpointMode: values["aws:ec2MetadataServiceEndpointMode"],
	}
	for key, dst := range map[string]any{
		"aws:sharedConfigFiles":         &s.SharedConfigFiles,
		"aws:sharedCredentialsFiles":    &s.SharedCredentialsFiles,
		"aws:assumeRole":                &s.AssumeRole,
		"aws:assumeRoleWithWebIdentity": &s.AssumeRoleWithWebIdentity,
	} {
		if raw := values[key]; raw != "" {
			if err := json.Unmarshal([]byte(raw), dst); err != nil {
				return s, fmt.Errorf("%s: not what the AWS provider takes: %v", key, err)
			}
		}
	}
	for key, dst := range map[string]*bool{
		"aws:useFipsEndpoint": &s.UseFIPSEndpoint, "aws:useDualstackEndpoint": &s.UseDualstackEndpoint, "aws:insecure": &s.Insecure,
		"aws:skipMetadataApiCheck": &s.SkipMetadataAPICheck,
	} {
		if raw := values[key]; raw != "" {
			v, err := strconv.ParseBool(raw)
			if err != nil {
				return s, fmt.Errorf("%s: %q is not true or false", key, raw)
			}
			*dst = v
		}
	}
	for _, key := range []string{"aws:skipCredentialsValidation", "aws:skipRequestingAccountId"} {
		if v, err := strconv.ParseBool(values[key]); err == nil && v {
			s.SkipIdentity = true
		}
	}
	if raw := values["aws:maxRetries"]; raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return s, fmt.Errorf("aws:maxRetries: %q is not a count", raw)
		}
		s.MaxRetries = n
	}
	if s.RetryMode != "" && s.RetryMode != "standard" && s.RetryMode != "adaptive" {
		return s, fmt.Errorf("aws:retryMode: %q: the provider takes standard or adaptive", s.RetryMode)
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

// endpoint is the custom endpoint of a service the check calls (ecs, elbv2,
// logs, sts, codedeploy), by the first of the provider's keys for it that
// has one.
func (s Settings) endpoint(service string) *string {
	for _, k := range endpointKeys[service] {
		if u := s.Endpoints[k]; u != "" {
			return aws.String(u)
		}
	}
	return nil
}

// Load builds the AWS SDK configuration of s, checks that credentials can be
// had, and returns the clients the rollout check reads with, knowing whom
// they act as (sts:GetCallerIdentity, which needs no permission; unknown when
// STS cannot be reached or the provider's settings skip it).
func Load(ctx context.Context, s Settings) (Clients, error) {
	cfg, err := s.config(ctx)
	if err != nil {
		return Clients{}, err
	}
	if cfg.Region == "" {
		return Clients{}, fmt.Errorf("no AWS region: set aws:region in the stack file, or AWS_REGION")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if s.assumes() && !Permanent(err) {
			// The role could not be assumed because STS did not answer: the
			// credentials may be fine.
			return Clients{}, fmt.Errorf("%w: %v", ErrSTSUnreachable, err)
		}
		return Clients{}, fmt.Errorf("%w: %v", ErrNoCredentials, err)
	}
	c := Clients{
		ECS: ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = or(s.endpoint("ecs"), o.BaseEndpoint) }),
		ELB: elb.NewFromConfig(cfg, func(o *elb.Options) { o.BaseEndpoint = or(s.endpoint("elbv2"), o.BaseEndpoint) }),
		Logs: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
			o.BaseEndpoint = or(s.endpoint("logs"), o.BaseEndpoint)
		}),
		STS: s.stsClient(cfg),
		CodeDeploy: codedeploy.NewFromConfig(cfg, func(o *codedeploy.Options) {
			o.BaseEndpoint = or(s.endpoint("codedeploy"), o.BaseEndpoint)
		}),
	}
	if !s.SkipIdentity {
		if _, arn, err := c.Account(ctx); err == nil {
			c.Identity = arn
		}
	}
	return c, nil
}

// assumes reports whether the credentials come from STS (a role assumed).
func (s Settings) assumes() bool {
	return (s.AssumeRole != nil && s.AssumeRole.RoleArn != "") || (s.AssumeRoleWithWebIdentity != nil && s.AssumeRoleWithWebIdentity.RoleArn != "")
}

// stsClient is STS as the provider calls it: aws:stsRegion's endpoint when
// set, else the region's.
func (s Settings) stsClient(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		if s.StsRegion != "" {
			o.Region = s.StsRegion
		}
		o.BaseEndpoint = or(s.endpoint("sts"), o.BaseEndpoint)
	})
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
	if s.UseFIPSEndpoint {
		opts = append(opts, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
	}
	if s.UseDualstackEndpoint {
		opts = append(opts, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
	}
	if s.MaxRetries > 0 {
		// The provider passes it to the SDK as is: "the maximum number of
		// times an AWS API request is being executed" (aws-sdk-go-base
		// WithRetryMaxAttempts).
		opts = append(opts, config.WithRetryMaxAttempts(s.MaxRetries))
	}
	if s.SkipMetadataAPICheck {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if s.RetryMode != "" {
		opts = append(opts, config.WithRetryMode(aws.RetryMode(s.RetryMode)))
	}
	if s.EC2MetadataEndpoint != "" {
		opts = append(opts, config.WithEC2IMDSEndpoint(s.EC2MetadataEndpoint))
	}
	if s.EC2MetadataEndpointMode != "" {
		mode := imds.EndpointModeStateIPv4
		if strings.EqualFold(s.EC2MetadataEndpointMode, "IPv6") {
			mode = imds.EndpointModeStateIPv6
		}
		opts = append(opts, config.WithEC2IMDSEndpointMode(mode))
	}
	if s.CustomCABundle != "" {
		bundle, err := os.ReadFile(expandHome([]string{s.CustomCABundle})[0])
		if err != nil {
			return aws.Config{}, fmt.Errorf("aws:customCaBundle: %w", err)
		}
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(bundle)))
	}
	if s.HTTPProxy != "" || s.HTTPSProxy != "" || s.NoProxy != "" || s.Insecure {
		opts = append(opts, config.WithHTTPClient(s.httpClient()))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("AWS configuration: %w", err)
	}
	if w := s.AssumeRoleWithWebIdentity; w != nil && w.RoleArn != "" {
		if cfg.Credentials, err = w.credentials(s.stsClient(cfg)); err != nil {
			return cfg, err
		}
	}
	if r := s.AssumeRole; r != nil && r.RoleArn != "" {
		if cfg.Credentials, err = r.credentials(s.stsClient(cfg)); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// httpClient goes through the provider's proxies (else the environment's),
// and skips TLS verification with aws:insecure, as the provider does.
func (s Settings) httpClient() *awshttp.BuildableClient {
	proxies := httpproxy.FromEnvironment()
	if s.HTTPProxy != "" {
		proxies.HTTPProxy = s.HTTPProxy
	}
	if s.HTTPSProxy != "" {
		proxies.HTTPSProxy = s.HTTPSProxy
	}
	if s.NoProxy != "" {
		proxies.NoProxy = s.NoProxy
	}
	proxy := proxies.ProxyFunc()
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
		if s.Insecure {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{}
			}
			tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the provider's aws:insecure, asked for by the user
		}
	})
}

func parseDuration(key, d string) (time.Duration, error) {
	if d == "" {
		return 0, nil
	}
	v, err := time.ParseDuration(d)
	if err != nil {
		return 0, fmt.Errorf("%s.duration %q: %v", key, d, err)
	}
	return v, nil
}

func (r *AssumeRole) credentials(client *sts.Client) (aws.CredentialsProvider, error) {
	duration, err := parseDuration("aws:assumeRole", r.Duration)
	if err != nil {
		return nil, err
	}
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, r.RoleArn, func(o *stscreds.AssumeRoleOptions) {
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
	})), nil
}

func (w *WebIdentity) credentials(client *sts.Client) (aws.CredentialsProvider, error) {
	duration, err := parseDuration("aws:assumeRoleWithWebIdentity", w.Duration)
	if err != nil {
		return nil, err
	}
	var token stscreds.IdentityTokenRetriever = stscreds.IdentityTokenFile(expandHome([]string{w.WebIdentityTokenFile})[0])
	if w.WebIdentityToken != "" {
		token = literalToken(w.WebIdentityToken)
	} else if w.WebIdentityTokenFile == "" {
		return nil, fmt.Errorf("aws:assumeRoleWithWebIdentity: give webIdentityToken or webIdentityTokenFile")
	}
	return aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(client, w.RoleArn, token, func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = w.SessionName
		if o.RoleSessionName == "" {
			o.RoleSessionName = "alba-digi-rollout-check"
		}
		if w.Policy != "" {
			o.Policy = aws.String(w.Policy)
		}
		if duration > 0 {
			o.Duration = duration
		}
		for _, a := range w.PolicyArns {
			o.PolicyARNs = append(o.PolicyARNs, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
		}
	})), nil
}

// literalToken is a web identity token given in the stack config.
type literalToken string

func (t literalToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

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
