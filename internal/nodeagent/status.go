package nodeagent

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// waitingStatus is a container's status before it first starts.
func waitingStatus(c corev1.Container, reason, message string) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: c.Name, Image: c.Image, Started: ptrTo(false),
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}},
	}
}

// setStatus changes container i's status (an init container's when init)
// with f, recomputes the phase and conditions, and reports.
func (r *podRun) setStatus(init bool, i int, f func(*corev1.ContainerStatus)) {
	r.mu.Lock()
	if init {
		f(&r.status.InitContainerStatuses[i])
	} else {
		f(&r.status.ContainerStatuses[i])
		for _, cs := range r.status.ContainerStatuses {
			if cs.State.Running != nil {
				r.status.Phase = corev1.PodRunning
			}
		}
	}
	r.setConditionsLocked()
	r.mu.Unlock()
	r.changed()
	if !init {
		r.p.triggerHosts()
	}
}

// setWaiting shows why every container not yet started is waiting.
func (r *podRun) setWaiting(reason, message string) {
	r.mu.Lock()
	for _, list := range [][]corev1.ContainerStatus{r.status.InitContainerStatuses, r.status.ContainerStatuses} {
		for i := range list {
			if w := list[i].State.Waiting; w != nil && list[i].RestartCount == 0 {
				w.Reason, w.Message = reason, message
			}
		}
	}
	r.mu.Unlock()
	r.changed()
}

// failStart records that the pod's containers cannot start, for good:
// each ends as a container runtime's StartError would (exit code 128,
// with the reason and message), and so does the pod.
func (r *podRun) failStart(reason, message string) {
	r.mu.Lock()
	now := metav1.Now()
	for _, list := range [][]corev1.ContainerStatus{r.status.InitContainerStatuses, r.status.ContainerStatuses} {
		for i := range list {
			if list[i].State.Waiting != nil {
				list[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 128, Reason: reason, Message: message, FinishedAt: now}}
			}
		}
	}
	r.status.Reason, r.status.Message = reason, message
	r.mu.Unlock()
}

func (r *podRun) putConditionLocked(t corev1.PodConditionType, ok bool, reason string) {
	status := corev1.ConditionFalse
	if ok {
		status = corev1.ConditionTrue
	}
	old, had := r.conditions[t]
	if had && old.Status == status && old.Reason == reason {
		return
	}
	r.conditions[t] = corev1.PodCondition{Type: t, Status: status, Reason: reason, LastTransitionTime: metav1.Now()}
}

// setConditionsLocked derives PodScheduled, Initialized, ContainersReady
// and Ready from the container statuses, as kubelet does.
func (r *podRun) setConditionsLocked() {
	r.putConditionLocked(corev1.PodScheduled, true, "")
	initialized := true
	for _, cs := range r.status.InitContainerStatuses {
		if t := cs.State.Terminated; t == nil || t.ExitCode != 0 {
			initialized = false
		}
	}
	if initialized {
		r.putConditionLocked(corev1.PodInitialized, true, "")
	} else {
		r.putConditionLocked(corev1.PodInitialized, false, "ContainersNotInitialized")
	}
	ready := r.status.Phase == corev1.PodRunning
	for _, cs := range r.status.ContainerStatuses {
		if !cs.Ready {
			ready = false
		}
	}
	reason := ""
	if !ready {
		reason = "ContainersNotReady"
		if r.status.Phase == corev1.PodSucceeded || r.status.Phase == corev1.PodFailed {
			reason = "PodCompleted"
		}
	}
	r.putConditionLocked(corev1.ContainersReady, ready, reason)
	r.putConditionLocked(corev1.PodReady, ready, reason)
	order := []corev1.PodConditionType{corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled}
	r.status.Conditions = r.status.Conditions[:0]
	for _, t := range order {
		r.status.Conditions = append(r.status.Conditions, r.conditions[t])
	}
}
