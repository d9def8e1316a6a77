package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Limits on a document. AWS caps an inline user policy at 2,048 characters
// and a managed policy at 6,144; these are generous so any policy AWS accepts
// parses, while a hostile document cannot make parsing or evaluation costly.
const (
	MaxDocumentSize = 64 << 10 // bytes
	MaxStatements   = 256
)

// Policy versions. Only 2012-10-17 substitutes policy variables.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed and validated identity-based policy document. It is
// immutable and safe for concurrent use.
type Policy struct {
	version    string
	id         string
	statements []statement
}

// Version is the document's Version, 2008-10-17 when it had none.
func (p *Policy) Version() string { return p.version }

// ID is the document's Id element, if any.
func (p *Policy) ID() string { return p.id }

type statement struct {
	sid         string
	deny        bool
	notAction   bool
	actions     []pattern
	notResource bool
	resources   []pattern
	conditions  []condition
}

// ParseError is returned by ParsePolicy. Field names the offending element
// as a path such as "Statement[1].Condition".
type ParseError struct {
	Field string
	Err   error
}

func (e *ParseError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) *ParseError {
	return &ParseError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ParsePolicy parses and validates an identity-based policy document in the
// AWS grammar. Patterns are compiled here so evaluation does not allocate.
func ParsePolicy(doc []byte) (*Policy, error) {
	if len(doc) > MaxDocumentSize {
		return nil, fieldErr("policy", "document is %d bytes; the limit is %d", len(doc), MaxDocumentSize)
	}
	var top map[string]json.RawMessage
	if err := unmarshalObject(doc, &top); err != nil {
		return nil, &ParseError{Field: "policy", Err: err}
	}
	p := &Policy{version: Version2008}
	for k, v := range top {
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &p.version); err != nil {
				return nil, fieldErr("Version", "must be a string")
			}
			if p.version != Version2012 && p.version != Version2008 {
				return nil, fieldErr("Version", "unsupported version %q (want %s or %s)", p.version, Version2012, Version2008)
			}
		case "Id":
			if err := json.Unmarshal(v, &p.id); err != nil {
				return nil, fieldErr("Id", "must be a string")
			}
		case "Statement":
		default:
			return nil, fieldErr("policy", "unknown field %q", k)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, fieldErr("Statement", "is required")
	}
	var list []json.RawMessage
	single := firstByte(raw) == '{'
	if single {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil || firstByte(raw) != '[' {
		return nil, fieldErr("Statement", "must be an object or an array of objects")
	}
	if len(list) == 0 {
		return nil, fieldErr("Statement", "must contain at least one statement")
	}
	if len(list) > MaxStatements {
		return nil, fieldErr("Statement", "has %d statements; the limit is %d", len(list), MaxStatements)
	}
	vars := p.version == Version2012
	sids := make(map[string]bool)
	for i, r := range list {
		field := "Statement[" + strconv.Itoa(i) + "]"
		if single {
			field = "Statement"
		}
		st, err := parseStatement(field, r, vars)
		if err != nil {
			return nil, err
		}
		if st.sid != "" {
			if sids[st.sid] {
				return nil, fieldErr(field+".Sid", "duplicate Sid %q", st.sid)
			}
			sids[st.sid] = true
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

func parseStatement(field string, raw json.RawMessage, vars bool) (statement, error) {
	var st statement
	var m map[string]json.RawMessage
	if err := unmarshalObject(raw, &m); err != nil {
		return st, &ParseError{Field: field, Err: err}
	}
	for k := range m {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal", "NotPrincipal":
			return st, fieldErr(field+"."+k, "not allowed in an identity-based policy")
		default:
			return st, fieldErr(field, "unknown field %q", k)
		}
	}
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &st.sid); err != nil {
			return st, fieldErr(field+".Sid", "must be a string")
		}
	}
	var effect string
	if v, ok := m["Effect"]; !ok {
		return st, fieldErr(field+".Effect", "is required")
	} else if err := json.Unmarshal(v, &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, fieldErr(field+".Effect", "must be \"Allow\" or \"Deny\"")
	}
	st.deny = effect == "Deny"

	var err error
	if st.actions, st.notAction, err = parseElement(field, m, "Action", "NotAction", parseAction); err != nil {
		return st, err
	}
	resource := func(s string) (pattern, error) { return parseResource(s, vars) }
	if st.resources, st.notResource, err = parseElement(field, m, "Resource", "NotResource", resource); err != nil {
		return st, err
	}
	if v, ok := m["Condition"]; ok {
		block, err := decodeCondition(v)
		if err != nil {
			return st, &ParseError{Field: field + ".Condition", Err: err}
		}
		if st.conditions, err = parseCondition(block, vars); err != nil {
			return st, &ParseError{Field: field + ".Condition", Err: err}
		}
	}
	return st, nil
}

// parseElement reads exactly one of name/notName (Action/NotAction,
// Resource/NotResource) and compiles its values.
func parseElement(field string, m map[string]json.RawMessage, name, notName string,
	compile func(string) (pattern, error)) ([]pattern, bool, error) {
	v, has := m[name]
	nv, hasNot := m[notName]
	switch {
	case has && hasNot:
		return nil, false, fieldErr(field, "%s and %s are mutually exclusive", name, notName)
	case !has && !hasNot:
		return nil, false, fieldErr(field, "one of %s or %s is required", name, notName)
	case hasNot:
		name, v = notName, nv
	}
	strs, err := decodeStrings(v)
	if err != nil {
		return nil, false, &ParseError{Field: field + "." + name, Err: err}
	}
	pats := make([]pattern, 0, len(strs))
	for i, s := range strs {
		p, err := compile(s)
		if err != nil {
			return nil, false, &ParseError{Field: fmt.Sprintf("%s.%s[%d]", field, name, i), Err: err}
		}
		pats = append(pats, p)
	}
	return pats, hasNot, nil
}

// parseAction accepts "*" or "service:action", wildcards allowed.
func parseAction(s string) (pattern, error) {
	svc, act, ok := strings.Cut(s, ":")
	if s != "*" && (!ok || svc == "" || act == "" || strings.ContainsAny(s, " \t\r\n")) {
		return pattern{}, fmt.Errorf("invalid action %q (want service:action or *)", clip(s))
	}
	return compilePattern(s, true, false)
}

// parseResource accepts "*" or an ARN (possibly with wildcards/variables).
func parseResource(s string, vars bool) (pattern, error) {
	if s != "*" && !strings.HasPrefix(s, "arn:") {
		return pattern{}, fmt.Errorf("invalid resource %q (want an ARN or *)", clip(s))
	}
	return compilePattern(s, true, vars)
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}
