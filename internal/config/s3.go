package config

import (
	"fmt"
	"net/url"
)

// S3 is the S3-compatible object storage that job runs read their code and
// data from (s3:// and s3a:// URIs).
type S3 struct {
	// Endpoint is the S3 API's URL, e.g. http://127.0.0.1:7070 for a local
	// server; empty: AWS's endpoint of Region.
	Endpoint string `json:"endpoint"`
	// Region signs S3 requests; empty: the server's region.
	Region string `json:"region"`
	// PathStyle addresses buckets as <endpoint>/<bucket> rather than
	// <bucket>.<endpoint> (most S3-compatible servers want it).
	PathStyle bool `json:"pathStyle"`
	// CredentialsFile is an AWS shared credentials file whose [default]
	// profile runs use when their execution role maps no credentialsFile
	// of its own (security.executionRoles); empty: such runs get none.
	CredentialsFile string `json:"credentialsFile"`
}

// S3Region is the region S3 requests are signed for.
func (c *Config) S3Region() string {
	if c.S3.Region != "" {
		return c.S3.Region
	}
	return c.Region
}

// S3CredentialsFile is the AWS shared credentials file the runs of the
// execution role arn use for S3: the role's own, else the S3 default ("":
// none).
func (c *Config) S3CredentialsFile(arn string) string {
	if r, ok := c.ExecutionRole(arn); ok && r.CredentialsFile != "" {
		return r.CredentialsFile
	}
	return c.S3.CredentialsFile
}

func (s *S3) validate() error {
	if s.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("s3.endpoint %q: want an http:// or https:// URL", s.Endpoint)
	}
	return nil
}
