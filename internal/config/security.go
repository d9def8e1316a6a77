package config

import (
	"fmt"
	"net"
	"regexp"
)

// Security is who may call the server, as whom jobs run, and the bounds on
// what a request may carry.
type Security struct {
	// Access is a file of access keys, principals, groups and IAM policy
	// documents (see package auth); the server reloads it when it changes.
	// Empty: no credentials, which a server listening beyond loopback
	// refuses unless InsecureNoAuth.
	Access string `json:"access"`
	// InsecureNoAuth serves every caller without authentication, even
	// beyond loopback (--insecure-no-auth). For throwaway test set-ups only.
	InsecureNoAuth bool `json:"insecureNoAuth"`
	// TLSCert and TLSKey are PEM files; both set: the API is served over HTTPS.
	TLSCert string `json:"tlsCert"`
	TLSKey  string `json:"tlsKey"`
	// AuditLog is the file each mutating call and each denial is appended
	// to as a JSON line (also logged); empty: <dataDir>/audit.log.
	AuditLog string `json:"auditLog"`
	// ExecutionRoles map the execution role ARNs jobs name to what their
	// runs get. StartJobRun refuses a role not listed here unless
	// AllowUnmappedRoles.
	ExecutionRoles []ExecutionRole `json:"executionRoles"`
	// AllowUnmappedRoles lets runs name any execution role (a development
	// setting: such runs get no credentials at all). On by default for a
	// loopback-only server, off otherwise.
	AllowUnmappedRoles *bool `json:"allowUnmappedRoles"`
	// Limits bound requests and connections.
	Limits Limits `json:"limits"`
}

// ExecutionRole is what the runs of one execution role get.
type ExecutionRole struct {
	// ARN is the role, arn:<partition>:iam::<account>:role/<name>.
	ARN string `json:"arn"`
	// LocalUser is the Unix user the role's local runs run as when the
	// server runs as root (default: Local.JobUser).
	LocalUser string `json:"localUser"`
	// CredentialsFile is an AWS shared credentials file given to this
	// role's local runs only (AWS_SHARED_CREDENTIALS_FILE). The server reads
	// it when a run starts and, as root, copies it into the run's working
	// folder, 0600 and owned by the run's user; keep the original readable
	// by the server alone.
	CredentialsFile string `json:"credentialsFile"`
	// KubernetesSecret names a secret in the virtual cluster's namespace
	// whose keys become the environment of this role's pods (clusters
	// without IRSA). On EKS the run's service accounts carry
	// eks.amazonaws.com/role-arn: <ARN> whatever this says.
	KubernetesSecret string `json:"kubernetesSecret"`
}

// Limits bound what a request may carry and how many connections are served.
type Limits struct {
	// MaxBodyBytes caps a request body (default 1 MiB).
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// MaxConnections caps the connections served at once (default 1024).
	MaxConnections int `json:"maxConnections"`
}

// Defaults of Limits.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxConnections = 1024
)

// BodyLimit is the request body cap in bytes.
func (l Limits) BodyLimit() int64 {
	if l.MaxBodyBytes > 0 {
		return l.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// ConnectionLimit is the cap on connections served at once.
func (l Limits) ConnectionLimit() int {
	if l.MaxConnections > 0 {
		return l.MaxConnections
	}
	return DefaultMaxConnections
}

// Loopback says whether addr (host:port) listens on loopback only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// AuthRequired says whether callers must be authenticated: whenever the
// server has credentials, or listens beyond loopback without
// --insecure-no-auth.
func (c *Config) AuthRequired() bool {
	if c.Security.Access != "" {
		return true
	}
	return !c.Security.InsecureNoAuth && !Loopback(c.Addr)
}

// UnmappedRolesAllowed says whether runs may name execution roles that
// Security.ExecutionRoles does not list.
func (c *Config) UnmappedRolesAllowed() bool {
	if c.Security.AllowUnmappedRoles != nil {
		return *c.Security.AllowUnmappedRoles
	}
	return !c.AuthRequired()
}

// ExecutionRole returns the mapping of the role arn, if any.
func (c *Config) ExecutionRole(arn string) (ExecutionRole, bool) {
	for _, r := range c.Security.ExecutionRoles {
		if r.ARN == arn {
			return r, true
		}
	}
	return ExecutionRole{}, false
}

// LocalRunAs is the Unix user the local runs of the execution role arn run
// as when the server runs as root, and the AWS shared credentials file they
// get (empty: none): the role's mapping, else Local.JobUser without
// credentials.
func (c *Config) LocalRunAs(arn string) (user, credentialsFile string) {
	r, _ := c.ExecutionRole(arn)
	if r.LocalUser == "" {
		return c.Local.JobUserName(), r.CredentialsFile
	}
	return r.LocalUser, r.CredentialsFile
}

var patRoleARN = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):iam::(\d{12}):role/[\w+=,.@/-]{1,512}$`)

func (s *Security) validate(addr string) error {
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return fmt.Errorf("security: give both tlsCert and tlsKey, or neither")
	}
	if s.Access == "" && !s.InsecureNoAuth && !Loopback(addr) {
		return fmt.Errorf("addr %s listens beyond loopback but no credentials are configured: "+
			"set security.access to an access file (see the README's security section), "+
			"or pass --insecure-no-auth to serve anyone who can reach the port", addr)
	}
	if s.Limits.MaxBodyBytes < 0 || s.Limits.MaxConnections < 0 {
		return fmt.Errorf("security.limits: must not be negative")
	}
	seen := map[string]bool{}
	for i, r := range s.ExecutionRoles {
		if !patRoleARN.MatchString(r.ARN) {
			return fmt.Errorf("security.executionRoles[%d].arn %q: want arn:aws:iam::<account>:role/<name>", i, r.ARN)
		}
		if seen[r.ARN] {
			return fmt.Errorf("security.executionRoles[%d].arn %q: listed twice", i, r.ARN)
		}
		seen[r.ARN] = true
		if r.LocalUser == "root" {
			return fmt.Errorf("security.executionRoles[%d].localUser: jobs must not run as root", i)
		}
	}
	return nil
}
