package logship

import (
	"context"
	"errors"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Opener returns where the container logs of a run go, from its
// monitoringConfiguration; nil (and no error) when they go nowhere.
// Runtimes are given one; the server builds it (S3 with the run's execution
// role's credentials, CloudWatch Logs, or both as Destinations).
type Opener func(ctx context.Context, run *emr.JobRun) (Destination, error)

// Destinations puts every piece into each of its destinations.
type Destinations []Destination

// Put implements Destination: into every destination, whatever fails.
func (ds Destinations) Put(ctx context.Context, p Piece) error {
	var errs []error
	for _, d := range ds {
		if err := d.Put(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LogURI is the run's s3MonitoringConfiguration.logUri; "" when it has none.
func LogURI(run *emr.JobRun) string {
	co := run.ConfigurationOverrides
	if co == nil || co.MonitoringConfiguration == nil || co.MonitoringConfiguration.S3MonitoringConfiguration == nil {
		return ""
	}
	return co.MonitoringConfiguration.S3MonitoringConfiguration.LogURI
}
