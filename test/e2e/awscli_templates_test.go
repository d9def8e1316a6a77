package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestAWSCLIJobTemplate creates a template and starts a run from it with
// the AWS CLI v2, as the EMR on EKS guide does.
func TestAWSCLIJobTemplate(t *testing.T) {
	aws := awsCLI(t)
	s := startServer(t, "")
	vc := createVC(t, s.Client, "cli", "cli")

	var created struct{ ID, Name, Arn, CreatedAt string }
	if msg, code := awsRun(t, aws, s.URL, &created, "create-job-template", "--name", "pi-template",
		"--tags", "owner=platform",
		"--job-template-data", `{
		  "executionRoleArn": "arn:aws:iam::123456789012:role/emr-job",
		  "releaseLabel": "emr-7.2.0-latest",
		  "jobDriver": {"sparkSubmitJobDriver": {"entryPoint": "${EntryPointLocation}",
		    "sparkSubmitParameters": "--conf spark.executor.instances=${Executors} --conf spark.driver.cores=1"}},
		  "configurationOverrides": {"applicationConfiguration": [{"classification": "spark-defaults",
		    "properties": {"spark.driver.memory": "1G"}}]},
		  "parameterConfiguration": {"EntryPointLocation": {"type": "STRING"},
		    "Executors": {"type": "NUMBER", "defaultValue": "2"}},
		  "jobTags": {"template": "pi"}}`); code != 0 {
		t.Fatalf("create-job-template: %s", msg)
	}
	if len(created.ID) != 25 || !strings.HasSuffix(created.Arn, ":/jobtemplates/"+created.ID) {
		t.Errorf("create-job-template answered %+v", created)
	}
	if _, err := time.Parse(time.RFC3339, created.CreatedAt); err != nil {
		t.Errorf("createdAt %q: %v", created.CreatedAt, err)
	}

	var described struct {
		JobTemplate struct {
			ID              string
			Tags            map[string]string
			JobTemplateData struct {
				ParameterConfiguration map[string]struct{ Type, DefaultValue string }
			}
		}
	}
	if msg, code := awsRun(t, aws, s.URL, &described, "describe-job-template", "--id", created.ID); code != 0 {
		t.Fatalf("describe-job-template: %s", msg)
	}
	if p := described.JobTemplate.JobTemplateData.ParameterConfiguration["Executors"]; p.Type != "NUMBER" || p.DefaultValue != "2" ||
		described.JobTemplate.Tags["owner"] != "platform" {
		t.Errorf("describe-job-template: %+v", described)
	}
	var listed struct{ Templates []struct{ ID string } }
	if msg, code := awsRun(t, aws, s.URL, &listed, "list-job-templates", "--page-size", "1"); code != 0 || len(listed.Templates) != 1 || listed.Templates[0].ID != created.ID {
		t.Fatalf("list-job-templates: %s %+v", msg, listed)
	}

	var started struct{ ID, Name string }
	if msg, code := awsRun(t, aws, s.URL, &started, "start-job-run", "--virtual-cluster-id", vc, "--name", "from-template",
		"--job-template-id", created.ID,
		"--job-template-parameters", `{"EntryPointLocation":"`+missingEntryPoint+`","Executors":"3"}`); code != 0 {
		t.Fatalf("start-job-run: %s", msg)
	}
	var run struct {
		JobRun struct {
			State, FailureReason string
			Tags                 map[string]string
			JobDriver            struct {
				SparkSubmitJobDriver struct{ EntryPoint, SparkSubmitParameters string }
			}
		}
	}
	deadline := time.Now().Add(time.Minute)
	for run.JobRun.State != "FAILED" && time.Now().Before(deadline) {
		if msg, code := awsRun(t, aws, s.URL, &run, "describe-job-run", "--virtual-cluster-id", vc, "--id", started.ID); code != 0 {
			t.Fatalf("describe-job-run: %s", msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
	d := run.JobRun.JobDriver.SparkSubmitJobDriver
	if run.JobRun.State != "FAILED" || run.JobRun.FailureReason != "VALIDATION_ERROR" || d.EntryPoint != missingEntryPoint ||
		!strings.Contains(d.SparkSubmitParameters, "spark.executor.instances=3") || run.JobRun.Tags["template"] != "pi" {
		t.Errorf("run from the template: %+v", run.JobRun)
	}

	// A missing parameter is a ValidationException naming it.
	msg, code := awsRun(t, aws, s.URL, nil, "start-job-run", "--virtual-cluster-id", vc, "--job-template-id", created.ID)
	if code == 0 || !strings.Contains(msg, "(ValidationException) when calling the StartJobRun operation") || !strings.Contains(msg, "EntryPointLocation") {
		t.Errorf("start without parameters: exit %d, %s", code, msg)
	}
	var deleted struct{ ID string }
	if msg, code := awsRun(t, aws, s.URL, &deleted, "delete-job-template", "--id", created.ID); code != 0 || deleted.ID != created.ID {
		t.Errorf("delete-job-template: %s", msg)
	}
	msg, code = awsRun(t, aws, s.URL, nil, "describe-job-template", "--id", created.ID)
	if code == 0 || !strings.Contains(msg, "(ResourceNotFoundException)") {
		t.Errorf("describe after delete: exit %d, %s", code, msg)
	}
}
