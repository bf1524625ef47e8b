package diff

import "strings"

// replacingProperties lists, for the resource types this stack declares, the
// input properties whose change makes the AWS provider replace the resource
// instead of updating it (the Terraform schema's ForceNew, which Pulumi shows
// as "replace"). "*" means any change replaces: an ECS task definition is
// immutable, and every change registers a new revision.
// Sources, the provider's documentation of each resource (and its schema,
// hashicorp/terraform-provider-aws internal/service/<service>/<resource>.go,
// where a field is ForceNew):
// https://www.pulumi.com/registry/packages/aws/api-docs/lb/targetgroup/ (port, protocol, targetType, vpcId, name),
// https://www.pulumi.com/registry/packages/aws/api-docs/lb/loadbalancer/ (name, internal, loadBalancerType),
// https://www.pulumi.com/registry/packages/aws/api-docs/ecs/service/ (name, cluster, launchType),
// https://www.pulumi.com/registry/packages/aws/api-docs/ecs/taskdefinition/ (every argument),
// https://www.pulumi.com/registry/packages/aws/api-docs/wafv2/webacl/ (name, namePrefix, scope),
// and the same pages for the other types below.
var replacingProperties = map[string][]string{
	"aws:lb/targetGroup:TargetGroup":   {"name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"},
	"aws:lb/loadBalancer:LoadBalancer": {"name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"},
	"aws:lb/listener:Listener":         {"loadBalancerArn"},
	// A service's capacityProviderStrategies is not listed: the program sets
	// forceNewDeployment for the update that changes it from one share to
	// another, so the provider updates it in place; from none to some, or
	// back, launchType changes too, which is listed (infra/replacement.go).
	// deploymentController forces a new service (terraform-provider-aws
	// aws_ecs_service: deployment_controller is ForceNew).
	"aws:ecs/service:Service": {"name", "cluster", "launchType", "schedulingStrategy", "iamRole", "deploymentController"},
	// CodeDeploy (terraform-provider-aws internal/service/deploy): an
	// application's computePlatform is ForceNew, its name updates in place
	// (UpdateApplication); a deployment configuration has no update at all,
	// every argument is ForceNew; a deployment group has no ForceNew
	// argument (UpdateDeploymentGroup renames it, and changes the rest).
	"aws:codedeploy/application:Application":                                                     {"computePlatform"},
	"aws:codedeploy/deploymentConfig:DeploymentConfig":                                           {"*"},
	"aws:ecs/taskDefinition:TaskDefinition":                                                      {"*"},
	"aws:ecs/cluster:Cluster":                                                                    {"name"},
	"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":                                  {"clusterName"},
	"aws:cloudwatch/logGroup:LogGroup":                                                           {"name", "namePrefix", "logGroupClass"},
	"aws:ec2/securityGroup:SecurityGroup":                                                        {"name", "namePrefix", "description", "vpcId"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":                                  {"securityGroupId"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":                                    {"securityGroupId"},
	"aws:iam/role:Role":                                                                          {"name", "namePrefix", "path"},
	"aws:iam/rolePolicy:RolePolicy":                                                              {"name", "namePrefix", "role"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                                          {"role", "policyArn"},
	"aws:appautoscaling/target:Target":                                                           {"resourceId", "scalableDimension", "serviceNamespace"},
	"aws:appautoscaling/policy:Policy":                                                           {"name", "resourceId", "scalableDimension", "serviceNamespace"},
	"aws:s3/bucketV2:BucketV2":                                                                   {"bucket", "bucketPrefix", "objectLockEnabled"},
	"aws:s3/bucketPolicy:BucketPolicy":                                                           {"bucket"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     {"bucket"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       {"bucket", "expectedBucketOwner"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":                                                     {"name", "namePrefix"},
	"aws:cloudwatch/dashboard:Dashboard":                                                         {"dashboardName"},
	"aws:sns/topic:Topic":                                                                        {"name", "namePrefix", "fifoTopic"},
	"aws:sns/topicSubscription:TopicSubscription":                                                {"topic", "protocol", "endpoint"},
	"aws:acm/certificate:Certificate":                                                            {"domainName", "validationMethod", "subjectAlternativeNames", "keyAlgorithm"},
	"aws:acm/certificateValidation:CertificateValidation":                                        {"certificateArn", "validationRecordFqdns"},
	"aws:route53/record:Record":                                                                  {"name", "type", "zoneId"},
	"aws:wafv2/webAcl:WebAcl":                                                                    {"name", "namePrefix", "scope"},
	"aws:wafv2/webAclAssociation:WebAclAssociation":                                              {"resourceArn", "webAclArn"},
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":                            {"resourceArn", "logDestinationConfigs"},
	"aws:cloudwatch/logResourcePolicy:LogResourcePolicy":                                         {"policyName"},
	"awsx:ec2:Vpc": {"cidrBlock", "numberOfAvailabilityZones", "availabilityZoneNames", "subnetSpecs", "subnetStrategy"},
}

// acceptedBy names, by type and top-level property, the key without which
// preview and up refuse a replacement the program can see coming
// (infra/replacement.go): the service's controller (a switch between the
// rolling strategy and a CodeDeploy one) and its launch type (Fargate Spot
// from none to some, or back).
var acceptedBy = map[string]map[string]string{
	"aws:ecs/service:Service": {"deploymentController": "acceptServiceReplacement", "launchType": "acceptServiceReplacement"},
}

// criticalTypes are the resources whose replacement means downtime or a new
// DNS name for the API: a reviewer must see it first.
var criticalTypes = map[string]string{
	"aws:lb/loadBalancer:LoadBalancer": "a new load balancer: a new DNS name, and clients of the old one fail",
	"aws:lb/targetGroup:TargetGroup":   "a new target group: tasks re-register and pass health checks again",
	"aws:lb/listener:Listener":         "a new listener: the port closes while it is replaced",
	"aws:ecs/service:Service":          "the service is deleted before its replacement starts: the API is down until new tasks are healthy",
}

// accepted is the key that accepts a replacement at path of a resource of
// type typ ("" when none is needed).
func accepted(typ, path string) string {
	return acceptedBy[typ][topProperty(path)]
}

// topProperty is the top-level property of a flattened path.
func topProperty(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// Replaces reports whether a change of the top-level input property of a
// resource of type typ makes the provider replace it.
func Replaces(typ, property string) bool { return replaces(typ, property) }

// replaces reports whether a change at path (a flattened property path) of a
// resource of type typ replaces it.
func replaces(typ, path string) bool {
	top := topProperty(path)
	if top == "tags" || top == "tagsAll" {
		return false
	}
	for _, p := range replacingProperties[typ] {
		if p == "*" || p == top {
			return true
		}
	}
	return false
}
