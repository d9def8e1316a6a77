package devcluster

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// peerPods watches a peer's namespace for driver and job runner pods.
type peerPods struct {
	mu         sync.Mutex
	drivers    map[string]time.Time // driver key → first seen
	scheduled  map[string]time.Time // driver key → first seen bound to a node
	submitPods map[string]bool
	cancel     context.CancelFunc
	done       chan struct{}
}

// watchPeerPods starts watching; it returns once the watch is established,
// so no pod created afterwards is missed.
func watchPeerPods(ctx context.Context, p peer) (*peerPods, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &peerPods{drivers: map[string]time.Time{}, scheduled: map[string]time.Time{}, submitPods: map[string]bool{}, cancel: cancel, done: make(chan struct{})}
	open := func() (watch.Interface, error) {
		list, err := kube.CoreV1().Pods(p.namespace()).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			w.see(p, &list.Items[i])
		}
		return kube.CoreV1().Pods(p.namespace()).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	}
	wi, err := open()
	if err != nil {
		cancel()
		return nil, err
	}
	go func() {
		defer close(w.done)
		for {
			for ev := range wi.ResultChan() {
				if pod, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Error {
					w.see(p, pod)
				}
			}
			for ctx.Err() == nil {
				if wi, err = open(); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	return w, nil
}

func (w *peerPods) see(p peer, pod *corev1.Pod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if pod.Labels["spark-role"] == "driver" {
		if key := p.driverKey(pod); key != "" {
			now := time.Now()
			if _, ok := w.drivers[key]; !ok {
				w.drivers[key] = now
			}
			if _, ok := w.scheduled[key]; !ok && pod.Spec.NodeName != "" {
				w.scheduled[key] = now
			}
		}
	}
	if p.isSubmitterPod(pod) {
		w.submitPods[pod.Name] = true
	}
}

func (w *peerPods) driverCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.drivers)
}

// driverSeen is when the driver pod of key was first seen, and first
// seen bound to a node (a staged driver waits gated in between).
func (w *peerPods) driverSeen(key string) (created, scheduled time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.drivers[key], w.scheduled[key]
}

func (w *peerPods) submitters() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.submitPods)
}

func (w *peerPods) stop() {
	w.cancel()
	<-w.done
}
