package iam

import (
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// matchMode says where wildcards may run across colons.
type matchMode uint8

const (
	// modePlain: wildcards match any character (Action, StringLike).
	modePlain matchMode = iota
	// modeResource: the Resource element. A wildcard matches ':' only in
	// the sixth ARN segment, or for a * that ends a pattern segment.
	modeResource
	// modeArn: ArnLike and friends. The value must have six components and
	// a wildcard matches ':' only in the sixth.
	modeArn
)

// match reports whether s matches the pattern. Unresolvable variables make
// it false. fold compares literals ignoring case.
func (p *pattern) match(s string, mode matchMode, fold bool, ctx reqContext) bool {
	if p.nvars == 0 {
		return matchTokens(p.toks, nil, s, mode, fold)
	}
	var buf [maxStackVars]string
	vals := buf[:0]
	for i := range p.toks {
		if p.toks[i].kind != tokVar {
			continue
		}
		v, ok := p.toks[i].resolve(ctx)
		if !ok {
			return false
		}
		vals = append(vals, v)
	}
	return matchTokens(p.toks, vals, s, mode, fold)
}

// resourceStart is the byte offset just past the fifth colon of s, where an
// ARN's resource segment starts, or len(s)+1 when s has fewer than five.
func resourceStart(s string) int {
	off := 0
	for range 5 {
		i := strings.IndexByte(s[off:], ':')
		if i < 0 {
			return len(s) + 1
		}
		off += i + 1
	}
	return off
}

func matchTokens(toks []token, vals []string, s string, mode matchMode, fold bool) bool {
	// Fast paths for the shapes most policies use: "literal", "*" and
	// "prefix*".
	if mode != modeArn {
		switch {
		case len(toks) == 0:
			return s == ""
		case len(toks) == 1 && toks[0].kind == tokLit:
			return equalText(s, toks[0].text, fold)
		case len(toks) == 1 && toks[0].kind == tokStar && (mode == modePlain || toks[0].segEnd):
			return true
		case len(toks) == 2 && toks[0].kind == tokLit && toks[1].kind == tokStar &&
			(mode == modePlain || toks[1].segEnd):
			_, ok := prefixLen(s, toks[0].text, fold)
			return ok
		}
	}
	rs := len(s) + 1
	if mode != modePlain {
		rs = resourceStart(s)
		if mode == modeArn && rs > len(s) {
			return false
		}
	}
	return nfa(toks, vals, s, mode, fold, rs)
}

// nfa runs the pattern as a set-of-positions automaton: after each token it
// holds every byte offset of s the pattern prefix can end at. It is linear in
// len(s) per token, so no pattern can make matching exponential.
func nfa(toks []token, vals []string, s string, mode matchMode, fold bool, rs int) bool {
	n := len(s)
	words := (n + 1 + 63) / 64
	var bufA, bufB [8]uint64
	cur, next := bufA[:0], bufB[:0]
	if words <= len(bufA) {
		cur, next = bufA[:words], bufB[:words]
	} else {
		cur, next = make([]uint64, words), make([]uint64, words)
	}
	cur[0] = 1
	for ti := range toks {
		t := &toks[ti]
		clear(next)
		hit := false
		switch t.kind {
		case tokLit, tokVar:
			text := t.text
			if t.kind == tokVar {
				text = vals[t.vi]
			}
			forEach(cur, func(p int) {
				if k, ok := prefixLen(s[p:], text, fold); ok {
					set(next, p+k)
					hit = true
				}
			})
		case tokOne:
			forEach(cur, func(p int) {
				if p >= n || (s[p] == ':' && p < rs) {
					return
				}
				_, w := utf8.DecodeRuneInString(s[p:])
				set(next, p+w)
				hit = true
			})
		case tokStar:
			cross := mode == modePlain || (mode == modeResource && t.segEnd)
			running := false
			for p := 0; p <= n; p++ {
				if has(cur, p) {
					running = true
				}
				if !running {
					continue
				}
				if p == n || utf8.RuneStart(s[p]) {
					set(next, p)
					hit = true
				}
				if p < n && s[p] == ':' && !cross && p < rs {
					running = false
				}
			}
		}
		if !hit {
			return false
		}
		cur, next = next, cur
	}
	return has(cur, n)
}

func set(b []uint64, i int)      { b[i>>6] |= 1 << (i & 63) }
func has(b []uint64, i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }

func forEach(b []uint64, f func(int)) {
	for w, word := range b {
		for word != 0 {
			f(w<<6 + bits.TrailingZeros64(word))
			word &= word - 1
		}
	}
}

func equalText(s, t string, fold bool) bool {
	if fold {
		return strings.EqualFold(s, t)
	}
	return s == t
}

// prefixLen reports whether s starts with lit and how many bytes of s it
// covers (which can differ from len(lit) under case folding).
func prefixLen(s, lit string, fold bool) (int, bool) {
	if !fold {
		return len(lit), strings.HasPrefix(s, lit)
	}
	i := 0
	for _, lr := range lit {
		if i >= len(s) {
			return 0, false
		}
		sr, w := utf8.DecodeRuneInString(s[i:])
		if sr != lr && !equalFoldRune(sr, lr) {
			return 0, false
		}
		i += w
	}
	return i, true
}

func equalFoldRune(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
