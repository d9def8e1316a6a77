package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// missingEntryPoint fails fast (FAILED, VALIDATION_ERROR) without starting Spark.
const missingEntryPoint = "local:///usr/lib/spark/examples/src/main/python/no-such-app.py"

// piTemplate is the template of the EMR on EKS guide: the entry point, the
// executor count and the log prefix are parameters.
func piTemplate(name string) *emrcontainers.CreateJobTemplateInput {
	return &emrcontainers.CreateJobTemplateInput{
		Name: aws.String(name),
		Tags: map[string]string{"owner": "platform"},
		JobTemplateData: &types.JobTemplateData{
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
			ReleaseLabel:     aws.String("${Release}"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint:            aws.String("${EntryPoint}"),
				EntryPointArguments:   []string{"${Partitions}"},
				SparkSubmitParameters: aws.String("--conf spark.executor.instances=${Executors} --conf spark.executor.cores=1 --conf spark.driver.cores=1"),
			}},
			ConfigurationOverrides: &types.ParametricConfigurationOverrides{
				ApplicationConfiguration: []types.Configuration{{Classification: aws.String("spark-defaults"),
					Properties: map[string]string{"spark.driver.memory": "1G", "spark.app.name": "${Team}-pi"}}},
				MonitoringConfiguration: &types.ParametricMonitoringConfiguration{PersistentAppUI: aws.String("DISABLED")},
			},
			ParameterConfiguration: map[string]types.TemplateParameterConfiguration{
				"Release":    {Type: types.TemplateParameterDataTypeString, DefaultValue: aws.String("emr-7.2.0-latest")},
				"EntryPoint": {Type: types.TemplateParameterDataTypeString},
				"Partitions": {Type: types.TemplateParameterDataTypeNumber, DefaultValue: aws.String("4")},
				"Executors":  {Type: types.TemplateParameterDataTypeNumber, DefaultValue: aws.String("1")},
				"Team":       {DefaultValue: aws.String("data")},
			},
			JobTags: map[string]string{"team": "${Team}", "template": name},
		},
	}
}

func createTemplate(t *testing.T, c *emrcontainers.Client, in *emrcontainers.CreateJobTemplateInput) string {
	t.Helper()
	out, err := c.CreateJobTemplate(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateJobTemplate: %v", err)
	}
	return aws.ToString(out.Id)
}

func TestJobTemplateLifecycle(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	before := time.Now().Add(-time.Second)

	in := piTemplate("pi")
	in.ClientToken = aws.String("template-token")
	in.KmsKeyArn = aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab")
	created, err := c.CreateJobTemplate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Id)
	if len(id) != 25 || aws.ToString(created.Name) != "pi" || created.CreatedAt == nil || created.CreatedAt.Before(before) ||
		aws.ToString(created.Arn) != "arn:aws:emr-containers:us-east-1:123456789012:/jobtemplates/"+id {
		t.Errorf("created %+v", created)
	}

	// A retry with the same token gets the same template; another request with it is refused.
	again, err := c.CreateJobTemplate(ctx, in)
	if err != nil || aws.ToString(again.Id) != id {
		t.Fatalf("replay: %v, %s", err, aws.ToString(again.Id))
	}
	in.Name = aws.String("other")
	if _, err := c.CreateJobTemplate(ctx, in); apiCode(err) != "ValidationException" {
		t.Errorf("same token, different request: %v", err)
	}

	d, err := c.DescribeJobTemplate(ctx, &emrcontainers.DescribeJobTemplateInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	jt := d.JobTemplate
	data := jt.JobTemplateData
	if aws.ToString(jt.Name) != "pi" || aws.ToString(jt.CreatedBy) != "arn:aws:iam::123456789012:root" ||
		jt.Tags["owner"] != "platform" || aws.ToString(jt.KmsKeyArn) == "" ||
		aws.ToString(data.ReleaseLabel) != "${Release}" || aws.ToString(data.JobDriver.SparkSubmitJobDriver.EntryPoint) != "${EntryPoint}" ||
		data.ParameterConfiguration["Partitions"].Type != types.TemplateParameterDataTypeNumber ||
		aws.ToString(data.ParameterConfiguration["Release"].DefaultValue) != "emr-7.2.0-latest" ||
		data.JobTags["team"] != "${Team}" || aws.ToString(data.ConfigurationOverrides.MonitoringConfiguration.PersistentAppUI) != "DISABLED" {
		t.Errorf("described %+v / %+v", jt, data)
	}

	// Three more, a few milliseconds apart (the order of templates created
	// within one millisecond is their ids'), so createdAfter can split them.
	time.Sleep(5 * time.Millisecond)
	mid := time.Now()
	var later []string
	for _, n := range []string{"b", "c", "d"} {
		time.Sleep(5 * time.Millisecond)
		later = append([]string{createTemplate(t, c, piTemplate(n))}, later...)
	}
	all := pageTemplates(t, c, &emrcontainers.ListJobTemplatesInput{MaxResults: aws.Int32(1)})
	if strings.Join(all, ",") != strings.Join(append(later, id), ",") {
		t.Errorf("paged one by one: %v, want %v then %s", all, later, id)
	}
	if got := pageTemplates(t, c, &emrcontainers.ListJobTemplatesInput{CreatedAfter: aws.Time(mid), MaxResults: aws.Int32(2)}); strings.Join(got, ",") != strings.Join(later, ",") {
		t.Errorf("createdAfter: %v, want %v", got, later)
	}
	if got := pageTemplates(t, c, &emrcontainers.ListJobTemplatesInput{CreatedBefore: aws.Time(mid)}); len(got) != 1 || got[0] != id {
		t.Errorf("createdBefore: %v, want [%s]", got, id)
	}

	del, err := c.DeleteJobTemplate(ctx, &emrcontainers.DeleteJobTemplateInput{Id: aws.String(id)})
	if err != nil || aws.ToString(del.Id) != id {
		t.Fatalf("DeleteJobTemplate: %v", err)
	}
	_, err = c.DescribeJobTemplate(ctx, &emrcontainers.DescribeJobTemplateInput{Id: aws.String(id)})
	if !isType[*types.ResourceNotFoundException](err) {
		t.Errorf("describe after delete: %v", err)
	}
	_, err = c.DeleteJobTemplate(ctx, &emrcontainers.DeleteJobTemplateInput{Id: aws.String(id)})
	if !isType[*types.ValidationException](err) || !strings.Contains(err.Error(), id) {
		t.Errorf("delete twice: %v", err)
	}
	if got := pageTemplates(t, c, &emrcontainers.ListJobTemplatesInput{}); len(got) != 3 {
		t.Errorf("after delete: %v", got)
	}
}

// pageTemplates lists every page through the SDK paginator.
func pageTemplates(t *testing.T, c *emrcontainers.Client, in *emrcontainers.ListJobTemplatesInput) []string {
	t.Helper()
	var out []string
	p := emrcontainers.NewListJobTemplatesPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, jt := range page.Templates {
			out = append(out, aws.ToString(jt.Id))
		}
	}
	return out
}

// A run from a template: parameters substituted, the request's overrides
// merged under the template's, tags merged, name and retry policy from the
// request.
func TestJobRunFromTemplate(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "templates", "templates")
	in := piTemplate("pi")
	in.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration.CloudWatchMonitoringConfiguration =
		&types.ParametricCloudWatchMonitoringConfiguration{LogStreamNamePrefix: aws.String("${Team}")}
	tmpl := createTemplate(t, c, in)

	out, err := c.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
		VirtualClusterId:         aws.String(vc),
		Name:                     aws.String("from-template"),
		JobTemplateId:            aws.String(tmpl),
		JobTemplateParameters:    map[string]string{"EntryPoint": missingEntryPoint, "Executors": "3"},
		Tags:                     map[string]string{"team": "ml", "run": "nightly"},
		RetryPolicyConfiguration: &types.RetryPolicyConfiguration{MaxAttempts: aws.Int32(2)},
		ConfigurationOverrides: &types.ConfigurationOverrides{
			ApplicationConfiguration: []types.Configuration{{Classification: aws.String("spark-defaults"),
				Properties: map[string]string{"spark.driver.memory": "4G", "spark.ui.enabled": "false"}}},
			MonitoringConfiguration: &types.MonitoringConfiguration{
				PersistentAppUI: types.PersistentAppUIEnabled,
				CloudWatchMonitoringConfiguration: &types.CloudWatchMonitoringConfiguration{
					LogGroupName: aws.String("/emr/jobs"), LogStreamNamePrefix: aws.String("request")},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Name) != "from-template" {
		t.Errorf("name %q", aws.ToString(out.Name))
	}
	run, _ := waitFor(t, c, vc, aws.ToString(out.Id), time.Minute, terminal)
	d := run.JobDriver.SparkSubmitJobDriver
	if aws.ToString(run.ReleaseLabel) != "emr-7.2.0-latest" || aws.ToString(run.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/emr-job" ||
		aws.ToString(d.EntryPoint) != missingEntryPoint || d.EntryPointArguments[0] != "4" ||
		!strings.HasPrefix(aws.ToString(d.SparkSubmitParameters), "--conf spark.executor.instances=3 ") {
		t.Errorf("run %+v, driver %+v", run, d)
	}
	props := run.ConfigurationOverrides.ApplicationConfiguration[0].Properties
	if props["spark.driver.memory"] != "1G" || props["spark.app.name"] != "data-pi" || props["spark.ui.enabled"] != "false" {
		t.Errorf("spark-defaults %v: want the template's memory and app name over the request's, and the request's ui flag", props)
	}
	m := run.ConfigurationOverrides.MonitoringConfiguration
	if m.PersistentAppUI != types.PersistentAppUIDisabled || aws.ToString(m.CloudWatchMonitoringConfiguration.LogGroupName) != "/emr/jobs" ||
		aws.ToString(m.CloudWatchMonitoringConfiguration.LogStreamNamePrefix) != "data" {
		t.Errorf("monitoring %+v / %+v: want the template's fields over the request's", m, m.CloudWatchMonitoringConfiguration)
	}
	if run.Tags["team"] != "ml" || run.Tags["run"] != "nightly" || run.Tags["template"] != "pi" || len(run.Tags) != 3 {
		t.Errorf("tags %v: want the template's jobTags with the request's over them", run.Tags)
	}
	if aws.ToInt32(run.RetryPolicyConfiguration.MaxAttempts) != 2 || aws.ToString(run.Name) != "from-template" {
		t.Errorf("retry policy %+v, name %s", run.RetryPolicyConfiguration, aws.ToString(run.Name))
	}
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonValidationError {
		t.Errorf("state %s %s, want FAILED VALIDATION_ERROR (no such entry point)", run.State, run.FailureReason)
	}
	// Deleting the template leaves the run as it was.
	if _, err := c.DeleteJobTemplate(ctx, &emrcontainers.DeleteJobTemplateInput{Id: aws.String(tmpl)}); err != nil {
		t.Fatal(err)
	}
	after, err := c.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: out.Id})
	if err != nil || aws.ToString(after.JobRun.JobDriver.SparkSubmitJobDriver.EntryPoint) != missingEntryPoint {
		t.Errorf("after deleting the template: %v", err)
	}
}

// TestPiFromTemplateCompletes runs the real pi.py from a template.
func TestPiFromTemplateCompletes(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "templates", "default")
	tmpl := createTemplate(t, s.Client, piTemplate("pi"))
	out, err := s.Client.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId:      aws.String(vc),
		Name:                  aws.String("pi"),
		JobTemplateId:         aws.String(tmpl),
		JobTemplateParameters: map[string]string{"EntryPoint": piEntryPoint, "Executors": "2", "Partitions": "3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Id)
	run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED; stderr:\n%s", run.State, aws.ToString(run.StateDetails), lastN(getLog(t, s.URL, vc, id, "stderr"), 30))
	}
	if out := getLog(t, s.URL, vc, id, "stdout"); !strings.Contains(out, "Pi is roughly 3.1") {
		t.Errorf("stdout has no Pi line:\n%s", out)
	}
	// The template's spark-defaults, ${Team} filled in, reached spark-submit.
	conf, err := os.ReadFile(filepath.Join(s.DataDir, "runs", vc, id, "spark-defaults.conf"))
	if err != nil || !strings.Contains(string(conf), "spark.app.name") || !strings.Contains(string(conf), "data-pi") {
		t.Errorf("spark-defaults.conf (%v):\n%s", err, conf)
	}
}
