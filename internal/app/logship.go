package app

import (
	"context"
	"log/slog"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/cwlogs"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
)

// shipping is where the Kubernetes runtimes ship runs' logs, and the
// folder they keep the logs they are shipping in (one per cluster).
type shipping struct {
	opener logship.Opener
	dir    string
}

// logShipping sends the container logs of runs to where their
// monitoringConfiguration says: S3 (s3MonitoringConfiguration's logUri, with
// the S3 credentials of the run's execution role, as its code is read) and
// CloudWatch Logs (cloudWatchMonitoringConfiguration, with the role's
// credentials for the cloudWatch endpoint), or both. A destination that
// cannot be opened does not keep the logs from the other one (log says why).
func logShipping(cfg *config.Config, log *slog.Logger) logship.Opener {
	return func(ctx context.Context, run *emr.JobRun) (logship.Destination, error) {
		var ds logship.Destinations
		if uri := logship.LogURI(run); uri != "" {
			rot, err := logship.RotationOf(run)
			if err != nil {
				return nil, err
			}
			c, err := s3Client(ctx, cfg, run.ExecutionRoleARN)
			if err != nil {
				return nil, err
			}
			d, err := logship.NewS3(c, uri, run.VirtualClusterID, run.ID, rot)
			if err != nil {
				return nil, err
			}
			ds = append(ds, d)
		}
		if cw := logship.CloudWatchOf(run); cw != nil {
			c, err := cwlogs.New(ctx, cwlogs.Options{Endpoint: cfg.CloudWatch.Endpoint, Region: cfg.CloudWatchRegion(),
				CredentialsFile: cfg.CloudWatchCredentialsFile(run.ExecutionRoleARN)})
			if err != nil && len(ds) == 0 {
				return nil, err
			}
			if err != nil { // S3 still gets the logs
				log.Warn("the run's logs go to S3 but not to CloudWatch Logs", "run", run.ID, "err", err)
			} else {
				ds = append(ds, logship.NewCloudWatch(c, *cw))
			}
		}
		switch len(ds) {
		case 0:
			return nil, nil
		case 1:
			return ds[0], nil
		}
		return ds, nil
	}
}

// shippedLogs reads back the logs runs shipped to S3, with the credentials
// of the run's execution role: a caller allowed GetJobRunLogs on a run
// reads what its role wrote.
func shippedLogs(cfg *config.Config) logship.ReaderOpener {
	return func(ctx context.Context, run *emr.JobRun) (*logship.Reader, error) {
		uri := logship.LogURI(run)
		if uri == "" {
			return nil, nil
		}
		c, err := s3Client(ctx, cfg, run.ExecutionRoleARN)
		if err != nil {
			return nil, err
		}
		return logship.NewReader(c, uri, run.VirtualClusterID, run.ID)
	}
}
