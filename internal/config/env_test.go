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
		cache, data string
	}{
		{[]string{"HOME=/h"}, "/h/.cache/sparkplane", "/h/.local/share/sparkplane"},
		{[]string{"HOME=/h", "XDG_CACHE_HOME=/c", "XDG_DATA_HOME=/d"}, "/c/sparkplane", "/d/sparkplane"},
		{[]string{"HOME=/h", "XDG_CACHE_HOME=/c", "SPARKPLANE_CACHE=/sp"}, "/sp", "/h/.local/share/sparkplane"},
	} {
		e := EnvFrom(tc.env)
		if got := e.CacheDir(); got != tc.cache {
			t.Errorf("%q: CacheDir() = %s, want %s", tc.env, got, tc.cache)
		}
		if got := e.DataDir(); got != tc.data {
			t.Errorf("%q: DataDir() = %s, want %s", tc.env, got, tc.data)
		}
	}
}
