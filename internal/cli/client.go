package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"

	"github.com/sparkplane/sparkplane/internal/config"
)

// defaultEndpoint is where a server started with default flags listens.
const defaultEndpoint = "http://127.0.0.1:8080"

// newClient returns an emr-containers client for endpoint, signing with
// the environment's credentials (credentialsOf).
func newClient(env *Env, endpoint, region string) *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentialsOf(env),
	})
}

// credentialsOf returns the caller's credentials: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or, without them,
// placeholders that only a server without an access file (loopback, no
// authentication) accepts.
func credentialsOf(env *Env) aws.CredentialsProvider {
	akid, secret := env.Getenv(config.EnvAWSAccessKey), env.Getenv(config.EnvAWSSecretKey)
	if akid == "" || secret == "" {
		return credentials.NewStaticCredentialsProvider("sparkplane", "sparkplane", "")
	}
	return credentials.NewStaticCredentialsProvider(akid, secret, env.Getenv(config.EnvAWSSession))
}

// regionOf is the region requests are signed for: AWS_REGION, else us-east-1.
func regionOf(env *Env) string {
	if r := env.Getenv(config.EnvAWSRegion); r != "" {
		return r
	}
	return "us-east-1"
}

// apiGet sends a GET of sparkplane's own endpoints (logs, cost, raw
// listings), signed like the SDK signs the API's operations.
func apiGet(ctx context.Context, env *Env, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	creds, err := credentialsOf(env).Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, "emr-containers", regionOf(env), time.Now()); err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// fetchLog returns one log stream of a job run from sparkplane's own endpoint.
func fetchLog(ctx context.Context, env *Env, endpoint, vcID, runID, stream string) (string, error) {
	return fetchText(ctx, env, endpoint, fmt.Sprintf("/sparkplane/v1/virtualclusters/%s/jobruns/%s/logs/%s", vcID, runID, stream))
}

// fetchText GETs path of sparkplane's own API and returns the body of a
// 200 answer; any other answer is an error with the server's message.
func fetchText(ctx context.Context, env *Env, endpoint, path string) (string, error) {
	resp, err := apiGet(ctx, env, strings.TrimSuffix(endpoint, "/")+path)
	if err != nil {
		return "", fmt.Errorf("reach sparkplane at %s (is `sparkplane server` running?): %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if t := resp.Header.Get("X-Amzn-ErrorType"); t != "" {
			msg = t + ": " + jsonMessage(body)
		}
		return "", fmt.Errorf("%s", msg)
	}
	return string(body), nil
}

// reachable reports whether a sparkplane server answers at endpoint.
func reachable(ctx context.Context, endpoint string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
