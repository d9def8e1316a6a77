package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// presigned answers the server side of a GET of listURL presigned at
// testNow for expires (an X-Amz-Expires value).
func presigned(t testing.TB, creds aws.Credentials, expires string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("GET", listURL+"&X-Amz-Expires="+expires, nil)
	uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, unsignedHash, DefaultService, testRegion, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest("GET", uri, nil)
}

func TestVerifyPresigned(t *testing.T) {
	alice := aws.Credentials{AccessKeyID: aliceID, SecretAccessKey: aliceSecret}
	session := aws.Credentials{AccessKeyID: sessID, SecretAccessKey: sessSecret, SessionToken: sessToken}
	tests := []struct {
		name     string
		now      time.Time
		r        *http.Request
		want     emr.ErrorCode // "": success
		wantText string
	}{
		{"valid", testNow.Add(time.Minute), presigned(t, alice, "300"), "", ""},
		{"valid at its last second", testNow.Add(300 * time.Second), presigned(t, alice, "300"), "", ""},
		{"session", testNow, presigned(t, session, "300"), "", ""},
		{"a week", testNow.Add(6 * 24 * time.Hour), presigned(t, alice, "604800"), "", ""},
		{"after expiry", testNow.Add(301 * time.Second), presigned(t, alice, "300"), emr.CodeInvalidSignature, "Signature expired"},
		{"signed in the future", testNow.Add(-6 * time.Minute), presigned(t, alice, "3600"), emr.CodeInvalidSignature, "Signature not yet current"},
		{"more than a week", testNow, presigned(t, alice, "604801"), emr.CodeIncompleteSignature, "X-Amz-Expires"},
		{"expiry extended", testNow.Add(time.Hour), editQuery(presigned(t, alice, "300"), "X-Amz-Expires=300", "X-Amz-Expires=7200"), emr.CodeInvalidSignature, "does not match"},
		{"query changed", testNow, editQuery(presigned(t, alice, "300"), "maxResults=10", "maxResults=11"), emr.CodeInvalidSignature, "does not match"},
		{"token changed", testNow, editQuery(presigned(t, session, "300"), "X-Amz-Security-Token=IQo", "X-Amz-Security-Token=XQo"), emr.CodeUnrecognizedClient, "invalid"},
		{"signature missing", testNow, delQuery(presigned(t, alice, "300"), qSignature), emr.CodeIncompleteSignature, "X-Amz-Signature"},
		{"also an Authorization header", testNow, setHeader(presigned(t, alice, "300"), "Authorization", "AWS4-HMAC-SHA256 x=y"), emr.CodeIncompleteSignature, "Only one auth mechanism"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, tc.now)
			p, err := v.Verify(tc.r, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.AccessKeyID == "" {
					t.Errorf("no principal")
				}
				return
			}
			var e *emr.Error
			if !errors.As(err, &e) || e.Code != tc.want || !strings.Contains(e.Message, tc.wantText) {
				t.Errorf("error = %v, want %s containing %q", err, tc.want, tc.wantText)
			}
		})
	}
}

func editQuery(r *http.Request, old, new string) *http.Request {
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, old, new, 1)
	return r
}

func delQuery(r *http.Request, k string) *http.Request {
	q := r.URL.Query()
	q.Del(k)
	r.URL.RawQuery = q.Encode()
	return r
}
