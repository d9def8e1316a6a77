package auth

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure how an access file is loaded.
type Options struct {
	// Partition and Account make the principals' ARNs
	// (arn:<partition>:iam::<account>:user/<name>); required.
	Partition string
	Account   string
	// CheckPolicy, if set, is called with every policy document at load; an
	// error fails the load, naming the policy.
	CheckPolicy func(name string, doc []byte) error
	// AllowGroupOrWorldAccess loads a file that group or others may read
	// or write. For tests only: a server refuses such a file.
	AllowGroupOrWorldAccess bool
	// Logger receives reload reports (default slog.Default()).
	Logger *slog.Logger
}

// Principal is the identity a request was signed as.
type Principal struct {
	// ARN is arn:<p>:iam::<acct>:user/<name> for a user and
	// arn:<p>:sts::<acct>:assumed-role/<role>/<session> for a role session.
	ARN string
	// Type is CloudTrail's userIdentity.type: "IAMUser" or "AssumedRole".
	Type string
	// UserName is aws:username (users only).
	UserName string
	// UserID is aws:userid: a stable "AIDA…" id for a user,
	// "<role id>:<session>" for a role session.
	UserID string
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// RoleARN is the role of a session (sessions only).
	RoleARN string
	// Policies are the principal's own policies and its groups' (for a
	// session, its role's), each once, for the authorizer.
	Policies []NamedPolicy
}

// Principal types (CloudTrail's userIdentity.type).
const (
	TypeIAMUser     = "IAMUser"
	TypeAssumedRole = "AssumedRole"
)

// String is the principal's ARN and access key id; it never holds a secret.
func (p *Principal) String() string {
	if p == nil {
		return "<nil>"
	}
	return p.ARN + " (access key " + p.AccessKeyID + ")"
}

// LogValue logs the principal without its policies (and without secrets,
// which a Principal does not carry).
func (p *Principal) LogValue() slog.Value {
	if p == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("arn", p.ARN), slog.String("accessKeyId", p.AccessKeyID))
}

var _ slog.LogValuer = (*Principal)(nil)

// NamedPolicy is an IAM policy document and its name in the access file.
type NamedPolicy struct {
	Name     string
	Document json.RawMessage
}

// credential is what an access key id stands for.
type credential struct {
	secret       string
	sessionToken string    // sessions only
	expiration   time.Time // sessions only; zero: does not expire
	principal    *Principal
}

// snapshot is one loaded version of the file; it is never modified.
type snapshot struct {
	keys         map[string]*credential
	users, roles int
	id           fileID
}

// Access is the credentials of an access file, reloaded when it changes.
// It is safe for concurrent use.
type Access struct {
	path    string
	opts    Options
	cur     atomic.Pointer[snapshot]
	mu      sync.Mutex // serialises reloads
	last    fileID     // the version last tried, good or bad
	pending fileID     // a version seen by the previous poll
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// Load reads and validates the access file at path.
func Load(path string, opts Options) (*Access, error) {
	if opts.Partition == "" || !accountRE.MatchString(opts.Account) {
		return nil, fmt.Errorf("access file %s: need a partition and a 12-digit account (got %q, %q)", path, opts.Partition, opts.Account)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &Access{path: path, opts: opts}
	s, err := a.read()
	if err != nil {
		return nil, err
	}
	a.cur.Store(s)
	a.last = s.id
	return a, nil
}

// Path is the access file's path.
func (a *Access) Path() string { return a.path }

// Counts are the numbers of users, roles, and access keys (user keys and
// session credentials) currently loaded.
func (a *Access) Counts() (users, roles, keys int) {
	s := a.cur.Load()
	return s.users, s.roles, len(s.keys)
}

// lookup answers the credential of an access key id.
func (a *Access) lookup(accessKeyID string) (*credential, bool) {
	c, ok := a.cur.Load().keys[accessKeyID]
	return c, ok
}

// read opens, checks, and parses the file.
func (a *Access) read() (*snapshot, error) {
	f, err := os.Open(a.path)
	if err != nil {
		return nil, fmt.Errorf("access file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("access file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("access file %s is not a regular file", a.path)
	}
	if perm := fi.Mode().Perm(); !private(fi) && !a.opts.AllowGroupOrWorldAccess {
		return nil, fmt.Errorf("access file %s holds secrets but is accessible by group or others (mode %04o): chmod 600 %s",
			a.path, perm, a.path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("access file %s: %w", a.path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("access file %s is larger than %d bytes", a.path, maxFileSize)
	}
	s, err := parse(data, a.opts)
	if err != nil {
		return nil, fmt.Errorf("access file %s: %w", a.path, redactError(err, data))
	}
	s.id = idOf(fi)
	return s, nil
}

// maxFileSize bounds the access file.
const maxFileSize = 16 << 20
