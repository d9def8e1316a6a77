package sparksubmit

import (
	"maps"
	"testing"
)

func TestS3AProperties(t *testing.T) {
	base := map[string]string{
		"spark.hadoop.fs.s3.impl":                        S3AFileSystem,
		"spark.hadoop.fs.AbstractFileSystem.s3.impl":     "org.apache.hadoop.fs.s3a.S3A",
		"spark.hadoop.fs.s3a.directory.marker.retention": "keep",
	}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		s3   S3A
		want map[string]string
	}{
		{"AWS", S3A{}, base},
		{"AWS region", S3A{Region: "eu-west-1"}, with("spark.hadoop.fs.s3a.endpoint.region", "eu-west-1")},
		{"local server", S3A{Endpoint: "http://127.0.0.1:7070/", Region: "us-east-1", PathStyle: true}, with(
			"spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:7070",
			"spark.hadoop.fs.s3a.connection.ssl.enabled", "false",
			"spark.hadoop.fs.s3a.endpoint.region", "us-east-1",
			"spark.hadoop.fs.s3a.path.style.access", "true")},
		{"TLS", S3A{Endpoint: "https://s3.example.com"}, with(
			"spark.hadoop.fs.s3a.endpoint", "https://s3.example.com",
			"spark.hadoop.fs.s3a.connection.ssl.enabled", "true")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s3.Properties(); !maps.Equal(got, tc.want) {
				t.Errorf("Properties() = %v\nwant %v", got, tc.want)
			}
		})
	}
}

// The operator's defaults win over the S3A properties.
func TestWithS3AKeepsTheOperatorsDefaults(t *testing.T) {
	got := WithS3A(S3A{Endpoint: "http://a:1"}, map[string]string{"spark.hadoop.fs.s3a.endpoint": "http://b:2", "spark.ui.enabled": "false"})
	if got["spark.hadoop.fs.s3a.endpoint"] != "http://b:2" || got["spark.ui.enabled"] != "false" || got["spark.hadoop.fs.s3.impl"] != S3AFileSystem {
		t.Errorf("WithS3A = %v", got)
	}
}
