package devcluster

import (
	"fmt"
	"sort"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/nodeagent"
	"github.com/sparkplane/sparkplane/internal/podimage"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// Images builds the image mapper of the configuration: its own rules
// first, then the built-in ones (sparkplane's own image → this binary,
// selfimage.go; Apache Spark images → the installed
// Spark, the one of the version their tag names when versions is not nil;
// common base images → the host).
func Images(c config.DevCluster, d sparkdist.Dist, versions podimage.Dists) (*podimage.Mapper, error) {
	var own []podimage.Rule
	for _, im := range c.Images {
		r := podimage.Rule{Match: im.Match}
		if im.Spark {
			r = podimage.SparkRule(im.Match, d, versions)
		}
		own = append(own, customised(r, im))
	}
	self, err := selfImages()
	if err != nil {
		return nil, err
	}
	m, err := podimage.DefaultMapper(d, versions, append(own, self...)...)
	if err != nil {
		return nil, fmt.Errorf("devCluster.images: %w", err)
	}
	return m, nil
}

// customised is r with the mounts, environment and working folder im adds,
// also in the rules r gives by version.
func customised(r podimage.Rule, im config.DevImage) podimage.Rule {
	r.Mounts = append([]podimage.Mount{}, r.Mounts...)
	for _, m := range im.Mounts {
		r.Mounts = append(r.Mounts, podimage.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	keys := make([]string, 0, len(im.Env))
	for k := range im.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r.Env = append([]string{}, r.Env...)
	for _, k := range keys {
		r.Env = append(r.Env, k+"="+im.Env[k])
	}
	if im.WorkingDir != "" {
		r.WorkingDir = im.WorkingDir
	}
	if byVersion := r.ByVersion; byVersion != nil {
		r.ByVersion = func(version string) (podimage.Rule, error) {
			v, err := byVersion(version)
			if err != nil {
				return v, err
			}
			return customised(v, im), nil
		}
	}
	return r
}

// marked adds the cluster's marker to the environment of every image, so
// every pod process carries it (see Leftovers).
type marked struct {
	images nodeagent.Images
	marker string
}

func (m marked) Resolve(image string) (podimage.Root, error) {
	root, err := m.images.Resolve(image)
	if err != nil {
		return root, err
	}
	root.Env = append(append([]string{}, root.Env...), m.marker)
	return root, nil
}
