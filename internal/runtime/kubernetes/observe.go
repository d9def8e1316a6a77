package kubernetes

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// observe maps what the cluster shows of a run to an observation:
//
//	no Job                                  → Unknown (everything is gone)
//	driver Running / Succeeded              → Running / Succeeded
//	driver Failed                           → Failed, with the container's reason
//	driver or job runner cannot pull image  → Failed at once
//	Job failed before a driver existed      → Failed (spark-submit error)
//	anything else                           → Submitted (with why it waits, if it does)
//
// A failure of the driver or of spark-submit in the job runner also returns
// that pod: its log tells the cause (an S3A exception, a Python error),
// which Observe adds to the details.
func observe(job *batchv1.Job, pods []*corev1.Pod) (runtime.Observation, *corev1.Pod) {
	if job == nil {
		return runtime.Observation{Phase: runtime.PhaseUnknown}, nil
	}
	driver := newest(pods, ComponentDriver)
	runner := newest(pods, ComponentSubmitter)
	failed := func(format string, args ...any) runtime.Observation {
		return runtime.Observation{Phase: runtime.PhaseFailed, Reason: emr.FailureUser, Details: fmt.Sprintf(format, args...)}
	}
	if driver != nil {
		switch driver.Status.Phase {
		case corev1.PodRunning:
			return runtime.Observation{Phase: runtime.PhaseRunning}, nil
		case corev1.PodSucceeded:
			return runtime.Observation{Phase: runtime.PhaseSucceeded}, nil
		case corev1.PodFailed:
			o := failed("Driver pod %s failed: %s", driver.Name, podFailure(driver))
			o.EndedAt = podEnded(driver)
			return o, explainable(driver)
		}
		if msg, ok := pullFailure(driver); ok {
			return failed("Driver pod %s cannot start: %s", driver.Name, msg), nil
		}
		return runtime.Observation{Phase: runtime.PhaseSubmitted, Details: waiting(driver)}, nil
	}
	if cond, ok := jobCondition(job, batchv1.JobFailed); ok {
		o := failed("The job runner failed: %s %s", cond.Reason, cond.Message)
		o.EndedAt = cond.LastTransitionTime.Time
		if runner == nil {
			return o, nil
		}
		o.Details = fmt.Sprintf("spark-submit failed in job runner pod %s: %s", runner.Name, podFailure(runner))
		return o, explainable(runner)
	}
	if _, ok := jobCondition(job, batchv1.JobComplete); ok {
		return failed("spark-submit ended without a driver pod (was spark-%s-driver deleted?).", job.Name), nil
	}
	if runner != nil {
		if msg, ok := pullFailure(runner); ok {
			return failed("Job runner pod %s cannot start: %s", runner.Name, msg), nil
		}
		return runtime.Observation{Phase: runtime.PhaseSubmitted, Details: waiting(runner)}, nil
	}
	return runtime.Observation{Phase: runtime.PhaseSubmitted}, nil
}

// newest returns the most recently created pod of a component.
func newest(pods []*corev1.Pod, component string) *corev1.Pod {
	var best *corev1.Pod
	for _, p := range pods {
		c := p.Labels[LabelComponent]
		if c == "" && component == ComponentDriver && p.Labels["spark-role"] == "driver" {
			c = ComponentDriver
		}
		if c != component {
			continue
		}
		if best == nil || p.CreationTimestamp.After(best.CreationTimestamp.Time) ||
			(p.CreationTimestamp.Equal(&best.CreationTimestamp) && p.Name > best.Name) {
			best = p
		}
	}
	return best
}

func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) (batchv1.JobCondition, bool) {
	for _, c := range job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return c, true
		}
	}
	return batchv1.JobCondition{}, false
}

// podFailure says why a pod failed, in words a user can act on.
func podFailure(p *corev1.Pod) string {
	if p.Status.Reason == "Evicted" {
		return "evicted by the node: " + p.Status.Message
	}
	for _, cs := range p.Status.ContainerStatuses {
		t := cs.State.Terminated
		if t == nil || t.ExitCode == 0 {
			continue
		}
		if t.Reason == "OOMKilled" {
			return fmt.Sprintf("container %s was OOMKilled (exit code %d): raise its memory or memoryOverhead", cs.Name, t.ExitCode)
		}
		msg := fmt.Sprintf("container %s exited with code %d", cs.Name, t.ExitCode)
		if t.Reason != "" {
			msg += " (" + t.Reason + ")"
		}
		if m := strings.TrimSpace(t.Message); m != "" {
			msg += ": " + lastLine(m)
		}
		return msg
	}
	if p.Status.Reason != "" || p.Status.Message != "" {
		return strings.TrimSpace(p.Status.Reason + " " + p.Status.Message)
	}
	return "the pod failed"
}

// explainable returns a failed pod whose log may tell why it failed: not
// one the node evicted or whose container was OOMKilled (their log ends
// mid-work and podFailure says it all); nil otherwise.
func explainable(p *corev1.Pod) *corev1.Pod {
	if p.Status.Reason == "Evicted" {
		return nil
	}
	for _, cs := range p.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.Reason == "OOMKilled" {
			return nil
		}
	}
	return p
}

// podEnded is when the last container of a failed pod ended; zero if no
// container says.
func podEnded(p *corev1.Pod) time.Time {
	var t time.Time
	for _, cs := range p.Status.ContainerStatuses {
		if term := cs.State.Terminated; term != nil && term.FinishedAt.After(t) {
			t = term.FinishedAt.Time
		}
	}
	return t
}

// pullFailure reports a container that cannot start for good: its image
// cannot be pulled or its configuration is invalid.
func pullFailure(p *corev1.Pod) (string, bool) {
	for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		w := cs.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
			return fmt.Sprintf("image %s cannot be pulled (%s): %s", cs.Image, w.Reason, w.Message), true
		case "CreateContainerConfigError", "CreateContainerError":
			return fmt.Sprintf("container %s cannot be created (%s): %s", cs.Name, w.Reason, w.Message), true
		}
	}
	return "", false
}

// waiting says why a pending pod waits, e.g. that it cannot be scheduled.
func waiting(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf("Pod %s is %s: %s", p.Name, c.Reason, c.Message)
		}
	}
	return ""
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
