package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
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
	for _, m := range mounts {
		if err := bind(m); err != nil {
			return err
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
// or an empty file, like the source) when it is missing.
func bind(m Mount) error {
	fi, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount %s: %w", m.Target, err)
	}
	if err := mountPoint(m.Target, fi.IsDir()); err != nil {
		return fmt.Errorf("mount point %s: %w", m.Target, err)
	}
	if err := syscall.Mount(m.Source, m.Target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s at %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY | syscall.MS_REC)
		if err := syscall.Mount("", m.Target, "", flags, ""); err != nil {
			return fmt.Errorf("make %s read-only: %w", m.Target, err)
		}
	}
	return nil
}

func mountPoint(target string, dir bool) error {
	if _, err := os.Stat(target); err == nil {
		return nil
	}
	if dir {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}
