package app

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/audit"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
)

// auditPath is where the audit trail of cfg is kept.
func auditPath(cfg config.Config) string {
	if cfg.Security.AuditLog != "" {
		return cfg.Security.AuditLog
	}
	return filepath.Join(cfg.DataDir, "audit.log")
}

// roleChecker refuses execution roles cfg does not map, unless it allows
// unmapped roles.
func roleChecker(cfg config.Config) func(string) error {
	if cfg.UnmappedRolesAllowed() {
		return nil
	}
	return func(arn string) error {
		if _, ok := cfg.ExecutionRole(arn); ok {
			return nil
		}
		return emr.Validationf("Execution role %s is not mapped on this sparkplane server: its runs would get no credentials. "+
			"Add it to security.executionRoles in the server's configuration, or name a role listed there.", arn)
	}
}

// warnInsecure says loudly that anyone who reaches the port may run code.
func warnInsecure(cfg config.Config, log *slog.Logger) {
	if !cfg.AuthRequired() && !config.Loopback(cfg.Addr) {
		log.Warn("AUTHENTICATION IS OFF (--insecure-no-auth): anyone who can reach " + cfg.Addr +
			" can run any code as the jobs' user, read every job's logs and delete every virtual cluster")
	}
}

// checkListener refuses a server without credentials (and without
// --insecure-no-auth) whose listener is not on loopback: Config.Validate
// trusts the name "localhost", which the resolver (a hosts file, DNS and
// its search domains) may answer with another address.
func checkListener(cfg config.Config, authn *authenticator, addr net.Addr) error {
	if authn != nil || cfg.Security.InsecureNoAuth {
		return nil
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("addr %s listens on %s, which is not loopback, but no credentials are configured: "+
		"set security.access to an access file (see the README's security section), "+
		"or pass --insecure-no-auth to serve anyone who can reach the port", cfg.Addr, addr)
}

// checkTLS loads cfg's certificate and key once, so a bad pair stops the
// server at start rather than at its first connection.
func checkTLS(cfg config.Config) error {
	if cfg.Security.TLSCert == "" {
		return nil
	}
	if _, err := tls.LoadX509KeyPair(cfg.Security.TLSCert, cfg.Security.TLSKey); err != nil {
		return fmt.Errorf("security.tlsCert/tlsKey (--tls-cert/--tls-key): %w", err)
	}
	return nil
}

// serve serves hs on ln, over TLS when cfg has a certificate.
func serve(cfg config.Config, hs *http.Server, ln net.Listener) error {
	if cfg.Security.TLSCert != "" {
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		return hs.ServeTLS(ln, cfg.Security.TLSCert, cfg.Security.TLSKey)
	}
	return hs.Serve(ln)
}

// scheme is http or https, as cfg serves the API.
func scheme(cfg config.Config) string {
	if cfg.Security.TLSCert != "" {
		return "https"
	}
	return "http"
}

// securityOptions fills the API options that authenticate, authorize and
// audit callers.
func securityOptions(cfg config.Config, opts *api.Options, trail *audit.Trail, authn *authenticator) {
	opts.CheckExecutionRole = roleChecker(cfg)
	opts.Audit = trail
	if authn != nil { // a nil *authenticator must not become a non-nil interface
		opts.Auth = authn
	}
	// Without credentials and without --insecure-no-auth the server listens
	// on loopback (Config.Validate): it serves loopback callers only, not web
	// pages nor whoever a reverse proxy forwards.
	opts.LoopbackOnly = authn == nil && !cfg.Security.InsecureNoAuth
}
