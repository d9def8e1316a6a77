package iam

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
)

// holds evaluates one operator/key pair against the request context. See the
// package documentation for the rules and the doc pages they come from.
func (c *condition) holds(ctx reqContext) bool {
	vals, present := ctx.lookup(c.name, c.key)
	if c.op.fam == famNull {
		for i := range c.values {
			if c.values[i].null != present {
				return true
			}
		}
		return false
	}
	if !present {
		// IAM User Guide, "condition operators": a key absent from the
		// request context fails a positive operator and satisfies a negated
		// one; ...IfExists turns the absence into a pass. "Single-valued vs.
		// multivalued context keys": ForAllValues holds for a missing key,
		// ForAnyValue does not.
		switch {
		case c.ifExists:
			return true
		case c.set == setAll:
			return true
		case c.set == setAny:
			return false
		default:
			return c.op.negated
		}
	}
	switch c.set {
	case setAny:
		for _, v := range vals {
			if c.satisfies(v, ctx) {
				return true
			}
		}
		return false
	case setAll:
		for _, v := range vals {
			if !c.satisfies(v, ctx) {
				return false
			}
		}
		return true
	}
	// No qualifier: positive operators hold if any request value matches
	// any policy value; negated operators are the negation of that.
	for _, v := range vals {
		if c.matchesAny(v, ctx) {
			return !c.op.negated
		}
	}
	return c.op.negated
}

// satisfies reports whether one request value satisfies the operator: for a
// positive operator it matches some policy value, for a negated one none.
func (c *condition) satisfies(v string, ctx reqContext) bool {
	return c.matchesAny(v, ctx) != c.op.negated
}

// matchesAny reports whether request value v matches any policy value under
// the positive form of the operator.
func (c *condition) matchesAny(v string, ctx reqContext) bool {
	switch c.op.fam {
	case famString, famStringLike:
		return c.anyPattern(v, modePlain, false, ctx)
	case famStringIC, famBool:
		return c.anyPattern(v, modePlain, true, ctx)
	case famArn:
		return c.anyPattern(v, modeArn, false, ctx)
	case famNumeric:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false
		}
		for i := range c.values {
			if compare(cmpFloat(f, c.values[i].num), c.op.cmp) {
				return true
			}
		}
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if compare(t.Compare(c.values[i].t), c.op.cmp) {
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		for i := range c.values {
			if c.values[i].prefix.Contains(a) {
				return true
			}
		}
	case famBinary:
		b, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil {
			return false
		}
		for i := range c.values {
			if bytes.Equal(b, c.values[i].bin) {
				return true
			}
		}
	}
	return false
}

func (c *condition) anyPattern(v string, mode matchMode, fold bool, ctx reqContext) bool {
	for i := range c.values {
		if c.values[i].pat.match(v, mode, fold, ctx) {
			return true
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2 // NaN: unordered, matches no comparison
}

// compare turns a three-way result into the operator's answer.
func compare(r int, op cmpOp) bool {
	switch op {
	case cmpEq:
		return r == 0
	case cmpLt:
		return r == -1
	case cmpLe:
		return r == -1 || r == 0
	case cmpGt:
		return r == 1
	case cmpGe:
		return r == 1 || r == 0
	}
	return false
}
