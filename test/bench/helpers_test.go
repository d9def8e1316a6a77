package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
)

func decode(tb testing.TB, resp *http.Response, v any) {
	tb.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("status %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatal(err)
	}
}

// localServer opens and runs a server on the local runtime until ctx ends,
// its configuration changed by configure (nil: none), and returns a client
// of it, a virtual cluster created there and the server's data dir.
func localServer(ctx context.Context, b *testing.B, configure func(*config.Config)) (c *emrcontainers.Client, vcID, dataDir string) {
	b.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", b.TempDir()
	if configure != nil {
		configure(&cfg)
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	go a.Run(ctx) //nolint:errcheck // ends with ctx
	c = emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(a.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	vc, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("bench"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("bench")}}}})
	if err != nil {
		b.Fatal(err)
	}
	return c, aws.ToString(vc.Id), cfg.DataDir
}
