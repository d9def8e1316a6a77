package nodeagent

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podRequests is what a pod asks of a node, as the scheduler counts it: the
// larger of its containers' sum and each init container's request, plus
// its overhead.
func podRequests(pod *corev1.Pod) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		addResources(sum, c.Resources.Requests)
	}
	for _, c := range pod.Spec.InitContainers {
		for name, q := range c.Resources.Requests {
			if cur, ok := sum[name]; !ok || q.Cmp(cur) > 0 {
				sum[name] = q.DeepCopy()
			}
		}
	}
	addResources(sum, pod.Spec.Overhead)
	return sum
}

func addResources(sum, add corev1.ResourceList) {
	for name, q := range add {
		cur := sum[name]
		cur.Add(q)
		sum[name] = cur
	}
}

// terminal says whether a pod's containers have all ended for good.
func terminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// fitError explains why a pod does not fit the node, in the words of
// kube-scheduler's FailedScheduling message; nil means it fits.
//
// used is the sum of the requests of the non-terminal pods already on the
// node and podCount their number.
func fitError(pod *corev1.Pod, node *corev1.Node, used corev1.ResourceList, podCount int) error {
	var reasons []string
	for k, v := range pod.Spec.NodeSelector {
		if node.Labels[k] != v {
			reasons = append(reasons, "node(s) didn't match Pod's node affinity/selector")
			break
		}
	}
	alloc := node.Status.Allocatable
	if max, ok := alloc[corev1.ResourcePods]; ok && int64(podCount)+1 > max.Value() {
		reasons = append(reasons, "Too many pods")
	}
	want := podRequests(pod)
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, n := range names {
		name := corev1.ResourceName(n)
		q := want[name]
		if q.IsZero() || name == corev1.ResourcePods {
			continue
		}
		have, ok := alloc[name]
		if !ok {
			have = resource.Quantity{}
		}
		total := used[name].DeepCopy()
		total.Add(q)
		if total.Cmp(have) > 0 {
			reasons = append(reasons, "Insufficient "+n)
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	sort.Strings(reasons)
	for i, r := range reasons {
		reasons[i] = "1 " + r
	}
	return fmt.Errorf("0/1 nodes are available: %s.", strings.Join(reasons, ", "))
}
