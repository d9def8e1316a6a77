package api

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sparkplane/sparkplane/internal/auth"
	"github.com/sparkplane/sparkplane/internal/emr"
)

// Caller is who sent a request, as its signature proved.
type Caller struct {
	// ARN is the principal: arn:aws:iam::<account>:user/<name>,
	// arn:aws:sts::<account>:assumed-role/<role>/<session>, or the account's
	// root when authentication is off.
	ARN string
	// Type is CloudTrail's userIdentity.type: IAMUser, AssumedRole or Root.
	Type        string
	UserName    string // aws:username (users only)
	UserID      string // aws:userid
	AccessKeyID string
	// Evaluate decides one request against the caller's policies; nil
	// allows everything (authentication is off).
	Evaluate func(Request) Verdict
}

// Request is one authorization question: may the caller perform Action on
// Resource, given the condition keys in Context?
type Request struct {
	Action   string
	Resource string
	Context  map[string][]string
}

// Verdict is the answer to a Request, as IAM gives it.
type Verdict int

// Verdicts.
const (
	ImplicitDeny Verdict = iota // no policy allows it
	Allowed
	ExplicitDeny // a policy denies it
)

// Authenticator verifies who sent a request.
type Authenticator interface {
	// Authenticate returns the verified caller of r, whose whole body is
	// body, or an *emr.Error saying why not (an auth error code: HTTP 403).
	Authenticate(r *http.Request, body []byte) (*Caller, error)
}

type callKey struct{}

// call is what the server learns of a request as it is served: its caller
// and whether it was authorized, for the audit record.
type call struct {
	caller     *Caller
	authorized bool
	operation  string
	global     map[string][]string // the condition keys every authorization has
	body       []byte              // the request body, read once
}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// callerOf returns the caller of the request ctx belongs to.
func callerOf(ctx context.Context) *Caller {
	if c := callOf(ctx); c != nil && c.caller != nil {
		return c.caller
	}
	return nil
}

// authenticate reads r's body (bounded), verifies r's signature and returns
// r carrying its caller. With no Authenticator every caller is the
// account's root, allowed everything.
func (s *Server) authenticate(r *http.Request, op string) (*http.Request, error) {
	c := &call{operation: op}
	r = r.WithContext(context.WithValue(r.Context(), callKey{}, c))
	body, err := readBody(r)
	if err != nil {
		return r, err
	}
	if s.opts.Auth == nil {
		if err := s.checkLoopback(r); err != nil {
			return r, err
		}
		p := s.opts.Partition
		// Unrestricted (Evaluate nil): no policy reads the condition keys.
		c.caller = &Caller{ARN: "arn:" + p.Partition + ":iam::" + p.Account + ":root", Type: "Root", UserID: p.Account}
		return r, nil
	}
	caller, err := s.opts.Auth.Authenticate(r, body)
	if err != nil {
		return r, err
	}
	c.caller = caller
	c.global = s.globalContext(r, caller)
	return r, nil
}

// checkLoopback refuses, on a loopback-only server without authentication
// (Options.LoopbackOnly), a request addressed to a host that is not
// loopback or sent by a web page whose origin is not: a browser sends a
// cross-site text/plain POST without asking first, and after DNS rebinding
// a page's own origin is the server; a reverse proxy forwards anyone.
func (s *Server) checkLoopback(r *http.Request) error {
	if !s.opts.LoopbackOnly {
		return nil
	}
	if !auth.LoopbackHost(r.Host) {
		return emr.AccessDeniedf("This sparkplane server has authentication off and serves loopback only, not requests addressed to %q. "+
			"Address it as 127.0.0.1 or localhost, or give the server an access file (security.access).", clipHost(r.Host))
	}
	for _, o := range r.Header.Values("Origin") {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || !auth.LoopbackHost(u.Host) {
			return emr.AccessDeniedf("This sparkplane server has authentication off and serves loopback only, not web pages of origin %q.", clipHost(o))
		}
	}
	return nil
}

func clipHost(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// globalContext returns the condition keys every request carries.
func (s *Server) globalContext(r *http.Request, c *Caller) map[string][]string {
	now := s.opts.Now().UTC()
	ctx := map[string][]string{
		"aws:PrincipalArn":     {c.ARN},
		"aws:PrincipalAccount": {s.opts.Partition.Account},
		"aws:PrincipalType":    {c.Type},
		"aws:userid":           {c.UserID},
		"aws:RequestedRegion":  {s.opts.Partition.Region},
		"aws:CurrentTime":      {now.Format(time.RFC3339)},
		"aws:EpochTime":        {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport":  {strconv.FormatBool(r.TLS != nil)},
		"aws:SourceIp":         {sourceIP(r)},
	}
	if c.UserName != "" {
		ctx["aws:username"] = []string{c.UserName}
	}
	return ctx
}

// sourceIP is the address the request came from (no proxy headers are
// trusted: they are the caller's to forge).
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// createdBy is the ARN recorded as a new resource's creator.
func (s *Server) createdBy(r *http.Request) string {
	if c := callerOf(r.Context()); c != nil {
		return c.ARN
	}
	p := s.opts.Partition
	return "arn:" + p.Partition + ":iam::" + p.Account + ":root"
}
