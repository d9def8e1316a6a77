package ack

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
)

// API is the part of the emr-containers API the reconciler calls;
// *emrcontainers.Client is one.
type API interface {
	CreateVirtualCluster(context.Context, *emrcontainers.CreateVirtualClusterInput, ...func(*emrcontainers.Options)) (*emrcontainers.CreateVirtualClusterOutput, error)
	DeleteVirtualCluster(context.Context, *emrcontainers.DeleteVirtualClusterInput, ...func(*emrcontainers.Options)) (*emrcontainers.DeleteVirtualClusterOutput, error)
	StartJobRun(context.Context, *emrcontainers.StartJobRunInput, ...func(*emrcontainers.Options)) (*emrcontainers.StartJobRunOutput, error)
	DescribeJobRun(context.Context, *emrcontainers.DescribeJobRunInput, ...func(*emrcontainers.Options)) (*emrcontainers.DescribeJobRunOutput, error)
	CancelJobRun(context.Context, *emrcontainers.CancelJobRunInput, ...func(*emrcontainers.Options)) (*emrcontainers.CancelJobRunOutput, error)
}

// InProcessClient is an emr-containers client whose requests h serves in
// this process, signed with creds for region: the calls pass the API's
// authentication, authorization and validation as any client's do,
// without a network hop. The requests are addressed to 127.0.0.1, which a
// loopback-only server (authentication off) serves.
func InProcessClient(h http.Handler, region string, creds aws.CredentialsProvider) *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{
		Region:       region,
		BaseEndpoint: aws.String("http://127.0.0.1"),
		Credentials:  creds,
		HTTPClient:   &http.Client{Transport: handlerTransport{h}},
	})
}

// handlerTransport answers requests with a handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Body == nil {
		r.Body = http.NoBody
	}
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.RemoteAddr = "127.0.0.1:0"
	r.RequestURI = req.URL.RequestURI()
	w := &responseBuffer{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:        http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// responseBuffer is an http.ResponseWriter that keeps the response.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseBuffer) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}
