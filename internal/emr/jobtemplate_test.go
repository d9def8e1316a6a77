package emr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// validCreateJobTemplate is the template of the EMR on EKS guide: the entry
// point, the log bucket and the executor count are parameters.
func validCreateJobTemplate() *emr.CreateJobTemplateRequest {
	return &emr.CreateJobTemplateRequest{
		Name:        "pi-template",
		ClientToken: "5c1c6b2e-0c4e-4a3b-9d8e-1f2a3b4c5d6e",
		Tags:        map[string]string{"owner": "data"},
		JobTemplateData: &emr.JobTemplateData{
			ExecutionRoleARN: "arn:aws:iam::123456789012:role/EMRJobRole",
			ReleaseLabel:     "emr-7.2.0-latest",
			JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
				EntryPoint:            "${EntryPointLocation}",
				EntryPointArguments:   []string{"${Partitions}"},
				SparkSubmitParameters: "--conf spark.executor.instances=${Executors} --conf spark.driver.cores=1",
			}},
			ConfigurationOverrides: &emr.ParametricConfigurationOverrides{
				ApplicationConfiguration: []emr.Configuration{{Classification: "spark-defaults",
					Properties: map[string]string{"spark.driver.memory": "2G", "spark.executor.memory": "2G"}}},
				MonitoringConfiguration: &emr.ParametricMonitoringConfiguration{
					PersistentAppUI:           "ENABLED",
					S3MonitoringConfiguration: &emr.ParametricS3MonitoringConfiguration{LogURI: "s3://${LogBucket}/logs/"},
				},
			},
			ParameterConfiguration: map[string]emr.TemplateParameterConfiguration{
				"EntryPointLocation": {Type: emr.ParameterString},
				"Partitions":         {Type: emr.ParameterNumber, DefaultValue: "10"},
				"Executors":          {Type: emr.ParameterNumber, DefaultValue: "2"},
				"LogBucket":          {DefaultValue: "logs"},
			},
			JobTags: map[string]string{"team": "data", "template": "pi"},
		},
	}
}

func TestCreateJobTemplateRequestValidate(t *testing.T) {
	t.Parallel()
	type req = emr.CreateJobTemplateRequest
	const (
		d   = "jobTemplateData"
		ssd = d + ".jobDriver.sparkSubmitJobDriver"
		mc  = d + ".configurationOverrides.monitoringConfiguration"
		pc  = d + ".parameterConfiguration"
	)
	tests := []struct {
		name   string
		mutate func(r *req)
		fields []string
	}{
		{"guide template", func(*req) {}, nil},
		{"no parameters at all", func(r *req) {
			r.JobTemplateData.JobDriver.SparkSubmitJobDriver = &emr.SparkSubmitJobDriver{EntryPoint: "local:///a.py"}
			r.JobTemplateData.ConfigurationOverrides = nil
			r.JobTemplateData.ParameterConfiguration = nil
		}, nil},
		{"role and label as parameters", func(r *req) {
			r.JobTemplateData.ExecutionRoleARN, r.JobTemplateData.ReleaseLabel = "${Role}", "${Release}"
			r.JobTemplateData.ParameterConfiguration["Role"] = emr.TemplateParameterConfiguration{}
			r.JobTemplateData.ParameterConfiguration["Release"] = emr.TemplateParameterConfiguration{DefaultValue: "emr-7.2.0-latest"}
		}, nil},
		{"parametric monitoring", func(r *req) {
			m := r.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration
			m.PersistentAppUI = "${AppUI}"
			m.CloudWatchMonitoringConfiguration = &emr.ParametricCloudWatchMonitoringConfiguration{LogGroupName: "/emr/${Team}"}
			r.JobTemplateData.ParameterConfiguration["AppUI"] = emr.TemplateParameterConfiguration{}
			r.JobTemplateData.ParameterConfiguration["Team"] = emr.TemplateParameterConfiguration{}
		}, nil},
		{"cloudwatch without a log group", func(r *req) {
			r.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration.CloudWatchMonitoringConfiguration =
				&emr.ParametricCloudWatchMonitoringConfiguration{LogStreamNamePrefix: "pi"}
		}, nil},
		{"kms key as a parameter", func(r *req) { r.KMSKeyARN = "${Key}" }, nil},
		{"kms key", func(r *req) { r.KMSKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab" }, nil},
		{"placeholders in tags and properties", func(r *req) {
			r.JobTemplateData.JobTags["cost-center"] = "cc-${Team}"
			r.JobTemplateData.ConfigurationOverrides.ApplicationConfiguration[0].Properties["spark.app.name"] = "${Team}-pi"
			r.JobTemplateData.ParameterConfiguration["Team"] = emr.TemplateParameterConfiguration{}
		}, nil},

		{"name missing", func(r *req) { r.Name = "" }, []string{"name"}},
		{"clientToken missing", func(r *req) { r.ClientToken = "" }, []string{"clientToken"}},
		{"data missing", func(r *req) { r.JobTemplateData = nil }, []string{d}},
		{"too many tags", func(r *req) { r.Tags = tagsN(51) }, []string{"tags"}},
		{"kms key pattern", func(r *req) { r.KMSKeyARN = "alias/mine" }, []string{"kmsKeyArn"}},
		{"role missing", func(r *req) { r.JobTemplateData.ExecutionRoleARN = "" }, []string{d + ".executionRoleArn"}},
		{"role neither ARN nor parameter", func(r *req) { r.JobTemplateData.ExecutionRoleARN = "arn:aws:iam::123456789012:user/x" },
			[]string{d + ".executionRoleArn"}},
		{"role literal that is no role ARN", func(r *req) { r.JobTemplateData.ExecutionRoleARN = "EMRJobRole" },
			[]string{d + ".executionRoleArn"}},
		{"release label missing", func(r *req) { r.JobTemplateData.ReleaseLabel = "" }, []string{d + ".releaseLabel"}},
		{"release label with a partial placeholder", func(r *req) {
			r.JobTemplateData.ReleaseLabel = "emr-${Version}-latest"
		}, []string{d + ".releaseLabel", d + ".releaseLabel"}}, // the pattern, and ${Version} is undeclared
		{"driver missing", func(r *req) { r.JobTemplateData.JobDriver = nil }, // and the parameters it used are unused
			[]string{d + ".jobDriver", pc + ".EntryPointLocation", pc + ".Executors", pc + ".Partitions"}},
		{"entry point blank", func(r *req) { r.JobTemplateData.JobDriver.SparkSubmitJobDriver.EntryPoint = " " },
			[]string{ssd + ".entryPoint", pc + ".EntryPointLocation"}},
		{"persistentAppUI neither enum nor parameter", func(r *req) {
			r.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration.PersistentAppUI = "on"
		}, []string{mc + ".persistentAppUI"}},
		{"log group pattern", func(r *req) {
			r.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration.CloudWatchMonitoringConfiguration =
				&emr.ParametricCloudWatchMonitoringConfiguration{LogGroupName: "my logs"}
		}, []string{mc + ".cloudWatchMonitoringConfiguration.logGroupName"}},
		{"too many job tags", func(r *req) { r.JobTemplateData.JobTags = tagsN(51) }, []string{d + ".jobTags"}},
		{"parameter type", func(r *req) {
			r.JobTemplateData.ParameterConfiguration["LogBucket"] = emr.TemplateParameterConfiguration{Type: "BOOLEAN"}
		},
			[]string{pc + ".LogBucket.type"}},
		{"parameter name pattern", func(r *req) {
			r.JobTemplateData.ParameterConfiguration["a b"] = emr.TemplateParameterConfiguration{}
		}, []string{pc + ".key", pc + ".a b"}}, // and it is unused
		{"NUMBER default not a number", func(r *req) {
			r.JobTemplateData.ParameterConfiguration["Executors"] = emr.TemplateParameterConfiguration{Type: emr.ParameterNumber, DefaultValue: "two"}
		}, []string{pc + ".Executors.defaultValue"}},
		{"undeclared placeholder", func(r *req) { r.JobTemplateData.JobDriver.SparkSubmitJobDriver.EntryPoint = "${EntryPiont}" },
			[]string{ssd + ".entryPoint", pc + ".EntryPointLocation"}},
		{"declared but unused", func(r *req) {
			r.JobTemplateData.ParameterConfiguration["Spare"] = emr.TemplateParameterConfiguration{}
		}, []string{pc + ".Spare"}},
		{"too many parameters", func(r *req) {
			for k := range tagsN(101) {
				r.JobTemplateData.ParameterConfiguration[k] = emr.TemplateParameterConfiguration{}
				r.JobTemplateData.JobTags[k] = "${" + k + "}"
			}
		}, []string{pc, d + ".jobTags"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := validCreateJobTemplate()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
}

// template returns the stored form of the guide template.
func template() *emr.JobTemplate {
	r := validCreateJobTemplate()
	return &emr.JobTemplate{ID: "tmpl", Name: r.Name, JobTemplateData: *r.JobTemplateData}
}

func runOf(params map[string]string) *emr.StartJobRunRequest {
	return &emr.StartJobRunRequest{Name: "run", ClientToken: "tok", JobTemplateID: "tmpl", JobTemplateParameters: params}
}

func TestResolveSubstitutes(t *testing.T) {
	t.Parallel()
	tmpl := template()
	before, _ := json.Marshal(tmpl)
	got, err := tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": "local:///pi.py", "Executors": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	d := got.JobDriver.SparkSubmitJobDriver
	if d.EntryPoint != "local:///pi.py" || d.EntryPointArguments[0] != "10" ||
		d.SparkSubmitParameters != "--conf spark.executor.instances=4 --conf spark.driver.cores=1" {
		t.Errorf("driver = %+v", d)
	}
	if got.ExecutionRoleARN != tmpl.JobTemplateData.ExecutionRoleARN || got.ReleaseLabel != "emr-7.2.0-latest" {
		t.Errorf("role, label = %s, %s", got.ExecutionRoleARN, got.ReleaseLabel)
	}
	if uri := got.ConfigurationOverrides.MonitoringConfiguration.S3MonitoringConfiguration.LogURI; uri != "s3://logs/logs/" {
		t.Errorf("logUri = %s", uri)
	}
	if got.Name != "run" || got.ClientToken != "tok" || got.JobTemplateID != "" || got.JobTemplateParameters != nil {
		t.Errorf("resolved request = %+v", got)
	}
	if after, _ := json.Marshal(tmpl); string(after) != string(before) {
		t.Errorf("Resolve changed the template:\n%s\n%s", before, after)
	}
}

// A value is substituted once: a value that looks like a placeholder stays.
func TestResolveIsOnePass(t *testing.T) {
	t.Parallel()
	tmpl := template()
	tmpl.JobTemplateData.JobTags["entry"] = "${EntryPointLocation}"
	got, err := tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": "local:///${LogBucket}.py"}))
	if err != nil {
		t.Fatal(err)
	}
	if ep := got.JobDriver.SparkSubmitJobDriver.EntryPoint; ep != "local:///${LogBucket}.py" || got.Tags["entry"] != ep {
		t.Errorf("entry point %q, tag %q", ep, got.Tags["entry"])
	}
}

func TestResolveParameterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		params   map[string]string
		fields   []string
		mentions string
	}{
		{"missing", nil, []string{"jobTemplateParameters.EntryPointLocation"}, "needs a value for parameter EntryPointLocation"},
		{"undeclared", map[string]string{"EntryPointLocation": "a.py", "Entry": "b"}, []string{"jobTemplateParameters.Entry"}, "has no parameter Entry"},
		{"not a number", map[string]string{"EntryPointLocation": "a.py", "Executors": "2x"}, []string{"jobTemplateParameters.Executors"}, `"2x" is not a number`},
		{"NaN is not a number", map[string]string{"EntryPointLocation": "a.py", "Partitions": "NaN"}, []string{"jobTemplateParameters.Partitions"}, "NUMBER"},
		{"several", map[string]string{"Executors": "many", "X": "1"}, []string{"jobTemplateParameters.X", "jobTemplateParameters.EntryPointLocation", "jobTemplateParameters.Executors"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := template().Resolve(runOf(tc.params))
			MustBeValidation(t, err, tc.fields...)
			if !strings.Contains(err.Error(), tc.mentions) {
				t.Errorf("%v does not mention %q", err, tc.mentions)
			}
		})
	}
	for _, n := range []string{"2", "-3", "1.5", ".5", "1e3", "+7"} {
		if _, err := template().Resolve(runOf(map[string]string{"EntryPointLocation": "a.py", "Executors": n})); err != nil {
			t.Errorf("NUMBER %q: %v", n, err)
		}
	}
	// A parameter declared but used nowhere (possible only in a template
	// stored before that was checked) cannot be supplied either.
	tmpl := template()
	tmpl.JobTemplateData.ParameterConfiguration["Spare"] = emr.TemplateParameterConfiguration{}
	_, err := tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": "a.py", "Spare": "x"}))
	MustBeValidation(t, err, "jobTemplateParameters.Spare")
}

// After substitution the run must be a valid StartJobRun.
func TestResolveValidatesTheResult(t *testing.T) {
	t.Parallel()
	tmpl := template()
	tmpl.JobTemplateData.ExecutionRoleARN = "${Role}"
	tmpl.JobTemplateData.ParameterConfiguration["Role"] = emr.TemplateParameterConfiguration{}
	_, err := tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": "a.py", "Role": "not-a-role"}))
	MustBeValidation(t, err, "executionRoleArn")
	if !strings.HasSuffix(err.Error(), "(in the job run of job template tmpl, with its parameters substituted and merged with the request)") {
		t.Errorf("message does not say the value came from the template: %v", err)
	}
	tmpl.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration.PersistentAppUI = "${Role}"
	_, err = tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": "a.py", "Role": "arn:aws:iam::123456789012:role/R"}))
	MustBeValidation(t, err, "configurationOverrides.monitoringConfiguration.persistentAppUI")
}

func TestResolveMerges(t *testing.T) {
	t.Parallel()
	tmpl := template()
	tmpl.JobTemplateData.ConfigurationOverrides.ApplicationConfiguration = append(tmpl.JobTemplateData.ConfigurationOverrides.ApplicationConfiguration,
		emr.Configuration{Classification: "spark-env", Configurations: []emr.Configuration{{Classification: "export", Properties: map[string]string{"A": "t"}}}})
	tmpl.JobTemplateData.ConfigurationOverrides.MonitoringConfiguration.CloudWatchMonitoringConfiguration =
		&emr.ParametricCloudWatchMonitoringConfiguration{LogStreamNamePrefix: "tmpl"}
	req := runOf(map[string]string{"EntryPointLocation": "a.py"})
	req.Tags = map[string]string{"team": "ml", "run": "1"}
	req.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: 3}
	req.ConfigurationOverrides = &emr.ConfigurationOverrides{
		ApplicationConfiguration: []emr.Configuration{
			{Classification: "spark-defaults", Properties: map[string]string{"spark.driver.memory": "8G", "spark.ui.enabled": "false"}},
			{Classification: "spark-env", Configurations: []emr.Configuration{{Classification: "export", Properties: map[string]string{"A": "r", "B": "r"}}}},
			{Classification: "emr-containers-defaults", Properties: map[string]string{"job-start-timeout": "60"}},
		},
		MonitoringConfiguration: &emr.MonitoringConfiguration{
			PersistentAppUI:                   "DISABLED",
			CloudWatchMonitoringConfiguration: &emr.CloudWatchMonitoringConfiguration{LogGroupName: "/req", LogStreamNamePrefix: "req"},
			S3MonitoringConfiguration:         &emr.S3MonitoringConfiguration{LogURI: "s3://req/", EncryptionKeyARN: "arn:aws:kms:us-east-1:123456789012:key/abc"},
			ContainerLogRotationConfiguration: &emr.ContainerLogRotationConfiguration{RotationSize: "1GB", MaxFilesToKeep: 3},
		},
	}
	reqBefore, _ := json.Marshal(req)
	got, err := tmpl.Resolve(req)
	if err != nil {
		t.Fatal(err)
	}
	o := got.ConfigurationOverrides
	want := map[string]map[string]string{
		"spark-defaults":          {"spark.driver.memory": "2G", "spark.executor.memory": "2G", "spark.ui.enabled": "false"},
		"emr-containers-defaults": {"job-start-timeout": "60"},
	}
	for cls, props := range want {
		if g, _ := json.Marshal(o.Classification(cls)); string(g) != mustJSON(props) {
			t.Errorf("%s = %s, want %s", cls, g, mustJSON(props))
		}
	}
	if env := o.ApplicationConfiguration[1]; env.Classification != "spark-env" || mustJSON(env.Configurations[0].Properties) != `{"A":"t","B":"r"}` {
		t.Errorf("nested spark-env/export = %+v", env)
	}
	m := o.MonitoringConfiguration
	if m.PersistentAppUI != "ENABLED" || m.CloudWatchMonitoringConfiguration.LogGroupName != "/req" ||
		m.CloudWatchMonitoringConfiguration.LogStreamNamePrefix != "tmpl" || m.S3MonitoringConfiguration.LogURI != "s3://logs/logs/" ||
		m.S3MonitoringConfiguration.EncryptionKeyARN == "" || m.ContainerLogRotationConfiguration.MaxFilesToKeep != 3 {
		t.Errorf("monitoring = %s", mustJSON(m))
	}
	if mustJSON(got.Tags) != `{"run":"1","team":"ml","template":"pi"}` {
		t.Errorf("tags = %v", got.Tags)
	}
	if got.RetryPolicyConfiguration.MaxAttempts != 3 || got.Name != "run" {
		t.Errorf("retry, name = %+v, %s", got.RetryPolicyConfiguration, got.Name)
	}
	if after, _ := json.Marshal(req); string(after) != string(reqBefore) {
		t.Error("Resolve changed the request")
	}

	// The template's tags and the request's together may not exceed 50.
	req.Tags = tagsN(49)
	_, err = tmpl.Resolve(req)
	MustBeValidation(t, err, "tags")
}

// A template without overrides or tags gives a run without them.
func TestResolveBare(t *testing.T) {
	t.Parallel()
	tmpl := template()
	tmpl.JobTemplateData.ConfigurationOverrides, tmpl.JobTemplateData.JobTags = nil, nil
	delete(tmpl.JobTemplateData.ParameterConfiguration, "LogBucket")
	got, err := tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": "a.py"}))
	if err != nil {
		t.Fatal(err)
	}
	if got.ConfigurationOverrides != nil || got.Tags != nil {
		t.Errorf("overrides %+v, tags %v; want none", got.ConfigurationOverrides, got.Tags)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// FuzzResolve starts runs of arbitrary templates with arbitrary parameters:
// a template that passes Validate either resolves to a valid request or
// fails with a ValidationException, and never panics.
func FuzzResolve(f *testing.F) {
	seed, _ := json.Marshal(validCreateJobTemplate())
	f.Add(seed, []byte(`{"EntryPointLocation":"local:///a.py","Executors":"3"}`))
	f.Add(seed, []byte(`{"Executors":"x","Nope":"1"}`))
	f.Add([]byte(`{"name":"t","clientToken":"c","jobTemplateData":{"executionRoleArn":"${R}","releaseLabel":"${L}","jobDriver":{"sparkSqlJobDriver":{}},"parameterConfiguration":{"R":{},"L":{"type":"NUMBER"}}}}`),
		[]byte(`{"R":"arn:aws:iam::123456789012:role/r","L":"7"}`))
	f.Fuzz(func(t *testing.T, body, params []byte) {
		var r emr.CreateJobTemplateRequest
		var p map[string]string
		if json.Unmarshal(body, &r) != nil || json.Unmarshal(params, &p) != nil || r.Validate() != nil {
			return
		}
		run := runOf(p)
		if run.Validate() != nil {
			return
		}
		tmpl := &emr.JobTemplate{ID: "t", JobTemplateData: *r.JobTemplateData}
		got, err := tmpl.Resolve(run)
		var e *emr.Error
		switch {
		case err == nil:
			if verr := got.Validate(); verr != nil {
				t.Fatalf("resolved request does not validate: %v", verr)
			}
		case !errors.As(err, &e) || e.Code != emr.CodeValidation:
			t.Fatalf("Resolve() = %#v, want a ValidationException", err)
		}
	})
}
