package devcluster

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Status is what `sparkplane dev-cluster status` shows.
type Status struct {
	State
	Running   bool           `json:"running"`
	NodeReady bool           `json:"nodeReady"`
	CPU       string         `json:"cpu,omitempty"`
	Memory    string         `json:"memory,omitempty"`
	Pods      map[string]int `json:"pods"` // by phase
}

// ReadStatus asks the running cluster how it is; a cluster that is not
// running is reported with Running false, not as an error.
func ReadStatus(ctx context.Context, l Layout) (Status, error) {
	st, ok, err := l.ReadState()
	if err != nil || !ok {
		return Status{State: st, Pods: map[string]int{}}, err
	}
	s := Status{State: st, Running: true, Pods: map[string]int{}}
	if !st.Ready {
		return s, nil // still starting: nothing to ask yet
	}
	rc, err := clientcmd.BuildConfigFromFlags("", st.Kubeconfig)
	if err != nil {
		return s, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return s, err
	}
	node, err := client.CoreV1().Nodes().Get(ctx, st.Node, metav1.GetOptions{})
	if err != nil {
		return s, fmt.Errorf("read node %s: %w", st.Node, err)
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			s.NodeReady = c.Status == corev1.ConditionTrue
		}
	}
	s.CPU = node.Status.Allocatable.Cpu().String()
	s.Memory = node.Status.Allocatable.Memory().String()
	pods, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return s, fmt.Errorf("list pods: %w", err)
	}
	for _, p := range pods.Items {
		s.Pods[string(p.Status.Phase)]++
	}
	return s, nil
}

// PodPhases are the phases of s.Pods in a stable order.
func (s Status) PodPhases() []string {
	var phases []string
	for p := range s.Pods {
		phases = append(phases, p)
	}
	sort.Strings(phases)
	return phases
}
