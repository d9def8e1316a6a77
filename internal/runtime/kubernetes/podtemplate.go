package kubernetes

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/objectstore"
)

// Main container names EMR gives the Spark containers of driver and executor
// pods; any other container of a pod template is a sidecar.
const (
	driverContainer   = "spark-kubernetes-driver"
	executorContainer = "spark-kubernetes-executor"
)

// jobRunnerContainer is the container of the job runner pod, which runs
// spark-submit.
const jobRunnerContainer = "job-runner"

// Where the job runner finds its pod templates (the podtemplate-<id>
// ConfigMap) and its spark-defaults.conf.
const (
	podTemplateDir = "/etc/spark/pod-templates"
	confDir        = "/etc/spark/conf"
)

// errTemplateUnreadable is the one error a pod template file that cannot
// be used gets, whether it is missing, unreadable, not a regular file or
// outside the allowed folders: the message must not tell which.
func errTemplateUnreadable(path string) error {
	return fmt.Errorf("pod template %s cannot be read: name a readable file under one of the cluster's podTemplateDirs", path)
}

// templateSource reads the pod template file a user named: its content, or
// an error that says why it cannot be used.
type templateSource func(path string) ([]byte, error)

// localTemplates reads pod templates from the server's machine: a local
// path (or file:// URI) inside one of dirs (symbolic links resolved);
// without dirs no file is read.
func localTemplates(dirs []string) templateSource {
	return func(path string) ([]byte, error) {
		if objectstore.IsS3(path) {
			return nil, fmt.Errorf("pod template %s: this server has no S3 object storage to read it from", path)
		}
		if strings.Contains(path, "://") && !strings.HasPrefix(path, "file://") {
			return nil, fmt.Errorf("pod template %s: only local paths, file:// and s3:// URIs can be read by the server", path)
		}
		b, ok := readAllowed(strings.TrimPrefix(path, "file://"), dirs)
		if !ok {
			return nil, errTemplateUnreadable(path)
		}
		return b, nil
	}
}

// loadUserTemplate reads with src the pod template a user named in
// spark.kubernetes.{driver,executor}.podTemplateFile (the server reads it,
// so that the policy can check it) and parses it.
func loadUserTemplate(path string, src templateSource) (*corev1.Pod, error) {
	if path == "" {
		return nil, nil
	}
	b, err := src(path)
	if err != nil {
		return nil, err
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(b, &pod); err != nil {
		return nil, fmt.Errorf("pod template %s is not a valid Pod: %w", path, err)
	}
	return &pod, nil
}

// readAllowed reads the regular file at path if, once symbolic links are
// resolved, it lies inside one of dirs.
func readAllowed(path string, dirs []string) ([]byte, bool) {
	if !filepath.IsAbs(path) {
		return nil, false
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(path))
	if err != nil || !inDirs(real, dirs) {
		return nil, false
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > maxTemplateBytes {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTemplateBytes))
	return b, err == nil
}

// maxTemplateBytes bounds a pod template file.
const maxTemplateBytes = 1 << 20

func inDirs(path string, dirs []string) bool {
	for _, d := range dirs {
		if !filepath.IsAbs(d) {
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Clean(d))
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(real, path); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

// podTemplate is the template Spark builds the driver or executor pod
// from: the fields of the user's template that EMR's allow-list lets
// through (with privileged, the host namespaces too), then sparkplane's
// labels, which users cannot override.
func podTemplate(user *corev1.Pod, mainContainer string, labels map[string]string, privileged bool) *corev1.Pod {
	out := &corev1.Pod{TypeMeta: typeMeta("v1", "Pod")}
	if user != nil {
		out.Annotations = user.Annotations
		out.Labels = user.Labels
		out.Spec = allowedSpec(user.Spec, mainContainer)
		if privileged {
			out.Spec.HostNetwork, out.Spec.HostPID, out.Spec.HostIPC = user.Spec.HostNetwork, user.Spec.HostPID, user.Spec.HostIPC
		}
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
