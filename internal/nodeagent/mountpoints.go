package nodeagent

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// createdMountPoints, in a pod's state folder, lists the mount points its
// sandboxes had to create on the host (e.g. /opt/spark, Spark's
// /var/data/spark-<uuid> local dirs).
const createdMountPoints = "created-mount-points"

// removeMountPoints adds the mount points r's sandboxes created on the
// host to those the node created, then removes every one that no other
// pod mounts at or below (a folder removed on the host would also vanish
// from that pod's mounts); the others are tried again when the next pod
// goes. Folders that are not empty stay. Called with p.mu held, so no pod
// starts meanwhile.
func (p *provider) removeMountPoints(r *podRun) {
	p.noteCreated(r)
	paths := slices.Collect(maps.Keys(p.created))
	// Deepest first, so a created parent can go once its children have.
	slices.SortFunc(paths, func(a, b string) int { return len(b) - len(a) })
	for _, path := range paths {
		if p.mountedByOthers(path, r) {
			continue
		}
		delete(p.created, path)
		removeEmptyTree(path)
	}
}

// removeAllMountPoints removes every mount point the node's sandboxes
// created, once no pod runs.
func (p *provider) removeAllMountPoints() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.runs {
		p.noteCreated(r)
	}
	paths := slices.Collect(maps.Keys(p.created))
	slices.SortFunc(paths, func(a, b string) int { return len(b) - len(a) })
	for _, path := range paths {
		delete(p.created, path)
		removeEmptyTree(path)
	}
}

// noteCreated adds the mount points r's sandboxes created to p.created.
func (p *provider) noteCreated(r *podRun) {
	data, err := os.ReadFile(filepath.Join(r.dir, createdMountPoints))
	if err != nil {
		return
	}
	for _, path := range strings.Fields(string(data)) {
		if filepath.IsAbs(path) {
			p.created[filepath.Clean(path)] = true
		}
	}
}

// removeEmptyTree removes path and what is below it, deepest first, as
// long as it is only empty folders and empty files (the mount points
// created for nested mounts); anything else, and its parents, stay.
func removeEmptyTree(path string) {
	var all []string
	_ = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			all = append(all, p)
		}
		return nil
	})
	slices.Reverse(all) // WalkDir lists parents before their children
	for _, p := range all {
		fi, err := os.Lstat(p)
		if err != nil || !(fi.IsDir() || (fi.Mode().IsRegular() && fi.Size() == 0)) {
			continue
		}
		_ = os.Remove(p) // fails, harmlessly, on a folder that is not empty
	}
}

// mountedByOthers reports whether a pod other than r mounts at path or
// below it.
func (p *provider) mountedByOthers(path string, r *podRun) bool {
	for _, other := range p.runs {
		if other == r {
			continue
		}
		for _, t := range other.mountTargets(p.cfg.Images) {
			if t == path || strings.HasPrefix(t, path+"/") {
				return true
			}
		}
	}
	return false
}

// mountTargets are where r's containers get mounts: their volume mounts,
// their images' folders and /etc/hosts.
func (r *podRun) mountTargets(images Images) []string {
	targets := []string{"/etc/hosts"}
	for _, c := range append(append([]corev1.Container{}, r.spec.InitContainers...), r.spec.Containers...) {
		for _, vm := range c.VolumeMounts {
			targets = append(targets, filepath.Clean(vm.MountPath))
		}
		if root, err := images.Resolve(c.Image); err == nil {
			for _, m := range root.Mounts {
				targets = append(targets, filepath.Clean(m.Target))
			}
		}
	}
	return targets
}
