package objectstore

import (
	"bytes"
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Put writes data as the object key of bucket, replacing any earlier one.
func (c *Client) Put(ctx context.Context, bucket, key string, data []byte, contentType string) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data)))}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if _, err := c.s3.PutObject(ctx, in); err != nil {
		return c.fail(uriOf(bucket, key), err)
	}
	return nil
}

// Delete removes the object key of bucket; an object that is not there is
// no error.
func (c *Client) Delete(ctx context.Context, bucket, key string) error {
	if _, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		if e, ok := c.fail(uriOf(bucket, key), err).(*Error); ok && e.Code == "NoSuchKey" {
			return nil
		}
		return c.fail(uriOf(bucket, key), err)
	}
	return nil
}

// Get returns the content of the object key of bucket, of at most limit
// bytes (see Read).
func (c *Client) Get(ctx context.Context, bucket, key string, limit int64) ([]byte, error) {
	return c.Read(ctx, uriOf(bucket, key), limit)
}

func uriOf(bucket, key string) string { return "s3://" + bucket + "/" + strings.TrimPrefix(key, "/") }
