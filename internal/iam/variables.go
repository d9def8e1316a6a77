package iam

import (
	"fmt"
	"strings"
)

// tokKind is one piece of a compiled pattern.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokOne                 // ? wildcard: one character
	tokStar                // * wildcard: any run of characters
	tokVar                 // ${key} or ${key, 'default'} policy variable
)

type token struct {
	kind   tokKind
	segEnd bool   // tokStar: ends an ARN segment (next is ':' or the end)
	hasDef bool   // tokVar: a default value was given
	vi     uint16 // tokVar: index into the resolved-values slice
	text   string // tokLit: the text; tokVar: the default value
	key    string // tokVar: the context key, lower-cased
	name   string // tokVar: the context key as written
}

// pattern is a policy string compiled at parse time: literals, wildcards (when
// the element takes them) and policy variables (when Version is 2012-10-17).
type pattern struct {
	raw   string
	toks  []token
	nvars int
}

// maxVars bounds variables in one string so resolution stays on the stack
// for any realistic policy; beyond it resolution allocates.
const maxStackVars = 8

// compilePattern splits raw into tokens. wildcards makes * and ? wildcards;
// vars makes ${...} a policy variable (otherwise it is literal text).
func compilePattern(raw string, wildcards, vars bool) (pattern, error) {
	p := pattern{raw: raw}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case wildcards && c == '*':
			flush()
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar {
				p.toks = append(p.toks, token{kind: tokStar})
			}
			i++
		case wildcards && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokOne})
			i++
		case vars && c == '$' && i+1 < len(raw) && raw[i+1] == '{':
			tok, n, err := parseVariable(raw[i:])
			if err != nil {
				return pattern{}, err
			}
			i += n
			if tok.kind == tokLit {
				lit.WriteString(tok.text)
				continue
			}
			flush()
			tok.vi = uint16(p.nvars)
			p.nvars++
			p.toks = append(p.toks, tok)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	for i := range p.toks {
		if p.toks[i].kind != tokStar {
			continue
		}
		next := i + 1
		p.toks[i].segEnd = next == len(p.toks) ||
			(p.toks[next].kind == tokLit && p.toks[next].text[0] == ':')
	}
	return p, nil
}

// parseVariable parses the ${...} at the start of s and returns the token and
// the number of bytes consumed. The escapes ${*}, ${?} and ${$} become
// literal tokens. The grammar is ${ key } or ${ key , 'default' } where a
// quote inside the default is written twice.
func parseVariable(s string) (token, int, error) {
	i := 2
	end := strings.IndexAny(s[i:], ",}")
	if end < 0 {
		return token{}, 0, fmt.Errorf("unterminated policy variable %q", clip(s))
	}
	key := strings.TrimSpace(s[i : i+end])
	i += end
	switch key {
	case "*", "?", "$":
		if s[i] != '}' {
			return token{}, 0, fmt.Errorf("policy variable escape %q takes no default", "${"+key+"}")
		}
		return token{kind: tokLit, text: key}, i + 1, nil
	case "":
		return token{}, 0, fmt.Errorf("empty policy variable in %q", clip(s))
	}
	if strings.ContainsAny(key, " \t\r\n{$'*?") {
		return token{}, 0, fmt.Errorf("invalid policy variable name %q", key)
	}
	tok := token{kind: tokVar, key: strings.ToLower(key), name: key}
	if s[i] == '}' {
		return tok, i + 1, nil
	}
	// A default: skip the comma and spaces, then a quoted string.
	i++
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '\'' {
		return token{}, 0, fmt.Errorf("policy variable %q: default must be in single quotes", clip(s))
	}
	i++
	var def strings.Builder
	for {
		q := strings.IndexByte(s[i:], '\'')
		if q < 0 {
			return token{}, 0, fmt.Errorf("policy variable %q: unterminated default", clip(s))
		}
		def.WriteString(s[i : i+q])
		i += q + 1
		if i < len(s) && s[i] == '\'' { // '' is a quote
			def.WriteByte('\'')
			i++
			continue
		}
		break
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '}' {
		return token{}, 0, fmt.Errorf("policy variable %q: expected } after the default", clip(s))
	}
	tok.hasDef, tok.text = true, def.String()
	return tok, i + 1, nil
}

// resolve looks a variable up in the request context. Only a key with
// exactly one value substitutes; otherwise the default, if any.
func (t *token) resolve(ctx reqContext) (string, bool) {
	if vals, ok := ctx.lookup(t.name, t.key); ok && len(vals) == 1 {
		return vals[0], true
	}
	return t.text, t.hasDef
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// reqContext is the request's condition context with IAM's case-insensitive
// key lookup. It never copies the caller's map.
type reqContext map[string][]string

// lookup finds a key ignoring case. name is the key as the policy spells it
// and lkey its lower-case form: callers usually spell keys the same way, so
// the common case is one map access and a scan is the fallback.
func (c reqContext) lookup(name, lkey string) ([]string, bool) {
	if v, ok := c[name]; ok {
		return v, true
	}
	if v, ok := c[lkey]; ok {
		return v, true
	}
	for k, v := range c {
		if strings.EqualFold(k, lkey) {
			return v, true
		}
	}
	return nil, false
}
