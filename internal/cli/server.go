package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
)

// serverFlags binds the flags that configure a server to cfg.
type serverFlags struct {
	configFile string
	logLevel   string
}

func runServer(ctx context.Context, env *Env, args []string) error {
	cfg, log, err := parseServerFlags(env, "server", args)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("sparkplane serving", "endpoint", a.URL(), "dataDir", cfg.DataDir, "store", a.StoreName(), "serverId", a.ServerID,
		"clusters", strings.Join(a.Clusters(), ","), "version", Version)
	fmt.Fprintf(env.Stderr, "\nTry: aws emr-containers list-virtual-clusters --endpoint-url %s --region %s\n\n", a.URL(), cfg.Region)
	return a.Run(ctx)
}

// parseServerFlags reads server flags: defaults < --config file < flags.
func parseServerFlags(env *Env, name string, args []string) (config.Config, *slog.Logger, error) {
	cfg := config.Default()
	fs := newFlags(env, name, "[flags]")
	var sf serverFlags
	fs.StringVar(&sf.configFile, "config", "", "YAML or JSON configuration file (flags given override it)")
	addr := fs.String("addr", cfg.Addr, "host:port to serve the API on")
	dataDir := fs.String("data-dir", cfg.DataDir, "folder for the store and the runs' logs")
	storeURL := fs.String("store", "", "postgres://… URL of a PostgreSQL database to keep the state in, which several servers may share (default: the embedded SQLite store in the data dir)")
	sparkHome := fs.String("spark-home", "", "Apache Spark installation (default: $SPARK_HOME, then the one scripts/setup.sh installs)")
	pricing := fs.String("pricing", "", "pricing file for cost reports (default: the built-in us-east-1 prices)")
	access := fs.String("access", "", "access file of keys, principals and IAM policies that callers are authenticated and authorized with (see the README's security section); reloaded when it changes")
	insecure := fs.Bool("insecure-no-auth", false, "serve every caller without authentication even beyond loopback (throwaway set-ups only)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate to serve the API over HTTPS with (with --tls-key)")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&sf.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return cfg, nil, errUsage
	}
	if sf.configFile != "" {
		if err := cfg.Load(sf.configFile); err != nil {
			return cfg, nil, err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			cfg.Addr = *addr
		case "data-dir":
			cfg.DataDir = *dataDir
		case "store":
			cfg.Store = *storeURL
		case "spark-home":
			cfg.Local.SparkHome = *sparkHome
		case "pricing":
			cfg.Pricing = *pricing
		case "access":
			cfg.Security.Access = *access
		case "insecure-no-auth":
			cfg.Security.InsecureNoAuth = *insecure
		case "tls-cert":
			cfg.Security.TLSCert = *tlsCert
		case "tls-key":
			cfg.Security.TLSKey = *tlsKey
		}
	})
	var level slog.Level
	if err := level.UnmarshalText([]byte(sf.logLevel)); err != nil {
		return cfg, nil, fmt.Errorf("--log-level %q: %w", sf.logLevel, err)
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	return cfg, log, nil
}
