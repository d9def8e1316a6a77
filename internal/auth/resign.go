package auth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// unsignable are the headers the SDK signer never signs; a client that
// signed one cannot be verified with it.
var unsignable = []string{"authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding"}

// resign signs again, with the SDK signer and the caller's secret, the
// request r as the client saw it when it signed, and answers the signature.
//
// The clone carries only the headers the client listed in SignedHeaders
// (the signer signs every header it is given but a few), the host as sent,
// the content length only if the client signed it (the signer signs it iff
// ContentLength > 0: botocore does not sign it, the Go SDK does), the path as
// sent (RawPath kept: escaped ARNs must stay escaped), the query (minus
// X-Amz-Signature for a presigned URL), and the client's signing time. The
// session token is the client's signed header or query parameter, never
// added by the signer, and was checked before.
func (v *Verifier) resign(r *http.Request, s *signed, c *credential, payloadHash string, bodyLen int) (string, *emr.Error) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	clone := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: make(http.Header, len(s.auth.SignedHeaders)),
		Body:   http.NoBody,
	}
	for _, name := range s.auth.SignedHeaders {
		switch name {
		case "host":
		case "content-length":
			clone.ContentLength = int64(bodyLen)
		default:
			if vals := r.Header.Values(name); len(vals) > 0 {
				clone.Header[http.CanonicalHeaderKey(name)] = vals
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: s.auth.Credential.AccessKeyID, SecretAccessKey: c.secret}
	service, region := v.o.Service, v.o.Region
	var got authorization
	if s.presigned {
		q := r.URL.Query()
		q.Del(qSignature)
		clone.URL.RawQuery = q.Encode()
		uri, _, err := v.signer.PresignHTTP(r.Context(), creds, clone, payloadHash, service, region, s.date,
			func(o *v4.SignerOptions) { o.DisableSessionToken, o.DisableHeaderHoisting = true, true })
		if err != nil {
			return "", errInvalid("The request cannot be signed again: %v", err)
		}
		u, err := url.Parse(uri)
		if err != nil {
			return "", errInvalid("The request cannot be signed again: %v", err)
		}
		got.Signature = u.Query().Get(qSignature)
		got.SignedHeaders = strings.Split(u.Query().Get(qSignedHeaders), ";")
	} else {
		err := v.signer.SignHTTP(r.Context(), creds, clone, payloadHash, service, region, s.date,
			func(o *v4.SignerOptions) { o.DisableSessionToken = true })
		if err != nil {
			return "", errInvalid("The request cannot be signed again: %v", err)
		}
		var perr *emr.Error
		if got, perr = parseAuthorization(clone.Header.Get("Authorization")); perr != nil {
			return "", errInvalid("The request cannot be signed again: %s", perr.Message)
		}
	}
	if !slices.Equal(got.SignedHeaders, s.auth.SignedHeaders) {
		return "", explainSignedHeaders(s.auth.SignedHeaders, got.SignedHeaders, bodyLen)
	}
	return got.Signature, nil
}

// explainSignedHeaders says why the headers the signer signed are not those
// the client listed.
func explainSignedHeaders(client, signer []string, bodyLen int) *emr.Error {
	for _, h := range client {
		if slices.Contains(unsignable, h) {
			return errInvalid("SignedHeaders lists '%s', which this server cannot verify: do not sign it.", h)
		}
		if h == "content-length" && bodyLen == 0 {
			return errInvalid("SignedHeaders lists 'content-length' for an empty body, which this server cannot verify.")
		}
	}
	for _, h := range signer {
		if !slices.Contains(client, h) {
			return errInvalid("'%s' must be a 'SignedHeader' in the AWS Authorization.", h)
		}
	}
	// A header the client signed is not in the request: it was removed.
	return errMismatch()
}
