package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testHost    = "sparkplane.test"

	aliceID     = "AKIAALICEEXAMPLE0001"
	aliceSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYALICEKEY"
	sessID      = "ASIACIEXAMPLE00001"
	sessSecret  = "ci-session-secret-42-x9TmZQ"
	sessToken   = "IQoJb3JpZ2luX2VjEBUaCXVzLWVhc3QtMSJHMEUCIQ-build-42"
	oldID       = "ASIACIEXAMPLE00002"
	oldSecret   = "ci-session-secret-old-p0Lk8"
	oldToken    = "IQoJb3JpZ2luX2VjEBUaCXVzLWVhc3QtMSJHMEUCIQ-build-old"
)

// testNow is the verifier's clock in most tests.
var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// testSecrets are every secret of testAccessYAML: none may ever be printed.
var testSecrets = []string{aliceSecret, sessSecret, sessToken, oldSecret, oldToken, "bob-secret-Zq81LmNw"}

const testAccessYAML = `
users:
  - name: alice
    accessKeys:
      - id: ` + aliceID + `
        secret: ` + aliceSecret + `
    groups: [team-a]
    policies: [team-a-jobs]
  - name: bob
    accessKeys:
      - {id: AKIABOBEXAMPLE000001, secret: "bob-secret-Zq81LmNw"}
roles:
  - name: ci
    policies: [deployer]
    sessions:
      - name: build-42
        accessKeyId: ` + sessID + `
        secretAccessKey: ` + sessSecret + `
        sessionToken: ` + sessToken + `
        expiration: 2027-01-01T00:00:00Z
      - name: build-old
        accessKeyId: ` + oldID + `
        secretAccessKey: ` + oldSecret + `
        sessionToken: ` + oldToken + `
        expiration: 2026-01-01T00:00:00Z
groups:
  - name: team-a
    policies: [team-a-jobs, readers]
policies:
  team-a-jobs: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "emr-containers:*", "Resource": "*"}]}
  readers:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Action: ["emr-containers:Describe*", "emr-containers:List*"], Resource: "*"}
  deployer: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "emr-containers:StartJobRun", "Resource": "*"}]}'
`

// logBuffer collects slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// writeFile writes an access file of mode 0600 and answers its path.
func writeFile(t testing.TB, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "access.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func testOptions(logs *logBuffer) Options {
	o := Options{Partition: "aws", Account: testAccount}
	if logs != nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o
}

func newTestAccess(t testing.TB) *Access {
	t.Helper()
	a, err := Load(writeFile(t, t.TempDir(), testAccessYAML), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestVerifier(t testing.TB, now time.Time) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierOptions{Access: newTestAccess(t), Region: testRegion, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signing is how a test client signs.
type signing struct {
	id, secret, token string
	region, service   string
	at                time.Time
	header            map[string]string
	noContentLength   bool // sign as botocore does, without content-length
}

func aliceSigning() signing {
	return signing{id: aliceID, secret: aliceSecret, region: testRegion, service: DefaultService, at: testNow}
}

func sessionSigning() signing {
	s := aliceSigning()
	s.id, s.secret, s.token = sessID, sessSecret, sessToken
	return s
}

// signed answers the server side of a request to target signed as s in the
// header form, with the SDK signer.
func signedRequest(t testing.TB, method, target string, body []byte, s signing) *http.Request {
	t.Helper()
	cr, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.header {
		cr.Header.Set(k, v)
	}
	if s.noContentLength {
		cr.ContentLength = 0
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret, SessionToken: s.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cr, hex.EncodeToString(sum[:]), s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	sr := httptest.NewRequest(method, target, bytes.NewReader(body))
	sr.Header = cr.Header.Clone()
	return sr
}

// assertNoSecret fails if text holds a secret of the test file.
func assertNoSecret(t testing.TB, what, text string) {
	t.Helper()
	for _, s := range testSecrets {
		if strings.Contains(text, s) || strings.Contains(text, s[:8]) {
			t.Errorf("%s leaks a secret (%.4s…): %s", what, s, text)
		}
	}
}
