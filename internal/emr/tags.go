package emr

import (
	"regexp"
	"strings"
)

// MaxTags is how many tags a resource may have.
const MaxTags = 50

// ResourceKind says what a taggable ARN names.
type ResourceKind string

// The resources TagResource, UntagResource and ListTagsForResource accept:
// those whose ARN lies under /virtualclusters/ (job templates and security
// configurations take tags at creation only).
const (
	KindVirtualCluster ResourceKind = "virtual cluster"
	KindJobRun         ResourceKind = "job run"
	KindEndpoint       ResourceKind = "managed endpoint"
)

// ResourceRef names a taggable resource: a virtual cluster, or a job run or
// managed endpoint of one.
type ResourceRef struct {
	Kind             ResourceKind
	VirtualClusterID string
	ID               string // the job run or endpoint; "" for a virtual cluster
}

// patRsiARN is the model's RsiArn.
var (
	patRsiARN = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):emr-containers:.+:(\d{12}):/virtualclusters/.+$`)
	patARNID  = regexp.MustCompile(`^[0-9a-zA-Z]{1,64}$`)
)

// ParseResourceARN checks arn against the model's RsiArn (length 60..500)
// and splits it into the partition, region and account it names and the
// resource: arn:<partition>:emr-containers:<region>:<account>:/virtualclusters/<id>,
// optionally followed by /jobruns/<id> or /endpoints/<id>. Anything else is
// a ValidationException naming resourceArn.
func ParseResourceARN(arn string) (Partition, ResourceRef, error) {
	var c checker
	c.str("resourceArn", arn, 60, 500, patRsiARN)
	if err := c.err(); err != nil {
		return Partition{}, ResourceRef{}, err
	}
	bad := func() (Partition, ResourceRef, error) {
		return Partition{}, ResourceRef{}, Validationf("1 validation error detected: Value '%s' at 'resourceArn' failed to satisfy constraint: "+
			"Member must be the ARN of a virtual cluster, job run or managed endpoint: "+
			"arn:<partition>:emr-containers:<region>:<account>:/virtualclusters/<id>[/jobruns/<id>|/endpoints/<id>]", arn)
	}
	head, tail, _ := strings.Cut(arn, ":/virtualclusters/")
	fields := strings.Split(head, ":")
	if len(fields) != 5 {
		return bad()
	}
	p := Partition{Partition: fields[1], Region: fields[3], Account: fields[4]}
	parts := strings.Split(tail, "/")
	for _, id := range []string{parts[0], parts[len(parts)-1]} {
		if !patARNID.MatchString(id) {
			return bad()
		}
	}
	switch {
	case len(parts) == 1:
		return p, ResourceRef{Kind: KindVirtualCluster, VirtualClusterID: parts[0]}, nil
	case len(parts) == 3 && parts[1] == "jobruns":
		return p, ResourceRef{Kind: KindJobRun, VirtualClusterID: parts[0], ID: parts[2]}, nil
	case len(parts) == 3 && parts[1] == "endpoints":
		return p, ResourceRef{Kind: KindEndpoint, VirtualClusterID: parts[0], ID: parts[2]}, nil
	}
	return bad()
}

// TagResourceRequest is the body of TagResource.
type TagResourceRequest struct {
	Tags map[string]string `json:"tags"`
}

// Validate checks the tags (required, at most MaxTags, keys 1..128 and
// values 0..256 characters).
func (r *TagResourceRequest) Validate() error {
	var c checker
	if c.required("tags", r.Tags != nil) {
		c.tags("tags", r.Tags)
	}
	return c.err()
}

// CheckTagKeys validates the tagKeys of UntagResource.
func CheckTagKeys(keys []string) error {
	var c checker
	c.count("tagKeys", len(keys), MaxTags)
	for i, k := range keys {
		if i < MaxTags {
			c.str("tagKeys.member", k, 1, 128, patNonBlank)
		}
	}
	return c.err()
}
