package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/podimage"
)

// hostVolume is where a pod volume is on the host.
type hostVolume struct {
	path     string
	readOnly bool // configMap, secret, downwardAPI and projected volumes
}

// prepare resolves the images, materialises the volumes and writes the
// hosts file, retrying (with the reason in the containers' waiting state)
// until it succeeds or the pod stops. It says whether the pod may start.
func (r *podRun) prepare(ctx context.Context) bool {
	wait := time.Second
	for {
		reason, err := r.prepareOnce(ctx)
		if err == nil {
			return true
		}
		if errors.Is(err, podimage.ErrUnavailable) {
			r.p.log.Warn("pod cannot start", "pod", r.key, "reason", reason, "err", err)
			r.failStart(reason, err.Error())
			return false
		}
		r.p.log.Warn("pod not ready to start", "pod", r.key, "reason", reason, "err", err)
		r.setWaiting(reason, err.Error())
		next := wait
		if errors.Is(err, podimage.ErrPending) {
			next = 2 * time.Second // ready soon: start without delay once it is
		}
		if !r.sleep(next) {
			return false
		}
		wait = min(wait*2, 30*time.Second)
	}
}

func (r *podRun) prepareOnce(ctx context.Context) (reason string, err error) {
	r.mu.Lock()
	pod := r.pod.DeepCopy()
	r.mu.Unlock()
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return "ContainerCreating", err
	}
	roots := map[string]podimage.Root{}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		root, err := r.p.cfg.Images.Resolve(c.Image)
		switch {
		case errors.Is(err, podimage.ErrPending):
			return "ContainerCreating", fmt.Errorf("container %s: %w", c.Name, err)
		case errors.Is(err, podimage.ErrUnavailable):
			return "StartError", fmt.Errorf("container %s: %w", c.Name, err)
		case err != nil:
			return "ImageNotMapped", fmt.Errorf("container %s: image %q: %w", c.Name, c.Image, err)
		}
		roots[c.Name] = root
	}
	mounts := map[string]hostVolume{}
	for _, v := range pod.Spec.Volumes {
		hv, err := r.materialise(ctx, pod, v)
		if err != nil {
			return "ContainerCreating", fmt.Errorf("MountVolume.SetUp failed for volume %q: %w", v.Name, err)
		}
		mounts[v.Name] = hv
	}
	if err := r.writeHosts(); err != nil {
		return "ContainerCreating", err
	}
	r.mu.Lock()
	r.roots, r.mounts, r.prepared = roots, mounts, true
	r.mu.Unlock()
	return "", nil
}

// materialise makes volume v exist on the host.
func (r *podRun) materialise(ctx context.Context, pod *corev1.Pod, v corev1.Volume) (hostVolume, error) {
	dir := filepath.Join(r.dir, "volumes", v.Name)
	src := v.VolumeSource
	switch {
	case src.HostPath != nil:
		return hostVolume{path: src.HostPath.Path}, makeHostPath(src.HostPath)
	case src.EmptyDir != nil:
		return hostVolume{path: dir}, os.MkdirAll(dir, 0o777)
	case src.PersistentVolumeClaim != nil:
		return r.claimVolume(ctx, pod.Namespace, src.PersistentVolumeClaim) // claims.go
	}
	files, err := r.volumeFiles(ctx, pod, v)
	if err != nil {
		return hostVolume{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return hostVolume{}, err
	}
	for _, f := range files {
		if err := writeAtomic(dir, f); err != nil {
			return hostVolume{}, err
		}
	}
	return hostVolume{path: dir, readOnly: true}, nil
}

func makeHostPath(hp *corev1.HostPathVolumeSource) error {
	t := corev1.HostPathUnset
	if hp.Type != nil {
		t = *hp.Type
	}
	switch t {
	case corev1.HostPathDirectoryOrCreate:
		return os.MkdirAll(hp.Path, 0o755)
	case corev1.HostPathFileOrCreate:
		if err := os.MkdirAll(filepath.Dir(hp.Path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(hp.Path, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		return f.Close()
	case corev1.HostPathUnset:
		return nil
	}
	_, err := os.Stat(hp.Path)
	return err
}

// volumeFile is one file of a configMap, secret, downwardAPI or projected
// volume.
type volumeFile struct {
	path string
	data []byte
	mode os.FileMode
}

// volumeFiles lists the files of a volume made of API data.
func (r *podRun) volumeFiles(ctx context.Context, pod *corev1.Pod, v corev1.Volume) ([]volumeFile, error) {
	src := v.VolumeSource
	switch {
	case src.ConfigMap != nil:
		return r.configMapFiles(ctx, pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, mode(src.ConfigMap.DefaultMode))
	case src.Secret != nil:
		return r.secretFiles(ctx, pod.Namespace, src.Secret.SecretName, src.Secret.Items, src.Secret.Optional, mode(src.Secret.DefaultMode))
	case src.DownwardAPI != nil:
		return r.downwardFiles(pod, src.DownwardAPI.Items, mode(src.DownwardAPI.DefaultMode))
	case src.Projected != nil:
		return r.projectedFiles(ctx, pod, src.Projected)
	}
	return nil, errors.New("unsupported volume type (supported: configMap, secret, downwardAPI, projected, emptyDir, hostPath, persistentVolumeClaim)")
}

func mode(m *int32) os.FileMode {
	if m == nil {
		return 0o644
	}
	return os.FileMode(*m)
}

func (r *podRun) configMapFiles(ctx context.Context, ns, name string, items []corev1.KeyToPath, optional *bool, def os.FileMode) ([]volumeFile, error) {
	cm, err := r.p.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && isTrue(optional) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("configmap %q: %w", name, err)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return keyFiles("configmap "+name, data, items, optional, def)
}

func (r *podRun) secretFiles(ctx context.Context, ns, name string, items []corev1.KeyToPath, optional *bool, def os.FileMode) ([]volumeFile, error) {
	s, err := r.p.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && isTrue(optional) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return keyFiles("secret "+name, s.Data, items, optional, def)
}

// keyFiles turns keys into files: every key under its own name, or only
// the listed items at their paths and modes.
func keyFiles(what string, data map[string][]byte, items []corev1.KeyToPath, optional *bool, def os.FileMode) ([]volumeFile, error) {
	var files []volumeFile
	if len(items) == 0 {
		for k, v := range data {
			files = append(files, volumeFile{path: k, data: v, mode: def})
		}
		return files, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if isTrue(optional) {
				continue
			}
			return nil, fmt.Errorf("%s has no key %q", what, it.Key)
		}
		m := def
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		files = append(files, volumeFile{path: it.Path, data: v, mode: m})
	}
	return files, nil
}

func (r *podRun) downwardFiles(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, def os.FileMode) ([]volumeFile, error) {
	ec := envContext{pod: pod, podIP: r.ip, hostIP: hostIP, allocatable: r.p.node.Status.Allocatable}
	var files []volumeFile
	for _, it := range items {
		var val string
		var err error
		switch {
		case it.FieldRef != nil:
			val, err = ec.fieldValue(it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			val, err = ec.resourceValue(nil, it.ResourceFieldRef)
		}
		if err != nil {
			return nil, fmt.Errorf("downwardAPI %s: %w", it.Path, err)
		}
		m := def
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		files = append(files, volumeFile{path: it.Path, data: []byte(val), mode: m})
	}
	return files, nil
}

// writeAtomic writes f under dir through a temporary file renamed into
// place, so a reader never sees it half written.
func writeAtomic(dir string, f volumeFile) error {
	clean := filepath.Clean(f.path)
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("file path %q must be relative and inside the volume", f.path)
	}
	path := filepath.Join(dir, clean)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(f.data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), f.mode)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
