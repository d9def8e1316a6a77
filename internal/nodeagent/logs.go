package nodeagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GetContainerLogs serves a container's log file (stdout and stderr
// together), honouring tailLines, limitBytes and follow. Timestamps are not
// recorded, so timestamps and since* are ignored.
func (p *provider) GetContainerLogs(ctx context.Context, namespace, podName, container string, opts api.ContainerLogOpts) (io.ReadCloser, error) {
	pod, err := p.client.CoreV1().Pods(namespace).Get(ctx, podName, metav1.GetOptions{})
	if err != nil {
		return nil, errdefs.AsNotFound(fmt.Errorf("pod %s/%s: %w", namespace, podName, err))
	}
	f, err := os.Open(p.logPath(namespace, podName, pod.UID, container))
	if errors.Is(err, os.ErrNotExist) {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if err != nil {
		return nil, err
	}
	if opts.Tail > 0 {
		if err := seekTail(f, opts.Tail); err != nil {
			f.Close()
			return nil, err
		}
	}
	var rc io.ReadCloser = f
	if opts.Follow {
		r := p.run(namespace, podName)
		rc = &follower{f: f, ctx: ctx, running: func() bool { return r != nil && r.containerRunning(container) }}
	}
	if opts.LimitBytes > 0 {
		rc = limitReadCloser{io.LimitReader(rc, int64(opts.LimitBytes)), rc}
	}
	return rc, nil
}

type limitReadCloser struct {
	io.Reader
	io.Closer
}

// seekTail positions f at the start of its last n lines.
func seekTail(f *os.File, n int) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	lines := 0
	for off := size; off > 0; {
		start := max(off-chunk, 0)
		b := buf[:off-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' || start+int64(i) == size-1 {
				continue
			}
			if lines++; lines == n {
				_, err := f.Seek(start+int64(i)+1, io.SeekStart)
				return err
			}
		}
		off = start
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// follower reads a log file and, at its end, waits for more while the
// container runs.
type follower struct {
	f       *os.File
	ctx     context.Context
	running func() bool
}

func (fl *follower) Read(b []byte) (int, error) {
	for {
		n, err := fl.f.Read(b)
		if n > 0 || !errors.Is(err, io.EOF) {
			return n, err
		}
		if !fl.running() {
			return fl.f.Read(b) // what was written before it exited
		}
		select {
		case <-fl.ctx.Done():
			return 0, io.EOF
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (fl *follower) Close() error { return fl.f.Close() }

// containerRunning says whether the named container is running now.
func (r *podRun) containerRunning(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, list := range [][]corev1.ContainerStatus{r.status.InitContainerStatuses, r.status.ContainerStatuses} {
		for _, cs := range list {
			if cs.Name == name {
				return cs.State.Running != nil
			}
		}
	}
	return false
}
