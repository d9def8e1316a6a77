package config

import (
	"strings"
	"testing"
)

func TestSparkUIValidate(t *testing.T) {
	for _, c := range []struct {
		ui   SparkUI
		want string // "" valid, else a part of the error
	}{
		{SparkUI{}, ""},
		{SparkUI{Address: "127.0.0.1:0", EventLogURI: "s3://b/p/", Dir: "/srv/h", User: "spark"}, ""},
		{SparkUI{Address: "18080"}, "sparkUI.address"},
		{SparkUI{EventLogURI: "/var/log/spark"}, "sparkUI.eventLogUri"},
		{SparkUI{Dir: "history"}, "sparkUI.dir"},
		{SparkUI{User: "root"}, "sparkUI.user"},
	} {
		err := c.ui.validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.ui, err, c.want)
		}
	}
}

func TestSparkEventLogURI(t *testing.T) {
	c := Default()
	c.DataDir = t.TempDir()
	if got := c.SparkEventLogURI(S3{Endpoint: "http://s3.example:9000"}); got != "" {
		t.Errorf("another S3, no eventLogUri: %q, want none", got)
	}
	dev := S3{Endpoint: c.DevS3Endpoint(), CredentialsFile: c.DevS3CredentialsFile()}
	if got := c.SparkEventLogURI(dev); got != DevSparkEventLogURI {
		t.Errorf("the embedded cluster's S3: %q, want %q", got, DevSparkEventLogURI)
	}
	c.SparkUI.EventLogURI = "s3://mine/"
	if got := c.SparkEventLogURI(dev); got != "s3://mine/" {
		t.Errorf("configured: %q", got)
	}
	if c.SparkUIAddress() != DefaultSparkUIAddress || c.SparkUIUser() != DefaultSparkUIUser {
		t.Errorf("defaults: %s %s", c.SparkUIAddress(), c.SparkUIUser())
	}
}
