package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// setup runs inside the new namespaces, before the command is executed.
func setup(spec Spec) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	mounts := spec.Mounts
	if spec.HostsFile != "" {
		mounts = append(mounts, Mount{Source: spec.HostsFile, Target: "/etc/hosts", ReadOnly: true})
	}
	// Every source, and the log of created mount points, is opened before
	// anything is mounted: a mount over a folder holding later sources (an
	// emptyDir at /tmp while the node's state is under /tmp) would hide them.
	sources := make([]int, 0, len(mounts))
	defer func() {
		for _, fd := range sources {
			_ = syscall.Close(fd)
		}
	}()
	for _, m := range mounts {
		fd, err := unix.Open(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("mount %s: open %s: %w", m.Target, m.Source, err)
		}
		sources = append(sources, fd)
	}
	var createdLog *os.File
	if spec.CreatedLog != "" {
		f, err := os.OpenFile(spec.CreatedLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("mount point log: %w", err)
		}
		defer f.Close()
		createdLog = f
	}
	var done []string
	for i, m := range mounts {
		created, err := bind(m, sources[i])
		if err != nil {
			return err
		}
		// Made inside an earlier mount, it is in that mount's source, not
		// at this path on the host: not ours to record.
		inside := slices.ContainsFunc(done, func(t string) bool { return strings.HasPrefix(created, strings.TrimSuffix(t, "/")+"/") })
		done = append(done, m.Target)
		if created != "" && !inside && createdLog != nil {
			if _, err := createdLog.WriteString(created + "\n"); err != nil {
				return fmt.Errorf("record mount point %s: %w", created, err)
			}
		}
	}
	if spec.Hostname != "" {
		if err := syscall.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname %s: %w", spec.Hostname, err)
		}
	}
	if spec.Dir != "" {
		if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
		if err := os.Chdir(spec.Dir); err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
	}
	return nil
}

// bind mounts m.Source, open as src (an O_PATH descriptor), at m.Target,
// creating the mount point (a directory or an empty file, like the source)
// when it is missing; created is the topmost path it had to create on the
// host, if any.
func bind(m Mount, src int) (created string, err error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(src, &st); err != nil {
		return "", fmt.Errorf("mount %s: %s: %w", m.Target, m.Source, err)
	}
	if created, err = mountPoint(m.Target, st.Mode&syscall.S_IFMT == syscall.S_IFDIR); err != nil {
		return "", fmt.Errorf("mount point %s: %w", m.Target, err)
	}
	if err := syscall.Mount(fmt.Sprintf("/proc/self/fd/%d", src), m.Target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return created, fmt.Errorf("bind %s at %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY | syscall.MS_REC)
		if err := syscall.Mount("", m.Target, "", flags, ""); err != nil {
			return created, fmt.Errorf("make %s read-only: %w", m.Target, err)
		}
	}
	return created, nil
}

func mountPoint(target string, dir bool) (created string, err error) {
	if _, err := os.Stat(target); err == nil {
		return "", nil
	}
	created = target
	for p := filepath.Dir(target); p != "/"; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		created = p
	}
	if dir {
		return created, os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return created, err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return created, err
	}
	return created, f.Close()
}
