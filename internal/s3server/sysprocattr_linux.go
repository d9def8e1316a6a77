package s3server

import "syscall"

// sysProcAttr puts the server in its own process group and ends it if the
// process that started it dies without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
