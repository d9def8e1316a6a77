// Package cwenv gives tests a real CloudWatch Logs API: moto's server (from
// PyPI, installed into the cache folder by scripts/moto.sh on first use; run
// by scripts/setup.sh --test) on a free loopback port, stopped when the test
// ends. SPARKPLANE_MOTO names an installed moto folder to use instead.
package cwenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/sparkplane/sparkplane/internal/buildscript"
)

// MotoVersion is the moto release scripts/moto.sh installs.
const MotoVersion = "5.2.5"

// Region is the region the server's resources live in.
const Region = "us-east-1"

// Server is a running CloudWatch Logs server for one test.
type Server struct {
	// Endpoint is its URL (http://127.0.0.1:PORT).
	Endpoint string
	// CredentialsFile is a shared credentials file (0600) whose [default]
	// profile the server accepts (moto accepts any keys).
	CredentialsFile string
	tb              testing.TB
}

// Start starts a server that stops when tb ends; it fails tb if it cannot.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a cold install included
	defer cancel()
	dir := os.Getenv("SPARKPLANE_MOTO")
	if dir == "" {
		var err error
		if dir, err = buildscript.Run(ctx, "scripts/moto.sh"); err != nil {
			tb.Fatalf("cwenv: %v", err)
		}
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	tmp := tb.TempDir()
	logFile, err := os.Create(filepath.Join(tmp, "moto.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Dir = tmp
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("cwenv: start moto: %v", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), tb: tb}
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logFile.Close()
		if tb.Failed() {
			if out, _ := os.ReadFile(logFile.Name()); len(out) > 0 {
				tb.Logf("cwenv: moto's output (last 4 KiB):\n%s", lastBytes(out, 4096))
			}
		}
	})
	if err := waitReady(ctx, s.Endpoint); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		tb.Fatalf("cwenv: moto did not answer: %v\n%s", err, lastBytes(out, 4096))
	}
	s.CredentialsFile = filepath.Join(tmp, "credentials")
	creds := "[default]\naws_access_key_id = AKIDMOTO\naws_secret_access_key = motosecret\n"
	if err := os.WriteFile(s.CredentialsFile, []byte(creds), 0o600); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Client is a CloudWatch Logs client of the server.
func (s *Server) Client() *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDMOTO", "motosecret", ""),
	})
}

// Streams returns the names of the group's log streams ("" prefix: all).
func (s *Server) Streams(group, prefix string) []string {
	s.tb.Helper()
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group)}
	if prefix != "" {
		in.LogStreamNamePrefix = aws.String(prefix)
	}
	var names []string
	p := cloudwatchlogs.NewDescribeLogStreamsPaginator(s.Client(), in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			s.tb.Fatalf("cwenv: describe log streams of %s: %v", group, err)
		}
		for _, st := range out.LogStreams {
			names = append(names, aws.ToString(st.LogStreamName))
		}
	}
	return names
}

// Messages returns the messages of a stream, oldest first.
func (s *Server) Messages(group, stream string) []string {
	s.tb.Helper()
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(true)}
	var msgs []string
	for {
		out, err := s.Client().GetLogEvents(context.Background(), in)
		if err != nil {
			s.tb.Fatalf("cwenv: get log events of %s/%s: %v", group, stream, err)
		}
		for _, e := range out.Events {
			msgs = append(msgs, aws.ToString(e.Message))
		}
		if len(out.Events) == 0 || aws.ToString(out.NextForwardToken) == aws.ToString(in.NextToken) {
			return msgs
		}
		in.NextToken = out.NextForwardToken
	}
}

func waitReady(ctx context.Context, endpoint string) error {
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
