// Package release is how a new revision of the API reaches users and how
// `pulumi up` knows that it did: the release strategies side by side, and
// what they share. It calls AWS with the AWS SDK for Go v2, honouring the
// SDK's standard settings (credential chain, AWS_REGION, AWS_ENDPOINT_URL) and
// the provider's own (settings.go), so the same code runs against AWS or a
// local stand-in.
//
//   - rolling.go: ECS's rolling update with its circuit breaker: follow the
//     deployment an update started until its own tasks are healthy targets, or
//     fail with the diagnosis.
//   - history.go: the service deployments ECS keeps (90 days), for the
//     diagnosis.
//   - diagnose.go, causes.go, report.go: why a rollout failed, from the four
//     places AWS keeps the reasons (service events, stopped tasks, target
//     health, the container's log stream), and the config key that fixes it.
//   - settings.go, clients.go: the identity and endpoints the provider
//     deploys with, and the clients built from them.
package release
