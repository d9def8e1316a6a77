// Package ack reconciles the custom resources of AWS Controllers for
// Kubernetes' emrcontainers-controller (group emrcontainers.services.k8s.aws,
// version v1alpha1: VirtualCluster and JobRun) through sparkplane's own
// emr-containers API: a JobRun applied with kubectl starts a job run, its
// status follows the run, and deleting it cancels the run; a VirtualCluster
// creates and deletes a virtual cluster.
//
// The reconciler is an API client like any other: it calls the API's HTTP
// handler in process with the AWS SDK, signed as a configured principal,
// so every call passes the API's validation and authorization, and the
// controller stays the only writer of job-run state. Creation is
// idempotent (the object's UID is the client token), so a restart never
// starts a run twice.
package ack
