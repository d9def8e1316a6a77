package app

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

type countingRollerUp struct{ calls atomic.Int32 }

func (c *countingRollerUp) RollUpUsage(context.Context) (int, error) {
	return int(c.calls.Add(1)), nil
}

func TestRollUpEveryCatchesUpUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &countingRollerUp{}
	done := make(chan struct{})
	go func() {
		rollUpEvery(ctx, r, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	for deadline := time.Now().Add(10 * time.Second); r.calls.Load() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("rolled up %d times", r.calls.Load())
		}
	}
	cancel()
	<-done // returns once cancelled
}
