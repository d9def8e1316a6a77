package iam

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePolicyErrors(t *testing.T) {
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[` + body + `]}` }
	ok := `{"Effect":"Allow","Action":"*","Resource":"*"}`
	cond := func(c string) string {
		return stmt(ok + `,{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + c + `}`)
	}
	tests := []struct {
		name, doc string
		field     string // ParseError.Field
		msg       string // substring of the message
	}{
		{"not JSON", `{"Version":`, "policy", "invalid JSON"},
		{"not an object", `[]`, "policy", "must be a JSON object"},
		{"trailing garbage", `{"Statement":[]} x`, "policy", "invalid JSON"},
		{"too large", `{"Id":"` + strings.Repeat("x", MaxDocumentSize) + `"}`, "policy", "limit"},
		{"unknown top-level field", `{"Version":"2012-10-17","Statment":[]}`, "policy", `unknown field "Statment"`},
		{"bad version", `{"Version":"2012-10-18","Statement":` + ok + `}`, "Version", "unsupported version"},
		{"version not a string", `{"Version":2012,"Statement":` + ok + `}`, "Version", "must be a string"},
		{"Id not a string", `{"Id":1,"Statement":` + ok + `}`, "Id", "must be a string"},
		{"no Statement", `{"Version":"2012-10-17"}`, "Statement", "is required"},
		{"Statement a string", `{"Statement":"x"}`, "Statement", "object or an array"},
		{"Statement empty", `{"Statement":[]}`, "Statement", "at least one"},
		{"too many statements", `{"Statement":[` + strings.Repeat(ok+",", MaxStatements) + ok + `]}`, "Statement", "limit"},
		{"statement not an object", stmt(ok + `,"x"`), "Statement[1]", "JSON object"},
		{"unknown statement field", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Resources":"*"}`), "Statement[0]", `unknown field "Resources"`},
		{"Principal", stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "Statement[0].Principal", "identity-based"},
		{"NotPrincipal", `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"*","Resource":"*"}}`, "Statement.NotPrincipal", "identity-based"},
		{"Sid not a string", stmt(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), "Statement[0].Sid", "string"},
		{"duplicate Sid", stmt(`{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}`), "Statement[1].Sid", "duplicate"},
		{"no Effect", stmt(`{"Action":"*","Resource":"*"}`), "Statement[0].Effect", "required"},
		{"Effect lower-case", stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), "Statement[0].Effect", `"Allow" or "Deny"`},
		{"Action and NotAction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}`), "Statement[0]", "mutually exclusive"},
		{"no Action", stmt(`{"Effect":"Allow","Resource":"*"}`), "Statement[0]", "Action or NotAction is required"},
		{"Resource and NotResource", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), "Statement[0]", "mutually exclusive"},
		{"no Resource", stmt(`{"Effect":"Allow","Action":"*"}`), "Statement[0]", "Resource or NotResource is required"},
		{"Action empty array", stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Statement[0].Action", "empty"},
		{"Action a number", stmt(`{"Effect":"Allow","Action":3,"Resource":"*"}`), "Statement[0].Action", "string or an array"},
		{"Action element not a string", stmt(`{"Effect":"Allow","Action":["s3:Get*",3],"Resource":"*"}`), "Statement[0].Action", "element 1"},
		{"Action without service", stmt(`{"Effect":"Allow","Action":["s3:Get*","GetObject"],"Resource":"*"}`), "Statement[0].Action[1]", "invalid action"},
		{"NotAction with empty action", stmt(`{"Effect":"Allow","NotAction":"s3:","Resource":"*"}`), "Statement[0].NotAction[0]", "invalid action"},
		{"Resource not an ARN", stmt(`{"Effect":"Allow","Action":"*","Resource":"my-bucket"}`), "Statement[0].Resource[0]", "invalid resource"},
		{"NotResource object", stmt(`{"Effect":"Allow","Action":"*","NotResource":{}}`), "Statement[0].NotResource", "string or an array"},
		{"malformed variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"}`), "Statement[0].Resource[0]", "unterminated"},
		{"empty variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${}"}`), "Statement[0].Resource[0]", "empty policy variable"},
		{"unquoted default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, anon}"}`), "Statement[0].Resource[0]", "single quotes"},
		{"unterminated default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, 'anon}"}`), "Statement[0].Resource[0]", "unterminated default"},
		{"text after default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, 'a' x}"}`), "Statement[0].Resource[0]", "expected }"},
		{"escape with default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${*, 'a'}"}`), "Statement[0].Resource[0]", "takes no default"},
		{"bad variable name", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${a b}"}`), "Statement[0].Resource[0]", "invalid policy variable name"},
		{"Condition not an object", cond(`[]`), "Statement[1].Condition", "JSON object"},
		{"unknown operator", cond(`{"StringEqual":{"k":"v"}}`), "Statement[1].Condition", `unknown operator "StringEqual"`},
		{"unknown set qualifier", cond(`{"ForSomeValues:StringEquals":{"k":"v"}}`), "Statement[1].Condition", "unknown operator"},
		{"operator is case-sensitive", cond(`{"stringequals":{"k":"v"}}`), "Statement[1].Condition", "unknown operator"},
		{"IfExists on unknown", cond(`{"FooIfExists":{"k":"v"}}`), "Statement[1].Condition", `unknown operator "FooIfExists"`},
		{"NullIfExists", cond(`{"NullIfExists":{"k":"true"}}`), "Statement[1].Condition", "Null takes no"},
		{"ForAnyValue:Null", cond(`{"ForAnyValue:Null":{"k":"true"}}`), "Statement[1].Condition", "Null takes no"},
		{"operator block not an object", cond(`{"StringEquals":"v"}`), "Statement[1].Condition", "StringEquals: must be a JSON object"},
		{"operator block empty", cond(`{"StringEquals":{}}`), "Statement[1].Condition", "no condition keys"},
		{"empty key", cond(`{"StringEquals":{"":"v"}}`), "Statement[1].Condition", "empty condition key"},
		{"null value", cond(`{"StringEquals":{"k":null}}`), "Statement[1].Condition", "StringEquals.k: must be a string"},
		{"nested array", cond(`{"StringEquals":{"k":[["v"]]}}`), "Statement[1].Condition", "element 0"},
		{"object value", cond(`{"StringEquals":{"k":{"a":"b"}}}`), "Statement[1].Condition", "must be a string, number or boolean"},
		{"empty values", cond(`{"StringEquals":{"k":[]}}`), "Statement[1].Condition", "no values"},
		{"bad Bool", cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), "Statement[1].Condition", "invalid Bool"},
		{"bad Null", cond(`{"Null":{"k":"maybe"}}`), "Statement[1].Condition", "invalid Null"},
		{"bad number", cond(`{"NumericLessThan":{"n":"ten"}}`), "Statement[1].Condition", "NumericLessThan.n: invalid number"},
		{"NaN", cond(`{"NumericLessThan":{"n":"NaN"}}`), "Statement[1].Condition", "invalid number"},
		{"variable in numeric", cond(`{"NumericLessThan":{"n":"${aws:x}"}}`), "Statement[1].Condition", "invalid number"},
		{"bad date", cond(`{"DateLessThan":{"t":"tomorrow"}}`), "Statement[1].Condition", "invalid date"},
		{"bad IP", cond(`{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}`), "Statement[1].Condition", "invalid IP"},
		{"bad base64", cond(`{"BinaryEquals":{"k":"%%%"}}`), "Statement[1].Condition", "invalid base64"},
		{"bad variable in condition", cond(`{"StringLike":{"k":"${x"}}`), "Statement[1].Condition", "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.doc))
			if err == nil {
				t.Fatalf("ParsePolicy succeeded (%d statements), want an error", len(p.statements))
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			if pe.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q: want field %q and message containing %q", err, tt.field, tt.msg)
			}
		})
	}
}

// TestParsePolicyErrorText pins the message format other packages show users.
func TestParsePolicyErrorText(t *testing.T) {
	_, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:username":"a"}}}]}`))
	if want := `Statement[1].Condition: unknown operator "StringEqual"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParsePolicyAccepts(t *testing.T) {
	tests := []struct {
		name, doc, version string
	}{
		{"single statement object, no Version", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`, Version2008},
		{"array with Id and Sid", `{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"One","Effect":"Deny","NotAction":["iam:*"],"NotResource":["arn:aws:iam::1:role/x","*"]}]}`, Version2012},
		{"2008 with literal ${", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${x"}}`, Version2008},
		{"scalar condition types", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"n":[1,2.5,-3e2]},"DateGreaterThan":{"t":["2026-01-01","2026-01-01T00:00:00Z",1700000000]},"StringEquals":{"s":["a",1,false]}}}}`, Version2012},
		{"every operator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{` + everyOperator() + `}}}`, Version2012},
		{"empty Condition", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}`, Version2008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc)
			if p.Version() != tt.version {
				t.Errorf("Version() = %q, want %q", p.Version(), tt.version)
			}
		})
	}
}

// everyOperator is a condition body using every operator with IfExists and
// set-qualified forms, with values valid for each.
func everyOperator() string {
	vals := map[family]string{
		famString: `"v"`, famStringIC: `"v"`, famStringLike: `"v*"`, famNumeric: `"1"`,
		famDate: `"2026-01-01T00:00:00Z"`, famBool: `"true"`, famBinary: `"aGk="`,
		famIP: `"10.0.0.0/8"`, famArn: `"arn:aws:iam::1:role/*"`, famNull: `"true"`,
	}
	var parts []string
	for name, op := range operators {
		v := vals[op.fam]
		parts = append(parts, `"`+name+`":{"k":`+v+`}`)
		if op.fam != famNull {
			parts = append(parts, `"`+name+`IfExists":{"k":`+v+`}`,
				`"ForAnyValue:`+name+`":{"k":`+v+`}`, `"ForAllValues:`+name+`IfExists":{"k":`+v+`}`)
		}
	}
	return strings.Join(parts, ",")
}
