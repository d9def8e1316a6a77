package api

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

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

// maxPageBytes bounds a page of a listing by size as well as by count:
// once the items of a page pass it, the page ends there with a nextToken
// (at least one item per page, however large), so a listing of runs that
// each carry megabytes of arguments is served a few MiB at a time.
const maxPageBytes = 4 << 20

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

// page is the store page lq asks for, bounded in bytes by maxPageBytes.
func (lq listQuery) page() store.Page {
	return store.Page{Limit: lq.maxResults, Token: lq.nextToken, MaxBytes: maxPageBytes}
}

// epochSeconds is a timestamp given as seconds since the epoch, in plain
// decimal (no exponent, no NaN or Infinity, no hexadecimal).
var epochSeconds = regexp.MustCompile(`^-?[0-9]{1,12}(\.[0-9]{1,9})?$`)

// queryTime parses an ISO-8601 timestamp query member, leniently: RFC 3339
// with or without fractional seconds, with Z or an offset; or epoch
// seconds. Anything else, and a time outside years 1..9999, is a
// ValidationException naming the member.
func queryTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil && inRange(t) {
			return t, nil
		}
	}
	if epochSeconds.MatchString(v) {
		secs, err := strconv.ParseFloat(v, 64)
		if err == nil && !math.IsNaN(secs) && !math.IsInf(secs, 0) {
			if t := time.UnixMilli(int64(math.Round(secs * 1000))); inRange(t) {
				return t, nil
			}
		}
	}
	return time.Time{}, emr.Validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an ISO-8601 timestamp such as 2024-01-31T12:00:00Z", truncate(v, 64), name)
}

// inRange reports whether t is within the years a timestamp may name.
func inRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// truncate shortens s for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
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
			return nil, emr.Validationf("1 validation error detected: Value '%s' at 'states' failed to satisfy constraint: Member must satisfy enum value set", truncate(v, 64))
		}
		out = append(out, s)
	}
	return out, nil
}

// listError turns a bad page token into a ValidationException.
func listError(err error) error {
	if errors.Is(err, store.ErrInvalidToken) {
		return emr.Validationf("1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Invalid pagination token: it is not one this server handed out for this listing and query.")
	}
	return err
}

// nonNil keeps an empty list a JSON [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
