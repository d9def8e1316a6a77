package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// fakeS3 is the object storage as one execution role sees it.
type fakeS3 struct {
	objects map[string]string // by URI
	denied  map[string]bool
	down    bool
	limit   int64 // the limit of the last Read
}

func (f *fakeS3) Read(_ context.Context, uri string, limit int64) ([]byte, error) {
	f.limit = limit
	switch o, ok := f.objects[uri]; {
	case f.down:
		return nil, errors.New("dial tcp: connection refused")
	case f.denied[uri]:
		return nil, &objectstore.Error{URI: uri, Code: "AccessDenied", Message: "Access Denied"}
	case !ok:
		return nil, &objectstore.Error{URI: uri, Code: "NoSuchKey", Message: "The specified key does not exist."}
	case int64(len(o)) > limit:
		return nil, &objectstore.Error{URI: uri, Code: objectstore.CodeTooLarge}
	default:
		return []byte(o), nil
	}
}

// TestPodTemplatesFromS3: a podTemplateFile in S3 is read with the run's
// execution role, then allow-listed and checked as a local file; what S3
// refuses fails the run as the user's error with S3's words; S3 out of
// reach is tried again; without S3 such templates are refused.
func TestPodTemplatesFromS3(t *testing.T) {
	s3 := &fakeS3{objects: map[string]string{
		"s3://b/driver.yaml": `apiVersion: v1
kind: Pod
metadata: {labels: {team: data}}
spec:
  nodeSelector: {pool: spark}
  containers: [{name: spark-kubernetes-driver, env: [{name: FROM_S3, value: "yes"}]}]
`,
		"s3a://b/host.yaml": "apiVersion: v1\nkind: Pod\nspec: {hostNetwork: true}\n",
		"s3://b/bad.yaml":   "apiVersion: v1\nkind: Pod\nspec: {bogus: 1}\n",
	}, denied: map[string]bool{"s3://private/driver.yaml": true}}
	var roles []string
	client := fake.NewSimpleClientset()
	r := New(Options{Client: client, S3: func(_ context.Context, arn string) (ObjectReader, error) {
		roles = append(roles, arn)
		return s3, nil
	}})
	defer r.Close()
	ctx := context.Background()

	vc, run := testRun("--conf spark.kubernetes.driver.podTemplateFile=s3://b/driver.yaml")
	if err := r.Submit(ctx, vc, run); err != nil {
		t.Fatalf("submit with a template in S3: %v", err)
	}
	if len(roles) != 1 || roles[0] != run.ExecutionRoleARN || s3.limit != maxTemplateBytes {
		t.Errorf("read as %v with limit %d; want the run's role, %d bytes", roles, s3.limit, maxTemplateBytes)
	}
	cm, err := client.CoreV1().ConfigMaps("ns1").Get(ctx, podTemplateName(JobName(run)), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"team: data", "pool: spark", "FROM_S3"} {
		if !strings.Contains(cm.Data["driver"], want) {
			t.Errorf("driver template lacks %q:\n%s", want, cm.Data["driver"])
		}
	}

	for _, tc := range []struct {
		params string
		reason emr.FailureReason
		msg    string
	}{
		{"--conf spark.kubernetes.driver.podTemplateFile=s3://b/none.yaml", emr.FailureUser,
			"pod template s3://b/none.yaml: NoSuchKey: The specified key does not exist."},
		{"--conf spark.kubernetes.executor.podTemplateFile=s3://private/driver.yaml", emr.FailureUser,
			"pod template s3://private/driver.yaml: AccessDenied: Access Denied"},
		{"--conf spark.kubernetes.driver.podTemplateFile=s3a://b/host.yaml", emr.FailureValidation, "spec.hostNetwork"},
		{"--conf spark.kubernetes.driver.podTemplateFile=s3://b/bad.yaml", emr.FailureValidation, "is not a valid Pod"},
		{"--conf spark.kubernetes.driver.podTemplateFile=s3://b/", emr.FailureValidation, "does not name an object"},
	} {
		vc, run := testRun(tc.params)
		run.ID = "0000000000000000002"
		se, ok := runtime.AsSubmitError(r.Submit(ctx, vc, run))
		if !ok || se.Reason != tc.reason || !strings.Contains(se.Message, tc.msg) {
			t.Errorf("%s: %+v; want %s with %q", tc.params, se, tc.reason, tc.msg)
		}
	}

	s3.down = true
	vc, run = testRun("--conf spark.kubernetes.driver.podTemplateFile=s3://b/driver.yaml")
	run.ID = "0000000000000000003"
	if err := r.Submit(ctx, vc, run); err == nil || errors.As(err, new(*runtime.SubmitError)) {
		t.Errorf("S3 out of reach: %v; want an error to try again", err)
	}

	none := New(Options{Client: fake.NewSimpleClientset()})
	defer none.Close()
	if se, ok := runtime.AsSubmitError(none.Submit(ctx, vc, run)); !ok || se.Reason != emr.FailureValidation || !strings.Contains(se.Message, "no S3") {
		t.Errorf("without S3: %+v", se)
	}
}
