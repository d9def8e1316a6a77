//go:build !unix

package auth

import "os"

// private says whether an access file is the server's alone: nothing for
// group or others.
func private(fi os.FileInfo) bool { return fi.Mode().Perm()&0o077 == 0 }
