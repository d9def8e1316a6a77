package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// errorCase is a call that must fail with code, decoded by the SDK into
// the modeled type, with a message that mentions a word.
type errorCase struct {
	name     string
	call     func() error
	code     string
	mentions string
}

func runErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if code := apiCode(err); code != tc.code {
				t.Fatalf("got %s (%v), want %s", code, err, tc.code)
			}
			typed := false
			switch tc.code {
			case "ValidationException":
				typed = isType[*types.ValidationException](err)
			case "ResourceNotFoundException":
				typed = isType[*types.ResourceNotFoundException](err)
			}
			if !typed {
				t.Errorf("the SDK did not decode %v into the modeled error type", err)
			}
			if !strings.Contains(err.Error(), tc.mentions) {
				t.Errorf("message %q does not mention %q", err.Error(), tc.mentions)
			}
		})
	}
}

func TestJobTemplateErrors(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "errs", "errs")
	tmpl := createTemplate(t, c, piTemplate("pi"))

	// A template whose spark-submit parameters and role are parameters.
	open := piTemplate("open")
	open.JobTemplateData.ExecutionRoleArn = aws.String("${Role}")
	open.JobTemplateData.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = aws.String("--conf ${Conf}")
	open.JobTemplateData.ParameterConfiguration["Role"] = types.TemplateParameterConfiguration{DefaultValue: aws.String("arn:aws:iam::123456789012:role/r")}
	open.JobTemplateData.ParameterConfiguration["Conf"] = types.TemplateParameterConfiguration{DefaultValue: aws.String("spark.x=1")}
	delete(open.JobTemplateData.ParameterConfiguration, "Executors")
	openID := createTemplate(t, c, open)

	create := func(mod func(*types.JobTemplateData)) func() error {
		return func() error {
			in := piTemplate("bad")
			mod(in.JobTemplateData)
			_, err := c.CreateJobTemplate(ctx, in)
			return err
		}
	}
	start := func(id string, params map[string]string, mod func(*emrcontainers.StartJobRunInput)) func() error {
		return func() error {
			in := &emrcontainers.StartJobRunInput{VirtualClusterId: aws.String(vc), JobTemplateId: aws.String(id), JobTemplateParameters: params}
			if mod != nil {
				mod(in)
			}
			_, err := c.StartJobRun(ctx, in)
			return err
		}
	}
	ep := map[string]string{"EntryPoint": missingEntryPoint}
	with := func(k, v string) map[string]string { return map[string]string{"EntryPoint": missingEntryPoint, k: v} }
	tooManyTags := map[string]string{}
	for i := range 49 {
		tooManyTags[fmt.Sprint("k", i)] = "v"
	}
	unknown := "zzzzzzzzzzzzzzzzzzzzzzzzz"

	runErrorCases(t, []errorCase{
		{"undeclared placeholder", create(func(d *types.JobTemplateData) {
			d.JobDriver.SparkSubmitJobDriver.EntryPoint = aws.String("${EntryPiont}")
		}), "ValidationException", "jobTemplateData.jobDriver.sparkSubmitJobDriver.entryPoint"},
		{"declared but unused", create(func(d *types.JobTemplateData) {
			d.ParameterConfiguration["Spare"] = types.TemplateParameterConfiguration{}
		}), "ValidationException", "jobTemplateData.parameterConfiguration.Spare"},
		{"NUMBER default", create(func(d *types.JobTemplateData) {
			d.ParameterConfiguration["Executors"] = types.TemplateParameterConfiguration{Type: types.TemplateParameterDataTypeNumber, DefaultValue: aws.String("two")}
		}), "ValidationException", "jobTemplateData.parameterConfiguration.Executors.defaultValue"},
		{"literal release that does not exist", create(func(d *types.JobTemplateData) {
			d.ReleaseLabel = aws.String("emr-5.0.0-latest")
			delete(d.ParameterConfiguration, "Release")
		}), "ResourceNotFoundException", "emr-5.0.0-latest"},
		{"release label half a placeholder", create(func(d *types.JobTemplateData) {
			d.ReleaseLabel = aws.String("emr ${Release}")
		}), "ValidationException", "jobTemplateData.releaseLabel"},
		{"literal spark-submit parameters that do not parse", create(func(d *types.JobTemplateData) {
			d.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = aws.String(`--conf "spark.x=1`)
			delete(d.ParameterConfiguration, "Executors")
		}), "ValidationException", "jobTemplateData.jobDriver.sparkSubmitJobDriver.sparkSubmitParameters"},
		{"persistentAppUI neither enum nor parameter", create(func(d *types.JobTemplateData) {
			d.ConfigurationOverrides.MonitoringConfiguration.PersistentAppUI = aws.String("yes")
		}), "ValidationException", "persistentAppUI"},
		{"kms key", func() error {
			in := piTemplate("bad")
			in.KmsKeyArn = aws.String("alias/mine")
			_, err := c.CreateJobTemplate(ctx, in)
			return err
		}, "ValidationException", "kmsKeyArn"},
		{"describe unknown", func() error {
			_, err := c.DescribeJobTemplate(ctx, &emrcontainers.DescribeJobTemplateInput{Id: aws.String(unknown)})
			return err
		}, "ResourceNotFoundException", unknown},
		{"describe bad id", func() error {
			_, err := c.DescribeJobTemplate(ctx, &emrcontainers.DescribeJobTemplateInput{Id: aws.String("Bad")})
			return err
		}, "ValidationException", "templateId"},
		{"delete unknown", func() error {
			_, err := c.DeleteJobTemplate(ctx, &emrcontainers.DeleteJobTemplateInput{Id: aws.String(unknown)})
			return err
		}, "ValidationException", unknown},
		{"start from unknown template", start(unknown, ep, nil), "ResourceNotFoundException", unknown},
		{"missing parameter", start(tmpl, nil, nil), "ValidationException", "jobTemplateParameters.EntryPoint"},
		{"undeclared parameter", start(tmpl, with("Nope", "1"), nil), "ValidationException", "jobTemplateParameters.Nope"},
		{"NUMBER that is not a number", start(tmpl, with("Executors", "many"), nil), "ValidationException", "jobTemplateParameters.Executors"},
		{"role sent along with the template", start(tmpl, ep, func(in *emrcontainers.StartJobRunInput) {
			in.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:role/other")
		}), "ValidationException", "executionRoleArn"},
		{"parameters without a template", start("", ep, func(in *emrcontainers.StartJobRunInput) {
			in.JobTemplateId = nil
			in.ExecutionRoleArn, in.ReleaseLabel = aws.String("arn:aws:iam::123456789012:role/r"), aws.String("emr-7.2.0-latest")
			in.JobDriver = &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{EntryPoint: aws.String(missingEntryPoint)}}
		}), "ValidationException", "jobTemplateParameters"},
		{"substituted role is no role", start(openID, with("Role", "admin"), nil), "ValidationException", "executionRoleArn"},
		{"substituted release does not exist", start(tmpl, with("Release", "emr-4.0.0-latest"), nil), "ResourceNotFoundException", "emr-4.0.0-latest"},
		{"substituted parameters do not parse", start(openID, with("Conf", `"spark.x=1`), nil), "ValidationException", "sparkSubmitParameters"},
		{"template and request tags over 50", start(tmpl, ep, func(in *emrcontainers.StartJobRunInput) { in.Tags = tooManyTags }),
			"ValidationException", "tags"},
	})

	// None of the refused requests left a job run behind.
	runs, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc)})
	if err != nil || len(runs.JobRuns) != 0 {
		t.Errorf("after refused requests: %d runs, err %v", len(runs.JobRuns), err)
	}
}
