// Package objectstore reads objects from the S3-compatible object storage
// that job runs keep their code and data in, through the AWS SDK for Go
// v2's S3 client. A Client is built explicitly from the endpoint, region,
// addressing style and an AWS shared credentials file (the execution
// role's): it never looks at the environment, ~/.aws or instance metadata,
// so what a run may read is exactly what its role's credentials allow.
//
// Errors that S3 answered for a request (NoSuchKey, NoSuchBucket,
// AccessDenied, …) and objects over the size cap are *Error, which keeps
// S3's code and message for the user; any other error (the endpoint
// unreachable, a 5xx after the SDK's retries) may go away if tried again.
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sparkplane/sparkplane/internal/awscreds"
)

// DefaultMaxSize is the largest object Fetch downloads unless
// Options.MaxSize says otherwise.
const DefaultMaxSize = 1 << 30 // 1 GiB

// CodeTooLarge is the Error.Code of an object larger than Options.MaxSize.
const CodeTooLarge = "ObjectTooLarge"

// Options configure a Client.
type Options struct {
	// Endpoint is the S3 API's URL; empty: AWS's endpoint of Region.
	Endpoint string
	// Region signs requests; empty: us-east-1.
	Region string
	// PathStyle addresses buckets as <endpoint>/<bucket>.
	PathStyle bool
	// CredentialsFile is an AWS shared credentials file; its Profile
	// profile must hold static keys. Empty: requests are anonymous.
	CredentialsFile string
	// Profile is the profile of CredentialsFile; empty: "default".
	Profile string
	// MaxSize is the largest object Fetch downloads, in bytes; 0:
	// DefaultMaxSize.
	MaxSize int64
}

// Client reads objects.
type Client struct {
	s3  *s3.Client
	max int64
}

// New returns a client; an error means the credentials file cannot be
// used (unreadable, or no static keys in its profile).
func New(ctx context.Context, opts Options) (*Client, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if opts.CredentialsFile != "" {
		c, err := awscreds.FromFile(ctx, opts.CredentialsFile, opts.Profile)
		if err != nil {
			return nil, err
		}
		creds = c
	}
	o := s3.Options{Region: opts.Region, UsePathStyle: opts.PathStyle, Credentials: creds}
	if opts.Endpoint != "" {
		o.BaseEndpoint = aws.String(opts.Endpoint)
	}
	return &Client{s3: s3.New(o), max: opts.MaxSize}, nil
}

// Error is an object S3 refused (or that is over the size cap): the user's
// to fix, not worth trying again as it is.
type Error struct {
	URI     string
	Code    string // S3's error code (NoSuchKey, NoSuchBucket, AccessDenied, …), or CodeTooLarge
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.URI + ": " + e.Code
	}
	return e.URI + ": " + e.Code + ": " + e.Message
}

// IsS3 reports whether uri names an S3 object by one of the schemes
// Hadoop and EMR use for it: s3://, s3a:// or s3n://.
func IsS3(uri string) bool {
	scheme, _, ok := strings.Cut(uri, "://")
	return ok && (scheme == "s3" || scheme == "s3a" || scheme == "s3n")
}

// ParseURI splits an s3://, s3a:// or s3n:// URI into its bucket and key.
// The key must name an object, not a folder (it cannot end with "/").
func ParseURI(uri string) (bucket, key string, err error) {
	if !IsS3(uri) {
		return "", "", fmt.Errorf("%q is not an s3:// URI", uri)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a valid URI: %v", uri, err)
	}
	key = strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || key == "" || strings.HasSuffix(key, "/") || u.RawQuery != "" || u.User != nil {
		return "", "", fmt.Errorf("%q does not name an object: want s3://bucket/key", uri)
	}
	return u.Host, key, nil
}

// Name is the file name of the object uri names: the last part of its key.
func Name(uri string) string {
	_, key, err := ParseURI(uri)
	if err != nil {
		return ""
	}
	return path.Base(key)
}

// Fetch downloads the object uri names into the new file dest (mode
// 0600; a file already there is an error, and a link is never followed).
// What it wrote is removed when it fails.
func (c *Client) Fetch(ctx context.Context, uri, dest string) (err error) {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return err
	}
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return c.fail(uri, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > c.max {
		return c.tooLarge(uri, n)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dest)
		}
	}()
	n, err := io.Copy(f, io.LimitReader(out.Body, c.max+1))
	if err != nil {
		return fmt.Errorf("%s: read: %w", uri, err)
	}
	if n > c.max {
		return c.tooLarge(uri, n)
	}
	return nil
}

// Read returns the content of the object uri names, which must have at
// most limit bytes (0 or more than Options.MaxSize: Options.MaxSize); a
// larger object is an *Error CodeTooLarge.
func (c *Client) Read(ctx context.Context, uri string, limit int64) ([]byte, error) {
	if limit <= 0 || limit > c.max {
		limit = c.max
	}
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, c.fail(uri, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > limit {
		return nil, tooLarge(uri, n, limit)
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", uri, err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(uri, int64(len(b)), limit)
	}
	return b, nil
}

func (c *Client) tooLarge(uri string, n int64) error { return tooLarge(uri, n, c.max) }

func tooLarge(uri string, n, limit int64) error {
	return &Error{URI: uri, Code: CodeTooLarge, Message: fmt.Sprintf(
		"the object has %d bytes or more; at most %d are fetched", n, limit)}
}

// messages are S3's messages for the errors users meet most, for servers
// that answer with a code only.
var messages = map[string]string{
	"NoSuchKey":    "The specified key does not exist.",
	"NoSuchBucket": "The specified bucket does not exist",
	"AccessDenied": "Access Denied",
}

// fail turns an error of a request for uri into an *Error when S3 answered
// it with a client error (4xx other than a timeout or throttling).
func (c *Client) fail(uri string, err error) error {
	var re *awshttp.ResponseError
	var api smithy.APIError
	if errors.As(err, &re) && errors.As(err, &api) {
		if st := re.HTTPStatusCode(); st >= 400 && st < 500 && st != 408 && st != 429 {
			e := &Error{URI: uri, Code: api.ErrorCode(), Message: api.ErrorMessage()}
			if e.Code == "" {
				e.Code = fmt.Sprintf("HTTP %d", st)
			}
			if e.Message == "" {
				e.Message = messages[e.Code]
			}
			return e
		}
	}
	return fmt.Errorf("%s: %w", uri, err)
}
