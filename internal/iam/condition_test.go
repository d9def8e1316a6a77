package iam

import "testing"

// TestConditions checks each operator against IAM's documented behaviour
// (IAM User Guide: "condition operators", "single-valued vs. multivalued
// context keys", "policy variables").
func TestConditions(t *testing.T) {
	tests := []struct {
		name string
		cond string
		ctx  kv
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"alice"}}`, kv{"aws:username": {"Alice"}}, false},
		{"StringEquals values are ORed", `{"StringEquals":{"aws:username":["bob","alice"]}}`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals missing key is false", `{"StringEquals":{"aws:username":"alice"}}`, nil, false},
		{"StringEquals has no wildcards", `{"StringEquals":{"aws:username":"a*"}}`, kv{"aws:username": {"alice"}}, false},
		{"StringEquals * matches a literal star", `{"StringEquals":{"aws:username":"a*"}}`, kv{"aws:username": {"a*"}}, true},
		{"condition key is case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, kv{"aws:username": {"alice"}}, true},
		{"context key is case-insensitive", `{"StringEquals":{"aws:username":"alice"}}`, kv{"Aws:Username": {"alice"}}, true},
		{"StringNotEquals differs", `{"StringNotEquals":{"aws:username":"bob"}}`, kv{"aws:username": {"alice"}}, true},
		{"StringNotEquals values are NORed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, kv{"aws:username": {"alice"}}, false},
		{"StringNotEquals none match", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, kv{"aws:username": {"alice"}}, true},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:username":"bob"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv{"aws:username": {"alice"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv{"aws:username": {"alice"}}, false},
		{"StringLike *", `{"StringLike":{"aws:ResourceTag/team":"data-*"}}`, kv{"aws:ResourceTag/team": {"data-eng"}}, true},
		{"StringLike ?", `{"StringLike":{"aws:ResourceTag/team":"data-???"}}`, kv{"aws:ResourceTag/team": {"data-eng"}}, true},
		{"StringLike no match", `{"StringLike":{"aws:ResourceTag/team":"data-*"}}`, kv{"aws:ResourceTag/team": {"ml"}}, false},
		{"StringLike is case-sensitive", `{"StringLike":{"aws:ResourceTag/team":"Data-*"}}`, kv{"aws:ResourceTag/team": {"data-eng"}}, false},
		{"StringNotLike", `{"StringNotLike":{"aws:ResourceTag/team":["data-*","ml-*"]}}`, kv{"aws:ResourceTag/team": {"ops"}}, true},
		{"StringNotLike matched", `{"StringNotLike":{"aws:ResourceTag/team":["data-*","ml-*"]}}`, kv{"aws:ResourceTag/team": {"ml-x"}}, false},
		{"StringLike with variable", `{"StringLike":{"emr-containers:ExecutionRoleArn":"arn:aws:iam::*:role/${aws:username}-*"}}`, kv{"aws:username": {"alice"}, "emr-containers:ExecutionRoleArn": {"arn:aws:iam::1:role/alice-spark"}}, true},
		{"StringEquals variable default", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'shared'}"}}`, kv{"aws:ResourceTag/team": {"shared"}}, true},
		{"StringNotEquals unresolved variable matches nothing", `{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv{"aws:ResourceTag/team": {"x"}}, true},
		{"default with a quote", `{"StringEquals":{"k":"${missing, 'it''s'}"}}`, kv{"k": {"it's"}}, true},

		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"n":"10"}}`, kv{"n": {"10"}}, true},
		{"NumericEquals JSON number", `{"NumericEquals":{"n":10}}`, kv{"n": {"10.0"}}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":[1,2]}}`, kv{"n": {"3"}}, true},
		{"NumericNotEquals matched", `{"NumericNotEquals":{"n":[1,2]}}`, kv{"n": {"2"}}, false},
		{"NumericLessThan", `{"NumericLessThan":{"n":"10"}}`, kv{"n": {"9.5"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"n":"10"}}`, kv{"n": {"10"}}, false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n":"10"}}`, kv{"n": {"10"}}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"n":"-1"}}`, kv{"n": {"0"}}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n":"5"}}`, kv{"n": {"4"}}, false},
		{"Numeric non-number request value", `{"NumericLessThan":{"n":"10"}}`, kv{"n": {"abc"}}, false},
		{"NumericNotEquals non-number request value", `{"NumericNotEquals":{"n":"10"}}`, kv{"n": {"abc"}}, true},

		// Date operators.
		{"DateLessThan RFC 3339", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2025-06-01T12:00:00Z"}}, true},
		{"DateLessThan after", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2026-06-01T12:00:00Z"}}, false},
		{"DateGreaterThan epoch", `{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}`, kv{"aws:EpochTime": {"1700000001"}}, true},
		{"DateEquals across formats", `{"DateEquals":{"t":"1970-01-01T00:01:40Z"}}`, kv{"t": {"100"}}, true},
		{"DateEquals across zones", `{"DateEquals":{"t":"2026-01-01T01:00:00+01:00"}}`, kv{"t": {"2026-01-01T00:00:00Z"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"t":"2026-01-01"}}`, kv{"t": {"2026-01-02"}}, true},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"t":"2026-01-01T00:00:00Z"}}`, kv{"t": {"2026-01-01T00:00:00Z"}}, true},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"t":"2026-01-01T00:00:00Z"}}`, kv{"t": {"2025-12-31T23:59:59.5Z"}}, false},
		{"Date bad request value", `{"DateLessThan":{"t":"2026-01-01T00:00:00Z"}}`, kv{"t": {"yesterday"}}, false},

		// Bool and Binary.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"true"}}, true},
		{"Bool is case-insensitive", `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"TRUE"}}, true},
		{"Bool JSON false", `{"Bool":{"aws:SecureTransport":false}}`, kv{"aws:SecureTransport": {"true"}}, false},
		{"Bool missing", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, nil, false},
		{"BinaryEquals", `{"BinaryEquals":{"k":"aGVsbG8="}}`, kv{"k": {"aGVsbG8="}}, true},
		{"BinaryEquals differs", `{"BinaryEquals":{"k":"aGVsbG8="}}`, kv{"k": {"d29ybGQ="}}, false},
		{"BinaryEquals bad request value", `{"BinaryEquals":{"k":"aGVsbG8="}}`, kv{"k": {"%%"}}, false},

		// IP address operators.
		{"IpAddress in CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress outside CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"198.51.100.7"}}, false},
		{"IpAddress bare address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, kv{"aws:SourceIp": {"2001:db8:1::1"}}, true},
		{"IpAddress mapped IPv4", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv{"aws:SourceIp": {"::ffff:10.1.2.3"}}, true},
		{"IpAddress unnormalized CIDR", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, kv{"aws:SourceIp": {"10.9.9.9"}}, true},
		{"IpAddress bad request value", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv{"aws:SourceIp": {"nope"}}, false},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, kv{"aws:SourceIp": {"192.168.1.1"}}, false},

		// ARN operators: six components, wildcards within each.
		{"ArnEquals", `{"ArnEquals":{"emr-containers:ExecutionRoleArn":"` + roleARN + `"}}`, kv{"emr-containers:ExecutionRoleArn": {roleARN}}, true},
		{"ArnLike wildcard", `{"ArnLike":{"emr-containers:ExecutionRoleArn":"arn:aws:iam::*:role/spark-*"}}`, kv{"emr-containers:ExecutionRoleArn": {roleARN}}, true},
		{"ArnEquals also takes wildcards", `{"ArnEquals":{"emr-containers:ExecutionRoleArn":"arn:aws:iam::*:role/*"}}`, kv{"emr-containers:ExecutionRoleArn": {roleARN}}, true},
		{"ArnLike * stays in its component", `{"ArnLike":{"k":"arn:aws:*:123456789012:role/x"}}`, kv{"k": {"arn:aws:iam::123456789012:role/x"}}, false},
		{"ArnLike resource part may contain colons", `{"ArnLike":{"k":"arn:aws:logs:*:*:log-group:*"}}`, kv{"k": {"arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"}}, true},
		{"ArnLike request value not an ARN", `{"ArnLike":{"k":"arn:aws:iam::*:role/*"}}`, kv{"k": {"role/spark"}}, false},
		{"ArnLike policy value too short", `{"ArnLike":{"k":"arn:*"}}`, kv{"k": {roleARN}}, false},
		{"ArnLike is case-sensitive", `{"ArnLike":{"k":"arn:aws:iam::*:role/Spark-*"}}`, kv{"k": {roleARN}}, false},
		{"ArnNotLike", `{"ArnNotLike":{"k":"arn:aws:iam::*:role/admin*"}}`, kv{"k": {roleARN}}, true},
		{"ArnNotEquals matched", `{"ArnNotEquals":{"k":"` + roleARN + `"}}`, kv{"k": {roleARN}}, false},
		{"ArnEquals variable", `{"ArnEquals":{"k":"arn:aws:iam::${aws:PrincipalAccount}:role/spark-exec"}}`, kv{"k": {roleARN}, "aws:PrincipalAccount": {acct}}, true},

		// Null.
		{"Null true, key absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true, key present", `{"Null":{"aws:TokenIssueTime":"true"}}`, kv{"aws:TokenIssueTime": {"x"}}, false},
		{"Null false, key present", `{"Null":{"aws:TokenIssueTime":"false"}}`, kv{"aws:TokenIssueTime": {"x"}}, true},
		{"Null false, key absent", `{"Null":{"aws:TokenIssueTime":false}}`, nil, false},
		{"Null false, present with no values", `{"Null":{"aws:TagKeys":"false"}}`, kv{"aws:TagKeys": {}}, true},

		// IfExists.
		{"IfExists missing key is true", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, nil, true},
		{"IfExists present and matching", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, kv{"ec2:InstanceType": {"t3.micro"}}, true},
		{"IfExists present not matching", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, kv{"ec2:InstanceType": {"m5.large"}}, false},
		{"NotEqualsIfExists present matching", `{"StringNotEqualsIfExists":{"k":"a"}}`, kv{"k": {"a"}}, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"n":"3"}}`, nil, true},
		{"BoolIfExists present false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, kv{"aws:MultiFactorAuthPresent": {"false"}}, false},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"k":"arn:*:*:*:*:*"}}`, nil, true},
		{"IpAddressIfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"DateLessThanIfExists missing", `{"DateLessThanIfExists":{"t":"2026-01-01"}}`, nil, true},

		// Set operators on a multivalued key (aws:TagKeys).
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","cost"]}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAnyValue none match", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","cost"]}}`, kv{"aws:TagKeys": {"env"}}, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}`, nil, false},
		{"ForAnyValue empty key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}`, kv{"aws:TagKeys": {}}, false},
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAllValues extra key", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, kv{"aws:TagKeys": {"env", "owner"}}, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, nil, true},
		{"ForAllValues empty key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, kv{"aws:TagKeys": {}}, true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["team*","env"]}}`, kv{"aws:TagKeys": {"teamname", "env"}}, true},
		{"ForAllValues StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin","root"]}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAllValues StringNotEquals hit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin","root"]}}`, kv{"aws:TagKeys": {"env", "admin"}}, false},
		{"ForAnyValue StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["admin"]}}`, kv{"aws:TagKeys": {"admin", "env"}}, true},
		{"ForAnyValue StringNotEquals all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["admin"]}}`, kv{"aws:TagKeys": {"admin"}}, false},
		{"ForAnyValue StringNotEquals missing", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["admin"]}}`, nil, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["admin"]}}`, nil, true},
		{"ForAllValues IgnoreCase", `{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["Team"]}}`, kv{"aws:TagKeys": {"team", "TEAM"}}, true},

		// No set operator with a multivalued request key: positive operators
		// behave like ForAnyValue, negated ones as their negation.
		{"multivalued, no qualifier, positive", `{"StringEquals":{"aws:TagKeys":"team"}}`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"multivalued, no qualifier, negated", `{"StringNotEquals":{"aws:TagKeys":"team"}}`, kv{"aws:TagKeys": {"env", "team"}}, false},
		{"empty values, positive", `{"StringEquals":{"aws:TagKeys":"team"}}`, kv{"aws:TagKeys": {}}, false},
		{"empty values, negated", `{"StringNotEquals":{"aws:TagKeys":"team"}}`, kv{"aws:TagKeys": {}}, true},

		// Blocks: operators and keys are ANDed.
		{"two keys, both hold", `{"StringEquals":{"aws:RequestTag/team":"data","aws:username":"alice"}}`, kv{"aws:RequestTag/team": {"data"}, "aws:username": {"alice"}}, true},
		{"two keys, one fails", `{"StringEquals":{"aws:RequestTag/team":"data","aws:username":"alice"}}`, kv{"aws:RequestTag/team": {"ml"}, "aws:username": {"alice"}}, false},
		{"two operators, both hold", `{"StringEquals":{"aws:RequestTag/team":"data"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, kv{"aws:RequestTag/team": {"data"}, "aws:TagKeys": {"team"}}, true},
		{"two operators, one fails", `{"StringEquals":{"aws:RequestTag/team":"data"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, kv{"aws:RequestTag/team": {"data"}, "aws:TagKeys": {"team", "owner"}}, false},
		{"request tag equals principal tag", `{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}`, kv{"aws:RequestTag/team": {"data"}, "aws:PrincipalTag/team": {"data"}}, true},
		{"empty block", `{}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, allowWith(tt.cond))
			got := Evaluate([]*Policy{p}, Request{Action: "emr-containers:StartJobRun", Resource: vcARN, Context: tt.ctx})
			if want := map[bool]Decision{true: Allow, false: ImplicitDeny}[tt.want]; got != want {
				t.Errorf("condition %s with %v: got %v, want %v", tt.cond, tt.ctx, got, want)
			}
		})
	}
}

// TestConditionVersion2008 checks condition values are literal without
// Version 2012-10-17.
func TestConditionVersion2008(t *testing.T) {
	p := mustParse(t, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:username}"}}}}`)
	for _, c := range []struct {
		tag  string
		want Decision
	}{{"alice", ImplicitDeny}, {"${aws:username}", Allow}} {
		req := Request{Action: "a:b", Resource: vcARN, Context: kv{"aws:username": {"alice"}, "aws:ResourceTag/team": {c.tag}}}
		if got := Evaluate([]*Policy{p}, req); got != c.want {
			t.Errorf("tag %q: got %v, want %v", c.tag, got, c.want)
		}
	}
}
