package devcluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/podimage"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// fakeSparks is Sparks over a fake cache: ensure installs a version after
// release is closed, or fails with fail.
type fakeSparks struct {
	*Sparks
	mu       sync.Mutex
	have     map[string]bool
	installs []string
	release  chan struct{}
	fail     error
}

func newFakeSparks(t *testing.T) *fakeSparks {
	env := config.EnvFrom([]string{"SPARKPLANE_CACHE=" + t.TempDir()})
	f := &fakeSparks{have: map[string]bool{}, release: make(chan struct{})}
	f.Sparks = NewSparks(context.Background(), sparkdist.Dist{SparkHome: "/preinstalled"}, env, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.installed = func(version string, _ config.Env) (sparkdist.Dist, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return sparkdist.Dist{SparkHome: "/cache/spark-" + version}, f.have[version]
	}
	f.ensure = func(ctx context.Context, version string, _ config.Env, _ *slog.Logger) (sparkdist.Dist, error) {
		<-f.release
		f.mu.Lock()
		defer f.mu.Unlock()
		f.installs = append(f.installs, version)
		if f.fail != nil {
			return sparkdist.Dist{}, f.fail
		}
		f.have[version] = true
		return sparkdist.Dist{SparkHome: "/cache/spark-" + version}, nil
	}
	return f
}

func TestSparksPicksThePreinstalledOrCachedSpark(t *testing.T) {
	f := newFakeSparks(t)
	f.have["3.3.0"] = true
	for version, want := range map[string]string{"3.5.0": "/preinstalled", sparkdist.Version: "/preinstalled", "3.3.0": "/cache/spark-3.3.0"} {
		if d, err := f.Dist(version); err != nil || d.SparkHome != want {
			t.Errorf("Dist(%s) = %+v, %v; want %s", version, d, err, want)
		}
	}
	_, err := f.Dist("2.4.8")
	if !errors.Is(err, podimage.ErrUnavailable) || !strings.Contains(err.Error(), "Java 8") {
		t.Errorf("Dist(2.4.8) = %v, want ErrUnavailable", err)
	}
	if len(f.installs) != 0 {
		t.Errorf("installed %q", f.installs)
	}
}

func TestSparksInstallsOnceInTheBackground(t *testing.T) {
	f := newFakeSparks(t)
	for range 3 {
		_, err := f.Dist("3.4.4")
		if !errors.Is(err, podimage.ErrPending) || !strings.Contains(err.Error(), "installing Apache Spark 3.4.4") {
			t.Fatalf("Dist(3.4.4) = %v, want ErrPending", err)
		}
	}
	close(f.release)
	waitFor(t, func() bool { _, err := f.Dist("3.4.4"); return err == nil })
	d, _ := f.Dist("3.4.4")
	f.mu.Lock()
	defer f.mu.Unlock()
	if d.SparkHome != "/cache/spark-3.4.4" || len(f.installs) != 1 {
		t.Fatalf("Dist = %+v after installs %q", d, f.installs)
	}
}

func TestSparksReportsAFailedInstall(t *testing.T) {
	f := newFakeSparks(t)
	f.fail = errors.New("pip: no such version")
	close(f.release)
	if _, err := f.Dist("3.1.9"); !errors.Is(err, podimage.ErrPending) {
		t.Fatalf("first Dist = %v, want ErrPending", err)
	}
	waitFor(t, func() bool { _, err := f.Dist("3.1.9"); return errors.Is(err, podimage.ErrUnavailable) })
	_, err := f.Dist("3.1.9")
	if !strings.Contains(err.Error(), "could not install Apache Spark 3.1.9") || !strings.Contains(err.Error(), "pip: no such version") {
		t.Fatalf("Dist = %v", err)
	}
}

func TestOwnSparkRuleKeepsItsAdditionsByVersion(t *testing.T) {
	c := config.DevCluster{Images: []config.DevImage{{Match: "example.com/team/spark", Spark: true,
		Env: map[string]string{"TEAM": "data"}, Mounts: []config.DevMount{{Source: "/srv/data", Target: "/data"}}}}}
	m, err := Images(c, sparkdist.Dist{SparkHome: "/preinstalled"}, func(version string) (sparkdist.Dist, error) {
		return sparkdist.Dist{SparkHome: "/cache/spark-" + version}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	root, err := m.Resolve("example.com/team/spark:3.3.0-custom")
	if err != nil {
		t.Fatal(err)
	}
	want := []podimage.Mount{{Source: "/cache/spark-3.3.0", Target: podimage.SparkHome}, {Source: "/srv/data", Target: "/data"}}
	if !slices.Equal(root.Mounts, want) || root.Env[len(root.Env)-1] != "TEAM=data" {
		t.Fatalf("root %+v", root)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
