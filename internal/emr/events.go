package emr

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// The EventBridge envelope of the state-change events that EMR on EKS
// emits for job runs, and that sparkplane delivers to webhooks and streams
// to `sparkplane runs --watch`.
const (
	// EventSource is the envelope's source.
	EventSource = "aws.emr-containers"
	// JobRunStateChangeType is the envelope's detail-type.
	JobRunStateChangeType = "EMR Job Run State Change"
	// eventTimeLayout is how EventBridge writes an event's time.
	eventTimeLayout = "2006-01-02T15:04:05Z"
)

// JobRunStateChange is the detail of a job run's state-change event: the
// run as it was when it entered State. Sequence numbers the state changes
// of one run from 1 (PENDING), so a receiver can check their order; it is
// sparkplane's, EMR on EKS has no such field (0 until the store numbers it).
type JobRunStateChange struct {
	VirtualClusterID string        `json:"virtualClusterId"`
	ID               string        `json:"id"`
	Name             string        `json:"name,omitempty"`
	State            JobRunState   `json:"state"`
	FailureReason    FailureReason `json:"failureReason,omitempty"`
	StateDetails     string        `json:"stateDetails,omitempty"`
	CreatedBy        string        `json:"createdBy,omitempty"`
	ReleaseLabel     string        `json:"releaseLabel,omitempty"`
	ExecutionRoleARN string        `json:"executionRoleArn,omitempty"`
	Sequence         int64         `json:"sequence"`
	// At is when the run entered State, where it is known before the
	// change is stored.
	At time.Time `json:"-"`
}

// NewJobRunStateChange is the detail of run's entering its current state,
// the seq-th state change of the run.
func NewJobRunStateChange(run *JobRun, seq int64) JobRunStateChange {
	return JobRunStateChange{
		VirtualClusterID: run.VirtualClusterID,
		ID:               run.ID,
		Name:             run.Name,
		State:            run.State,
		FailureReason:    run.FailureReason,
		StateDetails:     run.StateDetails,
		CreatedBy:        run.CreatedBy,
		ReleaseLabel:     run.ReleaseLabel,
		ExecutionRoleARN: run.ExecutionRoleARN,
		Sequence:         seq,
	}
}

// Event is an EventBridge event carrying a job run's state change, as EMR
// on EKS emits it.
type Event struct {
	Version    string            `json:"version"`
	ID         string            `json:"id"`
	DetailType string            `json:"detail-type"`
	Source     string            `json:"source"`
	Account    string            `json:"account"`
	Time       string            `json:"time"`
	Region     string            `json:"region"`
	Resources  []string          `json:"resources"`
	Detail     JobRunStateChange `json:"detail"`
}

// NewEvent wraps the state change d of the run whose ARN is runARN, which
// happened at at, in its envelope. The event's id is derived from the
// run's ARN and the change's sequence number, so every delivery of one
// change carries the same id and receivers can drop duplicates by it.
func NewEvent(runARN string, at time.Time, d JobRunStateChange) Event {
	account, region := "", ""
	if fields := strings.SplitN(runARN, ":", 6); len(fields) == 6 {
		region, account = fields[3], fields[4]
	}
	return Event{
		Version:    "0",
		ID:         EventID(runARN, d.Sequence),
		DetailType: JobRunStateChangeType,
		Source:     EventSource,
		Account:    account,
		Time:       at.UTC().Format(eventTimeLayout),
		Region:     region,
		Resources:  []string{runARN},
		Detail:     d,
	}
}

// EventID is the id of the seq-th state change of the run runARN: a hash of
// both, written as a UUID (version 8, RFC 9562's custom variant).
func EventID(runARN string, seq int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", runARN, seq))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
