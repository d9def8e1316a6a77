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
	s, stop, err := Launch(ctx, tb.TempDir())
	if err != nil {
		tb.Fatalf("cwenv: %v", err)
	}
	tb.Cleanup(func() {
		if out := stop(); tb.Failed() && out != "" {
			tb.Logf("cwenv: moto's output (last 4 KiB):\n%s", out)
		}
	})
	return s.For(tb)
}

// Launch starts a server with its files in dir, for a caller without a
// testing.TB (a TestMain); stop kills it and returns the end of its
// output. Call For to use the server's helpers in a test.
func Launch(ctx context.Context, dir string) (s *Server, stop func() string, err error) {
	motoDir := os.Getenv("SPARKPLANE_MOTO")
	if motoDir == "" {
		if motoDir, err = buildscript.Run(ctx, "scripts/moto.sh"); err != nil {
			return nil, nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+motoDir, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("start moto: %w", err)
	}
	stop = func() string {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logFile.Close()
		out, _ := os.ReadFile(logFile.Name())
		return lastBytes(out, 4096)
	}
	s = &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), CredentialsFile: filepath.Join(dir, "credentials")}
	if err := waitReady(ctx, s.Endpoint); err != nil {
		return nil, nil, fmt.Errorf("moto did not answer: %w\n%s", err, stop())
	}
	creds := "[default]\naws_access_key_id = AKIDMOTO\naws_secret_access_key = motosecret\n"
	if err := os.WriteFile(s.CredentialsFile, []byte(creds), 0o600); err != nil {
		stop()
		return nil, nil, err
	}
	return s, stop, nil
}

// For returns the server with its helpers failing tb.
func (s *Server) For(tb testing.TB) *Server {
	c := *s
	c.tb = tb
	return &c
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
