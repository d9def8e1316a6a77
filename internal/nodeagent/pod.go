package nodeagent

import (
	"context"
	"net/netip"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sparkplane/sparkplane/internal/podimage"
)

// podRun runs one pod: it prepares its files, runs its init containers in
// order, then its containers side by side with the pod's restart policy,
// and reports each change of status.
//
//	Pending (preparing, init containers) → Running → Succeeded | Failed
type podRun struct {
	p         *provider
	key       string
	spec      corev1.PodSpec // immutable once bound
	namespace string
	name      string
	podUID    types.UID
	ip        netip.Addr
	dir       string
	hostsPath string

	mu         sync.Mutex
	pod        *corev1.Pod
	status     corev1.PodStatus
	conditions map[corev1.PodConditionType]corev1.PodCondition
	pgids      map[string]int // running containers' process groups
	roots      map[string]podimage.Root
	mounts     map[string]hostVolume // by volume name
	prepared   bool                  // files written: hosts kept up to date

	stopOnce   sync.Once
	deleteOnce sync.Once     // one deletion finisher
	stopped    chan struct{} // closed when the pod must stop
	done       chan struct{} // closed when every process has exited
}

func newRun(p *provider, pod *corev1.Pod, ip netip.Addr) *podRun {
	dir := p.podDir(pod)
	r := &podRun{
		p: p, key: podKey(pod.Namespace, pod.Name), ip: ip, dir: dir, hostsPath: filepath.Join(dir, "etc-hosts"),
		spec: *pod.Spec.DeepCopy(), namespace: pod.Namespace, name: pod.Name, podUID: pod.UID,
		pod: pod.DeepCopy(), conditions: map[corev1.PodConditionType]corev1.PodCondition{},
		pgids: map[string]int{}, stopped: make(chan struct{}), done: make(chan struct{}),
	}
	now := metav1.Now()
	r.status = corev1.PodStatus{
		Phase:     corev1.PodPending,
		HostIP:    hostIP.String(),
		HostIPs:   []corev1.HostIP{{IP: hostIP.String()}},
		PodIP:     ip.String(),
		PodIPs:    []corev1.PodIP{{IP: ip.String()}},
		StartTime: &now,
		QOSClass:  pod.Status.QOSClass,
	}
	for _, c := range pod.Spec.InitContainers {
		r.status.InitContainerStatuses = append(r.status.InitContainerStatuses, waitingStatus(c, "PodInitializing", ""))
	}
	for _, c := range pod.Spec.Containers {
		r.status.ContainerStatuses = append(r.status.ContainerStatuses, waitingStatus(c, "ContainerCreating", ""))
	}
	r.setConditionsLocked()
	return r
}

// lostRun stands for a pod whose processes died with a previous agent: it
// is Failed at once, each unfinished container terminated with the reason
// kubelet gives a container it cannot find.
func lostRun(p *provider, pod *corev1.Pod) *podRun {
	r := &podRun{
		p: p, key: podKey(pod.Namespace, pod.Name), dir: p.podDir(pod), pod: pod.DeepCopy(),
		spec: *pod.Spec.DeepCopy(), namespace: pod.Namespace, name: pod.Name, podUID: pod.UID,
		conditions: map[corev1.PodConditionType]corev1.PodCondition{}, pgids: map[string]int{},
		stopped: make(chan struct{}), done: make(chan struct{}),
	}
	r.stopOnce.Do(func() { close(r.stopped) })
	close(r.done)
	r.status = *pod.Status.DeepCopy()
	r.status.Phase = corev1.PodFailed
	r.status.Reason = "NodeAgentRestarted"
	r.status.Message = "The node agent restarted while the pod ran; its processes were killed with the previous agent."
	now := metav1.Now()
	lost := func(cs []corev1.ContainerStatus) {
		for i := range cs {
			if cs[i].State.Terminated != nil {
				continue
			}
			cs[i].Ready, cs[i].Started = false, new(bool)
			cs[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 137, Reason: "ContainerStatusUnknown", FinishedAt: now,
				Message: "The container could not be located when the pod was terminated",
			}}
		}
	}
	lost(r.status.InitContainerStatuses)
	lost(r.status.ContainerStatuses)
	for _, c := range r.status.Conditions {
		r.conditions[c.Type] = c
	}
	r.setConditionsLocked()
	return r
}

func (r *podRun) uid() types.UID { return r.podUID }

func (r *podRun) update(pod *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	status := r.pod.Status
	r.pod = pod.DeepCopy()
	r.pod.Status = status
}

// podWithStatus is the pod as the node reports it.
func (r *podRun) podWithStatus() *corev1.Pod {
	r.mu.Lock()
	defer r.mu.Unlock()
	pod := r.pod.DeepCopy()
	pod.Status = *r.status.DeepCopy()
	return pod
}

// changed reports the current status.
func (r *podRun) changed() { r.p.notifyPod(r.podWithStatus()) }

// stop makes the pod stop: SIGTERM to every container's process group,
// SIGKILL after grace. It returns false when the pod was already stopping.
func (r *podRun) stop(grace time.Duration) bool {
	first := false
	r.stopOnce.Do(func() {
		first = true
		close(r.stopped)
	})
	if !first {
		if grace == 0 {
			r.signal(syscall.SIGKILL)
		}
		return false
	}
	r.signal(syscall.SIGTERM)
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-r.done:
		case <-t.C:
			r.signal(syscall.SIGKILL)
		}
	}()
	return true
}

func (r *podRun) signal(sig syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, pgid := range r.pgids {
		_ = syscall.Kill(-pgid, sig)
	}
}

func (r *podRun) stopping() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

// sleep waits d, or less when the pod stops; it says whether it slept all.
func (r *podRun) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.stopped:
		return false
	case <-t.C:
		return true
	}
}

// run is the pod's whole life.
func (r *podRun) run() {
	defer close(r.done)
	ctx, cancel := context.WithCancel(r.p.ctx)
	defer cancel()
	go func() {
		select {
		case <-r.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	r.changed()
	if !r.prepare(ctx) {
		r.finish(corev1.PodFailed)
		return
	}
	go r.refreshTokens(ctx)
	for i := range r.spec.InitContainers {
		if !r.runInit(ctx, i) {
			r.finish(corev1.PodFailed)
			return
		}
	}
	r.changed()
	var wg sync.WaitGroup
	for i := range r.spec.Containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runMain(ctx, i)
		}()
	}
	wg.Wait()
	phase := corev1.PodSucceeded
	r.mu.Lock()
	for _, cs := range r.status.ContainerStatuses {
		if t := cs.State.Terminated; t == nil || t.ExitCode != 0 {
			phase = corev1.PodFailed
		}
	}
	r.mu.Unlock()
	r.finish(phase)
}

// finish sets the final phase, frees the IP and reports.
func (r *podRun) finish(phase corev1.PodPhase) {
	r.mu.Lock()
	r.status.Phase = phase
	now := metav1.Now()
	terminate := func(cs []corev1.ContainerStatus) {
		for i := range cs {
			if cs[i].State.Terminated == nil {
				cs[i].Ready = false
				cs[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 137, Reason: "ContainerStatusUnknown", FinishedAt: now,
					Message: "The container never ran: the pod stopped first",
				}}
			}
		}
	}
	terminate(r.status.InitContainerStatuses)
	terminate(r.status.ContainerStatuses)
	r.setConditionsLocked()
	r.mu.Unlock()
	r.p.ipam.release(r.ip)
	r.changed()
	r.p.triggerHosts()
}
