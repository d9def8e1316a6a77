package devcluster

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/podimage"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// retryFailedInstall is how long a failed installation is reported before
// the next pod that wants its version tries again.
const retryFailedInstall = time.Minute

// Sparks gives the cluster's Spark pods the Spark of the version their
// image's tag names: the preinstalled one for the 3.5 line (see
// sparkdist.For), else the cache folder's copy, installed on first use in
// the background (sparkdist.Ensure) while the pods that want it wait.
// Dist never blocks: the node agent resolves images with its lock held.
type Sparks struct {
	ctx  context.Context
	def  sparkdist.Dist
	env  config.Env
	log  *slog.Logger
	mu   sync.Mutex
	jobs map[string]*installJob    // by version
	have map[string]sparkdist.Dist // installed, by version
	// installed and ensure are sparkdist.Installed and sparkdist.Ensure;
	// tests replace them.
	installed func(version string, env config.Env) (sparkdist.Dist, bool)
	ensure    func(ctx context.Context, version string, env config.Env, log *slog.Logger) (sparkdist.Dist, error)
}

// installJob is one version's installation.
type installJob struct {
	done  bool
	err   error
	ended time.Time
}

// NewSparks returns the Sparks of the cluster: def runs the 3.5 images;
// installations stop with ctx and log to log.
func NewSparks(ctx context.Context, def sparkdist.Dist, env config.Env, log *slog.Logger) *Sparks {
	return &Sparks{ctx: ctx, def: def, env: env, log: log, jobs: map[string]*installJob{}, have: map[string]sparkdist.Dist{},
		installed: sparkdist.Installed, ensure: sparkdist.Ensure}
}

// Dist is the Spark for images of Spark version; see podimage.Dists.
func (s *Sparks) Dist(version string) (sparkdist.Dist, error) {
	if err := sparkdist.Supported(version); err != nil {
		return sparkdist.Dist{}, podimage.Unavailable(fmt.Errorf("%w; use an image of Spark 3.0 or later", err))
	}
	v := sparkdist.For(version)
	if v == sparkdist.Version {
		return s.def, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.have[v]; ok {
		return d, nil
	}
	if d, ok := s.installed(v, s.env); ok {
		s.have[v] = d
		return d, nil
	}
	dir := filepath.Join(s.env.CacheDir(), "spark-"+v)
	j := s.jobs[v]
	if j != nil && j.done && j.err != nil {
		if time.Since(j.ended) < retryFailedInstall {
			return sparkdist.Dist{}, podimage.Unavailable(fmt.Errorf("could not install Apache Spark %s into %s: %w", v, dir, j.err))
		}
		j = nil // try again
	}
	if j == nil {
		j = &installJob{}
		s.jobs[v] = j
		s.log.Info("installing the Spark that pods ask for", "spark", v, "folder", dir)
		go func() {
			_, err := s.ensure(s.ctx, v, s.env, s.log)
			if err != nil {
				s.log.Warn("could not install Spark", "spark", v, "err", err)
			} else {
				s.log.Info("installed Spark", "spark", v, "folder", dir)
			}
			s.mu.Lock()
			j.done, j.err, j.ended = true, err, time.Now()
			s.mu.Unlock()
		}()
	}
	return sparkdist.Dist{}, fmt.Errorf("%w: installing Apache Spark %s into %s (first use; it takes about a minute), the pod starts once it is there",
		podimage.ErrPending, v, dir)
}
