package nodeagent

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sparkplane/sparkplane/internal/podimage"
)

// DefaultNodeName is the node's name when Config.NodeName is empty.
const DefaultNodeName = "sparkplane-dev"

// Images resolves a container image name to what it provides on the host;
// *podimage.Mapper implements it.
type Images interface {
	Resolve(image string) (podimage.Root, error)
}

// Config configures Run.
type Config struct {
	// RESTConfig reaches the apiserver; when nil, Kubeconfig is loaded.
	RESTConfig *rest.Config
	// Kubeconfig is the path of a kubeconfig used when RESTConfig is nil.
	Kubeconfig string

	// NodeName defaults to DefaultNodeName.
	NodeName string
	// Labels are added to the node's labels, next to kubernetes.io/hostname,
	// kubernetes.io/os and kubernetes.io/arch.
	Labels map[string]string
	// CPU and Memory are the node's capacity (and allocatable); zero means
	// the host's CPUs and physical memory.
	CPU, Memory resource.Quantity
	// MaxPods is the number of pods the node accepts; zero means 110.
	MaxPods int

	// PodCIDR is the range pod IPs are taken from. Every address in it must be
	// bindable on this host (a 127.0.0.0/8 range, or one made local with
	// `ip route add local CIDR dev lo`).
	PodCIDR netip.Prefix
	// APIServerIP and APIServerPort are what pods reach the apiserver at:
	// KUBERNETES_SERVICE_HOST/PORT and the kubernetes.default.svc names in
	// each pod's /etc/hosts.
	APIServerIP   netip.Addr
	APIServerPort int

	// StateDir holds per-pod state (volumes, hosts files) under pods/ and the
	// container logs under logs/; it is created when missing.
	StateDir string
	// Images maps container images to host roots.
	Images Images

	// KubeletAddress is where the kubelet HTTPS API (logs, exec) listens;
	// the default 127.0.0.1:10250. Port 0 picks a free port. The node
	// advertises InternalIP 127.0.0.1 and the listening port, so the host
	// part must accept connections to 127.0.0.1.
	KubeletAddress string
	// KubeletCertFile and KubeletKeyFile are the API's serving certificate,
	// which must cover 127.0.0.1 and be one the apiserver trusts
	// (--kubelet-certificate-authority); required.
	KubeletCertFile, KubeletKeyFile string
	// KubeletClientCAFile holds the CAs a client certificate of the API
	// must be signed by; required. A client without one is refused.
	KubeletClientCAFile string
	// KubeletClientName is the one certificate common name the API serves;
	// default DefaultKubeletClientName, the apiserver's.
	KubeletClientName string

	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Ready, when set, is closed once the node is registered Ready and pods
	// are being run.
	Ready chan<- struct{}
}

// withDefaults fills the zero fields and checks the others.
func (c Config) withDefaults() (Config, error) {
	if c.NodeName == "" {
		c.NodeName = DefaultNodeName
	}
	if c.CPU.IsZero() {
		c.CPU = *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI)
	}
	if c.Memory.IsZero() {
		mem, err := hostMemory()
		if err != nil {
			return c, err
		}
		c.Memory = *resource.NewQuantity(mem, resource.BinarySI)
	}
	if c.MaxPods == 0 {
		c.MaxPods = 110
	}
	if c.KubeletAddress == "" {
		c.KubeletAddress = "127.0.0.1:10250"
	}
	if c.KubeletClientName == "" {
		c.KubeletClientName = DefaultKubeletClientName
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	var errs []error
	if !c.PodCIDR.IsValid() || !c.PodCIDR.Addr().Is4() || c.PodCIDR.Bits() > 30 {
		errs = append(errs, fmt.Errorf("PodCIDR %v: want an IPv4 prefix of /30 or wider", c.PodCIDR))
	}
	if !c.APIServerIP.IsValid() || c.APIServerPort <= 0 {
		errs = append(errs, errors.New("APIServerIP and APIServerPort are required"))
	}
	if c.StateDir == "" {
		errs = append(errs, errors.New("StateDir is required"))
	}
	if c.Images == nil {
		errs = append(errs, errors.New("Images is required"))
	}
	if c.RESTConfig == nil && c.Kubeconfig == "" {
		errs = append(errs, errors.New("RESTConfig or Kubeconfig is required"))
	}
	if _, _, err := net.SplitHostPort(c.KubeletAddress); err != nil {
		errs = append(errs, fmt.Errorf("KubeletAddress: %w", err))
	}
	if c.KubeletCertFile == "" || c.KubeletKeyFile == "" || c.KubeletClientCAFile == "" {
		errs = append(errs, errors.New("KubeletCertFile, KubeletKeyFile and KubeletClientCAFile are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("nodeagent config: %w", err)
	}
	if abs, err := filepath.Abs(c.StateDir); err == nil {
		c.StateDir = abs
	}
	return c, nil
}

func (c Config) restConfig() (*rest.Config, error) {
	var rc *rest.Config
	if c.RESTConfig != nil {
		rc = rest.CopyConfig(c.RESTConfig)
	} else {
		var err error
		if rc, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
			return nil, fmt.Errorf("nodeagent: load kubeconfig %s: %w", c.Kubeconfig, err)
		}
	}
	// Starting a pod takes about six requests (binding, token, config maps,
	// status); client-go's default 5 QPS would start barely one a second.
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 200, 400
	}
	return rc, nil
}

// allocatable is the node's capacity as a resource list.
func (c Config) allocatable() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    c.CPU,
		corev1.ResourceMemory: c.Memory,
		corev1.ResourcePods:   *resource.NewQuantity(int64(c.MaxPods), resource.DecimalSI),
	}
}

// hostMemory reads MemTotal from /proc/meminfo, in bytes.
func hostMemory() (int64, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("nodeagent: host memory: %w", err)
	}
	var kib int64
	if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kib); err != nil {
		return 0, fmt.Errorf("nodeagent: host memory: parse /proc/meminfo: %w", err)
	}
	return kib * 1024, nil
}
