package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"sigs.k8s.io/yaml"
)

// The access file, YAML or JSON; unknown keys are an error.
type fileDoc struct {
	Users    []fileUser                 `json:"users"`
	Roles    []fileRole                 `json:"roles"`
	Groups   []fileGroup                `json:"groups"`
	Policies map[string]json.RawMessage `json:"policies"`
}

type fileUser struct {
	Name       string    `json:"name"`
	AccessKeys []fileKey `json:"accessKeys"`
	Groups     []string  `json:"groups"`
	Policies   []string  `json:"policies"`
}

type fileKey struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type fileRole struct {
	Name     string        `json:"name"`
	Policies []string      `json:"policies"`
	Sessions []fileSession `json:"sessions"`
}

type fileSession struct {
	Name            string     `json:"name"`
	AccessKeyID     string     `json:"accessKeyId"`
	SecretAccessKey string     `json:"secretAccessKey"`
	SessionToken    string     `json:"sessionToken"`
	Expiration      *time.Time `json:"expiration"`
}

type fileGroup struct {
	Name     string   `json:"name"`
	Policies []string `json:"policies"`
}

// The IAM name rules.
var (
	userOrRoleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	groupNameRE      = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	sessionNameRE    = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	accessKeyIDRE    = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// parse decodes and validates an access file and builds its snapshot.
// Its errors never hold a secret (nor does the decoder's, once redacted).
func parse(data []byte, opts Options) (*snapshot, error) {
	var doc fileDoc
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, err
	}
	b := builder{opts: opts, keys: map[string]*credential{}, policies: map[string]json.RawMessage{}}
	b.checkPolicies(doc.Policies)
	groups := b.groups(doc.Groups)
	b.users(doc.Users, groups)
	b.roles(doc.Roles)
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return &snapshot{keys: b.keys, users: len(doc.Users), roles: len(doc.Roles)}, nil
}

// builder accumulates a snapshot and every problem found.
type builder struct {
	opts     Options
	keys     map[string]*credential
	policies map[string]json.RawMessage
	errs     []error
}

func (b *builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

func (b *builder) checkPolicies(docs map[string]json.RawMessage) {
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		doc := docs[name]
		var s string
		if json.Unmarshal(doc, &s) == nil { // a document written as a JSON string
			doc = json.RawMessage(s)
		}
		doc = bytes.TrimSpace(doc)
		if !json.Valid(doc) || len(doc) == 0 || doc[0] != '{' {
			b.errorf("policy %q: not a JSON object", name)
			continue
		}
		if b.opts.CheckPolicy != nil {
			if err := b.opts.CheckPolicy(name, doc); err != nil {
				b.errorf("policy %q: %w", name, err)
				continue
			}
		}
		b.policies[name] = doc
	}
}

// groups answers each group's policy names.
func (b *builder) groups(gs []fileGroup) map[string][]string {
	out := map[string][]string{}
	for i, g := range gs {
		if !groupNameRE.MatchString(g.Name) {
			b.errorf("groups[%d]: invalid name %q", i, g.Name)
			continue
		}
		if _, dup := out[g.Name]; dup {
			b.errorf("group %q: listed twice", g.Name)
			continue
		}
		b.refPolicies("group "+g.Name, g.Policies)
		out[g.Name] = g.Policies
	}
	return out
}

func (b *builder) users(us []fileUser, groups map[string][]string) {
	seen := map[string]bool{}
	for i, u := range us {
		if !userOrRoleNameRE.MatchString(u.Name) {
			b.errorf("users[%d]: invalid name %q", i, u.Name)
			continue
		}
		if seen[u.Name] {
			b.errorf("user %q: listed twice", u.Name)
			continue
		}
		seen[u.Name] = true
		names := slices.Clone(u.Policies)
		b.refPolicies("user "+u.Name, u.Policies)
		for _, g := range u.Groups {
			gp, ok := groups[g]
			if !ok {
				b.errorf("user %q: no group %q", u.Name, g)
			}
			names = append(names, gp...)
		}
		arn := fmt.Sprintf("arn:%s:iam::%s:user/%s", b.opts.Partition, b.opts.Account, u.Name)
		p := Principal{ARN: arn, Type: TypeIAMUser, UserName: u.Name,
			UserID: "AIDA" + b.stableID("user/"+u.Name), Policies: b.attach(names)}
		for j, k := range u.AccessKeys {
			what := fmt.Sprintf("user %q accessKeys[%d]", u.Name, j)
			if k.Secret == "" {
				b.errorf("%s: empty secret", what)
				continue
			}
			pk := p
			pk.AccessKeyID = k.ID
			b.addKey(what, k.ID, &credential{secret: k.Secret, principal: &pk})
		}
	}
}

func (b *builder) roles(rs []fileRole) {
	seen := map[string]bool{}
	for i, r := range rs {
		if !userOrRoleNameRE.MatchString(r.Name) {
			b.errorf("roles[%d]: invalid name %q", i, r.Name)
			continue
		}
		if seen[r.Name] {
			b.errorf("role %q: listed twice", r.Name)
			continue
		}
		seen[r.Name] = true
		b.refPolicies("role "+r.Name, r.Policies)
		policies := b.attach(r.Policies)
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", b.opts.Partition, b.opts.Account, r.Name)
		roleID := "AROA" + b.stableID("role/"+r.Name)
		sessions := map[string]bool{}
		for j, s := range r.Sessions {
			what := fmt.Sprintf("role %q sessions[%d]", r.Name, j)
			switch {
			case !sessionNameRE.MatchString(s.Name):
				b.errorf("%s: invalid session name %q", what, s.Name)
				continue
			case sessions[s.Name]:
				b.errorf("%s: session %q listed twice", what, s.Name)
				continue
			case s.SecretAccessKey == "":
				b.errorf("%s: empty secretAccessKey", what)
				continue
			case s.SessionToken == "":
				b.errorf("%s: empty sessionToken", what)
				continue
			}
			sessions[s.Name] = true
			c := &credential{secret: s.SecretAccessKey, sessionToken: s.SessionToken, principal: &Principal{
				ARN:         fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", b.opts.Partition, b.opts.Account, r.Name, s.Name),
				Type:        TypeAssumedRole,
				UserID:      roleID + ":" + s.Name,
				AccessKeyID: s.AccessKeyID,
				RoleARN:     roleARN,
				Policies:    policies,
			}}
			if s.Expiration != nil {
				c.expiration = *s.Expiration
			}
			b.addKey(what, s.AccessKeyID, c)
		}
	}
}

func (b *builder) addKey(what, id string, c *credential) {
	if !accessKeyIDRE.MatchString(id) {
		b.errorf("%s: access key id %q is not 16 to 128 of [A-Z0-9]", what, id)
		return
	}
	if _, dup := b.keys[id]; dup {
		b.errorf("%s: access key id %s is used twice", what, id)
		return
	}
	b.keys[id] = c
}

// refPolicies checks that the policies named by who exist.
func (b *builder) refPolicies(who string, names []string) {
	for _, n := range names {
		if _, ok := b.policies[n]; !ok {
			b.errorf("%s: no policy %q (or it is invalid)", who, n)
		}
	}
}

// attach answers the named policies, each once, in order.
func (b *builder) attach(names []string) []NamedPolicy {
	var out []NamedPolicy
	for _, n := range names {
		doc, ok := b.policies[n]
		if !ok || slices.ContainsFunc(out, func(p NamedPolicy) bool { return p.Name == n }) {
			continue
		}
		out = append(out, NamedPolicy{Name: n, Document: doc})
	}
	return out
}

// stableID is 17 characters derived from the account and the entity, so
// that a principal keeps its aws:userid across reloads and restarts.
func (b *builder) stableID(entity string) string {
	sum := sha256.Sum256([]byte(b.opts.Partition + ":" + b.opts.Account + ":" + entity))
	return base32.StdEncoding.EncodeToString(sum[:])[:17]
}
