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
	var mounted []string // mount points of every namespace, read once
	for _, path := range paths {
		if p.mountedByOthers(path, r) {
			continue
		}
		if mounted == nil {
			mounted = allMountPoints()
		}
		if mountedElsewhere(mounted, path) {
			continue // another agent's pod (or anything else) mounts there
		}
		delete(p.created, path)
		removeEmptyTree(path)
	}
}

// mountedElsewhere reports whether any mount point is at or below path,
// compared as the kernel lists them: with symlinks resolved
// (/var/run/secrets is /run/secrets).
func mountedElsewhere(mounted []string, path string) bool {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	return under(mounted, path)
}

// allMountPoints lists the mount points of every mount namespace on the
// machine (one /proc/PID/mountinfo per namespace): removing a folder on
// the host unmounts whatever another namespace has mounted on it.
func allMountPoints() []string {
	seen := map[string]bool{}
	out := []string{}
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "mnt"))
		if err != nil || seen[ns] {
			continue
		}
		seen[ns] = true
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "mountinfo"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 4 {
				out = append(out, f[4])
			}
		}
	}
	return out
}

// under reports whether any of targets is path or below it.
func under(targets []string, path string) bool {
	for _, t := range targets {
		if t == path || strings.HasPrefix(t, path+"/") {
			return true
		}
	}
	return false
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
	mounted := allMountPoints()
	for _, path := range paths {
		if mountedElsewhere(mounted, path) {
			continue // another agent's pod still mounts there
		}
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
		if under(other.mountTargets(p.cfg.Images), path) {
			return true
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
