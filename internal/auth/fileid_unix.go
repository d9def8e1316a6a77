//go:build unix

package auth

import (
	"os"
	"syscall"
)

// fileID tells versions of the access file apart: a change of any field is
// a new version (an edit in place changes mtime or size, a replace by rename
// changes the inode, a chmod changes the mode).
type fileID struct {
	mtime, size int64
	ino         uint64
	mode        os.FileMode
}

func idOf(fi os.FileInfo) fileID {
	id := fileID{mtime: fi.ModTime().UnixNano(), size: fi.Size(), mode: fi.Mode()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.ino = uint64(st.Ino) //nolint:unconvert // not uint64 on every platform
	}
	return id
}
