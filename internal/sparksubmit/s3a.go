package sparksubmit

import (
	"maps"
	"net/url"
	"strings"
)

// S3A is the S3-compatible object storage that runs reach through Hadoop's
// S3A connector (config.S3, as the runtimes get it).
type S3A struct {
	// Endpoint is the S3 API's URL (http:// or https://); empty: AWS's
	// endpoint of Region.
	Endpoint string
	// Region signs requests; empty: S3A's default.
	Region string
	// PathStyle addresses buckets as <endpoint>/<bucket>.
	PathStyle bool
}

// S3A connector classes. The credentials provider names are the AWS SDK
// v1's, which S3A of Hadoop 3.3 loads as they are and Hadoop 3.4 maps to
// their SDK v2 equivalents.
const (
	S3AFileSystem = "org.apache.hadoop.fs.s3a.S3AFileSystem"
	// s3aAbstractFileSystem serves FileContext (streaming checkpoints).
	s3aAbstractFileSystem = "org.apache.hadoop.fs.s3a.S3A"
	// ProfileCredentialsProvider reads the [default] profile (AWS_PROFILE
	// names another) of the shared credentials file named by
	// AWS_CREDENTIAL_PROFILES_FILE (SDK v1) or AWS_SHARED_CREDENTIALS_FILE
	// (SDK v2): a runtime that gives a run a credentials file sets both.
	ProfileCredentialsProvider = "com.amazonaws.auth.profile.ProfileCredentialsProvider"
)

// ProfileCredentialsChain is fs.s3a.aws.credentials.provider for a run
// given a credentials file: the session or access keys set in the run's own
// Hadoop properties (fs.s3a.access.key…) win, then the file. Never the
// host's instance profile, which is the server's.
var ProfileCredentialsChain = strings.Join([]string{
	"org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider",
	"org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
	ProfileCredentialsProvider,
}, ",")

// Properties are the Spark properties that map both s3:// and s3a:// URIs
// to S3A, as EMR does, on this storage: its endpoint (TLS or not from the
// URL's scheme), region and addressing style. No credentials: those come
// from the run's environment (see ProfileCredentialsChain).
func (s S3A) Properties() map[string]string {
	p := map[string]string{
		"spark.hadoop.fs.s3.impl":                    S3AFileSystem, // s3a:// is S3A's by Hadoop's defaults
		"spark.hadoop.fs.AbstractFileSystem.s3.impl": s3aAbstractFileSystem,
		// Directory markers are kept rather than deleted under every new
		// file (Hadoop 3.4's default; fewer requests): S3-compatible
		// servers on a file system refuse to delete a "directory" that is
		// not empty, which S3A 3.3 would otherwise retry for ever.
		"spark.hadoop.fs.s3a.directory.marker.retention": "keep",
	}
	if s.Endpoint != "" {
		p["spark.hadoop.fs.s3a.endpoint"] = strings.TrimSuffix(s.Endpoint, "/")
		if u, err := url.Parse(s.Endpoint); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			p["spark.hadoop.fs.s3a.connection.ssl.enabled"] = boolString(u.Scheme == "https")
		}
	}
	if s.Region != "" {
		p["spark.hadoop.fs.s3a.endpoint.region"] = s.Region
	}
	if s.PathStyle {
		p["spark.hadoop.fs.s3a.path.style.access"] = "true"
	}
	return p
}

// WithS3A returns defaults over the S3A properties of s: a runtime's own
// defaults (the operator's) win over these.
func WithS3A(s S3A, defaults map[string]string) map[string]string {
	p := s.Properties()
	maps.Copy(p, defaults)
	return p
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
