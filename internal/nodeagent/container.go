package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/nodeagent/sandbox"
	"github.com/sparkplane/sparkplane/internal/podimage"
)

// Restart back-off, as kubelet's: doubling from 10 s up to 5 minutes.
const (
	backoffStart = 10 * time.Second
	backoffMax   = 5 * time.Minute
)

// runInit runs init container i until it succeeds; it says whether the pod
// may go on.
func (r *podRun) runInit(ctx context.Context, i int) bool {
	c := &r.spec.InitContainers[i]
	status := func(f func(*corev1.ContainerStatus)) { r.setStatus(true, i, f) }
	backoff := backoffStart
	for {
		code, started := r.runContainer(ctx, c, status)
		if r.stopping() {
			return false
		}
		if started && code == 0 {
			return true
		}
		if r.spec.RestartPolicy == corev1.RestartPolicyNever {
			return false
		}
		if !r.backoff(status, &backoff) {
			return false
		}
	}
}

// runMain runs container i, restarting it as the pod's restart policy says.
func (r *podRun) runMain(ctx context.Context, i int) {
	c := &r.spec.Containers[i]
	status := func(f func(*corev1.ContainerStatus)) { r.setStatus(false, i, f) }
	backoff := backoffStart
	for {
		code, _ := r.runContainer(ctx, c, status)
		if r.stopping() {
			return
		}
		switch r.spec.RestartPolicy {
		case corev1.RestartPolicyNever:
			return
		case corev1.RestartPolicyOnFailure:
			if code == 0 {
				return
			}
		}
		if !r.backoff(status, &backoff) {
			return
		}
	}
}

// backoff waits before a restart, showing CrashLoopBackOff meanwhile.
func (r *podRun) backoff(status func(func(*corev1.ContainerStatus)), d *time.Duration) bool {
	status(func(cs *corev1.ContainerStatus) {
		cs.RestartCount++
		cs.LastTerminationState = cs.State
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "CrashLoopBackOff", Message: fmt.Sprintf("back-off %v restarting failed container %s", *d, cs.Name)}}
	})
	ok := r.sleep(*d)
	*d = min(*d*2, backoffMax)
	return ok
}

// errContainerConfig marks an environment that cannot be resolved yet (a
// config map, secret or key missing).
var errContainerConfig = errors.New("cannot resolve the container's environment")

// configRetry is how often such a container is tried again.
const configRetry = 5 * time.Second

// runContainer starts c and waits for it; started is false when it could
// not be started (then the reason is in its waiting state, and code is 128).
func (r *podRun) runContainer(ctx context.Context, c *corev1.Container, status func(func(*corev1.ContainerStatus))) (code int, started bool) {
	cmd, err := r.command(ctx, c)
	for errors.Is(err, errContainerConfig) {
		// As kubelet: a missing config map, secret or key keeps the
		// container waiting, retried, whatever the restart policy.
		status(func(cs *corev1.ContainerStatus) {
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}}
		})
		if !r.sleep(configRetry) {
			return 137, false
		}
		cmd, err = r.command(ctx, c)
	}
	if err != nil {
		status(func(cs *corev1.ContainerStatus) {
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 128, Reason: "StartError", Message: err.Error(), FinishedAt: metav1.Now()}}
		})
		return 128, false
	}
	logFile, err := openLog(r.p.logPath(r.namespace, r.name, r.podUID, c.Name))
	if err != nil {
		status(func(cs *corev1.ContainerStatus) {
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 128, Reason: "StartError", Message: err.Error(), FinishedAt: metav1.Now()}}
		})
		return 128, false
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	r.mu.Lock()
	if r.stopping() {
		r.mu.Unlock()
		return 137, false
	}
	err = sandbox.Start(cmd)
	if err == nil {
		r.pgids[c.Name] = cmd.Process.Pid
	}
	r.mu.Unlock()
	if err != nil {
		status(func(cs *corev1.ContainerStatus) {
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 128, Reason: "StartError", Message: err.Error(), FinishedAt: metav1.Now()}}
		})
		return 128, false
	}
	startedAt := metav1.Now()
	pid := cmd.Process.Pid
	r.p.log.Info("container started", "pod", r.key, "container", c.Name, "pid", pid)
	status(func(cs *corev1.ContainerStatus) {
		cs.ContainerID = fmt.Sprintf("sparkplane://%s/%s/%d", r.podUID, c.Name, pid)
		cs.Started, cs.Ready = ptrTo(true), true
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: startedAt}}
	})
	waitErr := cmd.Wait()
	// Whatever the container left in its process group goes with it.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	r.mu.Lock()
	delete(r.pgids, c.Name)
	r.mu.Unlock()
	code = exitCode(cmd, waitErr)
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	r.p.log.Info("container exited", "pod", r.key, "container", c.Name, "exitCode", code)
	status(func(cs *corev1.ContainerStatus) {
		cs.Started, cs.Ready = ptrTo(false), false
		cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: int32(code), Reason: reason, StartedAt: startedAt, FinishedAt: metav1.Now(), ContainerID: cs.ContainerID}}
	})
	return code, true
}

func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState == nil {
		return 128 // the wait itself failed
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return 128
	}
	return cmd.ProcessState.ExitCode()
}

func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("container log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("container log: %w", err)
	}
	return f, nil
}

// command builds the sandboxed process of c: environment, argv, mounts.
func (r *podRun) command(ctx context.Context, c *corev1.Container) (*exec.Cmd, error) {
	r.mu.Lock()
	pod := r.pod.DeepCopy()
	root := r.roots[c.Name]
	volumes := r.mounts
	r.mu.Unlock()
	ec := envContext{client: r.p.client, pod: pod, podIP: r.ip, hostIP: hostIP,
		allocatable: r.p.node.Status.Allocatable,
		apiServer:   netip.AddrPortFrom(r.p.cfg.APIServerIP, uint16(r.p.cfg.APIServerPort))}
	resolved, err := ec.containerEnv(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errContainerConfig, err)
	}
	env := map[string]string{}
	var order []string
	put := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range root.Env {
		k, v, _ := strings.Cut(kv, "=")
		put(k, v)
	}
	if _, ok := env["PATH"]; !ok {
		put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	for _, v := range resolved {
		put(v.Name, v.Value)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	expandAll := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = expand(s, lookup)
		}
		return out
	}
	argv, err := root.Command(expandAll(c.Command), expandAll(c.Args), env)
	if err != nil {
		return nil, err
	}
	mounts, err := containerMounts(root.Mounts, c.VolumeMounts, volumes, lookup)
	if err != nil {
		return nil, err
	}
	dir := c.WorkingDir
	if dir == "" {
		dir = root.WorkingDir
	}
	envList := make([]string, len(order))
	for i, k := range order {
		envList[i] = k + "=" + env[k]
	}
	return sandbox.Command(sandbox.Spec{Argv: argv, Env: envList, Dir: dir, Hostname: hostname(pod),
		HostsFile: r.hostsPath, Mounts: mounts, CreatedLog: filepath.Join(r.dir, createdMountPoints)})
}

// hostname is the pod's hostname: spec.hostname or its name, at most 63
// characters as in Kubernetes.
func hostname(pod *corev1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

// containerMounts are the image's mounts and the container's volume mounts,
// parents before children.
func containerMounts(image []podimage.Mount, vms []corev1.VolumeMount, volumes map[string]hostVolume, lookup func(string) (string, bool)) ([]sandbox.Mount, error) {
	var out []sandbox.Mount
	for _, m := range image {
		out = append(out, sandbox.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	for _, vm := range vms {
		vol, ok := volumes[vm.Name]
		src := vol.path
		if !ok {
			return nil, fmt.Errorf("volume mount %s: no volume %q", vm.MountPath, vm.Name)
		}
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			sub = expand(vm.SubPathExpr, lookup)
		}
		if sub != "" {
			if filepath.IsAbs(sub) || strings.HasPrefix(filepath.Clean(sub), "..") {
				return nil, fmt.Errorf("volume mount %s: subPath %q must be relative and inside the volume", vm.MountPath, sub)
			}
			src = filepath.Join(src, sub)
			if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
				if err := os.MkdirAll(src, 0o755); err != nil {
					return nil, fmt.Errorf("volume mount %s: %w", vm.MountPath, err)
				}
			}
		}
		out = append(out, sandbox.Mount{Source: src, Target: vm.MountPath, ReadOnly: vm.ReadOnly || vol.readOnly})
	}
	sort.SliceStable(out, func(i, j int) bool { return depth(out[i].Target) < depth(out[j].Target) })
	return out, nil
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

func ptrTo[T any](v T) *T { return &v }
