package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"

	"github.com/sparkplane/sparkplane/internal/config"
)

// TestForgedRequestsCreateNothing: requests whose signature does not hold
// are refused with the error the SDKs recognise, HTTP 403, and the
// virtual cluster they ask for is never created.
func TestForgedRequestsCreateNothing(t *testing.T) {
	access := filepath.Join(t.TempDir(), "access.yaml")
	writeAccess(t, access, accessFile("none"))
	s := startServerWith(t, "", func(c *config.Config) { c.Security.Access = access })
	const akid, secret = "AKIAADMIN0000000001", "admin-secret-0000000000000000000000000"
	body := `{"name":"forged","clientToken":"forged","containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"forged"}}}}`
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	sign := func(r *http.Request, payload string, c aws.Credentials, service, region string, at time.Time) {
		sum := sha256.Sum256([]byte(payload))
		if err := v4.NewSigner().SignHTTP(context.Background(), c, r, hex.EncodeToString(sum[:]), service, region, at); err != nil {
			t.Fatal(err)
		}
	}
	newReq := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, s.URL+"/virtualclusters", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	now := time.Now()
	for _, c := range []struct {
		name, code string
		req        func() *http.Request
	}{
		{"unsigned", "MissingAuthenticationTokenException", newReq},
		{"forged signature", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, creds, "emr-containers", "us-east-1", now)
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:len(h)-8]+"00000000")
			return r
		}},
		{"wrong secret", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, aws.Credentials{AccessKeyID: akid, SecretAccessKey: "not-the-secret"}, "emr-containers", "us-east-1", now)
			return r
		}},
		{"unknown key", "UnrecognizedClientException", func() *http.Request {
			r := newReq()
			sign(r, body, aws.Credentials{AccessKeyID: "AKIANOBODY000000001", SecretAccessKey: secret}, "emr-containers", "us-east-1", now)
			return r
		}},
		{"wrong region", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, creds, "emr-containers", "eu-west-1", now)
			return r
		}},
		{"wrong service", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, creds, "emr", "us-east-1", now)
			return r
		}},
		{"signed 6 minutes ago", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, creds, "emr-containers", "us-east-1", now.Add(-6*time.Minute))
			return r
		}},
		{"signed 6 minutes ahead", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, creds, "emr-containers", "us-east-1", now.Add(6*time.Minute))
			return r
		}},
		{"body altered after signing", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			sign(r, body, creds, "emr-containers", "us-east-1", now)
			altered := strings.Replace(body, `"forged"`, `"altered"`, 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(altered)), int64(len(altered))
			return r
		}},
		{"presigned URL used after expiry", "InvalidSignatureException", func() *http.Request {
			r := newReq()
			q := r.URL.Query()
			q.Set("X-Amz-Expires", "60")
			r.URL.RawQuery = q.Encode()
			sum := sha256.Sum256([]byte(body))
			u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "emr-containers", "us-east-1", now.Add(-2*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			pr, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader([]byte(body)))
			pr.Header = hdr.Clone()
			pr.Header.Set("Content-Type", "application/json")
			return pr
		}},
	} {
		resp, err := http.DefaultClient.Do(c.req())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var out struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || out.Type != c.code || resp.Header.Get("X-Amzn-ErrorType") != c.code {
			t.Errorf("%s: %d %s %q; want 403 %s", c.name, resp.StatusCode, out.Type, out.Message, c.code)
		}
	}
	admin := clientAs(s.URL, akid, secret, "us-east-1")
	vcs, err := admin.ListVirtualClusters(context.Background(), &emrcontainers.ListVirtualClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vcs.VirtualClusters) != 0 {
		t.Errorf("%d virtual clusters exist after forged requests; want none", len(vcs.VirtualClusters))
	}
	// A presigned URL within its lifetime works: the refusal above was its expiry.
	r, _ := http.NewRequest(http.MethodGet, s.URL+"/virtualclusters", nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "60")
	r.URL.RawQuery = q.Encode()
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "emr-containers", "us-east-1", now)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a fresh presigned ListVirtualClusters: %d; want 200", resp.StatusCode)
	}
}
