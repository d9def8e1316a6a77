package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/smithy-go"
)

func sdkClient(ts *testServer, id, secret, token string, attempts int) *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(ts.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, token),
		RetryMaxAttempts: attempts,
		HTTPClient:       ts.Client(),
	})
}

// TestInteropGoSDK: the AWS SDK for Go v2 emr-containers client, header form.
func TestInteropGoSDK(t *testing.T) {
	ts := newTestServer(t, 0)
	ctx := context.Background()
	alice := sdkClient(ts, aliceID, aliceSecret, "", 1)
	if _, err := alice.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{MaxResults: aws.Int32(5)}); err != nil {
		t.Fatalf("ListVirtualClusters: %v", err)
	}
	tags, err := alice.ListTagsForResource(ctx, &emrcontainers.ListTagsForResourceInput{ResourceArn: aws.String(testClusterARN)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if tags.Tags["team"] != "a" {
		t.Errorf("tags = %v", tags.Tags)
	}
	session := sdkClient(ts, sessID, sessSecret, sessToken, 1)
	_, err = session.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String("vc01"), Name: aws.String("pi"), ClientToken: aws.String("t-1"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{EntryPoint: aws.String("local:///pi.py")}},
	})
	if err != nil {
		t.Fatalf("StartJobRun as a session: %v", err)
	}
	want := []string{
		"arn:aws:iam::123456789012:user/alice GET /virtualclusters",
		"arn:aws:iam::123456789012:user/alice GET /tags/arn%3Aaws%3Aemr-containers%3Aus-east-1%3A123456789012%3A%2Fvirtualclusters%2Fvc01",
		"arn:aws:sts::123456789012:assumed-role/ci/build-42 POST /virtualclusters/vc01/jobruns",
	}
	if got := ts.calls(); !slices.Equal(got, want) {
		t.Errorf("calls:\n%q\nwant\n%q", got, want)
	}

	for _, tc := range []struct {
		name   string
		client *emrcontainers.Client
		want   string
	}{
		{"wrong secret", sdkClient(ts, aliceID, "wrong", "", 1), "InvalidSignatureException"},
		{"unknown key", sdkClient(ts, "AKIANOBODYEXAMPLE001", "x", "", 1), "UnrecognizedClientException"},
		{"bad token", sdkClient(ts, sessID, sessSecret, "forged", 1), "UnrecognizedClientException"},
		{"expired session", sdkClient(ts, oldID, oldSecret, oldToken, 1), "ExpiredTokenException"},
	} {
		_, err := tc.client.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.want {
			t.Errorf("%s: error %v, want %s", tc.name, err, tc.want)
		}
	}
}

// TestInteropGoSDKClockSkew: the SDK corrects its clock from the server's
// Date header on a "Signature expired" InvalidSignatureException, and its
// retry is accepted.
func TestInteropGoSDKClockSkew(t *testing.T) {
	ts := newTestServer(t, 10*time.Minute)
	_, err := sdkClient(ts, aliceID, aliceSecret, "", 3).ListVirtualClusters(context.Background(), &emrcontainers.ListVirtualClustersInput{})
	if err != nil {
		t.Fatalf("a client 10 minutes behind did not recover: %v", err)
	}
}

// TestInteropPresignedURL: a URL presigned with v4.Signer.PresignHTTP,
// fetched with a plain HTTP client.
func TestInteropPresignedURL(t *testing.T) {
	ts := newTestServer(t, 0)
	for _, tc := range []struct {
		name  string
		creds aws.Credentials
		hash  string
	}{
		{"user, unsigned payload", aws.Credentials{AccessKeyID: aliceID, SecretAccessKey: aliceSecret}, unsignedHash},
		{"user, empty payload hash", aws.Credentials{AccessKeyID: aliceID, SecretAccessKey: aliceSecret}, sha256Hex(nil)},
		{"session", aws.Credentials{AccessKeyID: sessID, SecretAccessKey: sessSecret, SessionToken: sessToken}, unsignedHash},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/virtualclusters?maxResults=3&X-Amz-Expires=60", nil)
		uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), tc.creds, req, tc.hash, DefaultService, testRegion, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.Client().Get(uri)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: GET presigned URL: %s (%s)", tc.name, resp.Status, resp.Header.Get("X-Amzn-Errortype"))
		}
	}
}
