package cwlogs

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// PutLogEvents' limits: a batch holds at most MaxBatchEvents events and
// MaxBatchBytes bytes, counting each event's UTF-8 message plus
// EventOverhead bytes; one event's message is at most MaxEventBytes.
const (
	MaxBatchEvents = 10_000
	MaxBatchBytes  = 1_048_576
	EventOverhead  = 26
	MaxEventBytes  = 256*1024 - EventOverhead
)

// Batches cuts data into the events of PutLogEvents calls, one event a
// line (without its line ending), each stamped at, in batches within the
// limits above. Empty lines are dropped; invalid UTF-8 becomes U+FFFD; a
// line longer than MaxEventBytes becomes several events, cut on rune
// boundaries.
func Batches(data []byte, at time.Time) [][]types.InputLogEvent {
	ts := aws.Int64(at.UnixMilli())
	var (
		out     [][]types.InputLogEvent
		cur     []types.InputLogEvent
		curSize int
	)
	add := func(msg string) {
		size := len(msg) + EventOverhead
		if len(cur) == MaxBatchEvents || curSize+size > MaxBatchBytes {
			out = append(out, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, types.InputLogEvent{Message: aws.String(msg), Timestamp: ts})
		curSize += size
	}
	for _, line := range splitLines(data) {
		msg := strings.ToValidUTF8(line, "\uFFFD")
		for len(msg) > MaxEventBytes {
			cut := MaxEventBytes
			for cut > 0 && !utf8.RuneStart(msg[cut]) {
				cut--
			}
			add(msg[:cut])
			msg = msg[cut:]
		}
		if strings.TrimSpace(msg) != "" {
			add(msg)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// splitLines returns the lines of data without their "\n" or "\r\n".
func splitLines(data []byte) []string {
	var lines []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, string(data))
			break
		}
		lines = append(lines, string(bytes.TrimSuffix(data[:i], []byte("\r"))))
		data = data[i+1:]
	}
	return lines
}
