package config

import (
	"fmt"
	"net/url"
)

// CloudWatch is the CloudWatch Logs service that runs whose
// monitoringConfiguration names a cloudWatchMonitoringConfiguration send
// their containers' logs to (an AWS region's, or a compatible server).
type CloudWatch struct {
	// Endpoint is the CloudWatch Logs API's URL; empty: AWS's endpoint of
	// Region.
	Endpoint string `json:"endpoint"`
	// Region is the service's region; empty: the server's region.
	Region string `json:"region"`
	// CredentialsFile is an AWS shared credentials file whose [default]
	// profile signs for runs whose execution role maps no credentialsFile
	// of its own (security.executionRoles); empty: such runs' logs are not
	// sent to CloudWatch Logs (the server logs a warning saying why).
	CredentialsFile string `json:"credentialsFile"`
}

// CloudWatchRegion is the region CloudWatch Logs requests go to.
func (c *Config) CloudWatchRegion() string {
	if c.CloudWatch.Region != "" {
		return c.CloudWatch.Region
	}
	return c.Region
}

// CloudWatchCredentialsFile is the AWS shared credentials file the logs of
// the runs of execution role arn are sent with: the role's own, else the
// CloudWatch default ("": none).
func (c *Config) CloudWatchCredentialsFile(arn string) string {
	if r, ok := c.ExecutionRole(arn); ok && r.CredentialsFile != "" {
		return r.CredentialsFile
	}
	return c.CloudWatch.CredentialsFile
}

func (cw *CloudWatch) validate() error {
	if cw.Endpoint == "" {
		return nil
	}
	u, err := url.Parse(cw.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("cloudWatch.endpoint %q: want an http:// or https:// URL", cw.Endpoint)
	}
	return nil
}
