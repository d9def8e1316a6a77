package nodeagent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	vklog "github.com/virtual-kubelet/virtual-kubelet/log"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// vkLogger sends virtual-kubelet's log lines to slog; its info lines are
// logged at debug level, they narrate every pod sync. So are its warnings
// and errors about a conflict it retries: a pod status written over a stale
// cached pod is refused ("the object has been modified") and requeued.
type vkLogger struct {
	l       *slog.Logger
	retried bool // the error attached is a conflict virtual-kubelet retries
}

var _ vklog.Logger = vkLogger{}

func (v vkLogger) Debug(a ...any)            { v.l.Debug(fmt.Sprint(a...)) }
func (v vkLogger) Debugf(f string, a ...any) { v.l.Debug(fmt.Sprintf(f, a...)) }
func (v vkLogger) Info(a ...any)             { v.l.Debug(fmt.Sprint(a...)) }
func (v vkLogger) Infof(f string, a ...any)  { v.l.Debug(fmt.Sprintf(f, a...)) }
func (v vkLogger) Warn(a ...any)             { v.log(slog.LevelWarn, fmt.Sprint(a...)) }
func (v vkLogger) Warnf(f string, a ...any)  { v.log(slog.LevelWarn, fmt.Sprintf(f, a...)) }
func (v vkLogger) Error(a ...any)            { v.log(slog.LevelError, fmt.Sprint(a...)) }
func (v vkLogger) Errorf(f string, a ...any) { v.log(slog.LevelError, fmt.Sprintf(f, a...)) }
func (v vkLogger) Fatal(a ...any)            { v.l.Error(fmt.Sprint(a...)); os.Exit(1) }
func (v vkLogger) Fatalf(f string, a ...any) { v.l.Error(fmt.Sprintf(f, a...)); os.Exit(1) }

func (v vkLogger) WithField(k string, a any) vklog.Logger {
	return vkLogger{v.l.With(k, a), v.retried}
}

// WithError keeps the error's message only: virtual-kubelet wraps errors
// with pkg/errors, whose stack traces slog would print in full.
func (v vkLogger) WithError(err error) vklog.Logger {
	if err == nil {
		return v
	}
	return vkLogger{v.l.With("err", err.Error()), v.retried || retriedConflict(err)}
}

func (v vkLogger) WithFields(f vklog.Fields) vklog.Logger {
	l := v.l
	for k, a := range f {
		l = l.With(k, a)
	}
	return vkLogger{l, v.retried}
}

func (v vkLogger) log(level slog.Level, msg string) {
	if v.retried {
		level = slog.LevelDebug
	}
	v.l.Log(context.Background(), level, msg)
}

// retriedConflict reports whether err is an update conflict that
// virtual-kubelet will retry; once it gives up on a key (after 20 tries)
// the error says so and is logged at its own level.
func retriedConflict(err error) bool {
	return apierrors.IsConflict(err) && !strings.Contains(err.Error(), "maximum retries")
}

func withVKLogger(ctx context.Context, l *slog.Logger) context.Context {
	return vklog.WithLogger(ctx, vkLogger{l: l.With("component", "virtual-kubelet")})
}
