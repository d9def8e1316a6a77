package e2e

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cli"
)

// syncBuffer is the output of a command that runs while it is read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// `sparkplane runs --watch` prints a line for each state change of a real
// run as it happens, until interrupted.
func TestRunsWatch(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "watch", "watch")
	var out syncBuffer
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exit := make(chan int, 1)
	go func() {
		env := &cli.Env{Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" }}
		exit <- cli.Run(ctx, env, []string{"runs", "--watch", "--after", "0", "--endpoint-url", s.URL, vc})
	}()
	id := startJob(t, s.Client, vc, "pi", piEntryPoint, piParams)
	waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(out.String(), "COMPLETED") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if code := <-exit; code != 0 {
		t.Fatalf("runs --watch exited %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[0], "STATE") {
		t.Fatalf("runs --watch header %q", lines[0])
	}
	var states []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 || f[1] != vc || f[2] != id || f[3] != "pi" {
			t.Fatalf("runs --watch line %q, want the run's time, cluster, id, name and state", l)
		}
		states = append(states, f[4])
	}
	if got := strings.Join(states, " "); got != "PENDING SUBMITTED RUNNING COMPLETED" {
		t.Errorf("runs --watch printed %s:\n%s", got, out.String())
	}

	if _, _, code := runCLI(t, "runs", "--watch", vc, "another"); code != 2 {
		t.Errorf("runs --watch with two clusters: exit %d, want 2 (usage)", code)
	}
}
