package kubernetes

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Label keys EMR on EKS puts on every object of a job run; cost tools and
// dashboards key on them.
const (
	LabelJobID          = "emr-containers.amazonaws.com/job.id"
	LabelVirtualCluster = "emr-containers.amazonaws.com/virtual-cluster-id"
	LabelResourceType   = "emr-containers.amazonaws.com/resource.type"
	LabelComponent      = "emr-containers.amazonaws.com/component"
	LabelConfiguration  = "emr-containers.amazonaws.com/job.configuration"
	// LabelAttempt tells apart the objects of a run's driver attempts
	// (retryPolicyConfiguration); it is sparkplane's own.
	LabelAttempt = "sparkplane.io/attempt"
)

// Component label values.
const (
	ComponentSubmitter = "job.submitter"
	ComponentDriver    = "driver"
	ComponentExecutor  = "executor"
)

// Names of the per-run objects.
func sparkDefaultsName(jobID string) string { return jobID + "-spark-defaults" }
func podTemplateName(jobID string) string   { return "podtemplate-" + jobID }

// JobName is the name of the job runner Job of a run's attempt: the run id
// for the first attempt, <id>-<attempt> for the later ones. The run's
// ConfigMaps are named after it.
func JobName(run *emr.JobRun) string {
	if n := run.Attempt(); n > 1 {
		return fmt.Sprintf("%s-%d", run.ID, n)
	}
	return run.ID
}

// DriverPodName is the name Spark gives the driver pod of a run's attempt:
// spark-<id>-driver, with the attempt as a suffix from the second one on.
func DriverPodName(run *emr.JobRun) string {
	if n := run.Attempt(); n > 1 {
		return fmt.Sprintf("spark-%s-driver-%d", run.ID, n)
	}
	return "spark-" + run.ID + "-driver"
}

// Role and RoleBinding names, one Role per namespace and component.
const (
	roleClient = "emr-containers-role-spark-client"
	roleDriver = "emr-containers-role-spark-driver"
)

// identity is the execution role of a run as Kubernetes sees it.
type identity struct {
	account  string // 12-digit AWS account of the role
	roleName string // last path element of the role ARN
}

func parseRole(arn string) (identity, error) {
	// arn:aws:iam::123456789012:role/path/name
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "role/") {
		return identity{}, fmt.Errorf("execution role %q is not an IAM role ARN", arn)
	}
	path := strings.TrimPrefix(parts[5], "role/")
	name := path[strings.LastIndex(path, "/")+1:]
	if name == "" {
		return identity{}, fmt.Errorf("execution role %q has no role name", arn)
	}
	return identity{account: parts[4], roleName: name}, nil
}

// serviceAccount is the name EMR (and the AWS CLI's update-role-trust-policy)
// gives the service account of one Spark component for an execution role.
func (id identity) serviceAccount(component string) string {
	return fmt.Sprintf("emr-containers-sa-spark-%s-%s-%s", component, id.account, emr.Base36(id.roleName))
}

func (id identity) roleBinding(component string) string {
	return fmt.Sprintf("emr-containers-rb-spark-%s-%s-%s", component, id.account, emr.Base36(id.roleName))
}

// runLabels are the labels of every object of a run's attempt.
func runLabels(vcID, jobID string, attempt int) map[string]string {
	return map[string]string{LabelJobID: jobID, LabelVirtualCluster: vcID, LabelAttempt: strconv.Itoa(attempt)}
}

// podLabels are the labels of a run's pods of one component.
func podLabels(vcID, jobID string, attempt int, component string) map[string]string {
	l := runLabels(vcID, jobID, attempt)
	l[LabelResourceType] = "job.run"
	l[LabelComponent] = component
	return l
}
