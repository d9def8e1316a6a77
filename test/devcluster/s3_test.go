package devcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/devcluster"
	"github.com/sparkplane/sparkplane/internal/s3server"
)

// dev-cluster up started an S3 server with its bucket ready: status shows
// how to reach it, an object put with its credentials reads back, and a
// pod (a host process) reaches it on 127.0.0.1 too.
func TestS3ServerOfTheCluster(t *testing.T) {
	out, err := sparkplane(time.Minute, "dev-cluster", "status", "--data-dir", dataDir, "--output", "json")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	var st devcluster.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --output json: %v\n%s", err, out)
	}
	s3st := st.S3
	if s3st == nil || s3st.Endpoint != fmt.Sprintf("http://127.0.0.1:%d", config.DefaultDevS3Port) || s3st.Bucket != config.DevS3Bucket ||
		s3st.CredentialsFile != layout.S3CredentialsFile() || s3st.AccessKeyID == "" {
		t.Fatalf("status s3: %+v", s3st)
	}
	creds, err := s3server.ReadCredentialsFile(s3st.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, creds.SecretAccessKey) {
		t.Error("status --output json shows the secret key")
	}
	if fi, err := os.Stat(s3st.CredentialsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file %s: %v, %v; want 0600", s3st.CredentialsFile, fi.Mode(), err)
	}
	table, err := sparkplane(time.Minute, "dev-cluster", "status", "--data-dir", dataDir)
	if err != nil || !strings.Contains(table, s3st.Endpoint) || !strings.Contains(table, s3st.Bucket) ||
		!strings.Contains(table, s3st.CredentialsFile) || strings.Contains(table, creds.SecretAccessKey) {
		t.Fatalf("status table (want the endpoint, bucket and credentials file, not the secret): %v\n%s", err, table)
	}

	client := s3.New(s3.Options{Region: s3st.Region, BaseEndpoint: aws.String(s3st.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	ctx := t.Context()
	const key, body = "test/hello.txt", "hello from the embedded cluster\n"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s3st.Bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3st.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != body {
		t.Fatalf("get = %q, want %q", data, body)
	}

	// A pod reads it through a presigned URL on 127.0.0.1.
	url, err := s3.NewPresignClient(client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3st.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	const ns = "s3-reach"
	createNamespace(t, ns)
	script := fmt.Sprintf("import sys, urllib.request\nbody = urllib.request.urlopen(%q).read().decode()\nsys.exit(0 if body == %q else 1)\n", url.URL, body)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: ns},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
			Name: "c", Image: "python:3", Command: []string{"python3", "-c", script}}}}}
	if _, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		p, err := kube.CoreV1().Pods(ns).Get(context.Background(), "reader", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status.Phase == corev1.PodSucceeded {
			break
		}
		if p.Status.Phase == corev1.PodFailed || time.Now().After(deadline) {
			t.Fatalf("the pod reading the object through %s: %s %s", s3st.Endpoint, p.Status.Phase, p.Status.Message)
		}
	}
}
