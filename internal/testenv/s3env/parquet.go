package s3env

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"
)

// ReadParquet reads the rows of every .parquet object under prefix of
// bucket with c, and returns them with the keys of all the objects there.
func ReadParquet[T any](t testing.TB, c *s3.Client, bucket, prefix string) ([]T, []string) {
	t.Helper()
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
	}
	var rows []T
	var keys []string
	for _, o := range list.Contents {
		key := aws.ToString(o.Key)
		keys = append(keys, key)
		if !strings.HasSuffix(key, ".parquet") {
			continue
		}
		obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		b, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		got, err := parquet.Read[T](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		rows = append(rows, got...)
	}
	return rows, keys
}
