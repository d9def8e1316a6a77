package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// SparkUI configures the Spark UI of runs that have ended (persistentAppUI):
// where their event logs go and Apache Spark's History Server, which the
// server starts on demand over them.
type SparkUI struct {
	// Address is the host:port the History Server listens on (default
	// DefaultSparkUIAddress). It has no authentication of its own: keep it
	// on loopback, or behind a proxy that authenticates. Port 0: a free one.
	Address string `json:"address"`
	// EventLogURI is where the drivers of Kubernetes runs write their event
	// logs (s3://bucket/prefix/) when a run has no
	// s3MonitoringConfiguration.logUri, under <vcId>/jobs/<jobId>/sparklogs/.
	// Empty: the embedded cluster's bucket (DevSparkEventLogURI) while its
	// S3 server is the one in use, else none (such runs keep no event log).
	EventLogURI string `json:"eventLogUri"`
	// Dir holds the History Server's event logs, configuration and log
	// (default: <dataDir>/history; as root DefaultSparkUIDir, which User
	// must be able to reach).
	Dir string `json:"dir"`
	// User is the Unix user the History Server runs as when the server
	// runs as root (default DefaultSparkUIUser): it parses event logs that
	// jobs wrote, so it never runs as root.
	User string `json:"user"`
}

// Defaults of SparkUI.
const (
	DefaultSparkUIAddress = "127.0.0.1:18080"
	DefaultSparkUIDir     = "/var/lib/sparkplane-history"
	DefaultSparkUIUser    = "nobody"
	// DevSparkEventLogURI is SparkUI.EventLogURI on the embedded cluster.
	DevSparkEventLogURI = "s3://" + DevS3Bucket + "/spark-event-logs/"
)

// SparkUIAddress is SparkUI.Address, or DefaultSparkUIAddress.
func (c *Config) SparkUIAddress() string {
	if c.SparkUI.Address != "" {
		return c.SparkUI.Address
	}
	return DefaultSparkUIAddress
}

// SparkUIDir is SparkUI.Dir, or its default for this process's user.
func (c *Config) SparkUIDir() string {
	switch {
	case c.SparkUI.Dir != "":
		return c.SparkUI.Dir
	case os.Geteuid() == 0:
		return DefaultSparkUIDir
	}
	return filepath.Join(c.DataDir, "history")
}

// SparkUIUser is SparkUI.User, or DefaultSparkUIUser.
func (c *Config) SparkUIUser() string {
	if c.SparkUI.User != "" {
		return c.SparkUI.User
	}
	return DefaultSparkUIUser
}

// SparkEventLogURI is SparkUI.EventLogURI, else the embedded cluster's
// bucket when s3 (the S3 in use, WithDevS3) is the embedded cluster's, else "".
func (c *Config) SparkEventLogURI(s3 S3) string {
	if c.SparkUI.EventLogURI != "" {
		return c.SparkUI.EventLogURI
	}
	if s3.Endpoint != "" && s3.Endpoint == c.DevS3Endpoint() && s3.CredentialsFile == c.DevS3CredentialsFile() {
		return DevSparkEventLogURI
	}
	return ""
}

func (s *SparkUI) validate() error {
	if s.Address != "" {
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			return fmt.Errorf("sparkUI.address %q: want host:port: %w", s.Address, err)
		}
	}
	if s.EventLogURI != "" && !strings.HasPrefix(s.EventLogURI, "s3://") && !strings.HasPrefix(s.EventLogURI, "s3a://") {
		return fmt.Errorf("sparkUI.eventLogUri %q: want s3://bucket/prefix/", s.EventLogURI)
	}
	if s.Dir != "" && !filepath.IsAbs(s.Dir) {
		return fmt.Errorf("sparkUI.dir %q: want an absolute path", s.Dir)
	}
	if s.User == "root" {
		return fmt.Errorf("sparkUI.user: the History Server must not run as root")
	}
	return nil
}
