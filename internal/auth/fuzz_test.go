package auth

import (
	"slices"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE0001/20261204/us-east-1/emr-containers/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0a", 32),
		"AWS4-HMAC-SHA256 Credential=A/2/r/s/aws4_request,SignedHeaders=content-length;content-type;host,Signature=" + strings.Repeat("f", 64),
		"AWS4-HMAC-SHA256 Credential=a/b/c/d",
		"AWS4-HMAC-SHA256 ,,=,",
		"AWS4-HMAC-SHA256\tSignature=x, Signature=y",
		"Bearer abc",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			if err.Message == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if len(a.Signature) != 64 || !slices.IsSorted(a.SignedHeaders) || a.Credential.Terminator == "" {
			t.Fatalf("accepted %q as %+v", h, a)
		}
		// What was accepted formats back to a header that parses the same.
		c := a.Credential
		again := algorithm + " Credential=" + strings.Join([]string{c.AccessKeyID, c.Date, c.Region, c.Service, c.Terminator}, "/") +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		b, err := parseAuthorization(again)
		if err != nil || b.Credential != a.Credential || b.Signature != a.Signature || !slices.Equal(b.SignedHeaders, a.SignedHeaders) {
			t.Fatalf("%q parsed as %+v, formatted as %q, parsed again as %+v, %v", h, a, again, b, err)
		}
	})
}
