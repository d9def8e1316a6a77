package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// maxBody bounds a request body; the largest legal request is far smaller.
const maxBody = 8 << 20

// decodeBody reads the JSON body of r into v. Unknown fields are ignored
// (newer clients may send them); anything else wrong is a ValidationException
// that names the field when there is one.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return emr.Validationf("Could not read the request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	err = json.Unmarshal(body, v)
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

// pathID reads and validates the id in path label name.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	return id, emr.CheckID(name, id)
}

// listQuery holds the query members every List operation shares.
type listQuery struct {
	q             url.Values
	createdAfter  time.Time
	createdBefore time.Time
	maxResults    int
	nextToken     string
}

// defaultPageSize and maxPageSize bound maxResults.
const (
	defaultPageSize = 50
	maxPageSize     = 100
)

func parseListQuery(r *http.Request) (listQuery, error) {
	lq := listQuery{q: r.URL.Query(), maxResults: defaultPageSize}
	var err error
	if lq.createdAfter, err = queryTime(lq.q, "createdAfter"); err != nil {
		return lq, err
	}
	if lq.createdBefore, err = queryTime(lq.q, "createdBefore"); err != nil {
		return lq, err
	}
	if v := lq.q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return lq, emr.Validationf("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must be a whole number greater than or equal to 1", v)
		}
		lq.maxResults = min(n, maxPageSize)
	}
	if v, ok := lq.q["nextToken"]; ok {
		if len(v[0]) < 1 || len(v[0]) > 1024 {
			return lq, emr.Validationf("1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Member must have length between 1 and 1024")
		}
		lq.nextToken = v[0]
	}
	return lq, nil
}

// queryTime parses an ISO-8601 timestamp query member, leniently: RFC 3339
// with or without fractional seconds, with Z or an offset.
func queryTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return time.UnixMilli(int64(secs * 1000)), nil
	}
	return time.Time{}, emr.Validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an ISO-8601 timestamp such as 2024-01-31T12:00:00Z", v, name)
}

// queryStates parses the repeated states member against the valid values.
func queryStates[S ~string](q url.Values, valid func(S) bool) ([]S, error) {
	vals := q["states"]
	if len(vals) > 10 {
		return nil, emr.Validationf("1 validation error detected: Value at 'states' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	out := make([]S, 0, len(vals))
	for _, v := range vals {
		s := S(v)
		if !valid(s) {
			return nil, emr.Validationf("1 validation error detected: Value '%s' at 'states' failed to satisfy constraint: Member must satisfy enum value set", v)
		}
		out = append(out, s)
	}
	return out, nil
}
