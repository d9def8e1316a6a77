package auth

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI is Debian's AWS CLI v2 (botocore): CI has it.
const awsCLI = "/usr/bin/aws"

// runCLI runs the AWS CLI against ts with the given credentials and
// answers its output and error.
func runCLI(t *testing.T, ts *testServer, id, secret, token string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", ts.URL, "--region", testRegion, "--output", "json"}, args...)...)
	cmd.Env = []string{
		"HOME=" + home, "PATH=/usr/bin:/bin",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
	if token != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+token)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestInteropAWSCLI: botocore signs without content-length.
func TestInteropAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("%s is not installed (apt-get install awscli); CI has it", awsCLI)
	}
	if testing.Short() {
		t.Skip("runs the AWS CLI")
	}
	ts := newTestServer(t, 0)
	ok := []struct {
		name              string
		id, secret, token string
		args              []string
	}{
		{"list", aliceID, aliceSecret, "", []string{"emr-containers", "list-virtual-clusters"}},
		{"tags, ARN in the path", aliceID, aliceSecret, "", []string{"emr-containers", "list-tags-for-resource", "--resource-arn", testClusterARN}},
		{"POST as a session", sessID, sessSecret, sessToken, []string{"emr-containers", "start-job-run", "--virtual-cluster-id", "vc01",
			"--name", "pi", "--execution-role-arn", "arn:aws:iam::123456789012:role/job", "--release-label", "emr-7.2.0-latest",
			"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"local:///pi.py"}}`}},
	}
	for _, tc := range ok {
		if out, err := runCLI(t, ts, tc.id, tc.secret, tc.token, tc.args...); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
	}
	if got := len(ts.calls()); got != len(ok) {
		t.Errorf("server saw %d authenticated calls, want %d: %q", got, len(ok), ts.calls())
	}
	out, err := runCLI(t, ts, aliceID, "wrong-secret", "", "emr-containers", "list-virtual-clusters")
	if err == nil || !strings.Contains(out, "InvalidSignatureException") {
		t.Errorf("wrong secret: err %v, output:\n%s", err, out)
	}
}
