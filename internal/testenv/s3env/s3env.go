// Package s3env gives tests a real S3-compatible server: versitygw on a
// temporary folder and a free loopback port (see internal/s3server), stopped
// and removed when the test ends. The versitygw binary is built into the
// cache folder on first use (scripts/versitygw.sh, ~3-5 minutes cold; run
// by scripts/setup.sh --test) unless SPARKPLANE_VERSITYGW names one.
//
// The server has a root account, which sees every bucket, and the user
// accounts a test adds with AddUser, each of which sees only the buckets
// created for it (CreateBucketFor): what two execution roles mapped to
// different credentials need.
package s3env

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/s3server"
)

// Credentials are an account's key pair.
type Credentials = s3server.Credentials

// Server is a running S3 server for one test.
type Server struct {
	// Endpoint is its URL (http://127.0.0.1:PORT); address buckets
	// path-style.
	Endpoint string
	Region   string
	// AccessKey and SecretKey are the root account's.
	AccessKey, SecretKey string
	// Dir is the server's folder; Dir/data/<bucket>/<key> are the objects.
	Dir string
	tb  testing.TB
	srv *s3server.Server
}

// Start starts a server that stops when tb ends; it fails tb if it cannot.
func Start(tb testing.TB) *Server {
	tb.Helper()
	dir := tb.TempDir()
	log, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a cold build of versitygw included
	defer cancel()
	root := s3server.NewCredentials("ROOT")
	srv, err := s3server.Start(ctx, s3server.Options{Dir: filepath.Join(dir, "server"), Root: root, Output: log})
	if err != nil {
		log.Close()
		out, _ := os.ReadFile(log.Name())
		tb.Fatalf("s3env: %v\n%s", err, out)
	}
	tb.Cleanup(func() {
		_ = srv.Stop()
		log.Close()
		if tb.Failed() {
			if out, _ := os.ReadFile(log.Name()); len(out) > 0 {
				tb.Logf("s3env: versitygw's output:\n%s", out)
			}
		}
	})
	return &Server{Endpoint: srv.Endpoint, Region: srv.Region, AccessKey: root.AccessKeyID, SecretKey: root.SecretAccessKey,
		Dir: filepath.Join(dir, "server"), tb: tb, srv: srv}
}

// Root is the root account, which sees every bucket.
func (s *Server) Root() Credentials {
	return Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}
}

// CreateBucket creates a bucket owned by the root account (user accounts
// cannot see it).
func (s *Server) CreateBucket(name string) {
	s.tb.Helper()
	if err := s.srv.CreateBucket(s.tb.Context(), name, ""); err != nil {
		s.tb.Fatal(err)
	}
}

// AddUser adds an account that sees only the buckets created for it with
// CreateBucketFor (and creates none itself). name only makes its access key
// recognisable.
func (s *Server) AddUser(name string) Credentials {
	s.tb.Helper()
	c := s3server.NewCredentials(strings.ToUpper(name) + "X")
	if err := s.srv.AddUser(s.tb.Context(), c); err != nil {
		s.tb.Fatal(err)
	}
	return c
}

// CreateBucketFor creates a bucket owned by the user account owner: it and
// the root account may use it, other users get AccessDenied.
func (s *Server) CreateBucketFor(name string, owner Credentials) {
	s.tb.Helper()
	if err := s.srv.CreateBucket(s.tb.Context(), name, owner.AccessKeyID); err != nil {
		s.tb.Fatal(err)
	}
}

// Client is an S3 client of the AWS SDK for Go v2 signing as c.
func (s *Server) Client(c Credentials) *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
	})
}

// CredentialsFile writes c as the [default] profile of an AWS shared
// credentials file (0600) in a temporary folder and returns its path: what
// s3.credentialsFile and security.executionRoles[].credentialsFile name.
func (s *Server) CredentialsFile(c Credentials) string {
	s.tb.Helper()
	path := filepath.Join(s.tb.TempDir(), "credentials")
	if err := s3server.WriteCredentialsFile(path, c); err != nil {
		s.tb.Fatal(err)
	}
	return path
}

// Config is the server's s3 section of sparkplane's configuration, with
// the root account's credentials as the default.
func (s *Server) Config() config.S3 {
	s.tb.Helper()
	return config.S3{Endpoint: s.Endpoint, Region: s.Region, PathStyle: true, CredentialsFile: s.CredentialsFile(s.Root())}
}

// Put stores body at bucket/key as the root account.
func (s *Server) Put(bucket, key string, body []byte) {
	s.tb.Helper()
	if _, err := s.Client(s.Root()).PutObject(s.tb.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body)}); err != nil {
		s.tb.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}
