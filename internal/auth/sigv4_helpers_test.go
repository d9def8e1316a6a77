package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Request edits for the failure tests.

func with(s signing, f func(*signing)) signing { f(&s); return s }

func at(s signing, t time.Time) signing { s.at = t; return s }

func withHeader(s signing, k, v string) signing {
	s.header = map[string]string{k: v}
	return s
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func unsigned() *http.Request { return httptest.NewRequest("GET", listURL, nil) }

// forge replaces the signature by another of the right form.
func forge(r *http.Request) *http.Request {
	h := r.Header.Get("Authorization")
	i := strings.Index(h, "Signature=") + len("Signature=")
	r.Header.Set("Authorization", h[:i]+strings.Repeat("ab", 32))
	return r
}

func editAuth(r *http.Request, old, new string) *http.Request {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	return r
}

func setHeader(r *http.Request, k, v string) *http.Request { r.Header.Set(k, v); return r }

func delHeader(r *http.Request, k string) *http.Request { r.Header.Del(k); return r }

func setQuery(r *http.Request, q string) *http.Request { r.URL.RawQuery = q; return r }

func setMethod(r *http.Request, m string) *http.Request { r.Method = m; return r }

func setHost(r *http.Request, h string) *http.Request { r.Host = h; return r }

// addSigned adds a header and lists it among the signed ones, as an
// attacker would to smuggle it in.
func addSigned(r *http.Request, k, v string) *http.Request {
	r.Header.Set(k, v)
	return editAuth(r, "SignedHeaders=host;", "SignedHeaders=host;"+k+";")
}

// signedRequestHash signs a GET or POST as alice with the given payload
// hash, sent as X-Amz-Content-Sha256.
func signedRequestHash(t testing.TB, method, target, hash string) *http.Request {
	t.Helper()
	cr, _ := http.NewRequest(method, target, nil)
	cr.Header.Set(hdrContentHash, hash)
	creds := aws.Credentials{AccessKeyID: aliceID, SecretAccessKey: aliceSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cr, hash, DefaultService, testRegion, testNow); err != nil {
		t.Fatal(err)
	}
	sr := httptest.NewRequest(method, target, nil)
	sr.Header = cr.Header.Clone()
	return sr
}

// signUserAgent is a request whose client signed user-agent, which the SDK
// signer never does (the signature is made by hand-editing the header list:
// the server cannot tell it from a genuine one before re-signing).
func signUserAgent(t testing.TB) *http.Request {
	r := signedRequest(t, "GET", listURL, nil, aliceSigning())
	r.Header.Set("User-Agent", "curl/8")
	return editAuth(r, "SignedHeaders=host;", "SignedHeaders=host;user-agent;")
}
