package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
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

// bulkFill stores rows in bulk in a store's own schema: SQLite's by the
// database's path, PostgreSQL's by its URL.
type bulkFill func(ctx context.Context, pathOrURL string, vc *emr.VirtualCluster) error

// onBothStores runs bench on a new SQLite and a new PostgreSQL store, each
// with a virtual cluster "bench" that the store's fill has filled.
func onBothStores(b *testing.B, fillSQLite, fillPostgres bulkFill, bench func(b *testing.B, st store.Store, vc *emr.VirtualCluster)) {
	b.Run("store=sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "bench.db")
		st, err := sqlite.Open(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		bench(b, st, filledVC(b, st, func(vc *emr.VirtualCluster) error { return fillSQLite(b.Context(), path, vc) }))
	})
	b.Run("store=postgres", func(b *testing.B) {
		dbURL := pgenv.Start(b).NewDatabase(b)
		st, err := postgres.Open(b.Context(), dbURL)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		bench(b, st, filledVC(b, st, func(vc *emr.VirtualCluster) error { return fillPostgres(b.Context(), dbURL, vc) }))
	})
}

// filledVC creates the virtual cluster "bench" in st and fills it.
func filledVC(b *testing.B, st store.Store, fill func(*emr.VirtualCluster) error) *emr.VirtualCluster {
	vc := &emr.VirtualCluster{ID: emr.NewResourceID(), Name: "bench", State: emr.VirtualClusterRunning, CreatedAt: benchEpoch,
		ContainerProvider: emr.ContainerProvider{Type: emr.ContainerProviderEKS, ID: "local", Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "bench"}}}}
	vc.ARN = benchPartition.VirtualClusterARN(vc.ID)
	if _, err := st.CreateVirtualCluster(b.Context(), vc, store.Idempotency{}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := fill(vc); err != nil {
		b.Fatalf("fill: %v", err)
	}
	b.Logf("filled in %s; load average %s", time.Since(start).Round(time.Second), loadAverage())
	return vc
}
