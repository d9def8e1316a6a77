package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// AuditSink receives the audit record of every call that changes something
// and of every refusal of a caller.
type AuditSink interface {
	Record(ev *AuditEvent)
}

// AuditEvent is one audit record, shaped like a CloudTrail event.
type AuditEvent struct {
	EventVersion      string         `json:"eventVersion"`
	EventTime         time.Time      `json:"eventTime"`
	EventSource       string         `json:"eventSource"`
	EventName         string         `json:"eventName"`
	AWSRegion         string         `json:"awsRegion"`
	SourceIPAddress   string         `json:"sourceIPAddress"`
	UserAgent         string         `json:"userAgent,omitempty"`
	UserIdentity      UserIdentity   `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters,omitempty"`
	ErrorCode         string         `json:"errorCode,omitempty"`
	ErrorMessage      string         `json:"errorMessage,omitempty"`
	RequestID         string         `json:"requestID"`
	EventID           string         `json:"eventID"`
	ReadOnly          bool           `json:"readOnly"`
	EventType         string         `json:"eventType"`
	HTTPStatus        int            `json:"httpStatus"`
	RecipientAccount  string         `json:"recipientAccountId"`
}

// UserIdentity is the caller of an audited call; empty fields mean the
// caller could not be authenticated.
type UserIdentity struct {
	Type        string `json:"type,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
}

// recorder remembers the status and AWS error type a handler answered with.
type recorder struct {
	http.ResponseWriter
	status  int
	errType string
	errMsg  string
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.errType = w.Header().Get("X-Amzn-ErrorType")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed answers (logs, cost reports) through.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// audit writes the record of the call r answered through rec when it
// changed (or tried to change) something or was refused.
func (s *Server) audit(r *http.Request, rec *recorder) {
	if s.opts.Audit == nil {
		return
	}
	readOnly := r.Method == http.MethodGet
	refused := rec.status == http.StatusForbidden
	if readOnly && !refused {
		return
	}
	c := callOf(r.Context())
	ev := &AuditEvent{
		EventVersion: "1.08", EventTime: s.opts.Now().UTC(), EventSource: emrService,
		AWSRegion: s.opts.Partition.Region, SourceIPAddress: sourceIP(r), UserAgent: clipAudit(r.UserAgent(), maxAuditString),
		RequestID: rec.Header().Get("x-amzn-RequestId"), EventID: uuid.NewString(), ReadOnly: readOnly,
		EventType: "AwsApiCall", HTTPStatus: rec.status, RecipientAccount: s.opts.Partition.Account,
		ErrorCode: rec.errType, ErrorMessage: auditMessage(rec),
	}
	if c != nil {
		ev.EventName = c.operation
		ev.RequestParameters = auditParameters(r, c.body)
		if who := c.caller; who != nil {
			ev.UserIdentity = UserIdentity{Type: who.Type, ARN: who.ARN, AccountID: s.opts.Partition.Account,
				AccessKeyID: who.AccessKeyID, UserName: who.UserName, PrincipalID: who.UserID}
		}
	}
	s.opts.Audit.Record(ev)
}

// auditedFields are the request members an audit record keeps: names,
// ids, ARNs and labels, never arguments, properties or credentials (a
// job's parameters may carry secrets).
var auditedFields = []string{"name", "virtualClusterId", "executionRoleArn", "releaseLabel", "jobTemplateId",
	"clientToken", "type", "certificateArn", "containerProvider", "state", "tagKeys"}

// Bounds on what an audit record keeps of a request, whatever the request
// (refused, or even unauthenticated) carries: a value longer than any the
// model allows is not kept, only its size, and at most emr.MaxTags tag
// keys are.
const (
	maxAuditValue  = 2048 // bytes of one audited member's JSON (the longest ARN the model allows)
	maxAuditString = 4096 // bytes of the user agent and of the error message
)

// auditParameters returns the path values of r and the audited members of
// its JSON body, and the keys (not values) of the tags it sets.
func auditParameters(r *http.Request, body []byte) map[string]any {
	out := map[string]any{}
	for _, name := range []string{"virtualClusterId", "jobRunId", "templateId", "securityConfigurationId", "endpointId", "resourceArn"} {
		if v := r.PathValue(name); v != "" {
			out[name] = clipAudit(v, maxAuditValue)
		}
	}
	if keys := r.URL.Query()["tagKeys"]; len(keys) > 0 {
		out["tagKeys"] = auditKeys(keys)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return out
	}
	for _, f := range auditedFields {
		if raw, ok := fields[f]; ok {
			var v any
			switch {
			case len(raw) > maxAuditValue:
				out[f] = fmt.Sprintf("(%d bytes, not kept)", len(raw))
			case json.Unmarshal(raw, &v) == nil:
				out[f] = v
			}
		}
	}
	var tags map[string]string
	if raw, ok := fields["tags"]; ok && json.Unmarshal(raw, &tags) == nil {
		out["tagKeys"] = auditKeys(slices.Collect(maps.Keys(tags)))
	}
	return out
}

// auditKeys returns tag keys for an audit record: sorted, at most
// emr.MaxTags of them (then "…"), each clipped.
func auditKeys(keys []string) []string {
	keys = slices.Sorted(slices.Values(keys))
	if len(keys) > emr.MaxTags {
		keys = append(keys[:emr.MaxTags], "…")
	}
	for i, k := range keys {
		keys[i] = clipAudit(k, 256)
	}
	return keys
}

// clipAudit returns s, cut to at most n bytes (on a rune boundary, then "…").
func clipAudit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// readBody reads r's whole body (ReadBody: under the server's cap) and
// puts it back so the operation decodes it again; the body is kept for the
// audit record.
func readBody(r *http.Request) ([]byte, error) {
	body, err := ReadBody(r, 0)
	if err != nil || body == nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if c := callOf(r.Context()); c != nil {
		c.body = body
	}
	return body, nil
}

// auditMessage is the error message an audit record keeps: a refusal's
// (it names the caller, action and resource), never another error's,
// which may quote the request (a spark-submit parameter holding a
// password, say).
func auditMessage(rec *recorder) string {
	if rec.status != http.StatusForbidden {
		return ""
	}
	return clipAudit(rec.errMsg, maxAuditString)
}
