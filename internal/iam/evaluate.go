package iam

import "strconv"

// Request is one authorization question.
type Request struct {
	// Action is "service:Action", matched case-insensitively.
	Action string
	// Resource is the ARN acted on, matched case-sensitively.
	Resource string
	// Context maps condition keys (case-insensitive) to their values. An
	// absent key is missing; a key with an empty slice is present with no
	// values (see the package documentation for how operators treat each).
	Context map[string][]string
}

// Decision is the outcome of an evaluation.
type Decision int

const (
	ImplicitDeny Decision = iota // no statement allowed it (default deny)
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Result is a decision with the statement that made it, for logs and
// debugging. For ImplicitDeny, Policy and Statement are -1.
type Result struct {
	Decision  Decision
	Policy    int    // index into the policies slice
	Statement int    // index of the statement within that policy
	Sid       string // the statement's Sid, if it has one
}

// Evaluate decides req against policies: an explicit deny in any policy
// wins, else an allow from any statement, else an implicit deny. Nil
// policies are skipped.
func Evaluate(policies []*Policy, req Request) Decision {
	return Explain(policies, req).Decision
}

// Explain is Evaluate that also reports the deciding statement: the first
// matching Deny, else the first matching Allow.
func Explain(policies []*Policy, req Request) Result {
	ctx := reqContext(req.Context)
	allow := Result{Decision: ImplicitDeny, Policy: -1, Statement: -1}
	for pi, p := range policies {
		if p == nil {
			continue
		}
		for si := range p.statements {
			st := &p.statements[si]
			// Once something allows, only Deny statements can change it.
			if !st.deny && allow.Decision == Allow {
				continue
			}
			if !st.applies(&req, ctx) {
				continue
			}
			r := Result{Decision: Allow, Policy: pi, Statement: si, Sid: st.sid}
			if st.deny {
				r.Decision = ExplicitDeny
				return r
			}
			allow = r
		}
	}
	return allow
}

// applies reports whether the statement's action, resource and condition all
// match the request, cheapest test first.
func (st *statement) applies(req *Request, ctx reqContext) bool {
	if anyMatch(st.actions, req.Action, modePlain, true, ctx) == st.notAction {
		return false
	}
	if anyMatch(st.resources, req.Resource, modeResource, false, ctx) == st.notResource {
		return false
	}
	for i := range st.conditions {
		if !st.conditions[i].holds(ctx) {
			return false
		}
	}
	return true
}

func anyMatch(pats []pattern, s string, mode matchMode, fold bool, ctx reqContext) bool {
	for i := range pats {
		if pats[i].match(s, mode, fold, ctx) {
			return true
		}
	}
	return false
}
