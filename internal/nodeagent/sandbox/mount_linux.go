package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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
	var done []string
	for _, m := range mounts {
		created, err := bind(m)
		if err != nil {
			return err
		}
		// Made inside an earlier mount, it is in that mount's source, not
		// at this path on the host: not ours to record.
		inside := slices.ContainsFunc(done, func(t string) bool { return strings.HasPrefix(created, strings.TrimSuffix(t, "/")+"/") })
		done = append(done, m.Target)
		if created != "" && !inside && spec.CreatedLog != "" {
			if err := appendLine(spec.CreatedLog, created); err != nil {
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

// bind mounts m.Source at m.Target, creating the mount point (a directory
// or an empty file, like the source) when it is missing; created is the
// topmost path it had to create on the host, if any.
func bind(m Mount) (created string, err error) {
	fi, err := os.Stat(m.Source)
	if err != nil {
		return "", fmt.Errorf("mount %s: %w", m.Target, err)
	}
	if created, err = mountPoint(m.Target, fi.IsDir()); err != nil {
		return "", fmt.Errorf("mount point %s: %w", m.Target, err)
	}
	if err := syscall.Mount(m.Source, m.Target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
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

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
