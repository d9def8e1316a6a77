package cwlogs

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestBatchesOneEventALine(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	b := Batches([]byte("first\r\n\n  \nsecond\nlast without newline"), at)
	if len(b) != 1 {
		t.Fatalf("%d batches, want 1", len(b))
	}
	var got []string
	for _, e := range b[0] {
		got = append(got, aws.ToString(e.Message))
		if aws.ToInt64(e.Timestamp) != at.UnixMilli() {
			t.Errorf("timestamp %d, want %d", aws.ToInt64(e.Timestamp), at.UnixMilli())
		}
	}
	if want := []string{"first", "second", "last without newline"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("messages %q, want %q", got, want)
	}
	if len(Batches(nil, at)) != 0 || len(Batches([]byte("\n\n"), at)) != 0 {
		t.Error("no lines must make no batch")
	}
}

func TestBatchesStayWithinPutLogEventsLimits(t *testing.T) {
	at := time.Now()
	// Many short lines: cut by count.
	many := strings.Repeat("x\n", 2*MaxBatchEvents+5)
	b := Batches([]byte(many), at)
	if len(b) != 3 || len(b[0]) != MaxBatchEvents || len(b[2]) != 5 {
		t.Fatalf("batch sizes %d…, want 10000, 10000, 5", len(b))
	}
	// Long lines: cut by bytes, one line longer than an event split on runes.
	line := strings.Repeat("é", 200_000) // 400,000 bytes
	b = Batches([]byte(line+"\n"+line+"\n"+line+"\n"), at)
	total := 0
	for _, batch := range b {
		size := 0
		for _, e := range batch {
			m := aws.ToString(e.Message)
			if len(m) > MaxEventBytes || !utf8.ValidString(m) {
				t.Fatalf("event of %d bytes (valid UTF-8: %v)", len(m), utf8.ValidString(m))
			}
			size += len(m) + EventOverhead
			total += len(m)
		}
		if size > MaxBatchBytes {
			t.Fatalf("batch of %d bytes > %d", size, MaxBatchBytes)
		}
	}
	if total != 3*len(line) {
		t.Errorf("%d message bytes, want %d: nothing may be lost", total, 3*len(line))
	}
}

func TestBatchesReplaceInvalidUTF8(t *testing.T) {
	b := Batches([]byte("ok \xff\xfe end\n"), time.Now())
	if m := aws.ToString(b[0][0].Message); m != "ok \uFFFD end" {
		t.Errorf("message %q", m)
	}
}
