package app

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
	"github.com/sparkplane/sparkplane/internal/sparkui"
)

// sparkUI builds the Spark UI of ended runs (persistentAppUI): the keeper
// of local runs' event logs, in <dataDir>/eventlogs and under their logUri,
// and the service that shows them with the History Server of dist (zero:
// none installed, and the service says so when asked).
func sparkUI(cfg *config.Config, dist sparkdist.Dist, log *slog.Logger) (*sparkui.Keeper, *sparkui.Service, error) {
	dir := filepath.Join(cfg.DataDir, "eventlogs")
	if err := privateDir(dir); err != nil {
		return nil, nil, err
	}
	open := func(ctx context.Context, arn string) (*objectstore.Client, error) { return s3Client(ctx, cfg, arn) }
	svc, err := sparkui.New(sparkui.Options{Dist: dist, Address: cfg.SparkUIAddress(), Dir: cfg.SparkUIDir(), User: cfg.SparkUIUser(),
		EventLogs: dir, EventLogURI: cfg.SparkEventLogURI(cfg.S3), S3: open, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return &sparkui.Keeper{Dir: dir, S3: open}, svc, nil
}

// uiOf is svc's answer as the API takes it.
func uiOf(svc *sparkui.Service) func(ctx context.Context, run *emr.JobRun) (any, error) {
	return func(ctx context.Context, run *emr.JobRun) (any, error) { return svc.UI(ctx, run) }
}

// eventLogDir prepares the folder a Kubernetes run's driver writes its
// event log into through S3A: <logUri>/<vcId>/jobs/<jobId>/sparklogs/ (else
// under sparkUI.eventLogUri; neither: "", none), made to exist (S3A's folder
// marker, which Spark's event log writer wants) with the run's
// execution-role credentials file, else s3.credentialsFile.
func eventLogDir(cfg *config.Config) func(context.Context, *emr.JobRun) (string, error) {
	base := cfg.SparkEventLogURI(cfg.S3)
	return func(ctx context.Context, run *emr.JobRun) (string, error) {
		b := sparksubmit.LogURI(run)
		if b == "" {
			b = base
		}
		if b == "" {
			return "", nil
		}
		uri := sparksubmit.EventLogURI(b, run.VirtualClusterID, run.ID)
		c, err := s3Client(ctx, cfg, run.ExecutionRoleARN)
		if err != nil {
			return "", err
		}
		if err := c.MakeFolder(ctx, uri); err != nil {
			return "", err
		}
		return sparksubmit.S3AURI(uri), nil
	}
}
