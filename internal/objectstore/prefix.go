package objectstore

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one object under a prefix (List).
type Object struct {
	// URI is s3://bucket/key, with the scheme of the prefix listed.
	URI      string
	Size     int64
	Modified time.Time
}

// ParsePrefix splits an s3://, s3a:// or s3n:// URI naming a folder (a key
// prefix, which may be empty) into its bucket and prefix, which ends with
// "/" unless it is empty.
func ParsePrefix(uri string) (bucket, prefix string, err error) {
	if !IsS3(uri) {
		return "", "", fmt.Errorf("%q is not an s3:// URI", uri)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a valid URI: %v", uri, err)
	}
	if u.Host == "" || u.RawQuery != "" || u.User != nil {
		return "", "", fmt.Errorf("%q does not name a folder: want s3://bucket/prefix/", uri)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// List returns every object under the folder uri names (its key prefix),
// folder markers (keys ending with "/") left out, at most limit of them
// (0: no bound).
func (c *Client) List(ctx context.Context, uri string, limit int) ([]Object, error) {
	bucket, prefix, err := ParsePrefix(uri)
	if err != nil {
		return nil, err
	}
	scheme, _, _ := strings.Cut(uri, "://")
	var out []Object
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.fail(uri, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") {
				continue
			}
			out = append(out, Object{URI: scheme + "://" + bucket + "/" + key, Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)})
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// PutFile uploads the file at path as the object uri names.
func (c *Client) PutFile(ctx context.Context, uri, path string) error {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(st.Size())})
	if err != nil {
		return c.fail(uri, err)
	}
	return nil
}

// MakeFolder creates the empty marker object <prefix>/ of the folder uri
// names, which Hadoop's S3A takes for an existing directory (Spark's event
// log writer refuses a folder that does not exist).
func (c *Client) MakeFolder(ctx context.Context, uri string) error {
	bucket, prefix, err := ParsePrefix(uri)
	if err != nil {
		return err
	}
	if prefix == "" {
		return nil // a bucket's root always exists
	}
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix), Body: strings.NewReader(""), ContentLength: aws.Int64(0)})
	if err != nil {
		return c.fail(uri, err)
	}
	return nil
}
