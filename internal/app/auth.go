package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/auth"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/iam"
)

// authenticator verifies callers against the access file and answers their
// authorization questions with their IAM policies.
type authenticator struct {
	access   *auth.Access
	verifier *auth.Verifier
	// policies holds every policy document the access file has held,
	// parsed once when it was loaded (keyed by its text).
	policies sync.Map
}

// Authenticator returns the authenticator of cfg's access file (nil when
// it has none), which the server builds too; for benchmarks and tools.
func Authenticator(cfg config.Config, log *slog.Logger) (api.Authenticator, error) {
	a, err := newAuthenticator(cfg, log)
	if a == nil || err != nil {
		return nil, err
	}
	return a, nil
}

// newAuthenticator loads cfg's access file; nil when cfg has none.
func newAuthenticator(cfg config.Config, log *slog.Logger) (*authenticator, error) {
	if cfg.Security.Access == "" {
		return nil, nil
	}
	a := &authenticator{}
	access, err := auth.Load(cfg.Security.Access, auth.Options{Partition: cfg.Partition, Account: cfg.AccountID, Logger: log,
		CheckPolicy: func(name string, doc []byte) error {
			p, err := iam.ParsePolicy(doc)
			if err != nil {
				return err
			}
			a.policies.Store(string(doc), p)
			return nil
		}})
	if err != nil {
		return nil, fmt.Errorf("security.access (--access): %w", err)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Access: access, Region: cfg.Region, Service: auth.DefaultService})
	if err != nil {
		return nil, err
	}
	a.access, a.verifier = access, v
	return a, nil
}

// watch reloads the access file when it changes, until ctx ends.
func (a *authenticator) watch(ctx context.Context) {
	if a != nil {
		a.access.Watch(ctx, time.Second)
	}
}

// Authenticate implements api.Authenticator.
func (a *authenticator) Authenticate(r *http.Request, body []byte) (*api.Caller, error) {
	p, err := a.verifier.Verify(r, body)
	if err != nil {
		return nil, err
	}
	policies := make([]*iam.Policy, 0, len(p.Policies))
	for _, np := range p.Policies {
		pol, ok := a.policies.Load(string(np.Document))
		if !ok { // every load parses its documents first; never skip one (it may deny)
			parsed, err := iam.ParsePolicy(np.Document)
			if err != nil {
				return nil, fmt.Errorf("policy %s of %s: %w", np.Name, p.ARN, err)
			}
			pol, _ = a.policies.LoadOrStore(string(np.Document), parsed)
		}
		policies = append(policies, pol.(*iam.Policy))
	}
	return &api.Caller{ARN: p.ARN, Type: p.Type, UserName: p.UserName, UserID: p.UserID, AccessKeyID: p.AccessKeyID,
		Evaluate: func(req api.Request) api.Verdict {
			switch iam.Evaluate(policies, iam.Request{Action: req.Action, Resource: req.Resource, Context: req.Context}) {
			case iam.Allow:
				return api.Allowed
			case iam.ExplicitDeny:
				return api.ExplicitDeny
			default:
				return api.ImplicitDeny
			}
		}}, nil
}
