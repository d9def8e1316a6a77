package iam

import (
	"fmt"
	"testing"
)

const (
	acct    = "123456789012"
	vcARN   = "arn:aws:emr-containers:us-east-1:" + acct + ":/virtualclusters/abc"
	jobARN  = vcARN + "/jobruns/j1"
	roleARN = "arn:aws:iam::" + acct + ":role/spark-exec"
)

func mustParse(tb testing.TB, doc string) *Policy {
	tb.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		tb.Fatalf("ParsePolicy: %v\n%s", err, doc)
	}
	return p
}

// allowWith is a 2012-10-17 policy allowing everything under a condition.
func allowWith(cond string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":%s}}`, cond)
}

// kv is a request context; an empty (or nil) slice under a key means the key
// is present with no values.
type kv map[string][]string
