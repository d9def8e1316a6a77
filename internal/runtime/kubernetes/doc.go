// Package kubernetes runs job runs on a Kubernetes cluster the way EMR on EKS
// does: in the virtual cluster's namespace it creates the service accounts
// and RBAC of the execution role, a batch/v1 Job (the job runner) whose pod
// runs spark-submit in cluster mode, and the ConfigMaps that job runner
// reads (spark-defaults.conf and the driver and executor pod templates), all
// with EMR's names and labels. Spark then creates the driver pod, and the
// driver its executors. In native submission (emr.SubmitNative, per run or
// Options.SubmissionMode) the runtime creates the driver pod, its
// ConfigMaps and headless Service itself, as Spark's submission client
// would, and no job runner runs (native.go, nativespec.go).
//
// Runs are tracked by watching (shared informers on Jobs and Pods that carry
// the job-id label, one set per namespace), and Observe maps what the
// cluster shows to a runtime.Observation. Every method is idempotent:
// objects are named after the job run id, so a restarted server finds what
// it created instead of creating it twice.
//
// Security: the run's service accounts carry eks.amazonaws.com/role-arn (IRSA,
// as on EMR); a role mapped to a Kubernetes secret (Options.Roles) gets it as
// the environment of its job runner, driver and executor containers, and a
// Role granting "use" of it to its client and driver accounts, which the
// admission policies of deploy/admission check. Pod templates are read only
// from Options.PodTemplateDirs or from S3 with the credentials of the run's
// execution role (Options.S3, s3template.go), and refused when they reach the node
// (templatecheck.go) unless Options.AllowPrivilegedPodTemplates. What the
// runtime calls is exactly deploy/rbac (access.go's required).
//
// Logs: the job runner's and driver's pod logs are streamed from the API
// server while the pods exist (any server can), and put into the
// LogArchive when an attempt ends (CollectLogs), before the pods go. When
// the driver or job runner fails, Observe reads the end of its log for the
// exception that explains it (runtime.FailureSummary: an S3A error of code
// in S3, a Python error) and adds it to the failure's details. With
// Options.Ship, every pod's log (executors included) is followed and
// shipped to the run's monitoringConfiguration destinations (ship.go).
package kubernetes
