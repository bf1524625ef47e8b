package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContainerDefinition is the subset of ECS's container definition this stack
// sets, with the API's JSON names. Tests decode it strictly into the AWS SDK's
// own type, so a misspelt key fails them.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
type ContainerDefinition struct {
	Name                   string           `json:"name"`
	Image                  string           `json:"image"`
	Essential              bool             `json:"essential"`
	MemoryReservation      int              `json:"memoryReservation"`
	PortMappings           []PortMapping    `json:"portMappings"`
	Environment            []KeyValuePair   `json:"environment,omitempty"`
	Secrets                []Secret         `json:"secrets,omitempty"`
	LogConfiguration       LogConfiguration `json:"logConfiguration"`
	ReadonlyRootFilesystem bool             `json:"readonlyRootFilesystem,omitempty"`
	User                   string           `json:"user,omitempty"`
	HealthCheck            *HealthCheck     `json:"healthCheck,omitempty"`
	LinuxParameters        *LinuxParameters `json:"linuxParameters,omitempty"`
	MountPoints            []MountPoint     `json:"mountPoints,omitempty"`
}

// PortMapping maps a container port; with awsvpc the host port equals it.
type PortMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

// KeyValuePair is a plain environment variable.
type KeyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Secret is an environment variable read by ECS from SSM or Secrets Manager.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// LogConfiguration sends the container's output to CloudWatch Logs.
type LogConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

// HealthCheck is the container's own health check, run by the ECS agent.
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

// MountPoint mounts a task volume into the container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// tmpVolume is the task's scratch volume, mounted on /tmp when the root
// filesystem is read-only so that programs that write temporary files still run.
const tmpVolume = "tmp"

// LinuxParameters holds the init process flag ECS Exec recommends.
type LinuxParameters struct {
	InitProcessEnabled bool `json:"initProcessEnabled"`
}

// containerDefinitions returns the JSON of the task's single container.
func (c Config) containerDefinitions(logGroup, region string) (string, error) {
	def := ContainerDefinition{
		Name:              c.ContainerName,
		Image:             c.Image,
		Essential:         true,
		MemoryReservation: c.MemoryReservation,
		PortMappings:      []PortMapping{{ContainerPort: c.ContainerPort, HostPort: c.ContainerPort, Protocol: "tcp"}},
		LogConfiguration: LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group":         logGroup,
			"awslogs-region":        region,
			"awslogs-stream-prefix": c.Name,
		}},
		ReadonlyRootFilesystem: c.ReadonlyRootFilesystem,
		User:                   c.User,
	}
	for _, name := range slices.Sorted(maps.Keys(c.Environment)) {
		def.Environment = append(def.Environment, KeyValuePair{Name: name, Value: c.Environment[name]})
	}
	for _, name := range slices.Sorted(maps.Keys(c.Secrets)) {
		def.Secrets = append(def.Secrets, Secret{Name: name, ValueFrom: c.Secrets[name]})
	}
	if c.ContainerHealthCheckCommand != "" {
		// ECS's defaults, written out; the start period covers the load balancer's
		// grace period so a slow start is not killed twice.
		def.HealthCheck = &HealthCheck{
			Command:     []string{"CMD-SHELL", c.ContainerHealthCheckCommand},
			Interval:    30,
			Timeout:     5,
			Retries:     3,
			StartPeriod: min(c.HealthCheckGracePeriodSeconds, 300),
		}
	}
	if c.ReadonlyRootFilesystem {
		def.MountPoints = []MountPoint{{SourceVolume: tmpVolume, ContainerPath: "/tmp"}}
	}
	if c.EnableExecuteCommand {
		def.LinuxParameters = &LinuxParameters{InitProcessEnabled: true}
	}
	b, err := json.Marshal([]ContainerDefinition{def})
	if err != nil {
		return "", fmt.Errorf("container definitions: %w", err)
	}
	return string(b), nil
}

// taskDefinition registers the task family. Any change to a task definition
// registers a new revision (Pulumi shows a replacement): the new revision is
// created first, the service rolls to it, then the old one is deregistered, so
// a new image tag never replaces the service.
func (s *stack) taskDefinition(cluster *clusterResources, roles *taskRoles) (*ecs.TaskDefinition, error) {
	c := s.cfg
	containers := pulumi.All(cluster.logGroup.Name, s.region).ApplyT(func(args []any) (string, error) {
		return c.containerDefinitions(args[0].(string), args[1].(string))
	}).(pulumi.StringOutput)
	args := &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(s.names.TaskFamily),
		Cpu:                     pulumi.String(fmt.Sprint(c.CPU)),
		Memory:                  pulumi.String(fmt.Sprint(c.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.ToStringArray([]string{"FARGATE"}),
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(c.CPUArchitecture),
		},
		ExecutionRoleArn:     roles.execution,
		TaskRoleArn:          roles.task,
		ContainerDefinitions: containers,
		Tags:                 s.tags(s.names.TaskFamily),
	}
	if c.ReadonlyRootFilesystem {
		// A bind-mount volume lives in the task's ephemeral storage.
		args.Volumes = ecs.TaskDefinitionVolumeArray{ecs.TaskDefinitionVolumeArgs{Name: pulumi.String(tmpVolume)}}
	}
	return ecs.NewTaskDefinition(s.ctx, s.names.TaskFamily, args)
}
