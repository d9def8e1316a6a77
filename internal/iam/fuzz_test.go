package iam

import "testing"

// fuzzRequests are evaluated against every document the fuzzer gets to
// parse: they exercise missing, empty, single and multivalued keys.
var fuzzRequests = []Request{
	{Action: "emr-containers:StartJobRun", Resource: vcARN},
	{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f", Context: kv{
		"aws:username": {"alice"}, "aws:ResourceTag/team": {"alice"}, "aws:TagKeys": {"team", "env"},
		"aws:SourceIp": {"10.1.2.3"}, "aws:CurrentTime": {"2026-01-01T00:00:00Z"}, "aws:SecureTransport": {"true"},
		"n": {"5"}, "k": {roleARN}, "empty": {},
	}},
	{Action: "", Resource: "", Context: kv{"": {""}, "AWS:USERNAME": {"*", "?"}}},
	{Action: "iam:PassRole", Resource: "arn:::::::::", Context: kv{"aws:username": {"é${*}"}}},
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		userHome, userHomeDefault, teamTag,
		allowWith(`{"StringEquals":{"aws:username":"alice"}}`),
		allowWith(`{"ForAllValues:StringLike":{"aws:TagKeys":["team*","env"]},"Null":{"x":"true"}}`),
		allowWith(`{"IpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"aws:CurrentTime":1700000000}}`),
		allowWith(`{"ArnLike":{"k":"arn:aws:iam::${aws:PrincipalAccount, '1'}:role/*"},"NumericLessThan":{"n":10}}`),
		allowWith(`{"BinaryEquals":{"b":"aGk="},"Bool":{"aws:SecureTransport":true}}`),
		`{"Statement":{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::a?b*:c"]}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":["*"],"Resource":"arn:aws:s3:::${*}${?}${$}"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
		`{"Statement":[]}`, `[]`, `{`, `null`, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParsePolicy(doc)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePolicy returned a policy and an error %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, req := range fuzzRequests {
			r := Explain([]*Policy{p, p}, req)
			if r.Decision < ImplicitDeny || r.Decision > ExplicitDeny {
				t.Fatalf("decision %d out of range", r.Decision)
			}
			if (r.Decision == ImplicitDeny) != (r.Statement == -1) || r.Statement >= len(p.statements) {
				t.Fatalf("inconsistent result %+v", r)
			}
			if Evaluate([]*Policy{p}, req) != r.Decision {
				t.Fatal("a policy repeated changed the decision")
			}
		}
	})
}
