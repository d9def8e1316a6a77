package iam

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// family groups operators that compare values the same way.
type family uint8

const (
	famString family = iota
	famStringIC
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

// cmpOp is the comparison of a Numeric or Date operator.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// operator is a base condition operator (without set prefix or IfExists).
// A negated operator is its positive family with negated set.
type operator struct {
	fam     family
	cmp     cmpOp
	negated bool
}

var operators = map[string]operator{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, negated: true},
	"StringEqualsIgnoreCase":    {fam: famStringIC},
	"StringNotEqualsIgnoreCase": {fam: famStringIC, negated: true},
	"StringLike":                {fam: famStringLike},
	"StringNotLike":             {fam: famStringLike, negated: true},
	"NumericEquals":             {fam: famNumeric},
	"NumericNotEquals":          {fam: famNumeric, negated: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGe},
	"DateEquals":                {fam: famDate},
	"DateNotEquals":             {fam: famDate, negated: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGe},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, negated: true},
	"ArnEquals":                 {fam: famArn},
	"ArnLike":                   {fam: famArn},
	"ArnNotEquals":              {fam: famArn, negated: true},
	"ArnNotLike":                {fam: famArn, negated: true},
	"Null":                      {fam: famNull},
}

// setOp is a ForAnyValue:/ForAllValues: qualifier.
type setOp uint8

const (
	setNone setOp = iota
	setAny
	setAll
)

// condition is one operator/key pair of a Condition block with its values.
type condition struct {
	opName   string // as written, for messages
	op       operator
	set      setOp
	ifExists bool
	name     string // context key as written
	key      string // lower-cased context key
	values   []condValue
}

// condValue is one policy value, pre-parsed for its operator family.
type condValue struct {
	pat    pattern // String*, Arn*, Bool
	num    float64
	t      time.Time
	prefix netip.Prefix
	bin    []byte
	null   bool
}

// parseOperator splits an operator name into qualifier, base and IfExists.
func parseOperator(name string) (operator, setOp, bool, error) {
	base, set := name, setNone
	if b, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, set = b, setAny
	} else if b, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, set = b, setAll
	}
	op, ok := operators[base]
	ifExists := false
	if !ok {
		if b, cut := strings.CutSuffix(base, "IfExists"); cut {
			op, ok = operators[b]
			ifExists = true
		}
	}
	if !ok {
		return operator{}, 0, false, fmt.Errorf("unknown operator %q", name)
	}
	if op.fam == famNull && (ifExists || set != setNone) {
		return operator{}, 0, false, fmt.Errorf("operator %q: Null takes no IfExists or set qualifier", name)
	}
	return op, set, ifExists, nil
}

// parseCondition parses a Condition element. Operators and keys are sorted
// so results and errors do not depend on map order.
func parseCondition(raw map[string]map[string][]string, vars bool) ([]condition, error) {
	var out []condition
	for _, opName := range slices.Sorted(mapKeys(raw)) {
		op, set, ifExists, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		block := raw[opName]
		if len(block) == 0 {
			return nil, fmt.Errorf("%s: no condition keys", opName)
		}
		for _, key := range slices.Sorted(mapKeys(block)) {
			if key == "" {
				return nil, fmt.Errorf("%s: empty condition key", opName)
			}
			c := condition{opName: opName, op: op, set: set, ifExists: ifExists, name: key, key: strings.ToLower(key)}
			vals := block[key]
			if len(vals) == 0 {
				return nil, fmt.Errorf("%s.%s: no values", opName, key)
			}
			for _, v := range vals {
				cv, err := parseCondValue(op.fam, v, vars)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", opName, key, err)
				}
				c.values = append(c.values, cv)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// parseCondValue checks and pre-parses one policy value for its family.
func parseCondValue(fam family, v string, vars bool) (condValue, error) {
	var cv condValue
	var err error
	switch fam {
	case famString, famStringIC:
		cv.pat, err = compilePattern(v, false, vars)
	case famStringLike:
		cv.pat, err = compilePattern(v, true, vars)
	case famArn:
		cv.pat, err = compilePattern(v, true, vars)
	case famBool:
		cv.pat, err = compilePattern(v, false, vars)
		if err == nil && cv.pat.nvars == 0 && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			err = fmt.Errorf("invalid Bool value %q", v)
		}
	case famNull:
		switch strings.ToLower(v) {
		case "true":
			cv.null = true
		case "false":
		default:
			err = fmt.Errorf("invalid Null value %q (want true or false)", v)
		}
	case famNumeric:
		cv.num, err = parseNumber(v)
	case famDate:
		var ok bool
		if cv.t, ok = parseDate(v); !ok {
			err = fmt.Errorf("invalid date %q (want RFC 3339 or epoch seconds)", v)
		}
	case famBinary:
		if cv.bin, err = base64.StdEncoding.Strict().DecodeString(v); err != nil {
			err = fmt.Errorf("invalid base64 value %q", clip(v))
		}
	case famIP:
		cv.prefix, err = parseCIDR(v)
	}
	return cv, err
}

func parseNumber(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid number %q", clip(v))
	}
	return f, nil
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"}

// parseDate accepts the ISO 8601 shapes IAM documents and epoch seconds.
func parseDate(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseCIDR accepts a CIDR block or a bare address (a /32 or /128).
func parseCIDR(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("invalid IP address or CIDR %q", clip(v))
}
