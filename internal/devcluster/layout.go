package devcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Layout names the files of an embedded cluster's folder.
type Layout struct{ Dir string }

// ControlPlaneDir keeps the certificates, etcd data, component logs and
// the kubeconfig.
func (l Layout) ControlPlaneDir() string { return filepath.Join(l.Dir, "control-plane") }

// Kubeconfig is the admin kubeconfig of the cluster.
func (l Layout) Kubeconfig() string { return filepath.Join(l.ControlPlaneDir(), "kubeconfig") }

// NodeDir keeps the node agent's per-pod state and container logs.
func (l Layout) NodeDir() string { return filepath.Join(l.Dir, "node") }

// S3Dir is the S3 server's folder: data/<bucket>/<key> are the objects,
// iam/ its accounts.
func (l Layout) S3Dir() string { return filepath.Join(l.Dir, "s3") }

// S3CredentialsFile is the AWS shared credentials file (0600) of the S3
// server's root account (config.DevS3CredentialsFile).
func (l Layout) S3CredentialsFile() string { return filepath.Join(l.S3Dir(), "credentials") }

// S3LogFile is the S3 server's output.
func (l Layout) S3LogFile() string { return filepath.Join(l.S3Dir(), "versitygw.log") }

// LogFile is the supervisor's progress log.
func (l Layout) LogFile() string { return filepath.Join(l.Dir, "supervisor.log") }

func (l Layout) stateFile() string { return filepath.Join(l.Dir, "state.json") }

// State is what a running supervisor publishes about its cluster.
type State struct {
	PID        int       `json:"pid"`
	PIDStart   uint64    `json:"pidStart"` // the supervisor's start time, see startTime
	Ready      bool      `json:"ready"`
	APIServer  string    `json:"apiServer"`
	Kubeconfig string    `json:"kubeconfig"`
	Node       string    `json:"node"`
	PodCIDR    string    `json:"podCIDR"`
	Network    string    `json:"network"` // "routed" or "loopback"
	StartedAt  time.Time `json:"startedAt"`
	S3         *S3State  `json:"s3,omitempty"` // once the S3 server answers
}

// S3State is how to reach the cluster's S3 server. The secret key is only
// in CredentialsFile (0600): the state file is world-readable and status
// output ends up in logs.
type S3State struct {
	Endpoint        string `json:"endpoint"`
	Region          string `json:"region"`
	PathStyle       bool   `json:"pathStyle"`
	Bucket          string `json:"bucket"`
	AccessKeyID     string `json:"accessKeyId"`
	CredentialsFile string `json:"credentialsFile"`
}

// ReadState returns the published state; ok is false when no supervisor
// is running (no state, or its process is gone).
func (l Layout) ReadState() (st State, ok bool, err error) {
	data, err := os.ReadFile(l.stateFile())
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, false, fmt.Errorf("%s: %w", l.stateFile(), err)
	}
	return st, st.alive(), nil
}

func (l Layout) writeState(st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := l.stateFile() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, l.stateFile())
}

// alive reports whether the supervisor that wrote st still runs: its pid
// exists (EPERM too: a non-root caller may not signal it) and is the same
// process, not a later one that reused the pid.
func (st State) alive() bool {
	if st.PID <= 0 {
		return false
	}
	if err := syscall.Kill(st.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	t, err := startTime(st.PID)
	return err == nil && t == st.PIDStart
}
