package kubernetes

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// templatePolicy is what a pod template may carry on a cluster.
type templatePolicy struct {
	// privileged lets templates reach the node: host namespaces, hostPath
	// volumes, nodeName, host ports, privileged containers
	// (Options.AllowPrivilegedPodTemplates).
	privileged bool
	// foreignSecrets are the secrets granted to other execution roles: a
	// template never references them, whatever privileged says.
	foreignSecrets map[string]bool
}

// safeCapabilities are the capabilities a container may add.
var safeCapabilities = map[corev1.Capability]bool{"NET_BIND_SERVICE": true}

// check refuses a user's pod template (before the allow-list) and its
// allow-listed result (what reaches the cluster) when either carries what
// the policy forbids. The error names the field.
func (tp templatePolicy) check(user *corev1.Pod, out *corev1.Pod) error {
	if user == nil {
		return nil
	}
	var bad []string
	if !tp.privileged {
		s := user.Spec
		for field, set := range map[string]bool{"hostNetwork": s.HostNetwork, "hostPID": s.HostPID, "hostIPC": s.HostIPC} {
			if set {
				bad = append(bad, "spec."+field)
			}
		}
		if out.Spec.NodeName != "" {
			bad = append(bad, "spec.nodeName")
		}
		for _, v := range out.Spec.Volumes {
			if v.HostPath != nil {
				bad = append(bad, fmt.Sprintf("spec.volumes[%s].hostPath", v.Name))
			}
		}
		forEachContainer(out.Spec, func(path string, c *corev1.Container) {
			bad = append(bad, containerPrivileges(path, c)...)
		})
	}
	for _, v := range out.Spec.Volumes {
		if v.Secret != nil && tp.foreignSecrets[v.Secret.SecretName] {
			bad = append(bad, fmt.Sprintf("spec.volumes[%s].secret", v.Name))
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil && tp.foreignSecrets[src.Secret.Name] {
					bad = append(bad, fmt.Sprintf("spec.volumes[%s].projected.secret", v.Name))
				}
			}
		}
	}
	forEachContainer(out.Spec, func(path string, c *corev1.Container) {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && tp.foreignSecrets[e.SecretRef.Name] {
				bad = append(bad, path+".envFrom.secretRef")
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && tp.foreignSecrets[e.ValueFrom.SecretKeyRef.Name] {
				bad = append(bad, path+".env["+e.Name+"].secretKeyRef")
			}
		}
	})
	if len(bad) > 0 {
		return fmt.Errorf("pod template refused: %s not allowed on this cluster (see allowPrivilegedPodTemplates; another execution role's secret is never allowed)",
			strings.Join(bad, ", "))
	}
	return nil
}

// containerPrivileges lists what a container asks for beyond a normal pod.
func containerPrivileges(path string, c *corev1.Container) []string {
	var bad []string
	for _, p := range c.Ports {
		if p.HostPort != 0 {
			bad = append(bad, path+".ports.hostPort")
			break
		}
	}
	sc := c.SecurityContext
	if sc == nil {
		return bad
	}
	if sc.Privileged != nil && *sc.Privileged {
		bad = append(bad, path+".securityContext.privileged")
	}
	if sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation {
		bad = append(bad, path+".securityContext.allowPrivilegeEscalation")
	}
	if sc.Capabilities != nil {
		for _, cp := range sc.Capabilities.Add {
			if !safeCapabilities[cp] {
				bad = append(bad, path+".securityContext.capabilities.add["+string(cp)+"]")
			}
		}
	}
	if sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
		bad = append(bad, path+".securityContext.procMount")
	}
	if sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess {
		bad = append(bad, path+".securityContext.windowsOptions.hostProcess")
	}
	return bad
}

// forEachContainer calls f with every container of a pod spec: the
// containers, the init containers (sidecars among them) and the ephemeral
// containers.
func forEachContainer(s corev1.PodSpec, f func(path string, c *corev1.Container)) {
	for i := range s.Containers {
		f("spec.containers["+s.Containers[i].Name+"]", &s.Containers[i])
	}
	for i := range s.InitContainers {
		f("spec.initContainers["+s.InitContainers[i].Name+"]", &s.InitContainers[i])
	}
	for i := range s.EphemeralContainers {
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		f("spec.ephemeralContainers["+c.Name+"]", &c)
	}
}
