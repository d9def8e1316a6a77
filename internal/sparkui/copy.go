package sparkui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// MaxEventLogBytes bounds the event logs of one run that are kept or
// placed for the History Server.
const MaxEventLogBytes = 4 << 30 // 4 GiB

// errTooLarge is an event log over MaxEventLogBytes.
var errTooLarge = fmt.Errorf("the event log is larger than %d bytes", int64(MaxEventLogBytes))

// copyTree copies the regular files and folders under src into dst
// (created; folders 0700, files 0600, owned by this process), at most
// limit bytes in all. src is untrusted (a job's folder): links are
// skipped, nothing outside src is ever read (os.Root), and anything but
// a regular file (a FIFO, a device) is skipped without blocking.
func copyTree(src, dst string, limit int64) error {
	root, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	var total int64
	return fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		switch {
		case p == ".":
			return nil
		case d.IsDir():
			return os.Mkdir(target, 0o700)
		case !d.Type().IsRegular():
			return nil
		}
		n, err := copyFile(root, p, target, limit-total)
		total += n
		return err
	})
}

// copyFile copies the regular file p of root to the new file target, at
// most limit bytes.
func copyFile(root *os.Root, p, target string, limit int64) (int64, error) {
	in, err := root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, fs.ErrNotExist) {
		return 0, nil // became a link, or went
	}
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || !st.Mode().IsRegular() {
		return 0, err
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(in, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = errTooLarge
	}
	return n, err
}

// chownTree gives everything under dir (dir included) to uid:gid.
func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
