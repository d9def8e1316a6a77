package devcluster

import (
	"net"
	"os"
	"testing"

	"github.com/sparkplane/sparkplane/internal/s3server"
)

// The cluster's S3 server keeps its root account (0600 file) and its
// bucket across restarts, and refuses a port that is taken.
func TestS3ServerKeepsItsCredentialsAcrossRestarts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	o := Options{Layout: Layout{Dir: t.TempDir()}, S3Address: addr, S3Bucket: "sparkplane-dev"}
	if _, _, err := startS3(t.Context(), o); err == nil {
		t.Fatalf("started on %s, which is taken", addr)
	}
	l.Close()

	var first *S3State
	for i := range 2 {
		srv, st, err := startS3(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		if st.Endpoint != "http://"+addr || st.Bucket != "sparkplane-dev" || st.CredentialsFile != o.Layout.S3CredentialsFile() {
			t.Errorf("start %d: state %+v", i, st)
		}
		if i == 0 {
			first = st
		} else if st.AccessKeyID != first.AccessKeyID {
			t.Errorf("restart made a new account %s (was %s)", st.AccessKeyID, first.AccessKeyID)
		}
		srv.Stop()
	}
	fi, err := os.Stat(o.Layout.S3CredentialsFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	c, err := s3server.ReadCredentialsFile(o.Layout.S3CredentialsFile())
	if err != nil || c.AccessKeyID != first.AccessKeyID {
		t.Fatalf("credentials file holds %s (%v), want %s", c.AccessKeyID, err, first.AccessKeyID)
	}
	if fi, err := os.Stat(o.Layout.S3Dir() + "/data/sparkplane-dev"); err != nil || !fi.IsDir() {
		t.Fatalf("no bucket folder: %v", err)
	}
}
