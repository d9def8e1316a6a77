//go:build unix

package auth

import (
	"os"
	"syscall"
)

// private says whether an access file is the server's alone: nothing for
// others, and for its group at most reading, when that group is the
// server's own (root:<server's group> 0640, or a Kubernetes secret volume
// whose files get the pod's fsGroup, the server's group, and mode 0440).
func private(fi os.FileInfo) bool {
	perm := fi.Mode().Perm()
	if perm&0o037 != 0 {
		return false
	}
	if perm&0o040 == 0 {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Gid) == os.Getegid()
}
