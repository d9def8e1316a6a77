package nodeagent

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// envContext is what a container's environment is resolved from.
type envContext struct {
	client      kubernetes.Interface
	pod         *corev1.Pod
	podIP       netip.Addr
	hostIP      netip.Addr
	allocatable corev1.ResourceList // limits default to the node's
	apiServer   netip.AddrPort
}

// serviceEnv is what kubelet sets for the "kubernetes" service in every
// container; the container's own env overrides it.
func (e envContext) serviceEnv() []corev1.EnvVar {
	host, port := e.apiServer.Addr().String(), strconv.Itoa(int(e.apiServer.Port()))
	url := "tcp://" + e.apiServer.String()
	return []corev1.EnvVar{
		{Name: "KUBERNETES_SERVICE_HOST", Value: host},
		{Name: "KUBERNETES_SERVICE_PORT", Value: port},
		{Name: "KUBERNETES_SERVICE_PORT_HTTPS", Value: port},
		{Name: "KUBERNETES_PORT", Value: url},
		{Name: "KUBERNETES_PORT_" + port + "_TCP", Value: url},
		{Name: "KUBERNETES_PORT_" + port + "_TCP_PROTO", Value: "tcp"},
		{Name: "KUBERNETES_PORT_" + port + "_TCP_PORT", Value: port},
		{Name: "KUBERNETES_PORT_" + port + "_TCP_ADDR", Value: host},
	}
}

// containerEnv resolves c's environment as kubelet does: envFrom first, then
// env in order with $(VAR) expanded over what is defined so far and the
// service variables; then HOSTNAME, and SPARK_LOCAL_IP as the pod's IP
// unless the container sets it. The result is ordered by definition.
func (e envContext) containerEnv(ctx context.Context, c *corev1.Container) ([]corev1.EnvVar, error) {
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, from := range c.EnvFrom {
		data, err := e.envFromData(ctx, from)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(from.Prefix+k, data[k])
		}
	}
	service := map[string]string{}
	for _, v := range e.serviceEnv() {
		service[v.Name] = v.Value
	}
	lookup := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		v, ok := service[name]
		return v, ok
	}
	for _, v := range c.Env {
		if v.ValueFrom == nil {
			set(v.Name, expand(v.Value, lookup))
			continue
		}
		val, ok, err := e.valueFrom(ctx, c, v.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", v.Name, err)
		}
		if ok {
			set(v.Name, val)
		}
	}
	out := make([]corev1.EnvVar, 0, len(order)+len(service)+2)
	for _, v := range e.serviceEnv() {
		if _, ok := vars[v.Name]; !ok {
			out = append(out, v)
		}
	}
	if _, ok := vars["HOSTNAME"]; !ok {
		out = append(out, corev1.EnvVar{Name: "HOSTNAME", Value: e.pod.Name})
	}
	if _, ok := vars["SPARK_LOCAL_IP"]; !ok {
		out = append(out, corev1.EnvVar{Name: "SPARK_LOCAL_IP", Value: e.podIP.String()})
	}
	for _, k := range order {
		out = append(out, corev1.EnvVar{Name: k, Value: vars[k]})
	}
	return out, nil
}

func (e envContext) envFromData(ctx context.Context, from corev1.EnvFromSource) (map[string]string, error) {
	ns := e.pod.Namespace
	switch {
	case from.ConfigMapRef != nil:
		cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && isTrue(from.ConfigMapRef.Optional) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("envFrom configmap %s: %w", from.ConfigMapRef.Name, err)
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, err := e.client.CoreV1().Secrets(ns).Get(ctx, from.SecretRef.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && isTrue(from.SecretRef.Optional) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("envFrom secret %s: %w", from.SecretRef.Name, err)
		}
		data := make(map[string]string, len(s.Data))
		for k, v := range s.Data {
			data[k] = string(v)
		}
		return data, nil
	}
	return nil, nil
}

// valueFrom resolves one env source; ok is false when an optional source
// is missing (the variable is then not set).
func (e envContext) valueFrom(ctx context.Context, c *corev1.Container, from *corev1.EnvVarSource) (string, bool, error) {
	ns := e.pod.Namespace
	switch {
	case from.FieldRef != nil:
		v, err := e.fieldValue(from.FieldRef.FieldPath)
		return v, err == nil, err
	case from.ResourceFieldRef != nil:
		v, err := e.resourceValue(c, from.ResourceFieldRef)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("configmap %s: %w", ref.Name, err)
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, true, nil
		}
		if v, ok := cm.BinaryData[ref.Key]; ok {
			return string(v), true, nil
		}
		if isTrue(ref.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("configmap %s has no key %s", ref.Name, ref.Key)
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s, err := e.client.CoreV1().Secrets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && isTrue(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("secret %s: %w", ref.Name, err)
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), true, nil
		}
		if isTrue(ref.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("secret %s has no key %s", ref.Name, ref.Key)
	}
	return "", false, fmt.Errorf("unsupported env source")
}

// fieldValue is the downward API's value of a pod field.
func (e envContext) fieldValue(path string) (string, error) {
	p := e.pod
	if k, ok := subscript(path, "metadata.labels"); ok {
		return p.Labels[k], nil
	}
	if k, ok := subscript(path, "metadata.annotations"); ok {
		return p.Annotations[k], nil
	}
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "metadata.labels":
		return formatMap(p.Labels), nil
	case "metadata.annotations":
		return formatMap(p.Annotations), nil
	case "spec.nodeName":
		return p.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return e.podIP.String(), nil
	case "status.hostIP", "status.hostIPs":
		return e.hostIP.String(), nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", path)
}

// subscript splits `prefix['key']`.
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok || !strings.HasSuffix(rest, "']") {
		return "", false
	}
	return strings.TrimSuffix(rest, "']"), true
}

// formatMap renders labels or annotations as the downward API does:
// key="value" lines, sorted, values quoted.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + strconv.Quote(m[k])
	}
	return strings.Join(lines, "\n")
}

// resourceValue is a container's request or limit divided by the divisor,
// rounded up; an unset limit is the node's allocatable.
func (e envContext) resourceValue(c *corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	if ref.ContainerName != "" {
		found := false
		for _, cs := range append(append([]corev1.Container{}, e.pod.Spec.InitContainers...), e.pod.Spec.Containers...) {
			if cs.Name == ref.ContainerName {
				c, found = &cs, true
				break
			}
		}
		if !found {
			return "", fmt.Errorf("no container %s", ref.ContainerName)
		}
	}
	if c == nil {
		return "", fmt.Errorf("resource %s: no containerName", ref.Resource)
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported resource %q", ref.Resource)
	}
	res := corev1.ResourceName(name)
	q := c.Resources.Requests[res]
	if kind == "limits" {
		var set bool
		if q, set = c.Resources.Limits[res]; !set {
			q = e.allocatable[res]
		}
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	v := math.Ceil(float64(q.MilliValue()) / float64(divisor.MilliValue()))
	return strconv.FormatInt(int64(v), 10), nil
}

func isTrue(b *bool) bool { return b != nil && *b }
