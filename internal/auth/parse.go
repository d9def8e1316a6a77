package auth

import (
	"net/url"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// The SigV4 names.
const (
	algorithm     = "AWS4-HMAC-SHA256"
	terminator    = "aws4_request"
	amzDateFormat = "20060102T150405Z"
	unsignedHash  = "UNSIGNED-PAYLOAD"

	hdrDate        = "X-Amz-Date"
	hdrToken       = "X-Amz-Security-Token"
	hdrContentHash = "X-Amz-Content-Sha256"

	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qToken         = "X-Amz-Security-Token"
	qContentHash   = "X-Amz-Content-Sha256"
)

// scope is a parsed credential: <key id>/<yyyymmdd>/<region>/<service>/aws4_request.
type scope struct {
	AccessKeyID, Date, Region, Service, Terminator string
}

// authorization is a parsed Authorization header (or its query equivalent).
type authorization struct {
	Credential    scope
	SignedHeaders []string
	Signature     string
}

// parseAuthorization parses an Authorization header of algorithm
// AWS4-HMAC-SHA256; its errors are IncompleteSignatureException.
func parseAuthorization(h string) (authorization, *emr.Error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, algorithm)
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return a, errIncomplete("Authorization header must start with %q followed by a space, not %q.", algorithm, firstWord(h))
	}
	var have [3]bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return a, errIncomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header.", clip(part))
		}
		var i int
		switch k {
		case "Credential":
			i = 0
		case "SignedHeaders":
			i = 1
		case "Signature":
			i = 2
		default:
			return a, errIncomplete("Unknown parameter '%s' in Authorization header.", clip(k))
		}
		if have[i] {
			return a, errIncomplete("Parameter '%s' is given twice in Authorization header.", k)
		}
		have[i] = true
		var err *emr.Error
		switch i {
		case 0:
			a.Credential, err = parseCredential(v)
		case 1:
			a.SignedHeaders, err = parseSignedHeaders(v)
		case 2:
			a.Signature, err = parseSignature(v)
		}
		if err != nil {
			return a, err
		}
	}
	var missing []string
	for i, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if !have[i] {
			missing = append(missing, "Authorization header requires '"+name+"' parameter.")
		}
	}
	if missing != nil {
		return a, errIncomplete("%s", strings.Join(missing, " "))
	}
	return a, nil
}

func parseCredential(v string) (scope, *emr.Error) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 {
		return scope{}, errIncomplete("Credential '%s' must have 5 slash-separated parts: <access key id>/<yyyymmdd>/<region>/<service>/aws4_request.", clip(v))
	}
	for _, p := range parts {
		if p == "" {
			return scope{}, errIncomplete("Credential '%s' has an empty part.", clip(v))
		}
	}
	return scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3], Terminator: parts[4]}, nil
}

// parseSignedHeaders parses a;b;c: lowercase header names, sorted, each once,
// as every signer writes them.
func parseSignedHeaders(v string) ([]string, *emr.Error) {
	names := strings.Split(v, ";")
	for i, n := range names {
		if n == "" || strings.ToLower(n) != n || strings.ContainsAny(n, " \t:,=") {
			return nil, errIncomplete("SignedHeaders '%s' must be lowercase header names separated by ';'.", clip(v))
		}
		if i > 0 && names[i-1] >= n {
			return nil, errIncomplete("SignedHeaders '%s' must be sorted, each name once.", clip(v))
		}
	}
	return names, nil
}

func parseSignature(v string) (string, *emr.Error) {
	if len(v) != 64 || strings.Trim(v, "0123456789abcdef") != "" {
		return "", errIncomplete("Signature must be 64 lowercase hexadecimal digits.")
	}
	return v, nil
}

// parsePresigned parses the signature of a presigned URL.
func parsePresigned(q url.Values) (a authorization, expires time.Duration, err *emr.Error) {
	for _, k := range []string{qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature} {
		if len(q[k]) != 1 {
			return a, 0, errIncomplete("AWS query-string parameters must include '%s', '%s', '%s', '%s', '%s' and '%s', each once.",
				qAlgorithm, qCredential, qSignature, qDate, qSignedHeaders, qExpires)
		}
	}
	if alg := q.Get(qAlgorithm); alg != algorithm {
		return a, 0, errIncomplete("X-Amz-Algorithm only supports '%s', not '%s'.", algorithm, clip(alg))
	}
	if len(q[qToken]) > 1 {
		return a, 0, errIncomplete("X-Amz-Security-Token is given twice.")
	}
	secs, ok := parseSeconds(q.Get(qExpires))
	if !ok || secs < 1 || secs > maxPresignSeconds {
		return a, 0, errIncomplete("X-Amz-Expires must be a number of seconds from 1 to %d (a week), not '%s'.", maxPresignSeconds, clip(q.Get(qExpires)))
	}
	if a.Credential, err = parseCredential(q.Get(qCredential)); err != nil {
		return a, 0, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(q.Get(qSignedHeaders)); err != nil {
		return a, 0, err
	}
	if a.Signature, err = parseSignature(q.Get(qSignature)); err != nil {
		return a, 0, err
	}
	return a, time.Duration(secs) * time.Second, nil
}

// maxPresignSeconds is the longest a presigned URL may be valid: a week.
const maxPresignSeconds = 7 * 24 * 3600

func parseSeconds(s string) (int, bool) {
	if s == "" || len(s) > 7 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n, true
}

func parseAmzDate(s string) (time.Time, *emr.Error) {
	t, err := time.Parse(amzDateFormat, s)
	if err != nil {
		return time.Time{}, errIncomplete("X-Amz-Date '%s' must be in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z'.", clip(s))
	}
	return t, nil
}

// clip bounds what a message quotes of the request.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return clip(w)
}
