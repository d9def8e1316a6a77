// Package sandbox runs one container of a pod as a host process in its own
// mount and UTS namespaces.
//
// The node agent starts /proc/self/exe again (Command) in fresh namespaces
// with the container's Spec in an environment variable. Init, called first
// thing in main, recognises that variable: it makes the mount tree private,
// bind-mounts the volumes and the pod's hosts file, sets the hostname to the
// pod's, changes to the working directory and replaces itself with the
// container's command (execve). Mounts made this way are seen by the
// container's processes only; the host sees the (empty) mount points that had
// to be created.
package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// specEnv is the environment variable that carries the Spec to Init.
const specEnv = "SPARKPLANE_SANDBOX_SPEC"

// Exit codes of a sandbox that could not start its command.
const (
	// ExitSetup means the namespaces, mounts or working directory could not
	// be prepared.
	ExitSetup = 128
	// ExitNotFound means the command was not found or could not be run.
	ExitNotFound = 127
)

// Mount shows Source (a file or directory on the host) at Target inside the
// container.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Spec is what a container runs and sees.
type Spec struct {
	// Argv is the command; Argv[0] is looked up in Env's PATH when it has no
	// slash.
	Argv []string `json:"argv"`
	// Env is the container's whole environment (KEY=VALUE).
	Env []string `json:"-"`
	// Dir is the working directory, created when missing.
	Dir string `json:"dir,omitempty"`
	// Hostname is set in the container's UTS namespace.
	Hostname string `json:"hostname"`
	// HostsFile, when set, is bind-mounted over /etc/hosts.
	HostsFile string `json:"hostsFile,omitempty"`
	// Mounts are applied in order, so a mount may nest inside an earlier one.
	Mounts []Mount `json:"mounts,omitempty"`
	// CreatedLog, when set, is a file that gets one line per mount point
	// the sandbox had to create on the host (the topmost missing folder or
	// the empty file), so the node agent can remove them afterwards.
	CreatedLog string `json:"createdLog,omitempty"`
}

// Init turns the process into the container when it was started by Command,
// and returns at once otherwise. It must be called before anything else in
// main (and in TestMain of packages that start containers).
func Init() {
	data, ok := os.LookupEnv(specEnv)
	if !ok {
		return
	}
	os.Unsetenv(specEnv)
	var spec Spec
	if err := json.Unmarshal([]byte(data), &spec); err != nil {
		fail(ExitSetup, fmt.Errorf("decode spec: %w", err))
	}
	spec.Env = os.Environ()
	if err := setup(spec); err != nil {
		fail(ExitSetup, err)
	}
	path, err := lookPath(spec.Argv[0])
	if err != nil {
		fail(ExitNotFound, err)
	}
	err = execve(path, spec.Argv, spec.Env)
	fail(ExitNotFound, fmt.Errorf("exec %s: %w", spec.Argv[0], err))
}

func fail(code int, err error) {
	fmt.Fprintf(os.Stderr, "sparkplane sandbox: %v\n", err)
	os.Exit(code)
}

// lookPath finds argv0 as a shell would, in the container's PATH (which
// exec.LookPath reads from the environment, now the container's).
func lookPath(argv0 string) (string, error) {
	p, err := exec.LookPath(argv0)
	if err != nil {
		return "", fmt.Errorf("command %q: %w", argv0, err)
	}
	return p, nil
}
