package iam

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	long := strings.Repeat("ab", 400) // over the on-stack bitset size
	tests := []struct {
		pattern string
		s       string
		mode    matchMode
		fold    bool
		want    bool
	}{
		{"", "", modePlain, false, true},
		{"", "x", modePlain, false, false},
		{"*", "", modePlain, false, true},
		{"a*b*c", "aXbYc", modePlain, false, true},
		{"a*b*c", "aXbY", modePlain, false, false},
		{"a**c", "ac", modePlain, false, true},
		{"*a*a*a*a*a*b", strings.Repeat("a", 200), modePlain, false, false},
		{"?", "é", modePlain, false, true},
		{"??", "é", modePlain, false, false},
		{"*é", "xé", modePlain, false, true},
		{"S3:GET*", "s3:getobject", modePlain, true, true},
		{"s3:get?bject", "S3:GETOBJECT", modePlain, true, true},
		{"Straße", "STRASSE", modePlain, true, false},
		{"ǅ*", "ǆx", modePlain, true, true},
		{"*abx", long, modePlain, false, false},
		{"*" + long[len(long)-10:], long, modePlain, false, true},
		{"a*" + long[len(long)-3:], long, modePlain, false, true},
		// Resource mode.
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x:y", modeResource, false, true},
		{"arn:*:s3:::b", "arn:aws:s3:::b", modeResource, false, true},
		{"arn:a*s:s3:::b", "arn:aws:s3:::b", modeResource, false, true},
		{"arn:a*s:s3:::b", "arn:a:x:s:s3:::b", modeResource, false, false},
		{"arn:a?s:s3:::b", "arn:a:s:s3:::b", modeResource, false, false},
		{"arn:aws:logs:*:*:log-group:a?b", "arn:aws:logs:r:1:log-group:a:b", modeResource, false, true},
		{"arn:aws:s3:::b", "arn:aws:s3:::B", modeResource, false, false},
		// ARN mode.
		{"arn:aws:iam::*:role/*", "arn:aws:iam::1:role/a:b", modeArn, false, true},
		{"arn:*:iam::1:role/x", "arn:aws:iam::1:role/x", modeArn, false, true},
		{"arn:*:role/x", "arn:aws:iam::1:role/x", modeArn, false, false},
		{"arn:aws:iam::1:role/x", "arn:aws:iam::1", modeArn, false, false},
		{"*", "arn:aws:iam::1:role/x", modeArn, false, false},
		{"*:*:*:*:*:*", "arn:aws:iam::1:role/x", modeArn, false, true},
	}
	for _, tt := range tests {
		p, err := compilePattern(tt.pattern, true, false)
		if err != nil {
			t.Fatalf("compile %q: %v", tt.pattern, err)
		}
		if got := p.match(tt.s, tt.mode, tt.fold, nil); got != tt.want {
			t.Errorf("match(%q, %q, mode %d, fold %v) = %v, want %v", tt.pattern, clip(tt.s), tt.mode, tt.fold, got, tt.want)
		}
	}
}

func TestVariableResolution(t *testing.T) {
	ctx := reqContext{"aws:username": {"alice"}, "multi": {"a", "b"}, "empty": {}}
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"${aws:username}", "alice", true},
		{"${ AWS:UserName }", "alice", true},
		{"${aws:username, 'x'}", "alice", true},
		{"${missing, 'x'}", "x", true},
		{"${missing,'x'}", "x", true},
		{"${missing, ''}", "", true},
		{"${missing}", "", false},
		{"${multi, 'd'}", "d", true},
		{"${empty, 'd'}", "d", true},
		{"${missing, '}'}", "}", true},
		{"${missing, 'a''b'''}", "a'b'", true},
		{"${missing, '${aws:username}'}", "${aws:username}", true},
		{"${$}{aws:username}", "${aws:username}", true},
		{"p-${aws:username}-${missing, 'd'}-*", "p-alice-d-x", true},
		{strings.Repeat("${aws:username}", 12), strings.Repeat("alice", 12), true},
	}
	for _, tt := range tests {
		p, err := compilePattern(tt.pattern, true, true)
		if err != nil {
			t.Fatalf("compile %q: %v", tt.pattern, err)
		}
		if got := p.match(tt.s, modePlain, false, ctx); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
