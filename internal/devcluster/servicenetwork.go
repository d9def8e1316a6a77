package devcluster

import (
	"net/netip"
	"os/exec"
	"strings"

	"github.com/sparkplane/sparkplane/internal/controlplane"
)

// serviceCIDR is the range Services get cluster IPs from.
var serviceCIDR = netip.MustParsePrefix(controlplane.ServiceClusterIPRange)

// serviceNetwork makes the cluster IP range local to this host (`ip route
// replace local CIDR dev lo`), so the node agent's service proxy listens at
// cluster IPs and the host reaches Services as pods do; it returns the
// function that undoes the route. Without it, cluster IPs answer nothing
// (pods still reach Services by name: their hosts files list the pods).
func serviceNetwork(logf func(string, ...any)) func() {
	out, err := exec.Command("ip", "route", "replace", "local", serviceCIDR.String(), "dev", "lo").CombinedOutput()
	if err != nil {
		logf("warning: cannot route the service range %s to this host (%v: %s); cluster IPs answer nothing",
			serviceCIDR, err, strings.TrimSpace(string(out)))
		return func() {}
	}
	return func() { removeRoute(serviceCIDR) }
}
