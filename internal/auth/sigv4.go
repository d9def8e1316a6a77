package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// VerifierOptions configure a Verifier.
type VerifierOptions struct {
	// Access holds the credentials; required.
	Access *Access
	// Region is the region credentials must be scoped to; required.
	Region string
	// Service is the service credentials must be scoped to
	// (default "emr-containers").
	Service string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxSkew is how far a signing time may be from Now (default 5 min).
	MaxSkew time.Duration
}

// DefaultService is the signing name of the EMR on EKS API.
const DefaultService = "emr-containers"

// Verifier authenticates requests signed with AWS Signature Version 4.
type Verifier struct {
	o      VerifierOptions
	signer *v4.Signer
}

// NewVerifier returns a Verifier of the credentials of o.Access.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	if o.Access == nil || o.Region == "" {
		return nil, errors.New("auth: a verifier needs an access file and a region")
	}
	if o.Service == "" {
		o.Service = DefaultService
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = 5 * time.Minute
	}
	return &Verifier{o: o, signer: v4.NewSigner()}, nil
}

// signed is what a request says about its signature.
type signed struct {
	presigned    bool
	auth         authorization
	amzDate      string
	date         time.Time
	expires      time.Duration // presigned only
	token        string
	tokenSent    bool
	declaredHash string // X-Amz-Content-Sha256, if sent
}

// Verify authenticates r, whose whole body is body, and answers who signed
// it. Its errors are *emr.Error with the code and message AWS answers
// (MissingAuthenticationToken, IncompleteSignature, InvalidSignature,
// UnrecognizedClient, ExpiredToken), all of HTTP status 403.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Principal, error) {
	p, err := v.verify(r, body)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (v *Verifier) verify(r *http.Request, body []byte) (*Principal, *emr.Error) {
	now := v.o.Now().UTC()
	s, err := readSigned(r)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(s); err != nil {
		return nil, err
	}
	if err := v.checkTime(s, now); err != nil {
		return nil, err
	}
	c, ok := v.o.Access.lookup(s.auth.Credential.AccessKeyID)
	if !ok {
		return nil, errUnrecognized()
	}
	if err := checkToken(c, s, now); err != nil {
		return nil, err
	}
	hashes, err := payloadHashes(s, body)
	if err != nil {
		return nil, err
	}
	for _, h := range hashes {
		sig, err := v.resign(r, s, c, h, len(body))
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare([]byte(sig), []byte(s.auth.Signature)) == 1 {
			return c.principal, nil
		}
	}
	return nil, errMismatch()
}

// readSigned finds the signature of r, in its Authorization header or its
// query (a presigned URL).
func readSigned(r *http.Request) (*signed, *emr.Error) {
	q := r.URL.Query()
	authz := r.Header.Values("Authorization")
	inQuery := q.Has(qAlgorithm) || q.Has(qSignature) || q.Has(qCredential)
	s := &signed{}
	var err *emr.Error
	switch {
	case len(authz) == 0 && !inQuery:
		return nil, errMissingToken()
	case len(authz) > 1:
		return nil, errIncomplete("The Authorization header is given more than once.")
	case len(authz) == 1 && inQuery:
		return nil, errIncomplete("Only one auth mechanism allowed: the Authorization header or the X-Amz-Algorithm query parameters, not both.")
	case len(authz) == 1:
		if s.auth, err = parseAuthorization(authz[0]); err != nil {
			return nil, err
		}
		dates := r.Header.Values(hdrDate)
		if len(dates) != 1 {
			return nil, errIncomplete("Authorization header requires existence of a single 'X-Amz-Date' header.")
		}
		s.amzDate = dates[0]
		tokens := r.Header.Values(hdrToken)
		if len(tokens) > 1 {
			return nil, errIncomplete("The X-Amz-Security-Token header is given more than once.")
		}
		s.tokenSent = len(tokens) == 1
		s.token = r.Header.Get(hdrToken)
		s.declaredHash = r.Header.Get(hdrContentHash)
	default:
		s.presigned = true
		if s.auth, s.expires, err = parsePresigned(q); err != nil {
			return nil, err
		}
		s.amzDate = q.Get(qDate)
		s.tokenSent = q.Has(qToken)
		s.token = q.Get(qToken)
		s.declaredHash = q.Get(qContentHash)
		if s.declaredHash == "" {
			s.declaredHash = r.Header.Get(hdrContentHash)
		}
	}
	if !slices.Contains(s.auth.SignedHeaders, "host") {
		return nil, errIncomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if s.date, err = parseAmzDate(s.amzDate); err != nil {
		return nil, err
	}
	return s, nil
}

// checkScope checks the credential scope against the server's.
func (v *Verifier) checkScope(s *signed) *emr.Error {
	c := s.auth.Credential
	switch {
	case c.Terminator != terminator:
		return errInvalid("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, clip(c.Terminator))
	case c.Service != v.o.Service:
		return errInvalid("Credential should be scoped to correct service: '%s', not '%s'.", v.o.Service, clip(c.Service))
	case c.Region != v.o.Region:
		return errInvalid("Credential should be scoped to a valid region, not '%s': this server's region is '%s'.", clip(c.Region), v.o.Region)
	case c.Date != s.amzDate[:8]:
		return errInvalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'x-amz-date'.",
			clip(c.Date), s.amzDate[:8])
	}
	return nil
}

// checkTime checks the signing time against the clock: within MaxSkew of
// it for a header, and for a presigned URL no earlier than MaxSkew before it
// and no later than its expiry.
func (v *Verifier) checkTime(s *signed, now time.Time) *emr.Error {
	skew := v.o.MaxSkew
	if s.date.After(now.Add(skew)) {
		return errInvalid("Signature not yet current: %s is still later than %s (%s + %s.)",
			s.amzDate, now.Add(skew).Format(amzDateFormat), now.Format(amzDateFormat), fmtSkew(skew))
	}
	if s.presigned {
		if end := s.date.Add(s.expires); now.After(end) {
			return errInvalid("Signature expired: %s is now earlier than %s (%s - %d sec.): the presigned URL expired at %s.",
				s.amzDate, now.Add(-s.expires).Format(amzDateFormat), now.Format(amzDateFormat),
				int(s.expires/time.Second), end.Format(amzDateFormat))
		}
		return nil
	}
	if s.date.Before(now.Add(-skew)) {
		return errInvalid("Signature expired: %s is now earlier than %s (%s - %s.)",
			s.amzDate, now.Add(-skew).Format(amzDateFormat), now.Format(amzDateFormat), fmtSkew(skew))
	}
	return nil
}

func fmtSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return d.String()
}

// checkToken checks the security token: a session's must be sent and equal
// its own, a user key takes none.
func checkToken(c *credential, s *signed, now time.Time) *emr.Error {
	if c.sessionToken == "" {
		if s.tokenSent {
			return errUnrecognized()
		}
		return nil
	}
	if !s.tokenSent || !equalSecret(s.token, c.sessionToken) {
		return errUnrecognized()
	}
	if !c.expiration.IsZero() && !now.Before(c.expiration) {
		return errExpiredToken()
	}
	return nil
}

// equalSecret compares in time independent of the contents and lengths.
func equalSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// payloadHashes answers the payload hashes the signature may cover: the
// body's SHA-256, or UNSIGNED-PAYLOAD for an empty body (declared, or
// presigned: presigners leave it undeclared).
func payloadHashes(s *signed, body []byte) ([]string, *emr.Error) {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	switch s.declaredHash {
	case "":
		if s.presigned && len(body) == 0 {
			return []string{h, unsignedHash}, nil
		}
		return []string{h}, nil
	case unsignedHash:
		if len(body) > 0 {
			return nil, errInvalid("UNSIGNED-PAYLOAD is accepted only for an empty body: sign the payload.")
		}
		return []string{unsignedHash}, nil
	case h:
		return []string{h}, nil
	}
	return nil, errInvalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
}
