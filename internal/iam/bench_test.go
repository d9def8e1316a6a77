package iam

import "testing"

// benchPolicies is a typical principal: a team policy, a guard-rail policy
// and a pass-role policy, six statements in all.
var benchPolicies = []string{
	`{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":["emr-containers:Describe*","emr-containers:List*"],"Resource":"arn:aws:emr-containers:*:123456789012:/virtualclusters/*"},
		{"Sid":"RunOwnTeam","Effect":"Allow","Action":["emr-containers:StartJobRun","emr-containers:CancelJobRun"],"Resource":"arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"},"ArnLike":{"emr-containers:ExecutionRoleArn":"arn:aws:iam::123456789012:role/${aws:username}-*"}}}]}`,
	`{"Version":"2012-10-17","Statement":[
		{"Sid":"TLSOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"NoDeletes","Effect":"Deny","Action":"emr-containers:DeleteVirtualCluster","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
	`{"Version":"2012-10-17","Statement":[
		{"Sid":"Tagging","Effect":"Allow","Action":"emr-containers:TagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env","owner"]}}},
		{"Sid":"PassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/spark-*"}]}`,
}

func BenchmarkEvaluate(b *testing.B) {
	var ps []*Policy
	for _, d := range benchPolicies {
		ps = append(ps, mustParse(b, d))
	}
	req := Request{
		Action:   "emr-containers:StartJobRun",
		Resource: vcARN,
		Context: map[string][]string{
			"aws:username":                    {"alice"},
			"aws:PrincipalTag/team":           {"data"},
			"aws:ResourceTag/team":            {"data"},
			"aws:SecureTransport":             {"true"},
			"aws:SourceIp":                    {"10.1.2.3"},
			"emr-containers:ExecutionRoleArn": {"arn:aws:iam::123456789012:role/alice-spark"},
		},
	}
	if got := Evaluate(ps, req); got != Allow {
		b.Fatalf("Evaluate = %v, want Allow", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(ps, req)
	}
}
