package emr_test

import (
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestParseResourceARN(t *testing.T) {
	t.Parallel()
	const (
		vc  = "jk518skp01ys9ka8b0npx9nt0"
		pre = "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/"
	)
	aws := emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"}
	for _, tc := range []struct {
		arn  string
		p    emr.Partition
		want emr.ResourceRef
	}{
		{pre + vc, aws, emr.ResourceRef{Kind: emr.KindVirtualCluster, VirtualClusterID: vc}},
		{pre + vc + "/jobruns/0000000337okspsc913", aws, emr.ResourceRef{Kind: emr.KindJobRun, VirtualClusterID: vc, ID: "0000000337okspsc913"}},
		{pre + vc + "/endpoints/abc123", aws, emr.ResourceRef{Kind: emr.KindEndpoint, VirtualClusterID: vc, ID: "abc123"}},
		{"arn:aws-cn:emr-containers:cn-north-1:123456789012:/virtualclusters/" + vc,
			emr.Partition{Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012"}, emr.ResourceRef{Kind: emr.KindVirtualCluster, VirtualClusterID: vc}},
		{pre + "ABC" + strings.Repeat("x", 20), aws, emr.ResourceRef{Kind: emr.KindVirtualCluster, VirtualClusterID: "ABC" + strings.Repeat("x", 20)}},
	} {
		p, ref, err := emr.ParseResourceARN(tc.arn)
		if err != nil || p != tc.p || ref != tc.want {
			t.Errorf("ParseResourceARN(%s) = %+v, %+v, %v; want %+v, %+v", tc.arn, p, ref, err, tc.p, tc.want)
		}
	}
	for _, arn := range []string{
		"",
		"arn:aws:emr-containers:x:123456789012:/virtualclusters/x",                    // shorter than 60
		pre + vc + strings.Repeat("/jobruns", 60),                                     // longer than 500
		"arn:aws:emr-containers:us-east-1:123456789012:/jobtemplates/" + vc + "xxxxx", // not under /virtualclusters/
		"arn:aws:emr-containers:us-east-1:12345678901:/virtualclusters/" + vc + "x",   // 11-digit account
		"arn:aws:s3:us-east-1:123456789012:/virtualclusters/" + vc + "xxxxxxxxxxx",    // another service
		pre + vc + "/jobruns/",
		pre + vc + "/jobruns",
		pre + vc + "/others/abc",
		pre + vc + "/jobruns/a/b",
		pre + vc + "/jobruns/a-b",
		"arn:aws:emr-containers:us:east:123456789012:/virtualclusters/" + vc, // a region with a colon
		" " + pre + vc,
	} {
		_, ref, err := emr.ParseResourceARN(arn)
		if err == nil {
			t.Errorf("ParseResourceARN(%q) = %+v, want a ValidationException", arn, ref)
			continue
		}
		MustBeValidation(t, err, "resourceArn")
	}
}

func TestTagRequests(t *testing.T) {
	t.Parallel()
	MustBeValidation(t, (&emr.TagResourceRequest{Tags: map[string]string{"a": "", "b": "c"}}).Validate())
	MustBeValidation(t, (&emr.TagResourceRequest{Tags: map[string]string{}}).Validate())
	MustBeValidation(t, (&emr.TagResourceRequest{}).Validate(), "tags")
	MustBeValidation(t, (&emr.TagResourceRequest{Tags: tagsN(51)}).Validate(), "tags")
	MustBeValidation(t, (&emr.TagResourceRequest{Tags: map[string]string{" ": "v"}}).Validate(), "tags.key")
	MustBeValidation(t, (&emr.TagResourceRequest{Tags: map[string]string{"k": strings.Repeat("v", 257)}}).Validate(), "tags.k")
	MustBeValidation(t, emr.CheckTagKeys(nil))
	MustBeValidation(t, emr.CheckTagKeys([]string{"a", "b"}))
	MustBeValidation(t, emr.CheckTagKeys([]string{"a", ""}), "tagKeys.member")
	MustBeValidation(t, emr.CheckTagKeys([]string{strings.Repeat("k", 129)}), "tagKeys.member")
	keys := make([]string, 51)
	for i := range keys {
		keys[i] = "k"
	}
	MustBeValidation(t, emr.CheckTagKeys(keys), "tagKeys")
}
