package nodeagent

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// triggerHosts asks for every pod's hosts file to be brought up to date.
func (p *provider) triggerHosts() {
	select {
	case p.hostsChanged <- struct{}{}:
	default:
	}
}

// syncHosts rewrites the hosts files whenever Services or pods change,
// batching changes that come within 50 ms, until ctx ends.
func (p *provider) syncHosts(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.hostsChanged:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		for _, r := range p.allRuns() {
			r.mu.Lock()
			prepared := r.prepared
			r.mu.Unlock()
			if !prepared || r.stopping() {
				continue
			}
			if err := r.writeHosts(); err != nil {
				p.log.Warn("update hosts file", "pod", r.key, "err", err)
			}
		}
	}
}

// writeHosts writes the pod's hosts file from the informers' view of the
// cluster.
func (r *podRun) writeHosts() error {
	services, err := r.p.services.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	pods, err := r.p.pods.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	r.mu.Lock()
	name, ns := hostname(r.pod), r.pod.Namespace
	r.mu.Unlock()
	data := hostsFile(name, ns, r.ip, r.p.cfg.APIServerIP, serviceHosts(services, pods))
	if err := writeInPlace(r.hostsPath, data); err != nil {
		return err
	}
	return nil
}
