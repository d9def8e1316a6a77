package sandbox

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"syscall"
)

// Command returns the command that runs spec: this executable again, in new
// mount and UTS namespaces, as the leader of its own process group, killed
// when the calling thread's process dies. The caller sets Stdout and Stderr
// and starts it.
func Command(spec Spec) (*exec.Cmd, error) {
	if len(spec.Argv) == 0 {
		return nil, fmt.Errorf("sandbox: empty command")
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("sandbox: encode spec: %w", err)
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"sparkplane-sandbox"}
	cmd.Env = append(append([]string{}, spec.Env...), specEnv+"="+string(data))
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS,
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
	}
	return cmd, nil
}

func execve(path string, argv, env []string) error { return syscall.Exec(path, argv, env) }
