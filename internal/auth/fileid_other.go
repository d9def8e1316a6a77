//go:build !unix

package auth

import "os"

// fileID tells versions of the access file apart (no inode here).
type fileID struct {
	mtime, size int64
	mode        os.FileMode
}

func idOf(fi os.FileInfo) fileID {
	return fileID{mtime: fi.ModTime().UnixNano(), size: fi.Size(), mode: fi.Mode()}
}
