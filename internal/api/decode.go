package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// DefaultMaxBodyBytes caps a request body unless LimitBodies sets another
// cap (config.DefaultMaxBodyBytes): far above what a request EMR's model
// allows needs in practice, far below what would strain the server.
const DefaultMaxBodyBytes = 1 << 20

type bodyLimitKey struct{}

// LimitBodies caps the body of every request h serves at limit bytes
// (limit <= 0: DefaultMaxBodyBytes): the body is wrapped in an
// http.MaxBytesReader, so that whatever reads it first (a middleware that
// verifies a signature, or a handler) cannot read past the cap, and the
// cap is recorded in the request's context for ReadBody. A client that
// sends more gets a ValidationException and its connection is closed.
func LimitBodies(h http.Handler, limit int64) http.Handler {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, limit)))
	})
}

// BodyLimit is the body cap of r: the one LimitBodies recorded, or
// DefaultMaxBodyBytes.
func BodyLimit(r *http.Request) int64 {
	if n, ok := r.Context().Value(bodyLimitKey{}).(int64); ok && n > 0 {
		return n
	}
	return DefaultMaxBodyBytes
}

// ReadBody reads the body of r, at most limit bytes (limit <= 0:
// BodyLimit(r)). A body over the limit, or one that cannot be read, is a
// ValidationException that names the limit; nothing past the limit is read.
// It is the one path every request body takes: the handlers read bodies
// through it, and so should a middleware that needs the bytes first (for a
// signature). Such a middleware puts the bytes back in r.Body; the handler
// then reads them again through ReadBody, under the same cap.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = BodyLimit(r)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, bodyTooLarge(limit)
	}
	// One byte more than the limit tells a body of exactly limit bytes
	// from a longer one without reading the rest.
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, bodyTooLarge(min(limit, mbe.Limit))
	case err != nil:
		return nil, emr.Validationf("Could not read the request body: %v", err)
	case int64(len(b)) > limit:
		return nil, bodyTooLarge(limit)
	}
	return b, nil
}

func bodyTooLarge(limit int64) error {
	return emr.Validationf("The request body is larger than this server accepts: at most %d bytes (security.limits.maxBodyBytes).", limit)
}

// decodeBody reads the JSON body of r into v. Unknown fields are ignored
// (newer clients may send them); anything else wrong is a ValidationException
// that names the field when there is one: a body over the server's limit,
// bytes that are not UTF-8 (encoding/json would turn them into U+FFFD and
// store something the client never sent), or JSON that does not fit v.
func decodeBody(r *http.Request, v any) error {
	body, err := ReadBody(r, 0)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return emr.Validationf("The request body is not valid UTF-8 (the first invalid byte is at offset %d).", invalidUTF8At(body))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	err := json.Unmarshal(body, v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		return emr.Validationf("Value at '%s' has the wrong JSON type: expected %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return emr.Validationf("The request body is not valid JSON: %v (at byte %d)", syntaxErr, syntaxErr.Offset)
	default:
		return emr.Validationf("The request body is not valid JSON: %v", err)
	}
}

// invalidUTF8At returns the offset of the first byte of b that is not
// part of a valid UTF-8 sequence.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// pathID reads and validates the id in path label name.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	return id, emr.CheckID(name, id)
}
