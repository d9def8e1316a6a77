//go:build unix && !linux

package pgenv

import "syscall"

// sysProcAttr runs a child as cred (nil: as this process), in its own
// process group.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}
