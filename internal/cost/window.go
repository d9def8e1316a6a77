package cost

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var durationRE = regexp.MustCompile(`^([0-9]{1,6})([mhdw])$`)

// ParseWindow reads a report window the way OpenCost's window parameter
// does, in UTC:
//
//	today, yesterday          the day so far; the whole day before
//	week, lastweek            the week so far (weeks start on Sunday); the whole week before
//	month, lastmonth          the month so far; the whole month before
//	30m, 12h, 7d, 2w          that long, up to now
//	FROM,TO                   each RFC 3339 (2026-07-01T00:00:00Z), a date (2026-07-01, midnight UTC)
//	                          or unix seconds
//
// The error is a *QueryError naming the window parameter.
func ParseWindow(s string, now time.Time) (from, to time.Time, err error) {
	from, to, err = parseWindow(strings.TrimSpace(s), now.UTC())
	if err != nil {
		return time.Time{}, time.Time{}, &QueryError{Param: "window", Value: s, Reason: err.Error()}
	}
	q := Query{From: from, To: to}
	if err := q.Validate(); err != nil {
		qe, _ := errors.AsType[*QueryError](err)
		qe.Value = s
		return time.Time{}, time.Time{}, qe
	}
	return from, to, nil
}

func parseWindow(s string, now time.Time) (from, to time.Time, err error) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	week := today.AddDate(0, 0, -int(today.Weekday()))
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	switch s {
	case "today":
		return today, now, nil
	case "yesterday":
		return today.AddDate(0, 0, -1), today, nil
	case "week":
		return week, now, nil
	case "lastweek":
		return week.AddDate(0, 0, -7), week, nil
	case "month":
		return month, now, nil
	case "lastmonth":
		return month.AddDate(0, -1, 0), month, nil
	}
	if m := durationRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		if time.Duration(n) > MaxWindow/unit {
			return from, to, errors.New("longer than 10 years")
		}
		return now.Add(-time.Duration(n) * unit), now, nil
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return from, to, errors.New("want today, yesterday, week, lastweek, month, lastmonth, a duration (30m, 12h, 7d, 2w) or FROM,TO")
	}
	if from, err = parseInstant(a); err == nil {
		to, err = parseInstant(b)
	}
	return from, to, err
}

func parseInstant(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, errors.New("bad time " + strconv.Quote(s) + ": want RFC 3339, YYYY-MM-DD or unix seconds")
}
