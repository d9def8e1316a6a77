package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"

	"github.com/sparkplane/sparkplane/internal/config"
)

// defaultEndpoint is where a server started with default flags listens.
const defaultEndpoint = "http://127.0.0.1:8080"

// newClient returns an emr-containers client for endpoint. The server does
// not check signatures, so any credentials do; the environment's are used
// when set.
func newClient(env *Env, endpoint, region string) *emrcontainers.Client {
	akid, secret := env.Getenv(config.EnvAWSAccessKey), env.Getenv(config.EnvAWSSecretKey)
	if akid == "" || secret == "" {
		akid, secret = "sparkplane", "sparkplane"
	}
	return emrcontainers.New(emrcontainers.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
	})
}

// fetchLog returns one log stream of a job run from sparkplane's own endpoint.
func fetchLog(ctx context.Context, endpoint, vcID, runID, stream string) (string, error) {
	url := fmt.Sprintf("%s/sparkplane/v1/virtualclusters/%s/jobruns/%s/logs/%s", strings.TrimSuffix(endpoint, "/"), vcID, runID, stream)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
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
