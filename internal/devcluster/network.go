package devcluster

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// Pod networks: a routed range is made local to the host, so every address
// in it can be bound and EndpointSlices accept pod IPs; when the route
// cannot be added, pods get loopback addresses instead (EndpointSlices then
// reject them, which nothing of Spark's needs).
const (
	NetworkRouted   = "routed"
	NetworkLoopback = "loopback"
)

var loopbackCIDR = netip.MustParsePrefix("127.244.0.0/16")

// podNetwork makes cidr local to this host (`ip route replace local CIDR
// dev lo`) and returns the range pods get addresses from, its kind, and a
// function that undoes the route.
func podNetwork(cidr netip.Prefix, logf func(string, ...any)) (netip.Prefix, string, func()) {
	out, err := exec.Command("ip", "route", "replace", "local", cidr.String(), "dev", "lo").CombinedOutput()
	if err != nil {
		logf("warning: cannot route %s to this host (%v: %s); pods get loopback addresses from %s instead",
			cidr, err, strings.TrimSpace(string(out)), loopbackCIDR)
		return loopbackCIDR, NetworkLoopback, func() {}
	}
	return cidr, NetworkRouted, func() { removeRoute(cidr) }
}

func removeRoute(cidr netip.Prefix) {
	_ = exec.Command("ip", "route", "del", "local", cidr.String(), "dev", "lo").Run()
}

// apiServerIP is the pod range's first host address, kept for the
// apiserver (kubernetes.default.svc in every pod).
func apiServerIP(cidr netip.Prefix) (netip.Addr, error) {
	ip := cidr.Masked().Addr().Next()
	if !cidr.Contains(ip) {
		return ip, fmt.Errorf("pod range %s is too small", cidr)
	}
	return ip, nil
}
