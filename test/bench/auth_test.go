package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
)

var benchCreds = aws.Credentials{AccessKeyID: "AKIABENCH0000000001", SecretAccessKey: "bench-secret-000000000000000000000000000"}

// benchAccess is a team's access file: a user in a group whose policy
// allows emr-containers on tagged-or-named virtual clusters and passing one
// role, and denies deleting them.
const benchAccess = `
users:
  - name: bench
    accessKeys: [{id: AKIABENCH0000000001, secret: bench-secret-000000000000000000000000000}]
    groups: [analytics]
groups:
  - name: analytics
    policies: [jobs, guard]
policies:
  jobs:
    Version: "2012-10-17"
    Statement:
      - {Sid: OwnClusters, Effect: Allow, Action: "emr-containers:*", Resource: "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/*"}
      - {Sid: Create, Effect: Allow, Action: ["emr-containers:CreateVirtualCluster", "emr-containers:List*"], Resource: "*"}
      - {Sid: Pass, Effect: Allow, Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/emr-job", Condition: {StringEquals: {"iam:PassedToService": emr-containers.amazonaws.com}}}
  guard:
    Version: "2012-10-17"
    Statement:
      - {Effect: Deny, Action: "emr-containers:DeleteVirtualCluster", Resource: "*"}
      - {Effect: Deny, Action: "emr-containers:StartJobRun", Resource: "*", Condition: {StringNotLike: {"emr-containers:ExecutionRoleArn": "arn:aws:iam::123456789012:role/emr-*"}}}
`

// benchAuthenticator is the server's authenticator over benchAccess.
func benchAuthenticator(b *testing.B) api.Authenticator {
	path := filepath.Join(b.TempDir(), "access.yaml")
	if err := os.WriteFile(path, []byte(benchAccess), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.Security.Access = path
	a, err := app.Authenticator(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// signedPost is a JSON POST signed as the AWS SDKs sign it.
func signedPost(b *testing.B, url, body string) *http.Request {
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), benchCreds, r, hex.EncodeToString(sum[:]), "emr-containers", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return r
}
