package config

import (
	"slices"
	"testing"
)

// A job's environment carries what a shell and the JVM need, never the
// server's secrets.
func TestJobEnv(t *testing.T) {
	env := EnvFrom([]string{"PATH=/opt/bin:/usr/bin", "HOME=/home/sp", "LANG=C.UTF-8", "PGPASSWORD=secret",
		"AWS_SECRET_ACCESS_KEY=secret", "AWS_ACCESS_KEY_ID=AKIA", "SPARK_HOME=/elsewhere", "EQUALS=a=b"})
	got := env.JobEnv()
	want := []string{"PATH=/opt/bin:/usr/bin", "HOME=/home/sp", "LANG=C.UTF-8"}
	if !slices.Equal(got, want) {
		t.Errorf("JobEnv() = %q, want %q", got, want)
	}
	if got := EnvFrom(nil).JobEnv(); !slices.Equal(got, []string{"PATH=/usr/local/bin:/usr/bin:/bin"}) {
		t.Errorf("JobEnv() of an empty environment = %q, want a default PATH", got)
	}
	if got := env.Get("EQUALS"); got != "a=b" {
		t.Errorf("Get(EQUALS) = %q", got)
	}
}

func TestEnvDirs(t *testing.T) {
	for _, tc := range []struct {
		env         []string
		root        bool
		cache, data string
	}{
		{[]string{"HOME=/h"}, false, "/h/.cache/sparkplane", "/h/.local/share/sparkplane"},
		{[]string{"HOME=/h", "XDG_CACHE_HOME=/c", "XDG_DATA_HOME=/d"}, false, "/c/sparkplane", "/d/sparkplane"},
		{[]string{"HOME=/h", "XDG_CACHE_HOME=/c", "SPARKPLANE_CACHE=/sp"}, false, "/sp", "/h/.local/share/sparkplane"},
		// root keeps Spark where the users its jobs run as can read it.
		{[]string{"HOME=/root"}, true, "/var/cache/sparkplane", "/root/.local/share/sparkplane"},
		{[]string{"HOME=/root", "XDG_CACHE_HOME=/c"}, true, "/c/sparkplane", "/root/.local/share/sparkplane"},
		{[]string{"HOME=/root", "SPARKPLANE_CACHE=/sp"}, true, "/sp", "/root/.local/share/sparkplane"},
	} {
		e := EnvFrom(tc.env)
		e.root = tc.root
		if got := e.CacheDir(); got != tc.cache {
			t.Errorf("%q (root %v): CacheDir() = %s, want %s", tc.env, tc.root, got, tc.cache)
		}
		if got := e.DataDir(); got != tc.data {
			t.Errorf("%q: DataDir() = %s, want %s", tc.env, got, tc.data)
		}
	}
}
