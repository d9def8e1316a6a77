package nodeagent

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// hostsEntry is one line of a hosts file: an address and its names.
type hostsEntry struct {
	ip    string
	names []string
}

// serviceHosts lists, for every Service with a selector, the IPs of the
// running pods it selects under its DNS names (<svc>.<ns>.svc,
// <svc>.<ns>.svc.cluster.local and <svc>.<ns>), sorted by namespace, name
// and IP. The pods have no cluster IP routing here, so even a Service with
// a cluster IP resolves to its pods' addresses.
func serviceHosts(services []*corev1.Service, pods []*corev1.Pod) []serviceEntry {
	var out []serviceEntry
	for _, svc := range services {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		var ips []string
		for _, p := range pods {
			if p.Namespace != svc.Namespace || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
				continue
			}
			if sel.Matches(labels.Set(p.Labels)) {
				ips = append(ips, p.Status.PodIP)
			}
		}
		if len(ips) == 0 {
			continue
		}
		sort.Slice(ips, func(i, j int) bool { return lessIP(ips[i], ips[j]) })
		out = append(out, serviceEntry{namespace: svc.Namespace, name: svc.Name, ips: slices.Compact(ips)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].namespace != out[j].namespace {
			return out[i].namespace < out[j].namespace
		}
		return out[i].name < out[j].name
	})
	return out
}

// serviceEntry is a Service and the IPs its name resolves to.
type serviceEntry struct {
	namespace, name string
	ips             []string
}

func lessIP(a, b string) bool {
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	if errX != nil || errY != nil {
		return a < b
	}
	return x.Less(y)
}

// hostsFile is the /etc/hosts of a pod named hostname in namespace, with IP
// podIP, given the apiserver's address and the cluster's services.
func hostsFile(hostname, namespace string, podIP, apiServer netip.Addr, services []serviceEntry) []byte {
	entries := []hostsEntry{
		{"127.0.0.1", []string{"localhost"}},
		{"::1", []string{"localhost", "ip6-localhost", "ip6-loopback"}},
		{podIP.String(), []string{hostname}},
		{apiServer.String(), []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
	}
	for _, s := range services {
		names := []string{s.name + "." + s.namespace + ".svc", s.name + "." + s.namespace + ".svc.cluster.local", s.name + "." + s.namespace}
		if s.namespace == namespace {
			names = append(names, s.name)
		}
		for _, ip := range s.ips {
			entries = append(entries, hostsEntry{ip, names})
		}
	}
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file (sparkplane node agent).\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "%s\t%s\n", e.ip, strings.Join(e.names, " "))
	}
	return []byte(b.String())
}

// writeInPlace replaces the content of path without changing its inode, so
// a bind mount of the file sees the new content. It does nothing when the
// content is already data.
func writeInPlace(path string, data []byte) error {
	old, err := os.ReadFile(path)
	if err == nil && string(old) == string(data) {
		return nil
	}
	// Overwrite, then cut the tail: a reader never sees an empty file, at
	// worst the new head followed by the old tail for an instant.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.WriteAt(data, 0)
	if err == nil {
		err = f.Truncate(int64(len(data)))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
