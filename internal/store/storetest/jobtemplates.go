package storetest

import (
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var jobTemplateTests = []subtest{
	{"CreateAndGet", testCreateAndGetJobTemplate},
	{"GetMissing", testGetMissingJobTemplate},
	{"Idempotency", testJobTemplateIdempotency},
	{"Delete", testDeleteJobTemplate},
	{"ListFilters", testListJobTemplateFilters},
}

// NewJobTemplate returns a job template with a new id and every field of
// the model set.
func NewJobTemplate(name string, createdAt time.Time) *emr.JobTemplate {
	id := emr.NewResourceID()
	return &emr.JobTemplate{
		Name:      name,
		ID:        id,
		ARN:       partition.JobTemplateARN(id),
		CreatedAt: createdAt,
		CreatedBy: "arn:aws:iam::123456789012:user/alice",
		Tags:      map[string]string{"team": "data"},
		KMSKeyARN: "arn:aws:kms:us-east-1:123456789012:key/1234abcd",
		JobTemplateData: emr.JobTemplateData{
			ExecutionRoleARN: "arn:aws:iam::123456789012:role/EMRJobRole",
			ReleaseLabel:     "${Release}",
			JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
				EntryPoint:            "${EntryPoint}",
				EntryPointArguments:   []string{"10"},
				SparkSubmitParameters: "--conf spark.executor.instances=${Executors}",
			}},
			ConfigurationOverrides: &emr.ParametricConfigurationOverrides{
				ApplicationConfiguration: []emr.Configuration{{Classification: "spark-defaults", Properties: map[string]string{"spark.driver.memory": "2G"}}},
				MonitoringConfiguration: &emr.ParametricMonitoringConfiguration{
					PersistentAppUI:                   "ENABLED",
					CloudWatchMonitoringConfiguration: &emr.ParametricCloudWatchMonitoringConfiguration{LogGroupName: "/emr", LogStreamNamePrefix: "p"},
					S3MonitoringConfiguration:         &emr.ParametricS3MonitoringConfiguration{LogURI: "s3://b/"},
				},
			},
			ParameterConfiguration: map[string]emr.TemplateParameterConfiguration{
				"Release":    {Type: emr.ParameterString, DefaultValue: "emr-7.2.0-latest"},
				"EntryPoint": {},
				"Executors":  {Type: emr.ParameterNumber, DefaultValue: "2"},
			},
			JobTags: map[string]string{"template": name},
		},
	}
}

func testCreateAndGetJobTemplate(t *testing.T, s store.Store) {
	tmpl := mustCreate(t, s.CreateJobTemplate, NewJobTemplate("pi", Epoch))
	bare := NewJobTemplate("bare", Epoch)
	bare.Tags, bare.KMSKeyARN, bare.CreatedBy = nil, "", ""
	bare.JobTemplateData.ConfigurationOverrides, bare.JobTemplateData.ParameterConfiguration, bare.JobTemplateData.JobTags = nil, nil, nil
	mustCreate(t, s.CreateJobTemplate, bare)
	for _, want := range []*emr.JobTemplate{tmpl, bare} {
		got, err := s.GetJobTemplate(t.Context(), want.ID)
		if err != nil {
			t.Fatalf("GetJobTemplate(%s) error = %v", want.ID, err)
		}
		MustEqual(t, got, want)
	}
	dup := NewJobTemplate("dup", Epoch)
	dup.ID = tmpl.ID
	_, err := s.CreateJobTemplate(t.Context(), dup, NoIdempotency)
	MustBe(t, err, store.ErrConflict)
}

func testGetMissingJobTemplate(t *testing.T, s store.Store) {
	mustCreate(t, s.CreateJobTemplate, NewJobTemplate("pi", Epoch))
	for _, id := range []string{emr.NewResourceID(), "", "x' OR '1'='1"} {
		got, err := s.GetJobTemplate(t.Context(), id)
		MustBe(t, err, store.ErrNotFound)
		if got != nil {
			t.Errorf("GetJobTemplate(%q) = %+v, want nil", id, got)
		}
	}
}

func testJobTemplateIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	idem := store.Idempotency{Scope: "CreateJobTemplate", Token: "token-1", Hash: "hash-1"}
	orig := NewJobTemplate("pi", Epoch)
	if _, err := s.CreateJobTemplate(ctx, orig, idem); err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateJobTemplate(ctx, NewJobTemplate("pi", Epoch.Add(time.Second)), idem)
	if err != nil {
		t.Fatalf("replay error = %v", err)
	}
	MustEqual(t, again, orig)
	other := idem
	other.Hash = "hash-2"
	_, err = s.CreateJobTemplate(ctx, NewJobTemplate("other", Epoch), other)
	MustBe(t, err, store.ErrTokenMismatch)

	// Once the template is deleted, a replay cannot answer with it.
	must(t, s.DeleteJobTemplate(ctx, orig.ID))
	_, err = s.CreateJobTemplate(ctx, NewJobTemplate("pi", Epoch), idem)
	MustBe(t, err, store.ErrNotFound)
	all, _, err := s.ListJobTemplates(ctx, store.JobTemplateFilter{}, store.Page{})
	if err != nil || len(all) != 0 {
		t.Fatalf("ListJobTemplates() = %v, %v; want none", ids(all), err)
	}
}

func testDeleteJobTemplate(t *testing.T, s store.Store) {
	ctx := t.Context()
	keep := mustCreate(t, s.CreateJobTemplate, NewJobTemplate("keep", Epoch))
	gone := mustCreate(t, s.CreateJobTemplate, NewJobTemplate("gone", Epoch))
	if err := s.DeleteJobTemplate(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteJobTemplate() error = %v", err)
	}
	_, err := s.GetJobTemplate(ctx, gone.ID)
	MustBe(t, err, store.ErrNotFound)
	MustBe(t, s.DeleteJobTemplate(ctx, gone.ID), store.ErrNotFound)
	MustBe(t, s.DeleteJobTemplate(ctx, emr.NewResourceID()), store.ErrNotFound)
	all, _, err := s.ListJobTemplates(ctx, store.JobTemplateFilter{}, store.Page{Limit: 10})
	must(t, err)
	must(t, sameIDs(ids(all), []string{keep.ID}))
}

func testListJobTemplateFilters(t *testing.T, s store.Store) {
	a := mustCreate(t, s.CreateJobTemplate, NewJobTemplate("a", secs(0)))
	b := mustCreate(t, s.CreateJobTemplate, NewJobTemplate("b", secs(10)))
	c := mustCreate(t, s.CreateJobTemplate, NewJobTemplate("c", secs(20)))
	tests := []struct {
		name string
		f    store.JobTemplateFilter
		want []*emr.JobTemplate
	}{
		{"all", store.JobTemplateFilter{}, []*emr.JobTemplate{c, b, a}},
		{"created after, inclusive", store.JobTemplateFilter{CreatedAfter: secs(10)}, []*emr.JobTemplate{c, b}},
		{"created before, inclusive", store.JobTemplateFilter{CreatedBefore: secs(10)}, []*emr.JobTemplate{b, a}},
		{"between", store.JobTemplateFilter{CreatedAfter: secs(5), CreatedBefore: secs(15)}, []*emr.JobTemplate{b}},
		{"empty range", store.JobTemplateFilter{CreatedAfter: secs(15), CreatedBefore: secs(5)}, nil},
	}
	for _, tc := range tests {
		got, next, err := s.ListJobTemplates(t.Context(), tc.f, store.Page{Limit: 10})
		if err != nil || next != "" {
			t.Fatalf("%s: ListJobTemplates() next, error = %q, %v", tc.name, next, err)
		}
		if err := sameIDs(ids(got), ids(tc.want)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		for i := range got {
			MustEqual(t, got[i], tc.want[i])
		}
	}
}
