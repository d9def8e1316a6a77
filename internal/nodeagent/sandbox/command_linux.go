package sandbox

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// Command returns the command that runs spec: this executable again, in new
// mount and UTS namespaces, as the leader of its own process group, killed
// when this process dies. The caller sets Stdout and Stderr and starts it
// with Start.
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

// starter is one OS thread that never exits: Pdeathsig fires when the
// thread that started a child exits, not the process, so every sandbox is
// started from this thread to be killed only with the agent itself.
var starter = sync.OnceValue(func() chan<- startRequest {
	reqs := make(chan startRequest)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives as long as the process
		for req := range reqs {
			req.done <- req.cmd.Start()
		}
	}()
	return reqs
})

type startRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// Start starts a command made by Command.
func Start(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	starter() <- startRequest{cmd: cmd, done: done}
	return <-done
}
