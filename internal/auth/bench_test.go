package auth

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkVerify is one verification of a signed POST with a JSON body.
func BenchmarkVerify(b *testing.B) {
	v := newTestVerifier(b, testNow)
	r := signedRequest(b, "POST", startURL, startBody, withHeader(aliceSigning(), "Content-Type", "application/x-amz-json-1.1"))
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(startBody))
		if _, err := v.Verify(r, startBody); err != nil {
			b.Fatal(err)
		}
	}
}
