// Package fakes3 starts an in-process S3-compatible server for tests
// (gofakes3 on an in-memory backend, behind httptest), with a credentials
// file the server accepts. It stands in until internal/testenv/s3env, a
// real S3-compatible server, lands; tests reach it only through Server,
// so swapping it changes this package alone.
//
// gofakes3 checks no signature and has no per-credential permissions: any
// key reads any bucket, so AccessDenied cannot be tested against it.
package fakes3

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region the server's clients sign for.
const Region = "us-east-1"

// Server is a running S3-compatible server, addressed path-style.
type Server struct {
	// URL is its endpoint (config s3.endpoint).
	URL string
	// CredentialsFile is an AWS shared credentials file with a [default]
	// profile that the server accepts.
	CredentialsFile string
	client          *s3.Client
}

// Start starts a server that stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ts := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	const id, secret = "AKIAFAKES3TEST", "fakes3-secret"
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(ts.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	return &Server{URL: ts.URL, CredentialsFile: creds, client: c}
}

// CreateBucket creates bucket.
func (s *Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// Put writes the object bucket/key.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}
