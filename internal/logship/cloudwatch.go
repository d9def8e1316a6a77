package logship

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// LogWriter appends lines to a CloudWatch Logs stream (*cwlogs.Client, with
// the run's execution role's credentials), creating its group and the
// stream when missing.
type LogWriter interface {
	Write(ctx context.Context, group, stream string, data []byte, at time.Time) error
}

// CloudWatch is the Destination of cloudWatchMonitoringConfiguration: every
// stream of every container is a log stream of the run's log group, named
// as EMR on EKS names them:
//
//	<prefix>/<virtualClusterId>/jobs/<jobRunId>/control-logs/<jobRunnerPod>/{stdout,stderr}
//	<prefix>/<virtualClusterId>/jobs/<jobRunId>/containers/<sparkAppId>/<pod>/{stdout,stderr}
//
// (without "<prefix>/" when logStreamNamePrefix is not set). CloudWatch
// Logs only appends, so of each piece it sends the complete lines beyond
// what it sent before, and the rest when the piece is rotated or final.
// What it has sent is remembered for the life of the destination: a
// server that ships a run again after a restart sends its lines again (at
// least once, never lost).
type CloudWatch struct {
	w      LogWriter
	group  string
	prefix string
	now    func() time.Time

	mu   sync.Mutex
	sent map[string]int // bytes of a piece sent, by pieceKey
}

var _ Destination = (*CloudWatch)(nil)

// CloudWatchOf is the run's cloudWatchMonitoringConfiguration; nil when it
// has none.
func CloudWatchOf(run *emr.JobRun) *emr.CloudWatchMonitoringConfiguration {
	co := run.ConfigurationOverrides
	if co == nil || co.MonitoringConfiguration == nil {
		return nil
	}
	return co.MonitoringConfiguration.CloudWatchMonitoringConfiguration
}

// NewCloudWatch ships logs to the log group of cfg through w.
func NewCloudWatch(w LogWriter, cfg emr.CloudWatchMonitoringConfiguration) *CloudWatch {
	return &CloudWatch{w: w, group: cfg.LogGroupName, prefix: strings.Trim(cfg.LogStreamNamePrefix, "/"),
		now: time.Now, sent: map[string]int{}}
}

// StreamName is the log stream of a container's stream.
func (d *CloudWatch) StreamName(c Container, stream string) string {
	name := c.VirtualClusterID + "/jobs/" + c.JobRunID + "/" + containerDir(c) + stream
	if d.prefix != "" {
		name = d.prefix + "/" + name
	}
	return name
}

// Put implements Destination.
func (d *CloudWatch) Put(ctx context.Context, p Piece) error {
	key := pieceKey(p)
	d.mu.Lock()
	from := d.sent[key]
	d.mu.Unlock()
	if from > len(p.Data) {
		from = 0 // not an extension of what was sent: a new stream of the same name
	}
	end := len(p.Data)
	if !p.Rotated && !p.Final {
		end = from + bytes.LastIndexByte(p.Data[from:], '\n') + 1 // complete lines only
	}
	if end <= from {
		return nil
	}
	if err := d.w.Write(ctx, d.group, d.StreamName(p.Container, p.Stream), p.Data[from:end], d.now()); err != nil {
		return err
	}
	d.mu.Lock()
	d.sent[key] = end
	d.mu.Unlock()
	return nil
}

func pieceKey(p Piece) string {
	return p.Container.Pod + "\x00" + p.Container.AppID + "\x00" + p.Stream + "\x00" + strconv.Itoa(p.Index)
}
