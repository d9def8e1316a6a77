package nodeagent

import (
	"fmt"
	"net/netip"
	"sync"
)

// ipam hands out the host addresses of a prefix, lowest free first, so a
// released address is the next one reused.
type ipam struct {
	mu     sync.Mutex
	prefix netip.Prefix
	used   map[netip.Addr]bool
}

// newIPAM hands out prefix's addresses except reserved ones (such as the
// apiserver's, when it lives in the pod range).
func newIPAM(prefix netip.Prefix, reserved ...netip.Addr) *ipam {
	p := &ipam{prefix: prefix.Masked(), used: map[netip.Addr]bool{}}
	for _, a := range reserved {
		p.used[a] = true
	}
	return p
}

// allocate returns a free address: neither the network address nor the
// broadcast address (the last of the prefix).
func (p *ipam) allocate() (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for a := p.prefix.Addr().Next(); p.prefix.Contains(a); a = a.Next() {
		if !p.prefix.Contains(a.Next()) {
			break // broadcast
		}
		if !p.used[a] {
			p.used[a] = true
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no free pod IP in %v", p.prefix)
}

func (p *ipam) release(a netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, a)
}
