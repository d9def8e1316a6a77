package emr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func validStartJobRun() *emr.StartJobRunRequest {
	return &emr.StartJobRunRequest{
		Name:             "pi",
		ClientToken:      "5c1c6b2e-0c4e-4a3b-9d8e-1f2a3b4c5d6e",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/EMRJobRole",
		ReleaseLabel:     "emr-6.8.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
			EntryPoint:            "local:///usr/lib/spark/examples/src/main/python/pi.py",
			SparkSubmitParameters: "--conf spark.executor.instances=2",
		}},
	}
}

// nested returns a configuration list depth levels deep.
func nested(depth int) []emr.Configuration {
	var cfgs []emr.Configuration
	for range depth {
		cfgs = []emr.Configuration{{Classification: "c", Configurations: cfgs}}
	}
	return cfgs
}

func overrides(r *emr.StartJobRunRequest) *emr.ConfigurationOverrides {
	if r.ConfigurationOverrides == nil {
		r.ConfigurationOverrides = &emr.ConfigurationOverrides{}
	}
	return r.ConfigurationOverrides
}

func monitoring(r *emr.StartJobRunRequest) *emr.MonitoringConfiguration {
	o := overrides(r)
	if o.MonitoringConfiguration == nil {
		o.MonitoringConfiguration = &emr.MonitoringConfiguration{}
	}
	return o.MonitoringConfiguration
}

func TestStartJobRunRequestValidate(t *testing.T) {
	t.Parallel()
	type req = emr.StartJobRunRequest
	const (
		ac  = "configurationOverrides.applicationConfiguration"
		mc  = "configurationOverrides.monitoringConfiguration"
		ssd = "jobDriver.sparkSubmitJobDriver"
	)
	kms := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name   string
		mutate func(r *req)
		fields []string // the fields at fault; none for a valid request
	}{
		{"spark submit", func(*req) {}, nil},
		{"no name", func(r *req) { r.Name = "" }, nil},
		{"spark sql", func(r *req) {
			r.JobDriver = &emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{EntryPoint: "s3://b/q.sql", SparkSQLParameters: "--hivevar a=b"}}
		}, nil},
		{"spark sql without entry point", func(r *req) { r.JobDriver = &emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{}} }, nil},
		{"template only", func(r *req) {
			r.ExecutionRoleARN, r.ReleaseLabel, r.JobDriver = "", "", nil
			r.JobTemplateID, r.JobTemplateParameters = "abc123", map[string]string{"EntryPoint.Location_1": "s3://b/x.py"}
		}, nil},
		{"role with path", func(r *req) { r.ExecutionRoleARN = "arn:aws-cn:iam::123456789012:role/team/a/Role+=,.@-_" }, nil},
		{"role without account", func(r *req) { r.ExecutionRoleARN = "arn:aws:iam:::role/EMRJobRole" }, nil},
		{"everything", func(r *req) {
			r.Tags = map[string]string{"team": "", "cost": "x"}
			r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: 1}
			r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = []string{"10", "--verbose"}
			o := overrides(r)
			o.ApplicationConfiguration = append(nested(9), emr.Configuration{
				Classification: "spark-defaults", Properties: map[string]string{"spark.driver.memory": "2G"}})
			*monitoring(r) = emr.MonitoringConfiguration{
				PersistentAppUI:                   "ENABLED",
				CloudWatchMonitoringConfiguration: &emr.CloudWatchMonitoringConfiguration{LogGroupName: "/emr/jobs", LogStreamNamePrefix: "pi"},
				S3MonitoringConfiguration:         &emr.S3MonitoringConfiguration{LogURI: "s3://bucket/logs/", EncryptionKeyARN: kms},
				ContainerLogRotationConfiguration: &emr.ContainerLogRotationConfiguration{RotationSize: "2GB", MaxFilesToKeep: 50},
				ManagedLogs:                       &emr.ManagedLogs{AllowAWSToRetainLogs: "DISABLED", EncryptionKeyARN: kms},
			}
		}, nil},
		{"empty collections", func(r *req) {
			r.Tags, r.JobTemplateParameters = map[string]string{}, map[string]string{}
			r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = []string{}
			r.ConfigurationOverrides = &emr.ConfigurationOverrides{ApplicationConfiguration: []emr.Configuration{}}
		}, nil},

		{"name pattern", func(r *req) { r.Name = "pi job" }, []string{"name"}},
		{"name too long", func(r *req) { r.Name = strings.Repeat("n", 65) }, []string{"name"}},
		{"clientToken missing", func(r *req) { r.ClientToken = "" }, []string{"clientToken"}},
		{"too many tags", func(r *req) { r.Tags = tagsN(51) }, []string{"tags"}},
		{"tag value too long", func(r *req) { r.Tags = map[string]string{"k": strings.Repeat("v", 257)} }, []string{"tags.k"}},
		{"role missing", func(r *req) { r.ExecutionRoleARN = "" }, []string{"executionRoleArn"}},
		{"role too short", func(r *req) { r.ExecutionRoleARN = "arn:aws:iam::1:role" }, []string{"executionRoleArn"}},
		{"role short account", func(r *req) { r.ExecutionRoleARN = "arn:aws:iam::123:role/EMRJobRole" }, []string{"executionRoleArn"}},
		{"role is a user", func(r *req) { r.ExecutionRoleARN = "arn:aws:iam::123456789012:user/alice" }, []string{"executionRoleArn"}},
		{"releaseLabel missing", func(r *req) { r.ReleaseLabel = "" }, []string{"releaseLabel"}},
		{"releaseLabel pattern", func(r *req) { r.ReleaseLabel = "emr 6.8.0" }, []string{"releaseLabel"}},
		{"releaseLabel too long", func(r *req) { r.ReleaseLabel = strings.Repeat("e", 65) }, []string{"releaseLabel"}},
		{"no template, nothing else", func(r *req) { r.ExecutionRoleARN, r.ReleaseLabel, r.JobDriver = "", "", nil },
			[]string{"executionRoleArn", "releaseLabel", "jobDriver"}},
		{"jobDriver missing", func(r *req) { r.JobDriver = nil }, []string{"jobDriver"}},
		{"jobDriver with neither", func(r *req) { r.JobDriver = &emr.JobDriver{} }, []string{"jobDriver"}},
		{"jobDriver with both", func(r *req) { r.JobDriver.SparkSQLJobDriver = &emr.SparkSQLJobDriver{} }, []string{"jobDriver"}},
		{"entryPoint missing", func(r *req) { r.JobDriver.SparkSubmitJobDriver.EntryPoint = "" }, []string{ssd + ".entryPoint"}},
		{"entryPoint too long", func(r *req) { r.JobDriver.SparkSubmitJobDriver.EntryPoint = strings.Repeat("e", 257) }, []string{ssd + ".entryPoint"}},
		{"entryPoint blank", func(r *req) { r.JobDriver.SparkSubmitJobDriver.EntryPoint = "  " }, []string{ssd + ".entryPoint"}},
		{"argument empty", func(r *req) { r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = []string{"a", ""} },
			[]string{ssd + ".entryPointArguments.2"}},
		{"parameters blank", func(r *req) { r.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = "\n" }, []string{ssd + ".sparkSubmitParameters"}},
		{"parameters too long", func(r *req) { r.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = strings.Repeat("p", 102401) },
			[]string{ssd + ".sparkSubmitParameters"}},
		{"sql entryPoint blank", func(r *req) { r.JobDriver = &emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{EntryPoint: " "}} },
			[]string{"jobDriver.sparkSqlJobDriver.entryPoint"}},
		{"sql parameters blank", func(r *req) {
			r.JobDriver = &emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{SparkSQLParameters: "\t"}}
		}, []string{"jobDriver.sparkSqlJobDriver.sparkSqlParameters"}},
		{"jobTemplateId pattern", func(r *req) { fromTemplate(r, "Tmpl", nil) }, []string{"jobTemplateId"}},
		{"too many template parameters", func(r *req) { fromTemplate(r, "t", tagsN(101)) },
			[]string{"jobTemplateParameters"}},
		{"template parameter name pattern", func(r *req) { fromTemplate(r, "t", map[string]string{"a b": "v"}) },
			[]string{"jobTemplateParameters.key"}},
		{"template parameter value empty", func(r *req) { fromTemplate(r, "t", map[string]string{"p": ""}) },
			[]string{"jobTemplateParameters.p"}},
		{"template with a role, label and driver too", func(r *req) { r.JobTemplateID = "t" },
			[]string{"executionRoleArn", "releaseLabel", "jobDriver"}},
		{"template with a driver too", func(r *req) {
			jd := r.JobDriver
			fromTemplate(r, "t", nil)
			r.JobDriver = jd
		}, []string{"jobDriver"}},
		{"template parameters without a template", func(r *req) { r.JobTemplateParameters = map[string]string{"a": "b"} },
			[]string{"jobTemplateParameters"}},
		{"too many configurations", func(r *req) {
			overrides(r).ApplicationConfiguration = make([]emr.Configuration, 101)
			for i := range overrides(r).ApplicationConfiguration {
				overrides(r).ApplicationConfiguration[i].Classification = "c"
			}
		}, []string{ac}},
		{"classification missing", func(r *req) { overrides(r).ApplicationConfiguration = []emr.Configuration{{}} },
			[]string{ac + ".1.classification"}},
		{"classification blank", func(r *req) {
			overrides(r).ApplicationConfiguration = []emr.Configuration{{Classification: "a"}, {Classification: " "}}
		}, []string{ac + ".2.classification"}},
		{"too many properties", func(r *req) {
			overrides(r).ApplicationConfiguration = []emr.Configuration{{Classification: "c", Properties: tagsN(101)}}
		}, []string{ac + ".1.properties"}},
		{"property value empty", func(r *req) {
			overrides(r).ApplicationConfiguration = []emr.Configuration{{Classification: "c", Properties: map[string]string{"k": ""}}}
		}, []string{ac + ".1.properties.k"}},
		{"property key too long", func(r *req) {
			overrides(r).ApplicationConfiguration = []emr.Configuration{{Classification: "c", Properties: map[string]string{strings.Repeat("k", 1025): "v"}}}
		}, []string{ac + ".1.properties.key"}},
		{"nested classification missing", func(r *req) {
			overrides(r).ApplicationConfiguration = []emr.Configuration{{Classification: "spark-env", Configurations: []emr.Configuration{{}}}}
		}, []string{ac + ".1.configurations.1.classification"}},
		{"nested too deep", func(r *req) { overrides(r).ApplicationConfiguration = nested(10) },
			[]string{ac + strings.Repeat(".1.configurations", 9)}},
		{"persistentAppUI enum", func(r *req) { monitoring(r).PersistentAppUI = "enabled" }, []string{mc + ".persistentAppUI"}},
		{"logGroupName missing", func(r *req) {
			monitoring(r).CloudWatchMonitoringConfiguration = &emr.CloudWatchMonitoringConfiguration{}
		}, []string{mc + ".cloudWatchMonitoringConfiguration.logGroupName"}},
		{"logGroupName pattern", func(r *req) {
			monitoring(r).CloudWatchMonitoringConfiguration = &emr.CloudWatchMonitoringConfiguration{LogGroupName: "my logs"}
		}, []string{mc + ".cloudWatchMonitoringConfiguration.logGroupName"}},
		{"logStreamNamePrefix blank", func(r *req) {
			monitoring(r).CloudWatchMonitoringConfiguration = &emr.CloudWatchMonitoringConfiguration{LogGroupName: "g", LogStreamNamePrefix: " "}
		}, []string{mc + ".cloudWatchMonitoringConfiguration.logStreamNamePrefix"}},
		{"logUri missing", func(r *req) { monitoring(r).S3MonitoringConfiguration = &emr.S3MonitoringConfiguration{} },
			[]string{mc + ".s3MonitoringConfiguration.logUri"}},
		{"logUri control character", func(r *req) {
			monitoring(r).S3MonitoringConfiguration = &emr.S3MonitoringConfiguration{LogURI: "s3://b/\x00"}
		}, []string{mc + ".s3MonitoringConfiguration.logUri"}},
		{"s3 key arn", func(r *req) {
			monitoring(r).S3MonitoringConfiguration = &emr.S3MonitoringConfiguration{LogURI: "s3://b/", EncryptionKeyARN: "alias/mine"}
		}, []string{mc + ".s3MonitoringConfiguration.encryptionKeyArn"}},
		{"rotationSize pattern", func(r *req) {
			monitoring(r).ContainerLogRotationConfiguration = &emr.ContainerLogRotationConfiguration{RotationSize: "2TB", MaxFilesToKeep: 1}
		}, []string{mc + ".containerLogRotationConfiguration.rotationSize"}},
		{"rotationSize missing", func(r *req) {
			monitoring(r).ContainerLogRotationConfiguration = &emr.ContainerLogRotationConfiguration{MaxFilesToKeep: 1}
		}, []string{mc + ".containerLogRotationConfiguration.rotationSize"}},
		{"maxFilesToKeep 0", func(r *req) {
			monitoring(r).ContainerLogRotationConfiguration = &emr.ContainerLogRotationConfiguration{RotationSize: "10MB"}
		}, []string{mc + ".containerLogRotationConfiguration.maxFilesToKeep"}},
		{"maxFilesToKeep 51", func(r *req) {
			monitoring(r).ContainerLogRotationConfiguration = &emr.ContainerLogRotationConfiguration{RotationSize: "10MB", MaxFilesToKeep: 51}
		}, []string{mc + ".containerLogRotationConfiguration.maxFilesToKeep"}},
		{"allowAWSToRetainLogs enum", func(r *req) { monitoring(r).ManagedLogs = &emr.ManagedLogs{AllowAWSToRetainLogs: "YES"} },
			[]string{mc + ".managedLogs.allowAWSToRetainLogs"}},
		{"managed logs key arn", func(r *req) { monitoring(r).ManagedLogs = &emr.ManagedLogs{EncryptionKeyARN: "key"} },
			[]string{mc + ".managedLogs.encryptionKeyArn"}},
		{"maxAttempts 0", func(r *req) { r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{} },
			[]string{"retryPolicyConfiguration.maxAttempts"}},
		{"maxAttempts negative", func(r *req) { r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: -3} },
			[]string{"retryPolicyConfiguration.maxAttempts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := validStartJobRun()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
}

// fromTemplate makes r a run of template id with params: no role, label or driver.
func fromTemplate(r *emr.StartJobRunRequest, id string, params map[string]string) {
	r.ExecutionRoleARN, r.ReleaseLabel, r.JobDriver = "", "", nil
	r.JobTemplateID, r.JobTemplateParameters = id, params
}

// startJobRunSeeds are request bodies as clients send them.
var startJobRunSeeds = []string{
	`{"name":"pi","clientToken":"5c1c6b2e","executionRoleArn":"arn:aws:iam::123456789012:role/EMRJobRole",
	  "releaseLabel":"emr-6.8.0-latest",
	  "jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///usr/lib/spark/examples/src/main/python/pi.py",
	    "sparkSubmitParameters":"--conf spark.executor.instances=2"}},
	  "configurationOverrides":{"applicationConfiguration":[{"classification":"spark-defaults",
	    "properties":{"spark.driver.memory":"2G"}}],
	    "monitoringConfiguration":{"s3MonitoringConfiguration":{"logUri":"s3://bucket/logs/"}}}}`,
	`{"clientToken":"t","executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest",
	  "jobDriver":{"sparkSqlJobDriver":{"entryPoint":"s3://b/q.sql","sparkSqlParameters":"--hivevar a=b"}},
	  "retryPolicyConfiguration":{"maxAttempts":2},"tags":{}}`,
	`{"clientToken":"t","jobTemplateId":"abc","jobTemplateParameters":{"A":"1"}}`,
	`{"clientToken":"t","configurationOverrides":{"applicationConfiguration":[{"classification":"a","configurations":[{"configurations":[{}]}]}],
	  "monitoringConfiguration":{"containerLogRotationConfiguration":{},"managedLogs":{},"cloudWatchMonitoringConfiguration":{}}}}`,
	`{"jobDriver":{"sparkSubmitJobDriver":null,"sparkSqlJobDriver":{}}}`,
	`{}`, `null`, `[]`, ``,
}

func TestStartJobRunSeeds(t *testing.T) {
	t.Parallel()
	for i, seed := range startJobRunSeeds[:3] {
		var r emr.StartJobRunRequest
		if err := json.Unmarshal([]byte(seed), &r); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		MustBeValidation(t, r.Validate())
	}
}

func FuzzStartJobRunRequest(f *testing.F) {
	for _, s := range startJobRunSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r emr.StartJobRunRequest
		if json.Unmarshal(body, &r) != nil {
			return
		}
		err := r.Validate() // must not panic
		if err == nil {
			return
		}
		var e *emr.Error
		if !errors.As(err, &e) || e.Code != emr.CodeValidation || !strings.Contains(e.Message, "validation error") {
			t.Fatalf("Validate() = %#v, want a ValidationException", err)
		}
		if again := r.Validate(); again == nil || again.Error() != err.Error() {
			t.Fatalf("Validate() is not deterministic:\n%v\n%v", err, again)
		}
	})
}
