package kubernetes

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
)

// trimmed is the informer option of a namespace's watch: each object
// passes through dropUnread before it is cached.
func trimmed() informers.SharedInformerOption { return informers.WithTransform(dropUnread) }

// dropUnread removes what no reader of the caches uses: the managed fields
// the API server keeps for server-side apply, often the larger part of a
// pod's metadata; a Job's pod template (its job runner's environment,
// volumes and arguments; observing a run reads the Job's metadata and
// status only); and of a pod's spec all but what observing, metering,
// shipping logs and admission read (podSpecRead). With a thousand runs
// tracked, each of their pods is cached twice (the namespace's watch and
// admission's cluster-wide one).
func dropUnread(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	switch o := obj.(type) {
	case *batchv1.Job:
		o.Spec.Template = corev1.PodTemplateSpec{}
	case *corev1.Pod:
		o.Spec = podSpecRead(o.Spec)
	}
	return obj, nil
}

// podSpecRead is what the readers of a namespace's pod cache read of a
// spec: where it runs and may run (node, selector, tolerations, scheduler,
// priority, scheduling gates), its service account and restart policy, and of each container
// its name, image and resources. Volumes, environments, commands, probes
// and security contexts are dropped: a reader that needs them must Get the
// pod.
func podSpecRead(s corev1.PodSpec) corev1.PodSpec {
	return corev1.PodSpec{NodeName: s.NodeName, NodeSelector: s.NodeSelector, Tolerations: s.Tolerations,
		SchedulerName: s.SchedulerName, PriorityClassName: s.PriorityClassName, Priority: s.Priority, Overhead: s.Overhead,
		ServiceAccountName: s.ServiceAccountName, RestartPolicy: s.RestartPolicy, SchedulingGates: s.SchedulingGates,
		Containers: containersRead(s.Containers), InitContainers: containersRead(s.InitContainers)}
}

func containersRead(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Image: c.Image, Resources: c.Resources}
	}
	return out
}

// placementOnly is the option of admission's cluster-wide caches: they
// keep of each pod and node only what placing runs reads (a pod's node,
// phase, requests, selector, tolerations, scheduling gates and the labels
// naming its run; a
// node's labels, taints, allocatable room and readiness), so the cluster's
// pods, most of them not sparkplane's, cost a few hundred bytes each
// rather than their whole spec, and nodes drop their image lists.
func placementOnly() informers.SharedInformerOption { return informers.WithTransform(placementOf) }

func placementOf(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return podPlacement(o), nil
	case *corev1.Node:
		return &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, UID: o.UID, ResourceVersion: o.ResourceVersion, Labels: o.Labels},
			Spec:       corev1.NodeSpec{Taints: o.Spec.Taints, Unschedulable: o.Spec.Unschedulable},
			Status:     corev1.NodeStatus{Allocatable: o.Status.Allocatable, Conditions: o.Status.Conditions},
		}, nil
	}
	return obj, nil // a tombstone
}

func podPlacement(pod *corev1.Pod) *corev1.Pod {
	slim := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID,
			ResourceVersion: pod.ResourceVersion, DeletionTimestamp: pod.DeletionTimestamp},
		Spec: corev1.PodSpec{NodeName: pod.Spec.NodeName, NodeSelector: pod.Spec.NodeSelector,
			Tolerations: pod.Spec.Tolerations, Overhead: pod.Spec.Overhead, SchedulingGates: pod.Spec.SchedulingGates,
			Containers: requestsOnly(pod.Spec.Containers), InitContainers: requestsOnly(pod.Spec.InitContainers)},
		Status: corev1.PodStatus{Phase: pod.Status.Phase},
	}
	for _, k := range []string{LabelJobID, LabelAttempt, LabelComponent} {
		if v, ok := pod.Labels[k]; ok {
			if slim.Labels == nil {
				slim.Labels = map[string]string{}
			}
			slim.Labels[k] = v
		}
	}
	return slim
}

func requestsOnly(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Resources: corev1.ResourceRequirements{Requests: c.Resources.Requests}}
	}
	return out
}
