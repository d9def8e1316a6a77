package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// PageTokens make the nextTokens of listings. A token is the position
// after the last item returned (a cursor, in a form the store chooses)
// sealed with an HMAC-SHA256 over the listing's scope (the operation and
// every filter of its query, see the Scope methods) under a secret key of
// the database. A token is taken back only by the listing and query that
// made it, on the database that made it; any other use, and any change to
// its bytes, is ErrInvalidToken. The page size may change between pages.
type PageTokens struct{ key []byte }

// macLen is how many bytes of the HMAC a token carries.
const macLen = 16

// NewPageTokens returns PageTokens that seal with key (32 random bytes,
// kept with the database so tokens survive a restart).
func NewPageTokens(key []byte) *PageTokens { return &PageTokens{key: slices.Clone(key)} }

func (t *PageTokens) mac(scope string, cursor []byte) []byte {
	h := hmac.New(sha256.New, t.key)
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write(cursor)
	return h.Sum(nil)[:macLen]
}

// Seal returns the token of cursor for a listing of scope.
func (t *PageTokens) Seal(scope string, cursor []byte) string {
	return base64.RawURLEncoding.EncodeToString(append(slices.Clone(cursor), t.mac(scope, cursor)...))
}

// Open returns the cursor of a token Seal made for scope.
func (t *PageTokens) Open(scope, token string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token) // Strict: one spelling per token
	if err != nil || len(raw) <= macLen {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	cursor, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(sum, t.mac(scope, cursor)) {
		return nil, fmt.Errorf("%w: not made for this listing and query", ErrInvalidToken)
	}
	return cursor, nil
}

// scope renders a listing and its filters canonically: keys sorted, list
// values sorted and deduplicated, times in UTC to the nanosecond.
func scope(op string, q url.Values) string {
	for k, v := range q {
		v = slices.Clone(v)
		slices.Sort(v)
		q[k] = slices.Compact(v)
		if len(q[k]) == 1 && q[k][0] == "" {
			delete(q, k)
		}
	}
	return op + "?" + q.Encode()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func strs[S ~string](v []S) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

// Scope is the scope of the page tokens of a ListVirtualClusters query.
func (f VirtualClusterFilter) Scope() string {
	return scope("ListVirtualClusters", url.Values{"states": strs(f.States), "containerProviderId": {f.ProviderID},
		"createdAfter": {stamp(f.CreatedAfter)}, "createdBefore": {stamp(f.CreatedBefore)},
		"securityConfigurationId": {f.SecurityConfigurationID}})
}

// Scope is the scope of the page tokens of a ListSecurityConfigurations query.
func (f SecurityConfigurationFilter) Scope() string {
	return scope("ListSecurityConfigurations", url.Values{"createdAfter": {stamp(f.CreatedAfter)}, "createdBefore": {stamp(f.CreatedBefore)}})
}

// Scope is the scope of the page tokens of a ListManagedEndpoints query.
func (f ManagedEndpointFilter) Scope() string {
	return scope("ListManagedEndpoints", url.Values{"virtualClusterId": {f.VirtualClusterID}, "states": strs(f.States),
		"types": f.Types, "createdAfter": {stamp(f.CreatedAfter)}, "createdBefore": {stamp(f.CreatedBefore)}})
}

// Scope is the scope of the page tokens of a ListJobRuns query.
func (f JobRunFilter) Scope() string {
	return scope("ListJobRuns", url.Values{"virtualClusterId": {f.VirtualClusterID}, "states": strs(f.States), "name": {f.Name},
		"createdAfter": {stamp(f.CreatedAfter)}, "createdBefore": {stamp(f.CreatedBefore)}})
}

// Scope is the scope of the page tokens of a ListJobTemplates query.
func (f JobTemplateFilter) Scope() string {
	return scope("ListJobTemplates", url.Values{"createdAfter": {stamp(f.CreatedAfter)}, "createdBefore": {stamp(f.CreatedBefore)}})
}
