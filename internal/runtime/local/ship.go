package local

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
)

// A local run ships its logs (Options.Ship, from monitoringConfiguration)
// in the layout of a Kubernetes run's driver, as one container:
//
//	containers/local-<jobRunId>/spark-<jobRunId>-driver/{stdout,stderr}.gz
//
// spark-submit runs the driver itself and Spark local mode runs the
// executors in its JVM, so there is no job runner and no executor pod. The
// driver's name is the one its pod has on Kubernetes; the folder that EMR
// names by the Spark application id is local-<jobRunId>: Spark's local
// mode picks its own id (local-<milliseconds>), takes no spark.app.id and
// does not log it, so sparkplane cannot know it. From the second attempt
// on, both names end with -<attempt>. Rotated pieces are dated by the
// run's creation. While spark-submit runs, its files are shipped every
// shipPoll (rotated pieces as soon as they are complete, the current piece
// every Options.ShipInterval); CollectLogs ships the rest when it ends.

// shipPoll is how often the files of a running spark-submit are looked at.
const shipPoll = 2 * time.Second

// sparkAppID names the folder of an attempt's driver logs where EMR has the
// Spark application id.
func sparkAppID(run *emr.JobRun) string {
	if n := run.Attempt(); n > 1 {
		return "local-" + run.ID + "-" + strconv.Itoa(n)
	}
	return "local-" + run.ID
}

// driverName is the name of the run's driver as its logs are shipped.
func driverName(run *emr.JobRun) string {
	if n := run.Attempt(); n > 1 {
		return "spark-" + run.ID + "-driver-" + strconv.Itoa(n)
	}
	return "spark-" + run.ID + "-driver"
}

// shipping is the log shipping of one attempt.
type shipping struct {
	streams []*logship.Stream
	stop    chan struct{} // closed to stop the periodic shipping
	stopped chan struct{} // closed once it stopped
}

// startShipping starts shipping the logs of the attempt in dir, once; it
// does nothing when the run's logs go nowhere.
func (r *Runtime) startShipping(ctx context.Context, run *emr.JobRun, dir string, done <-chan struct{}) {
	if r.opts.Ship == nil {
		return
	}
	r.mu.Lock()
	_, started := r.shipping[dir]
	r.mu.Unlock()
	if started {
		return
	}
	s, err := r.newShipping(ctx, run, dir)
	if err != nil || s == nil {
		if err != nil {
			r.opts.Logger.Warn("cannot ship the run's logs", "run", run.ID, "err", err)
		}
		return
	}
	r.mu.Lock()
	if _, started := r.shipping[dir]; started {
		r.mu.Unlock()
		return
	}
	r.shipping[dir] = s
	r.mu.Unlock()
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(shipPoll)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-done:
				return
			case <-t.C:
			}
			for _, st := range s.streams {
				if err := st.Sync(context.Background(), false); err != nil {
					r.opts.Logger.Warn("could not ship logs", "run", run.ID, "err", err)
				}
			}
		}
	}()
}

// newShipping returns the streams of an attempt; nil when its logs go
// nowhere.
func (r *Runtime) newShipping(ctx context.Context, run *emr.JobRun, dir string) (*shipping, error) {
	dest, err := r.opts.Ship(ctx, run)
	if err != nil || dest == nil {
		return nil, err
	}
	rot, err := logship.RotationOf(run)
	if err != nil {
		return nil, err
	}
	c := logship.Container{VirtualClusterID: run.VirtualClusterID, JobRunID: run.ID, Role: logship.RoleDriver,
		AppID: sparkAppID(run), Pod: driverName(run), Started: run.CreatedAt}
	s := &shipping{stop: make(chan struct{}), stopped: make(chan struct{})}
	for _, stream := range []string{logship.Stdout, logship.Stderr} {
		s.streams = append(s.streams, logship.NewStream(dest, c, stream, filepath.Join(dir, stream), rot, r.opts.ShipInterval))
	}
	return s, nil
}

// finishShipping ships what is left of the attempt in dir, its process
// having ended; nothing when its logs go nowhere.
func (r *Runtime) finishShipping(ctx context.Context, run *emr.JobRun, dir string) error {
	if r.opts.Ship == nil {
		return nil
	}
	r.mu.Lock()
	s := r.shipping[dir]
	delete(r.shipping, dir)
	r.mu.Unlock()
	if s != nil {
		close(s.stop)
		<-s.stopped
	} else {
		var err error
		if s, err = r.newShipping(ctx, run, dir); err != nil || s == nil {
			return err
		}
	}
	var errs []error
	for _, st := range s.streams {
		errs = append(errs, st.Sync(ctx, true))
	}
	return errors.Join(errs...)
}
