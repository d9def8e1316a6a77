package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
)

// TestLogShippingKeepsS3WhenCloudWatchCannotOpen: a run that asks for S3
// and CloudWatch Logs, whose role has no CloudWatch credentials, still
// ships to S3; asking for CloudWatch alone is an error saying why.
func TestLogShippingKeepsS3WhenCloudWatchCannotOpen(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKID\naws_secret_access_key = secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.S3 = config.S3{Endpoint: "http://127.0.0.1:1", PathStyle: true, CredentialsFile: creds}
	open := logShipping(&cfg, slog.New(slog.DiscardHandler))
	cw := &emr.CloudWatchMonitoringConfiguration{LogGroupName: "/emr"}
	both := &emr.JobRun{ID: "r", VirtualClusterID: "vc", ExecutionRoleARN: "arn:aws:iam::123456789012:role/r",
		ConfigurationOverrides: &emr.ConfigurationOverrides{MonitoringConfiguration: &emr.MonitoringConfiguration{
			S3MonitoringConfiguration: &emr.S3MonitoringConfiguration{LogURI: "s3://logs/emr"}, CloudWatchMonitoringConfiguration: cw}}}
	d, err := open(context.Background(), both)
	if err != nil {
		t.Fatalf("S3 and CloudWatch without CloudWatch credentials: %v", err)
	}
	if _, ok := d.(*logship.S3); !ok {
		t.Errorf("destination %T, want the S3 one alone", d)
	}
	cwOnly := *both
	cwOnly.ConfigurationOverrides = &emr.ConfigurationOverrides{MonitoringConfiguration: &emr.MonitoringConfiguration{
		CloudWatchMonitoringConfiguration: cw}}
	if d, err := open(context.Background(), &cwOnly); err == nil || d != nil {
		t.Errorf("CloudWatch alone without credentials: %v, %v; want an error", d, err)
	}
}
