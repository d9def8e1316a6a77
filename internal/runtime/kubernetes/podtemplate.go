package kubernetes

import (
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Main container names EMR gives the Spark containers of driver and executor
// pods; any other container of a pod template is a sidecar.
const (
	driverContainer   = "spark-kubernetes-driver"
	executorContainer = "spark-kubernetes-executor"
)

// Where the job runner finds its pod templates (the podtemplate-<id>
// ConfigMap) and its spark-defaults.conf.
const (
	podTemplateDir = "/etc/spark/pod-templates"
	confDir        = "/etc/spark/conf"
)

// loadUserTemplate reads a pod template a user named in
// spark.kubernetes.{driver,executor}.podTemplateFile. The server reads it, so
// it must be a local path (or file:// URI) on the server's machine.
func loadUserTemplate(path string) (*corev1.Pod, error) {
	if path == "" {
		return nil, nil
	}
	if strings.Contains(path, "://") && !strings.HasPrefix(path, "file://") {
		return nil, fmt.Errorf("pod template %s: only local paths and file:// URIs can be read by the server", path)
	}
	b, err := os.ReadFile(strings.TrimPrefix(path, "file://"))
	if err != nil {
		return nil, fmt.Errorf("pod template: %w", err)
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(b, &pod); err != nil {
		return nil, fmt.Errorf("pod template %s: %w", path, err)
	}
	return &pod, nil
}

// podTemplate is the template Spark builds the driver or executor pod
// from: the fields of the user's template that EMR's allow-list lets
// through, then sparkplane's labels, which users cannot override.
func podTemplate(user *corev1.Pod, mainContainer string, labels map[string]string) *corev1.Pod {
	out := &corev1.Pod{TypeMeta: typeMeta("v1", "Pod")}
	if user != nil {
		out.Annotations = user.Annotations
		out.Labels = user.Labels
		out.Spec = allowedSpec(user.Spec, mainContainer)
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	for k, v := range labels {
		out.Labels[k] = v
	}
	if !hasContainer(out.Spec.Containers, mainContainer) {
		out.Spec.Containers = append([]corev1.Container{{Name: mainContainer}}, out.Spec.Containers...)
	}
	return out
}

// allowedSpec copies the pod spec fields of EMR's pod-level allow-list and,
// for the main container, the fields of its container-level allow-list.
// Service account, security context, image and command stay the runtime's.
func allowedSpec(in corev1.PodSpec, mainContainer string) corev1.PodSpec {
	out := corev1.PodSpec{
		ActiveDeadlineSeconds:         in.ActiveDeadlineSeconds,
		Affinity:                      in.Affinity,
		EnableServiceLinks:            in.EnableServiceLinks,
		EphemeralContainers:           in.EphemeralContainers,
		HostAliases:                   in.HostAliases,
		Hostname:                      in.Hostname,
		ImagePullSecrets:              in.ImagePullSecrets,
		InitContainers:                in.InitContainers,
		NodeName:                      in.NodeName,
		NodeSelector:                  in.NodeSelector,
		Overhead:                      in.Overhead,
		PreemptionPolicy:              in.PreemptionPolicy,
		Priority:                      in.Priority,
		PriorityClassName:             in.PriorityClassName,
		ReadinessGates:                in.ReadinessGates,
		RestartPolicy:                 in.RestartPolicy,
		RuntimeClassName:              in.RuntimeClassName,
		SchedulerName:                 in.SchedulerName,
		Subdomain:                     in.Subdomain,
		TerminationGracePeriodSeconds: in.TerminationGracePeriodSeconds,
		Tolerations:                   in.Tolerations,
		TopologySpreadConstraints:     in.TopologySpreadConstraints,
		Volumes:                       in.Volumes,
	}
	for _, c := range in.Containers {
		if c.Name != mainContainer {
			out.Containers = append(out.Containers, c) // a sidecar, with its own image
			continue
		}
		out.Containers = append(out.Containers, corev1.Container{
			Name:                     c.Name,
			Env:                      c.Env,
			EnvFrom:                  c.EnvFrom,
			Lifecycle:                c.Lifecycle,
			LivenessProbe:            c.LivenessProbe,
			ReadinessProbe:           c.ReadinessProbe,
			Resources:                c.Resources,
			StartupProbe:             c.StartupProbe,
			Stdin:                    c.Stdin,
			StdinOnce:                c.StdinOnce,
			TerminationMessagePath:   c.TerminationMessagePath,
			TerminationMessagePolicy: c.TerminationMessagePolicy,
			TTY:                      c.TTY,
			VolumeDevices:            c.VolumeDevices,
			VolumeMounts:             c.VolumeMounts,
			WorkingDir:               c.WorkingDir,
		})
	}
	return out
}

func hasContainer(cs []corev1.Container, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}
