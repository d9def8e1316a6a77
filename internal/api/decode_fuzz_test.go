package api

import (
	"errors"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// FuzzDecodeBounds feeds arbitrary bodies and timestamps to the decoding
// the handlers share: every refusal is a ValidationException, bytes that
// are not UTF-8 are always refused, and an accepted time is within years
// 1..9999.
func FuzzDecodeBounds(f *testing.F) {
	for _, s := range []string{"{}", "{\"name\":\"a\xffb\"}", `{"maxAttempts":1e400}`, `{"maxAttempts":2147483648}`, "", "NaN",
		"Infinity", "1e400", "2024-01-31T12:00:00Z", "1706702400.5", "-99999999999", "0x1p3", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v struct {
			Name        string `json:"name"`
			MaxAttempts int32  `json:"maxAttempts"`
			Args        []string
		}
		err := decodeJSON([]byte(s), &v)
		var e *emr.Error
		if err != nil && (!errors.As(err, &e) || e.Code != emr.CodeValidation) {
			t.Fatalf("decodeJSON(%q) = %v, want a ValidationException", s, err)
		}
		if err == nil && !utf8.ValidString(s) {
			t.Fatalf("decodeJSON(%q) accepted bytes that are not UTF-8", s)
		}
		tm, err := queryTime(url.Values{"createdAfter": {s}}, "createdAfter")
		if err != nil && (!errors.As(err, &e) || e.Code != emr.CodeValidation) {
			t.Fatalf("queryTime(%q) = %v, want a ValidationException", s, err)
		}
		if err == nil && s != "" && !inRange(tm) {
			t.Fatalf("queryTime(%q) = %v, outside years 1..9999", s, tm)
		}
	})
}
