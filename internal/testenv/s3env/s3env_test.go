package s3env_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/sparkplane/sparkplane/internal/s3server"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// TestServerServesWhatS3ANeeds drives the operations Spark's S3A connector
// and the AWS SDK for Go v2 use: put, HEAD, ranged get, list v2 with a
// delimiter, multipart upload, copy + delete (S3A's rename), bulk delete.
func TestServerServesWhatS3ANeeds(t *testing.T) {
	srv := s3env.Start(t)
	srv.CreateBucket("data")
	c := srv.Client(srv.Root())
	ctx := t.Context()

	put := func(key, body string) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	get := func(key, rng string) string {
		t.Helper()
		in := &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String(key)}
		if rng != "" {
			in.Range = aws.String(rng)
		}
		out, err := c.GetObject(ctx, in)
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	put("input/a.csv", "id,name\n1,alice\n")
	put("input/b.csv", "id,name\n2,bob\n")
	put("input/nested/c.csv", "id,name\n3,carol\n")
	if got := get("input/a.csv", ""); got != "id,name\n1,alice\n" {
		t.Errorf("get input/a.csv = %q", got)
	}
	if got := get("input/a.csv", "bytes=3-6"); got != "name" {
		t.Errorf("ranged get bytes=3-6 = %q, want %q", got, "name")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("input/b.csv")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len("id,name\n2,bob\n")) {
		t.Errorf("head input/b.csv: length %d, %v", aws.ToInt64(head.ContentLength), err)
	}

	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data"), Prefix: aws.String("input/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys, prefixes []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	for _, p := range list.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	if strings.Join(keys, " ") != "input/a.csv input/b.csv" || strings.Join(prefixes, " ") != "input/nested/" {
		t.Errorf("list v2 input/ with delimiter: keys %v, prefixes %v", keys, prefixes)
	}

	// Multipart: parts other than the last are at least 5 MiB, as on AWS.
	part1 := bytes.Repeat([]byte("a"), 5<<20)
	part2 := []byte("the end")
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("data"), Key: aws.String("out/big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, body := range [][]byte{part1, part2} {
		n := int32(i + 1)
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("data"), Key: aws.String("out/big.bin"),
			UploadId: mp.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatalf("upload part %d: %v", n, err)
		}
		done = append(done, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(n)})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("data"), Key: aws.String("out/big.bin"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	if got := get("out/big.bin", "bytes=5242875-"); got != "aaaaathe end" {
		t.Errorf("tail of the multipart object = %q", got)
	}

	// S3A renames by copy + delete.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("data"), Key: aws.String("output/a.csv"),
		CopySource: aws.String("data/input/a.csv")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String("input/a.csv")}); err != nil {
		t.Fatal(err)
	}
	if got := get("output/a.csv", ""); got != "id,name\n1,alice\n" {
		t.Errorf("copied object = %q", got)
	}
	// S3A deletes directories with one bulk delete.
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("data"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("input/b.csv")}, {Key: aws.String("input/nested/c.csv")}}}})
	if err != nil || len(del.Deleted) != 2 || len(del.Errors) != 0 {
		t.Fatalf("bulk delete: %v (%d deleted, errors %v)", err, len(del.Deleted), del.Errors)
	}
	if left, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data"), Prefix: aws.String("input/")}); err != nil || len(left.Contents) != 0 {
		t.Errorf("input/ after the bulk delete: %v, %v", left, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("input/a.csv")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("head of the deleted object: %v, want NotFound", err)
	}
}

// TestUsersSeeOnlyTheirOwnBuckets: two accounts, each owning one bucket,
// are denied the other's, as two execution roles mapped to different
// credentials must be.
func TestUsersSeeOnlyTheirOwnBuckets(t *testing.T) {
	srv := s3env.Start(t)
	alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
	srv.CreateBucketFor("alice-data", alice)
	srv.CreateBucketFor("bob-data", bob)
	ctx := t.Context()
	for _, tc := range []struct {
		who        s3env.Credentials
		own, other string
	}{{alice, "alice-data", "bob-data"}, {bob, "bob-data", "alice-data"}} {
		c := srv.Client(tc.who)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tc.own), Key: aws.String("k"), Body: strings.NewReader("mine")}); err != nil {
			t.Errorf("%s: put into its own bucket %s: %v", tc.who.AccessKeyID, tc.own, err)
		}
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tc.other), Key: aws.String("k"), Body: strings.NewReader("theirs")})
		if code := errorCode(err); code != "AccessDenied" {
			t.Errorf("%s: put into %s: %v, want AccessDenied", tc.who.AccessKeyID, tc.other, err)
		}
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(tc.other)})
		if code := errorCode(err); code != "AccessDenied" {
			t.Errorf("%s: list %s: %v, want AccessDenied", tc.who.AccessKeyID, tc.other, err)
		}
		buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(buckets.Buckets) != 1 || aws.ToString(buckets.Buckets[0].Name) != tc.own {
			t.Errorf("%s: list buckets = %d buckets, want only %s", tc.who.AccessKeyID, len(buckets.Buckets), tc.own)
		}
	}
	// The root account sees both.
	if out, err := srv.Client(srv.Root()).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(out.Buckets) != 2 {
		t.Errorf("root: list buckets: %v (%v), want both", out, err)
	}
	// Wrong credentials are refused.
	bad := s3env.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "wrong"}
	if _, err := srv.Client(bad).ListBuckets(ctx, &s3.ListBucketsInput{}); errorCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("a wrong secret: %v, want SignatureDoesNotMatch", err)
	}
}

// TestCredentialsFileRoundTrips: the shared credentials file the dev
// cluster and the tests write is what the AWS SDKs and CLI read.
func TestCredentialsFileRoundTrips(t *testing.T) {
	srv := s3env.Start(t)
	path := srv.CredentialsFile(srv.Root())
	c, err := s3server.ReadCredentialsFile(path)
	if err != nil || c != srv.Root() {
		t.Fatalf("read back %v, %v", c, err)
	}
	cfg := srv.Config()
	if cfg.Endpoint != srv.Endpoint || !cfg.PathStyle || cfg.CredentialsFile == "" {
		t.Errorf("Config() = %+v", cfg)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
