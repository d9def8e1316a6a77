package auth

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
)

// secretKeyRE finds the keys of the access file whose values are secrets,
// in YAML or JSON spelling, and what follows them.
var secretKeyRE = regexp.MustCompile(`(?m)["']?\b(secret|secretAccessKey|sessionToken)["']?[ \t]*:[ \t]*`)

// redactError answers err with every secret value of the raw file data
// replaced, so that a decoder error echoing part of the file cannot leak
// one. It works on the raw bytes because it is used when they failed to
// parse.
func redactError(err error, data []byte) error {
	msg := err.Error()
	for _, v := range secretValues(data) {
		msg = strings.ReplaceAll(msg, v, "[REDACTED]")
	}
	return errors.New(msg)
}

// secretValues answers the values of the secret keys found in data, quoted
// or not, including a YAML block scalar's first line.
func secretValues(data []byte) []string {
	var out []string
	for _, m := range secretKeyRE.FindAllIndex(data, -1) {
		rest := data[m[1]:]
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		v := strings.TrimSpace(string(line))
		if strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">") { // block scalar
			_, next, _ := bytes.Cut(rest, []byte("\n"))
			line, _, _ = bytes.Cut(next, []byte("\n"))
			v = strings.TrimSpace(string(line))
		}
		if q := v[:min(1, len(v))]; q == `"` || q == `'` {
			if end := strings.Index(v[1:], q); end >= 0 {
				v = v[1 : 1+end]
			} else {
				v = v[1:]
			}
		} else if i := strings.IndexAny(v, ",}"); i >= 0 { // flow style, maybe
			out = appendSecret(out, v) // or part of the secret
			v = strings.TrimSpace(v[:i])
		}
		if i := strings.Index(v, " #"); i >= 0 { // a comment
			v = strings.TrimSpace(v[:i])
		}
		out = appendSecret(out, v)
	}
	return out
}

func appendSecret(out []string, v string) []string {
	if len(v) < 4 { // shorter strings would redact ordinary words
		return out
	}
	out = append(out, v)
	if len(v) > 8 {
		out = append(out, v[:8]) // a truncated echo
	}
	return out
}
