package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

const (
	listURL  = "http://" + testHost + "/virtualclusters?maxResults=10&states=RUNNING"
	startURL = "http://" + testHost + "/virtualclusters/vc0123456789abcdefghijklmn/jobruns"
)

var startBody = []byte(`{"name":"pi","clientToken":"t-1","releaseLabel":"emr-7.2.0-latest"}`)

func TestVerifySuccess(t *testing.T) {
	v := newTestVerifier(t, testNow)
	botocore := aliceSigning()
	botocore.noContentLength = true
	tests := []struct {
		name    string
		r       *http.Request
		body    []byte
		wantARN string
	}{
		{"user GET", signedRequest(t, "GET", listURL, nil, aliceSigning()), nil, "arn:aws:iam::123456789012:user/alice"},
		{"user POST with body", signedRequest(t, "POST", startURL, startBody, aliceSigning()), startBody, "arn:aws:iam::123456789012:user/alice"},
		{"user POST, content-length unsigned", signedRequest(t, "POST", startURL, startBody, botocore), startBody, "arn:aws:iam::123456789012:user/alice"},
		{"session", signedRequest(t, "POST", startURL, startBody, sessionSigning()), startBody, "arn:aws:sts::123456789012:assumed-role/ci/build-42"},
		{"skew just within", signedRequest(t, "GET", listURL, nil, at(aliceSigning(), testNow.Add(-5*time.Minute))), nil, "arn:aws:iam::123456789012:user/alice"},
		{"escaped ARN in path", signedRequest(t, "GET", "http://"+testHost+"/tags/arn%3Aaws%3Aemr-containers%3Aus-east-1%3A123456789012%3A%2Fvirtualclusters%2Fvc01", nil, aliceSigning()), nil, "arn:aws:iam::123456789012:user/alice"},
		{"content hash sent", signedRequest(t, "POST", startURL, startBody, withHeader(aliceSigning(), hdrContentHash, sha256Hex(startBody))), startBody, "arn:aws:iam::123456789012:user/alice"},
		{"unsigned payload, empty body", signedRequestHash(t, "GET", listURL, unsignedHash), nil, "arn:aws:iam::123456789012:user/alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(tc.r, tc.body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.ARN != tc.wantARN {
				t.Errorf("ARN = %s, want %s", p.ARN, tc.wantARN)
			}
		})
	}
}

func TestVerifyPrincipals(t *testing.T) {
	v := newTestVerifier(t, testNow)
	p, err := v.Verify(signedRequest(t, "GET", listURL, nil, aliceSigning()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != TypeIAMUser || p.UserName != "alice" || p.AccessKeyID != aliceID || !strings.HasPrefix(p.UserID, "AIDA") || len(p.UserID) != 21 {
		t.Errorf("alice = %+v", p)
	}
	if got := policyNames(p); got != "team-a-jobs,readers" {
		t.Errorf("alice's policies = %s, want own then group's, each once", got)
	}
	s, err := v.Verify(signedRequest(t, "GET", listURL, nil, sessionSigning()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != TypeAssumedRole || s.RoleARN != "arn:aws:iam::123456789012:role/ci" || s.UserName != "" ||
		!strings.HasPrefix(s.UserID, "AROA") || !strings.HasSuffix(s.UserID, ":build-42") || policyNames(s) != "deployer" {
		t.Errorf("session = %+v", s)
	}
	var logs logBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("authenticated", "principal", p, "session", s)
	for _, text := range []string{fmt.Sprintf("%v %+v %s %#v %#v", p, p, s, *p, *s), logs.String()} {
		assertNoSecret(t, "Principal formatting", text)
	}
	if !strings.Contains(logs.String(), `"arn":"arn:aws:sts::123456789012:assumed-role/ci/build-42"`) {
		t.Errorf("log = %s", logs.String())
	}
}

func policyNames(p *Principal) string {
	var names []string
	for _, np := range p.Policies {
		names = append(names, np.Name)
	}
	return strings.Join(names, ",")
}

func TestVerifyFailures(t *testing.T) {
	v := newTestVerifier(t, testNow)
	get := func(s signing) *http.Request { return signedRequest(t, "GET", listURL, nil, s) }
	post := func(s signing) *http.Request { return signedRequest(t, "POST", startURL, startBody, s) }
	expired := aliceSigning()
	expired.id, expired.secret, expired.token = oldID, oldSecret, oldToken

	tests := []struct {
		name     string
		r        *http.Request
		body     []byte
		want     emr.ErrorCode
		wantText string
	}{
		{"unsigned", unsigned(), nil, emr.CodeMissingAuthToken, "Missing Authentication Token"},
		{"forged signature", forge(get(aliceSigning())), nil, emr.CodeInvalidSignature, "does not match"},
		{"wrong secret", get(with(aliceSigning(), func(s *signing) { s.secret = "not-the-secret" })), nil, emr.CodeInvalidSignature, "Check your AWS Secret Access Key"},
		{"unknown key id", get(with(aliceSigning(), func(s *signing) { s.id = "AKIANOBODYEXAMPLE001" })), nil, emr.CodeUnrecognizedClient, "security token included in the request is invalid"},
		{"wrong region", get(with(aliceSigning(), func(s *signing) { s.region = "eu-west-1" })), nil, emr.CodeInvalidSignature, "valid region, not 'eu-west-1': this server's region is 'us-east-1'"},
		{"wrong service", get(with(aliceSigning(), func(s *signing) { s.service = "emr" })), nil, emr.CodeInvalidSignature, "correct service: 'emr-containers'"},
		{"skew: too old", get(at(aliceSigning(), testNow.Add(-5*time.Minute-time.Second))), nil, emr.CodeInvalidSignature,
			"Signature expired: 20261204T115459Z is now earlier than 20261204T115500Z (20261204T120000Z - 5 min.)"},
		{"skew: in the future", get(at(aliceSigning(), testNow.Add(6*time.Minute))), nil, emr.CodeInvalidSignature,
			"Signature not yet current: 20261204T120600Z is still later than 20261204T120500Z (20261204T120000Z + 5 min.)"},
		{"body altered after signing", post(aliceSigning()), []byte(`{"name":"evil","clientToken":"t-1","releaseLabel":"emr-7.2.0-latest"}`), emr.CodeInvalidSignature, "does not match"},
		{"body altered, same length, content-length unsigned", post(with(aliceSigning(), func(s *signing) { s.noContentLength = true })),
			[]byte(strings.Replace(string(startBody), "pi", "px", 1)), emr.CodeInvalidSignature, "does not match"},
		{"content hash of another body", post(withHeader(aliceSigning(), hdrContentHash, sha256Hex([]byte("other")))), startBody, emr.CodeInvalidSignature, "x-amz-content-sha256"},
		{"unsigned payload with a body", signedRequestHash(t, "POST", startURL, unsignedHash), startBody, emr.CodeInvalidSignature, "UNSIGNED-PAYLOAD"},
		{"signed header changed", setHeader(post(withHeader(aliceSigning(), "Content-Type", "application/json")), "Content-Type", "text/plain"), startBody, emr.CodeInvalidSignature, "does not match"},
		{"signed header removed", delHeader(post(withHeader(aliceSigning(), "Content-Type", "application/json")), "Content-Type"), startBody, emr.CodeInvalidSignature, "does not match"},
		{"header added after signing, then listed", addSigned(get(aliceSigning()), "x-aaa", "1"), nil, emr.CodeInvalidSignature, "does not match"},
		{"query changed", setQuery(get(aliceSigning()), "maxResults=1000&states=RUNNING"), nil, emr.CodeInvalidSignature, "does not match"},
		{"method changed", setMethod(get(aliceSigning()), "DELETE"), nil, emr.CodeInvalidSignature, "does not match"},
		{"host changed", setHost(get(aliceSigning()), "evil.test"), nil, emr.CodeInvalidSignature, "does not match"},
		{"user-agent signed", signUserAgent(t), nil, emr.CodeInvalidSignature, "'user-agent', which this server cannot verify"},
		{"bad session token", get(with(sessionSigning(), func(s *signing) { s.token = "IQoJb3JpZ2luX2VjEBUaCXVzLWVhc3QtMSJHMEUCIQ-forged" })), nil, emr.CodeUnrecognizedClient, "invalid"},
		{"session without token", get(with(sessionSigning(), func(s *signing) { s.token = "" })), nil, emr.CodeUnrecognizedClient, "invalid"},
		{"user key with a token", get(with(aliceSigning(), func(s *signing) { s.token = sessToken })), nil, emr.CodeUnrecognizedClient, "invalid"},
		{"expired session", get(expired), nil, emr.CodeExpiredToken, "expired"},
		{"malformed: not SigV4", setHeader(unsigned(), "Authorization", "Bearer abc"), nil, emr.CodeIncompleteSignature, "AWS4-HMAC-SHA256"},
		{"malformed: missing parts", setHeader(get(aliceSigning()), "Authorization", "AWS4-HMAC-SHA256 Credential="+aliceID+"/20261204/us-east-1/emr-containers/aws4_request"),
			nil, emr.CodeIncompleteSignature, "requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter."},
		{"malformed: no equal sign", setHeader(get(aliceSigning()), "Authorization", "AWS4-HMAC-SHA256 Credential "+aliceID), nil, emr.CodeIncompleteSignature, "missing equal-sign"},
		{"malformed: short credential", editAuth(get(aliceSigning()), "/us-east-1/emr-containers/aws4_request", "/us-east-1/aws4_request"), nil, emr.CodeIncompleteSignature, "5 slash-separated parts"},
		{"malformed: bad signature", editAuth(get(aliceSigning()), "Signature=", "Signature=zz"), nil, emr.CodeIncompleteSignature, "64 lowercase hexadecimal"},
		{"malformed: host not signed", editAuth(get(aliceSigning()), "SignedHeaders=host;", "SignedHeaders="), nil, emr.CodeIncompleteSignature, "'Host' must be a 'SignedHeader'"},
		{"no X-Amz-Date", delHeader(get(aliceSigning()), hdrDate), nil, emr.CodeIncompleteSignature, "X-Amz-Date"},
		{"scope date differs from X-Amz-Date", editAuth(get(aliceSigning()), "/20261204/", "/20261203/"), nil, emr.CodeInvalidSignature, "'20261203' != '20261204'"},
		{"bad terminator", editAuth(get(aliceSigning()), "/aws4_request", "/aws5_request"), nil, emr.CodeInvalidSignature, "valid terminator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(tc.r, tc.body)
			if err == nil {
				t.Fatalf("Verify succeeded as %s", p)
			}
			var e *emr.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *emr.Error", err)
			}
			if e.Code != tc.want || !strings.Contains(e.Message, tc.wantText) {
				t.Errorf("error = %s: %s\nwant %s containing %q", e.Code, e.Message, tc.want, tc.wantText)
			}
			if !e.Code.IsAuth() {
				t.Errorf("%s is not an auth code", e.Code)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}
