package logship

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

type recordedWrite struct{ group, stream, data string }

type recordingWriter struct{ writes []recordedWrite }

func (w *recordingWriter) Write(_ context.Context, group, stream string, data []byte, _ time.Time) error {
	w.writes = append(w.writes, recordedWrite{group, stream, string(data)})
	return nil
}

func TestCloudWatchStreamNamesAreEMRs(t *testing.T) {
	d := NewCloudWatch(&recordingWriter{}, emr.CloudWatchMonitoringConfiguration{LogGroupName: "/emr", LogStreamNamePrefix: "team-a"})
	driver := Container{VirtualClusterID: "vc1", JobRunID: "run1", Role: RoleDriver, AppID: "spark-abc", Pod: "spark-run1-driver"}
	runner := Container{VirtualClusterID: "vc1", JobRunID: "run1", Role: RoleJobRunner, Pod: "run1-x7k2q"}
	if got, want := d.StreamName(driver, Stdout), "team-a/vc1/jobs/run1/containers/spark-abc/spark-run1-driver/stdout"; got != want {
		t.Errorf("driver stream %q, want %q", got, want)
	}
	if got, want := d.StreamName(runner, Stderr), "team-a/vc1/jobs/run1/control-logs/run1-x7k2q/stderr"; got != want {
		t.Errorf("job runner stream %q, want %q", got, want)
	}
	noPrefix := NewCloudWatch(&recordingWriter{}, emr.CloudWatchMonitoringConfiguration{LogGroupName: "/emr"})
	if got, want := noPrefix.StreamName(runner, Stdout), "vc1/jobs/run1/control-logs/run1-x7k2q/stdout"; got != want {
		t.Errorf("stream without prefix %q, want %q", got, want)
	}
}

func TestCloudWatchSendsEachLineOnce(t *testing.T) {
	w := &recordingWriter{}
	d := NewCloudWatch(w, emr.CloudWatchMonitoringConfiguration{LogGroupName: "g"})
	c := Container{VirtualClusterID: "vc", JobRunID: "r", Role: RoleDriver, AppID: "app", Pod: "p"}
	ctx := context.Background()
	put := func(p Piece) {
		t.Helper()
		p.Container, p.Stream = c, Stdout
		if err := d.Put(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	put(Piece{Index: 0, Data: []byte("one\ntw")})                            // "tw" is not a line yet
	put(Piece{Index: 0, Data: []byte("one\ntw")})                            // nothing new
	put(Piece{Index: 0, Data: []byte("one\ntwo\nthree\n")})                  // the rest of the piece's lines
	put(Piece{Index: 0, Data: []byte("one\ntwo\nthree\nfo"), Rotated: true}) // rotated: all of it
	put(Piece{Index: 1, Data: []byte("ur\nlast"), Final: true})
	var got []string
	for _, wr := range w.writes {
		if wr.group != "g" || wr.stream != "vc/jobs/r/containers/app/p/stdout" {
			t.Errorf("write to %s %s", wr.group, wr.stream)
		}
		got = append(got, wr.data)
	}
	if want := []string{"one\n", "two\nthree\n", "fo", "ur\nlast"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("writes %q, want %q", got, want)
	}
}
