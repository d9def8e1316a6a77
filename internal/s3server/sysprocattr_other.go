//go:build unix && !linux

package s3server

import "syscall"

// sysProcAttr puts the server in its own process group (no parent-death
// signal outside Linux).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
