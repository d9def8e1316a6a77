package nodeagent

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	vklog "github.com/virtual-kubelet/virtual-kubelet/log"
)

// vkLogger sends virtual-kubelet's log lines to slog; its info lines are
// logged at debug level, they narrate every pod sync.
type vkLogger struct{ l *slog.Logger }

var _ vklog.Logger = vkLogger{}

func (v vkLogger) Debug(a ...any)                         { v.l.Debug(fmt.Sprint(a...)) }
func (v vkLogger) Debugf(f string, a ...any)              { v.l.Debug(fmt.Sprintf(f, a...)) }
func (v vkLogger) Info(a ...any)                          { v.l.Debug(fmt.Sprint(a...)) }
func (v vkLogger) Infof(f string, a ...any)               { v.l.Debug(fmt.Sprintf(f, a...)) }
func (v vkLogger) Warn(a ...any)                          { v.l.Warn(fmt.Sprint(a...)) }
func (v vkLogger) Warnf(f string, a ...any)               { v.l.Warn(fmt.Sprintf(f, a...)) }
func (v vkLogger) Error(a ...any)                         { v.l.Error(fmt.Sprint(a...)) }
func (v vkLogger) Errorf(f string, a ...any)              { v.l.Error(fmt.Sprintf(f, a...)) }
func (v vkLogger) Fatal(a ...any)                         { v.l.Error(fmt.Sprint(a...)); os.Exit(1) }
func (v vkLogger) Fatalf(f string, a ...any)              { v.l.Error(fmt.Sprintf(f, a...)); os.Exit(1) }
func (v vkLogger) WithField(k string, a any) vklog.Logger { return vkLogger{v.l.With(k, a)} }
func (v vkLogger) WithError(err error) vklog.Logger       { return vkLogger{v.l.With("err", err)} }

func (v vkLogger) WithFields(f vklog.Fields) vklog.Logger {
	l := v.l
	for k, a := range f {
		l = l.With(k, a)
	}
	return vkLogger{l}
}

func withVKLogger(ctx context.Context, l *slog.Logger) context.Context {
	return vklog.WithLogger(ctx, vkLogger{l.With("component", "virtual-kubelet")})
}
