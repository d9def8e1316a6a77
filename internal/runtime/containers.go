package runtime

// ContainerLog is one container of a run whose logs can be read by its
// name (the pod's): the job runner, the driver or an executor.
type ContainerLog struct {
	// Name is the pod's name (a local run: its driver's, see
	// internal/runtime/local/ship.go).
	Name string `json:"name"`
	// Role is "job-runner", "driver" or "executor".
	Role string `json:"role"`
	// SparkApplicationID is the Spark application id of a driver or an
	// executor.
	SparkApplicationID string `json:"sparkApplicationId,omitempty"`
	// Streams are the streams it has: "stdout", "stderr".
	Streams []string `json:"streams"`
	// Location says where its logs are read from: an s3:// URI of its
	// folder, or "live" while it runs and nothing is shipped yet.
	Location string `json:"location"`
}
