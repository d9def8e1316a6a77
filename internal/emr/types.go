package emr

import "time"

// VirtualClusterState is the lifecycle state of a virtual cluster.
type VirtualClusterState string

// Virtual cluster states of the service model.
const (
	VirtualClusterRunning     VirtualClusterState = "RUNNING"
	VirtualClusterTerminating VirtualClusterState = "TERMINATING"
	VirtualClusterTerminated  VirtualClusterState = "TERMINATED"
	VirtualClusterArrested    VirtualClusterState = "ARRESTED"
)

// ContainerProviderEKS is the only container provider type of the model.
const ContainerProviderEKS = "EKS"

// VirtualCluster maps a namespace of a registered cluster to an id that job
// runs are submitted to.
type VirtualCluster struct {
	ID                      string              `json:"id"`
	Name                    string              `json:"name"`
	ARN                     string              `json:"arn"`
	State                   VirtualClusterState `json:"state"`
	ContainerProvider       ContainerProvider   `json:"containerProvider"`
	CreatedAt               time.Time           `json:"createdAt"`
	Tags                    map[string]string   `json:"tags,omitempty"`
	SecurityConfigurationID string              `json:"securityConfigurationId,omitempty"`
	// SchedulerConfiguration limits the virtual cluster's runs; nil for none.
	SchedulerConfiguration *SchedulerConfiguration `json:"schedulerConfiguration,omitempty"`
	// SchedulerStatus is computed when the virtual cluster is described.
	SchedulerStatus *SchedulerStatus `json:"schedulerStatus,omitempty"`
}

// SchedulerConfiguration bounds the job runs of a virtual cluster: at most
// MaxConcurrentJobRuns SUBMITTED or RUNNING, the others waiting PENDING in
// order of creation; StartJobRun is refused once MaxInQueueJobRuns wait.
// A nil field is no limit.
type SchedulerConfiguration struct {
	MaxConcurrentJobRuns *int `json:"maxConcurrentJobRuns,omitempty"`
	MaxInQueueJobRuns    *int `json:"maxInQueueJobRuns,omitempty"`
}

// Limits returns the two limits, 0 where there is none.
func (s *SchedulerConfiguration) Limits() (concurrent, inQueue int) {
	if s == nil {
		return 0, 0
	}
	if s.MaxConcurrentJobRuns != nil {
		concurrent = *s.MaxConcurrentJobRuns
	}
	if s.MaxInQueueJobRuns != nil {
		inQueue = *s.MaxInQueueJobRuns
	}
	return concurrent, inQueue
}

// SchedulerStatus counts a virtual cluster's runs against its limits.
type SchedulerStatus struct {
	CurrentInQueueJobRuns    int `json:"currentInQueueJobRuns"`
	CurrentConcurrentJobRuns int `json:"currentConcurrentJobRuns"`
}

// ContainerProvider names the cluster and namespace a virtual cluster runs in.
type ContainerProvider struct {
	Type string         `json:"type"`
	ID   string         `json:"id"`
	Info *ContainerInfo `json:"info,omitempty"`
}

// Namespace returns the namespace of the provider, or "" when none was given.
func (c ContainerProvider) Namespace() string {
	if c.Info == nil || c.Info.EKSInfo == nil {
		return ""
	}
	return c.Info.EKSInfo.Namespace
}

// ContainerInfo is a union with one member, eksInfo.
type ContainerInfo struct {
	EKSInfo *EKSInfo `json:"eksInfo,omitempty"`
}

// EKSInfo carries the namespace of a virtual cluster.
type EKSInfo struct {
	Namespace string `json:"namespace,omitempty"`
	NodeLabel string `json:"nodeLabel,omitempty"`
}

// JobRun is one submission of a Spark application to a virtual cluster.
type JobRun struct {
	ID                       string                    `json:"id"`
	Name                     string                    `json:"name,omitempty"`
	VirtualClusterID         string                    `json:"virtualClusterId"`
	ARN                      string                    `json:"arn"`
	State                    JobRunState               `json:"state"`
	ClientToken              string                    `json:"clientToken,omitempty"`
	ExecutionRoleARN         string                    `json:"executionRoleArn,omitempty"`
	ReleaseLabel             string                    `json:"releaseLabel,omitempty"`
	ConfigurationOverrides   *ConfigurationOverrides   `json:"configurationOverrides,omitempty"`
	JobDriver                *JobDriver                `json:"jobDriver,omitempty"`
	CreatedAt                time.Time                 `json:"createdAt"`
	CreatedBy                string                    `json:"createdBy,omitempty"`
	FinishedAt               *time.Time                `json:"finishedAt,omitempty"`
	StateDetails             string                    `json:"stateDetails,omitempty"`
	FailureReason            FailureReason             `json:"failureReason,omitempty"`
	Tags                     map[string]string         `json:"tags,omitempty"`
	RetryPolicyConfiguration *RetryPolicyConfiguration `json:"retryPolicyConfiguration,omitempty"`
	RetryPolicyExecution     *RetryPolicyExecution     `json:"retryPolicyExecution,omitempty"`
	// CancelRequestedAt is when CancelJobRun asked for the run to stop; the
	// controller acts on it. Kept by the store apart from the rest of the
	// run, never on the wire.
	CancelRequestedAt *time.Time `json:"-"`
	// Changes are the states the run entered through Apply since it was
	// read, oldest first: the store writes a state-change event for each
	// when it writes the run, then clears them. Never on the wire.
	Changes []JobRunStateChange `json:"-"`
}

// JobDriver is a union: exactly one of its members is set.
type JobDriver struct {
	SparkSubmitJobDriver *SparkSubmitJobDriver `json:"sparkSubmitJobDriver,omitempty"`
	SparkSQLJobDriver    *SparkSQLJobDriver    `json:"sparkSqlJobDriver,omitempty"`
}

// SparkSubmitJobDriver runs an application through spark-submit.
type SparkSubmitJobDriver struct {
	EntryPoint            string   `json:"entryPoint"`
	EntryPointArguments   []string `json:"entryPointArguments,omitempty"`
	SparkSubmitParameters string   `json:"sparkSubmitParameters,omitempty"`
}

// SparkSQLJobDriver runs a SQL file through the spark-sql driver.
type SparkSQLJobDriver struct {
	EntryPoint         string `json:"entryPoint,omitempty"`
	SparkSQLParameters string `json:"sparkSqlParameters,omitempty"`
}

// ConfigurationOverrides carry the application configuration (classifications
// such as spark-defaults) and where logs go.
type ConfigurationOverrides struct {
	ApplicationConfiguration []Configuration          `json:"applicationConfiguration,omitempty"`
	MonitoringConfiguration  *MonitoringConfiguration `json:"monitoringConfiguration,omitempty"`
}

// Configuration is one classification with its properties and nested
// configurations.
type Configuration struct {
	Classification string            `json:"classification"`
	Properties     map[string]string `json:"properties,omitempty"`
	Configurations []Configuration   `json:"configurations,omitempty"`
}

// MonitoringConfiguration says where a run's logs go.
type MonitoringConfiguration struct {
	PersistentAppUI                   string                             `json:"persistentAppUI,omitempty"`
	CloudWatchMonitoringConfiguration *CloudWatchMonitoringConfiguration `json:"cloudWatchMonitoringConfiguration,omitempty"`
	S3MonitoringConfiguration         *S3MonitoringConfiguration         `json:"s3MonitoringConfiguration,omitempty"`
	ContainerLogRotationConfiguration *ContainerLogRotationConfiguration `json:"containerLogRotationConfiguration,omitempty"`
	ManagedLogs                       *ManagedLogs                       `json:"managedLogs,omitempty"`
}

// CloudWatchMonitoringConfiguration names a CloudWatch log group.
type CloudWatchMonitoringConfiguration struct {
	LogGroupName        string `json:"logGroupName"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix,omitempty"`
}

// S3MonitoringConfiguration names an S3 prefix for logs.
type S3MonitoringConfiguration struct {
	LogURI           string `json:"logUri"`
	EncryptionKeyARN string `json:"encryptionKeyArn,omitempty"`
}

// ContainerLogRotationConfiguration bounds container log files.
type ContainerLogRotationConfiguration struct {
	RotationSize   string `json:"rotationSize"`
	MaxFilesToKeep int    `json:"maxFilesToKeep"`
}

// ManagedLogs says whether the service keeps a copy of the logs.
type ManagedLogs struct {
	AllowAWSToRetainLogs string `json:"allowAWSToRetainLogs,omitempty"`
	EncryptionKeyARN     string `json:"encryptionKeyArn,omitempty"`
}

// RetryPolicyConfiguration bounds the driver attempts of a run.
type RetryPolicyConfiguration struct {
	MaxAttempts int `json:"maxAttempts"`
}

// RetryPolicyExecution reports the driver attempts made so far.
type RetryPolicyExecution struct {
	CurrentAttemptCount int `json:"currentAttemptCount"`
}

// Classification returns the properties of the top-level configuration with
// the given classification, merged in order, or nil when there is none.
func (c *ConfigurationOverrides) Classification(name string) map[string]string {
	if c == nil {
		return nil
	}
	var props map[string]string
	for _, cfg := range c.ApplicationConfiguration {
		if cfg.Classification != name {
			continue
		}
		if props == nil {
			props = make(map[string]string, len(cfg.Properties))
		}
		for k, v := range cfg.Properties {
			props[k] = v
		}
	}
	return props
}
