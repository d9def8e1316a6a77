package devcluster

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/s3server"
)

// A run whose s3:// entry point does not exist ends FAILED, USER_ERROR,
// with S3A's error from the failed pod's log in stateDetails. Its driver
// pod template is in S3 too: the server reads it with the role's
// credentials, and the driver pod carries its label.
func TestMissingEntryPointInS3(t *testing.T) {
	creds, err := s3server.ReadCredentialsFile(layout.S3CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	c := s3.New(s3.Options{Region: config.DevS3Region, BaseEndpoint: aws.String(fmt.Sprintf("http://127.0.0.1:%d", config.DefaultDevS3Port)),
		UsePathStyle: true, Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	const bucket = config.DevS3Bucket
	template := "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    template-from: s3\n"
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing/driver.yaml"),
		Body: bytes.NewReader([]byte(template))}); err != nil {
		t.Fatalf("put the driver template: %v", err)
	}

	const ns = "s3-missing"
	vc := devVC(t, ns)
	entry := "s3://" + bucket + "/missing/nothing-here.py"
	id := startRun(t, vc, "s3-missing", entry, "--conf spark.executor.instances=1 "+
		"--conf spark.kubernetes.driver.podTemplateFile=s3://"+bucket+"/missing/driver.yaml")
	pods := watchRun(t, ns, id)
	run := waitState(t, vc, id, 5*time.Minute, terminal)
	details := aws.ToString(run.StateDetails)
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonUserError ||
		!strings.Contains(details, "No such file or directory") || !strings.Contains(details, "missing/nothing-here.py") {
		t.Fatalf("state %s reason %s details %q; want FAILED USER_ERROR with S3A's No such file error\njob runner:\n%s\ndriver:\n%s",
			run.State, run.FailureReason, details, runLog(t, vc, id, "job-runner"), runLog(t, vc, id, "driver"))
	}
	t.Logf("stateDetails: %s", details)
	drivers := pods.byRole("driver")
	if len(drivers) == 0 || drivers[0].Labels["template-from"] != "s3" {
		t.Errorf("driver pods %d; want one labelled by the template in S3", len(drivers))
	}
}
