package ack

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and version of the custom resources.
const (
	Group   = "emrcontainers.services.k8s.aws"
	Version = "v1alpha1"
)

// The resources of the custom resources.
var (
	JobRunResource         = schema.GroupVersionResource{Group: Group, Version: Version, Resource: "jobruns"}
	VirtualClusterResource = schema.GroupVersionResource{Group: Group, Version: Version, Resource: "virtualclusters"}
)

// The finalizers ACK puts on the resources it manages: a resource is gone
// only after its job run was cancelled or its virtual cluster deleted.
const (
	JobRunFinalizer         = "finalizers.emrcontainers.services.k8s.aws/JobRun"
	VirtualClusterFinalizer = "finalizers.emrcontainers.services.k8s.aws/VirtualCluster"
)

// JobRun is a job run declared as a custom resource.
type JobRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              JobRunSpec   `json:"spec,omitempty"`
	Status            JobRunStatus `json:"status,omitempty"`
}

// JobRunSpec is what StartJobRun is asked.
type JobRunSpec struct {
	Name              *string            `json:"name,omitempty"`
	VirtualClusterID  *string            `json:"virtualClusterID,omitempty"`
	VirtualClusterRef *Reference         `json:"virtualClusterRef,omitempty"`
	ExecutionRoleARN  *string            `json:"executionRoleARN,omitempty"`
	ExecutionRoleRef  *Reference         `json:"executionRoleRef,omitempty"`
	ReleaseLabel      *string            `json:"releaseLabel,omitempty"`
	JobDriver         *JobDriver         `json:"jobDriver,omitempty"`
	Tags              map[string]*string `json:"tags,omitempty"`
	// ConfigurationOverrides is the request's configurationOverrides as a
	// YAML (or JSON) document: its keys in either case.
	ConfigurationOverrides *string `json:"configurationOverrides,omitempty"`
}

// JobDriver is the job's driver.
type JobDriver struct {
	SparkSubmitJobDriver *SparkSubmitJobDriver `json:"sparkSubmitJobDriver,omitempty"`
}

// SparkSubmitJobDriver is a spark-submit job.
type SparkSubmitJobDriver struct {
	EntryPoint            *string   `json:"entryPoint,omitempty"`
	EntryPointArguments   []*string `json:"entryPointArguments,omitempty"`
	SparkSubmitParameters *string   `json:"sparkSubmitParameters,omitempty"`
}

// Reference names another custom resource (ACK's AWSResourceReferenceWrapper).
type Reference struct {
	From *ReferenceFrom `json:"from,omitempty"`
}

// ReferenceFrom is the name and namespace (default: the referrer's) of
// the resource referred to.
type ReferenceFrom struct {
	Name      *string `json:"name,omitempty"`
	Namespace *string `json:"namespace,omitempty"`
}

// JobRunStatus is the run as the API describes it.
type JobRunStatus struct {
	ACKResourceMetadata *ResourceMetadata `json:"ackResourceMetadata,omitempty"`
	Conditions          []Condition       `json:"conditions,omitempty"`
	ID                  *string           `json:"id,omitempty"`
	State               *string           `json:"state,omitempty"`
	StateDetails        *string           `json:"stateDetails,omitempty"`
}

// VirtualCluster is a virtual cluster declared as a custom resource.
type VirtualCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              VirtualClusterSpec   `json:"spec,omitempty"`
	Status            VirtualClusterStatus `json:"status,omitempty"`
}

// VirtualClusterSpec is what CreateVirtualCluster is asked.
type VirtualClusterSpec struct {
	Name              *string            `json:"name,omitempty"`
	ContainerProvider *ContainerProvider `json:"containerProvider,omitempty"`
	Tags              map[string]*string `json:"tags,omitempty"`
}

// ContainerProvider is the cluster and namespace the virtual cluster is on
// (its type under ACK's name, type_).
type ContainerProvider struct {
	ID   *string        `json:"id,omitempty"`
	Type *string        `json:"type_,omitempty"`
	Info *ContainerInfo `json:"info,omitempty"`
}

// ContainerInfo holds the namespace.
type ContainerInfo struct {
	EKSInfo *EKSInfo `json:"eksInfo,omitempty"`
}

// EKSInfo is the namespace (default "default").
type EKSInfo struct {
	Namespace *string `json:"namespace,omitempty"`
}

// VirtualClusterStatus is the virtual cluster the API created.
type VirtualClusterStatus struct {
	ACKResourceMetadata *ResourceMetadata `json:"ackResourceMetadata,omitempty"`
	Conditions          []Condition       `json:"conditions,omitempty"`
	ID                  *string           `json:"id,omitempty"`
}

// ResourceMetadata is ACK's ackResourceMetadata.
type ResourceMetadata struct {
	ARN            *string `json:"arn,omitempty"`
	OwnerAccountID string  `json:"ownerAccountID"`
	Region         string  `json:"region"`
	Partition      *string `json:"partition,omitempty"`
}
