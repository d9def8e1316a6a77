package local

import (
	"slices"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// A run given a credentials file reads S3 with it through S3A: the
// provider chain in its defaults, the file in both variables the AWS SDKs
// read; its keys in neither the defaults nor the environment.
func TestS3ACredentialsFromTheRolesFile(t *testing.T) {
	r := New(Options{S3A: sparksubmit.S3A{Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", PathStyle: true},
		Defaults: map[string]string{"spark.ui.enabled": "false"}})
	const creds = "/w/vc/run/attempt-1/aws-credentials"
	d := r.defaults(Identity{User: "sparkplane-job", CredentialsFile: creds})
	for k, want := range map[string]string{
		"spark.hadoop.fs.s3.impl":                      sparksubmit.S3AFileSystem,
		"spark.hadoop.fs.s3a.endpoint":                 "http://127.0.0.1:7070",
		"spark.hadoop.fs.s3a.path.style.access":        "true",
		"spark.hadoop.fs.s3a.aws.credentials.provider": sparksubmit.ProfileCredentialsChain,
		"spark.ui.enabled":                             "false",
	} {
		if d[k] != want {
			t.Errorf("defaults[%s] = %q, want %q", k, d[k], want)
		}
	}
	if !strings.Contains(d["spark.hadoop.fs.s3a.aws.credentials.provider"], "com.amazonaws.auth.profile.ProfileCredentialsProvider") {
		t.Errorf("the provider chain lacks the profile file's provider: %s", d["spark.hadoop.fs.s3a.aws.credentials.provider"])
	}
	env := r.env(&jobStart{work: "/w/vc/run/attempt-1"}, "/data/runs/vc/run", creds, nil, r.opts.Dist)
	for _, want := range []string{"AWS_SHARED_CREDENTIALS_FILE=" + creds, "AWS_CREDENTIAL_PROFILES_FILE=" + creds} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %q", want, env)
		}
	}

	// Without a file, S3A keeps its own providers; the operator may name others.
	if p, set := r.defaults(Identity{})["spark.hadoop.fs.s3a.aws.credentials.provider"]; set {
		t.Errorf("a run without credentials gets the provider %s", p)
	}
	r = New(Options{Defaults: map[string]string{"spark.hadoop.fs.s3a.aws.credentials.provider": "x.Mine"}})
	if p := r.defaults(Identity{CredentialsFile: creds})["spark.hadoop.fs.s3a.aws.credentials.provider"]; p != "x.Mine" {
		t.Errorf("the operator's provider became %s", p)
	}
}
