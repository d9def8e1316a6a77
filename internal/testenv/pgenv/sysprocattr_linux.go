package pgenv

import "syscall"

// sysProcAttr runs a child as cred (nil: as this process), in its own
// process group, and ends it if the test binary dies without stopping it
// (SIGQUIT: postgres's immediate shutdown, which ends its backends too).
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
}
