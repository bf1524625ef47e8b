// Package release is how a new revision of the API reaches users and how
// `pulumi up` knows that it did: the release strategies side by side, and
// what they share. It calls AWS with the AWS SDK for Go v2, honouring the
// SDK's standard settings (credential chain, AWS_REGION, AWS_ENDPOINT_URL) and
// the provider's own (settings.go), so the same code runs against AWS or a
// local stand-in.
//
//   - converge.go: the convergence rule (ECS runs the declared task
//     definition as its one deployment, rolled out, every task healthy behind
//     the target group), read from ECS at every preview and up, and what up
//     does about a service that does not meet it.
//   - rolling.go: ECS's rolling update with its circuit breaker: deploy the
//     declared task definition when ECS runs another, follow the deployment
//     by id until the rule holds, and fail at the first stopped task whose
//     cause leaves no doubt.
//   - history.go: the service deployments ECS keeps (90 days), read in
//     pages and sorted, for the diagnosis.
//   - diagnose.go, causes.go, report.go: why a rollout failed, from the four
//     places AWS keeps the reasons (service events, stopped tasks, target
//     health, the container's log stream), and the config key that fixes it.
//   - errors.go: which failed calls to AWS pass (throttling, AWS's faults,
//     the network) and which name a missing permission and the identity.
//   - settings.go, clients.go: the identity, endpoints and network the
//     provider deploys with, and the clients built from them.
package release
