package iam

import "testing"

func TestEvaluate(t *testing.T) {
	const (
		allowStart = `{"Version":"2012-10-17","Statement":[{"Sid":"Start","Effect":"Allow","Action":"emr-containers:StartJobRun","Resource":"` + vcARN + `"}]}`
		denyStart  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"emr-containers:StartJobRun","Resource":"*"}]}`
		allowAll   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	)
	start := Request{Action: "emr-containers:StartJobRun", Resource: vcARN}
	tests := []struct {
		name     string
		policies []string
		req      Request
		want     Decision
	}{
		// Evaluation logic: default deny, allow, explicit deny wins.
		{"no policies is an implicit deny", nil, start, ImplicitDeny},
		{"matching allow", []string{allowStart}, start, Allow},
		{"other action is implicitly denied", []string{allowStart}, Request{Action: "emr-containers:CancelJobRun", Resource: vcARN}, ImplicitDeny},
		{"other resource is implicitly denied", []string{allowStart}, Request{Action: start.Action, Resource: vcARN + "x"}, ImplicitDeny},
		{"deny in another policy beats allow", []string{allowAll, denyStart}, start, ExplicitDeny},
		{"deny in an earlier policy beats allow", []string{denyStart, allowAll}, start, ExplicitDeny},
		{"deny not matching leaves the allow", []string{allowAll, denyStart}, Request{Action: "emr-containers:ListJobRuns", Resource: vcARN}, Allow},
		{"deny and allow in one policy", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"emr-containers:Start*","Resource":"*"}]}`}, start, ExplicitDeny},
		{"a deny alone is still no allow", []string{denyStart}, Request{Action: "emr-containers:ListJobRuns", Resource: vcARN}, ImplicitDeny},

		// NotAction / NotResource.
		{"NotAction allow allows every other action", []string{`{"Statement":{"Effect":"Allow","NotAction":"emr-containers:Delete*","Resource":"*"}}`}, start, Allow},
		{"NotAction allow does not allow the listed action", []string{`{"Statement":{"Effect":"Allow","NotAction":"emr-containers:Delete*","Resource":"*"}}`}, Request{Action: "emr-containers:DeleteVirtualCluster", Resource: vcARN}, ImplicitDeny},
		{"NotAction deny denies every other action", []string{allowAll, `{"Statement":{"Effect":"Deny","NotAction":["emr-containers:Describe*","emr-containers:List*"],"Resource":"*"}}`}, start, ExplicitDeny},
		{"NotAction deny spares the listed actions", []string{allowAll, `{"Statement":{"Effect":"Deny","NotAction":["emr-containers:Describe*","emr-containers:List*"],"Resource":"*"}}`}, Request{Action: "emr-containers:DescribeJobRun", Resource: jobARN}, Allow},
		{"NotResource allow allows other resources", []string{`{"Statement":{"Effect":"Allow","Action":"*","NotResource":"` + vcARN + `"}}`}, Request{Action: start.Action, Resource: vcARN + "2"}, Allow},
		{"NotResource allow excludes the listed resource", []string{`{"Statement":{"Effect":"Allow","Action":"*","NotResource":"` + vcARN + `"}}`}, start, ImplicitDeny},
		{"NotResource deny denies outside the listed resources", []string{allowAll, `{"Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:emr-containers:*:` + acct + `:/virtualclusters/abc*"}}`}, Request{Action: start.Action, Resource: "arn:aws:emr-containers:us-east-1:" + acct + ":/virtualclusters/zzz"}, ExplicitDeny},
		{"NotResource deny spares the listed resources", []string{allowAll, `{"Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:emr-containers:*:` + acct + `:/virtualclusters/abc*"}}`}, Request{Action: start.Action, Resource: jobARN}, Allow},

		// Action wildcards and case.
		{"action * matches all", []string{allowAll}, Request{Action: "iam:PassRole", Resource: roleARN}, Allow},
		{"action prefix wildcard", []string{`{"Statement":{"Effect":"Allow","Action":"emr-containers:Start*","Resource":"*"}}`}, start, Allow},
		{"action suffix wildcard", []string{`{"Statement":{"Effect":"Allow","Action":"emr-containers:*JobRun","Resource":"*"}}`}, start, Allow},
		{"action ? wildcard", []string{`{"Statement":{"Effect":"Allow","Action":"emr-containers:?tartJobRun","Resource":"*"}}`}, start, Allow},
		{"action ? needs exactly one character", []string{`{"Statement":{"Effect":"Allow","Action":"emr-containers:??tartJobRun","Resource":"*"}}`}, start, ImplicitDeny},
		{"service wildcard", []string{`{"Statement":{"Effect":"Allow","Action":"emr-containers:*","Resource":"*"}}`}, Request{Action: "iam:PassRole", Resource: "*"}, ImplicitDeny},
		{"action is case-insensitive", []string{allowStart}, Request{Action: "EMR-Containers:startjobrun", Resource: vcARN}, Allow},
		{"action pattern is case-insensitive", []string{`{"Statement":{"Effect":"Allow","Action":"EMR-CONTAINERS:START*","Resource":"*"}}`}, start, Allow},

		// Resource wildcards and case.
		{"resource is case-sensitive", []string{allowStart}, Request{Action: start.Action, Resource: "arn:aws:emr-containers:us-east-1:" + acct + ":/virtualclusters/ABC"}, ImplicitDeny},
		{"resource trailing * spans slashes", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"` + vcARN + `/*"}}`}, Request{Action: start.Action, Resource: jobARN}, Allow},
		{"resource * segment", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:emr-containers:*:` + acct + `:/virtualclusters/abc"}}`}, start, Allow},
		{"resource * ending a segment crosses colons", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:emr-containers:*"}}`}, start, Allow},
		{"resource ? wildcard", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:emr-containers:us-east-?:` + acct + `:/virtualclusters/ab?"}}`}, start, Allow},
		{"resource mid-segment * stays in its segment", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:emr-containers:u*1:` + acct + `:/x"}}`}, Request{Action: start.Action, Resource: "arn:aws:emr-containers:us-east-1:999:1:" + acct + ":/x"}, ImplicitDeny},
		{"resource other account", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:emr-containers:*:` + acct + `:*"}}`}, Request{Action: start.Action, Resource: "arn:aws:emr-containers:us-east-1:999999999999:/virtualclusters/abc"}, ImplicitDeny},

		// Policy variables in Resource.
		{"variable in resource", []string{userHome}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f", Context: kv{"aws:username": {"alice"}}}, Allow},
		{"variable in resource, other user", []string{userHome}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/bob/f", Context: kv{"aws:username": {"alice"}}}, ImplicitDeny},
		{"variable key is case-insensitive", []string{userHome}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f", Context: kv{"AWS:UserName": {"alice"}}}, Allow},
		{"missing variable never matches", []string{userHome}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home//f"}, ImplicitDeny},
		{"multivalued variable does not substitute", []string{userHome}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f", Context: kv{"aws:username": {"alice", "bob"}}}, ImplicitDeny},
		{"substituted value is literal, not a wildcard", []string{userHome}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f", Context: kv{"aws:username": {"*"}}}, ImplicitDeny},
		{"variable default when missing", []string{userHomeDefault}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/anon/f"}, Allow},
		{"variable default unused when present", []string{userHomeDefault}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/anon/f", Context: kv{"aws:username": {"alice"}}}, ImplicitDeny},
		{"${*} is a literal star", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${*}${?}${$}"}}`}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*?$"}, Allow},
		{"${*} does not match other text", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${*}"}}`}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x"}, ImplicitDeny},
		{"2008-10-17 leaves variables literal", []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::home/${aws:username}"}}`}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/${aws:username}", Context: kv{"aws:username": {"alice"}}}, Allow},
		{"missing Version leaves variables literal", []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::home/${aws:username}"}}`}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice", Context: kv{"aws:username": {"alice"}}}, ImplicitDeny},
		{"NotResource with an unresolved variable excludes nothing", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::home/${aws:username}"}}`}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/"}, Allow},

		// Tag-conditioned access with a variable.
		{"resource tag equals username", []string{teamTag}, Request{Action: start.Action, Resource: vcARN, Context: kv{"aws:username": {"alice"}, "aws:ResourceTag/team": {"alice"}}}, Allow},
		{"resource tag differs from username", []string{teamTag}, Request{Action: start.Action, Resource: vcARN, Context: kv{"aws:username": {"alice"}, "aws:ResourceTag/team": {"bob"}}}, ImplicitDeny},
		{"resource tag missing", []string{teamTag}, Request{Action: start.Action, Resource: vcARN, Context: kv{"aws:username": {"alice"}}}, ImplicitDeny},
		{"username missing", []string{teamTag}, Request{Action: start.Action, Resource: vcARN, Context: kv{"aws:ResourceTag/team": {"alice"}}}, ImplicitDeny},

		// Nil policies are skipped.
		{"nil policy skipped", []string{"", allowStart}, start, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []*Policy
			for _, d := range tt.policies {
				if d == "" {
					ps = append(ps, nil)
					continue
				}
				ps = append(ps, mustParse(t, d))
			}
			if got := Evaluate(ps, tt.req); got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

const (
	userHome        = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`
	userHomeDefault = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username, 'anon'}/*"}}`
	teamTag         = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"emr-containers:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:username}"}}}}`
)

func TestExplain(t *testing.T) {
	allow := mustParse(t, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}`)
	deny := mustParse(t, `{"Statement":[{"Sid":"X","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"NoDelete","Effect":"Deny","Action":"*:Delete*","Resource":"*"}]}`)
	ps := []*Policy{allow, deny}

	got := Explain(ps, Request{Action: "emr-containers:DeleteVirtualCluster", Resource: vcARN})
	if want := (Result{Decision: ExplicitDeny, Policy: 1, Statement: 1, Sid: "NoDelete"}); got != want {
		t.Errorf("deny: got %+v, want %+v", got, want)
	}
	got = Explain(ps, Request{Action: "emr-containers:ListJobRuns", Resource: vcARN})
	if want := (Result{Decision: Allow, Policy: 0, Statement: 0, Sid: "A"}); got != want {
		t.Errorf("allow: got %+v, want %+v", got, want)
	}
	got = Explain(nil, Request{Action: "x:y"})
	if want := (Result{Decision: ImplicitDeny, Policy: -1, Statement: -1}); got != want {
		t.Errorf("implicit: got %+v, want %+v", got, want)
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{ImplicitDeny: "ImplicitDeny", Allow: "Allow", ExplicitDeny: "ExplicitDeny", 7: "Decision(7)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(d), got, want)
		}
	}
}
