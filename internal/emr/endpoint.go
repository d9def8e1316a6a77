package emr

import (
	"regexp"
	"strings"
	"time"
)

// EndpointState is the lifecycle state of a managed endpoint.
type EndpointState string

// Managed endpoint states of the model.
const (
	EndpointCreating             EndpointState = "CREATING"
	EndpointActive               EndpointState = "ACTIVE"
	EndpointTerminating          EndpointState = "TERMINATING"
	EndpointTerminated           EndpointState = "TERMINATED"
	EndpointTerminatedWithErrors EndpointState = "TERMINATED_WITH_ERRORS"
)

// Valid reports whether s is a state of the model.
func (s EndpointState) Valid() bool {
	switch s {
	case EndpointCreating, EndpointActive, EndpointTerminating, EndpointTerminated, EndpointTerminatedWithErrors:
		return true
	}
	return false
}

// EndpointNotServed is the stateDetails of every managed endpoint: no
// runtime of sparkplane serves interactive endpoints yet, so an endpoint
// is stored as asked but never runs, and says so rather than claim ACTIVE.
const EndpointNotServed = "Not started: sparkplane stores managed endpoints but does not serve interactive " +
	"endpoints yet, so no Jupyter Enterprise Gateway or Spark session runs behind this one. " +
	"Run Spark work with StartJobRun."

// Endpoint is a managed (interactive) endpoint of a virtual cluster.
type Endpoint struct {
	ID                     string                  `json:"id"`
	Name                   string                  `json:"name"`
	ARN                    string                  `json:"arn"`
	VirtualClusterID       string                  `json:"virtualClusterId"`
	Type                   string                  `json:"type"`
	State                  EndpointState           `json:"state"`
	ReleaseLabel           string                  `json:"releaseLabel"`
	ExecutionRoleARN       string                  `json:"executionRoleArn"`
	CertificateARN         string                  `json:"certificateArn,omitempty"`
	ConfigurationOverrides *ConfigurationOverrides `json:"configurationOverrides,omitempty"`
	CreatedAt              time.Time               `json:"createdAt"`
	StateDetails           string                  `json:"stateDetails,omitempty"`
	FailureReason          FailureReason           `json:"failureReason,omitempty"`
	Tags                   map[string]string       `json:"tags,omitempty"`
	// SessionIdleTimeoutInMinutes is accepted at creation and kept, but is
	// no member of the model's Endpoint output.
	SessionIdleTimeoutInMinutes *int `json:"-"`
}

// CreateManagedEndpointRequest is the body of CreateManagedEndpoint.
type CreateManagedEndpointRequest struct {
	Name                        string                  `json:"name"`
	Type                        string                  `json:"type"`
	ReleaseLabel                string                  `json:"releaseLabel"`
	ExecutionRoleARN            string                  `json:"executionRoleArn"`
	CertificateARN              string                  `json:"certificateArn"`
	ConfigurationOverrides      *ConfigurationOverrides `json:"configurationOverrides"`
	ClientToken                 string                  `json:"clientToken"`
	Tags                        map[string]string       `json:"tags"`
	SessionIdleTimeoutInMinutes *int                    `json:"sessionIdleTimeoutInMinutes"`
}

var patACMCertARN = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):acm:.+:(\d{12}):certificate/.+$`)

// Validate checks the request against the constraints of the model, and
// (inferred; the model gives no range) that an idle timeout is positive.
func (r *CreateManagedEndpointRequest) Validate() error {
	var c checker
	if c.required("name", r.Name != "") {
		c.str("name", r.Name, 1, 64, patResourceName)
	}
	if c.required("type", r.Type != "") {
		c.str("type", r.Type, 1, 64, patNonBlank)
	}
	if c.required("releaseLabel", r.ReleaseLabel != "") {
		c.str("releaseLabel", r.ReleaseLabel, 1, 64, patReleaseLabel)
	}
	if c.required("executionRoleArn", r.ExecutionRoleARN != "") {
		c.str("executionRoleArn", r.ExecutionRoleARN, 20, 2048, patIAMRoleARN)
	}
	if r.CertificateARN != "" {
		c.str("certificateArn", r.CertificateARN, 44, 2048, patACMCertARN)
	}
	if o := r.ConfigurationOverrides; o != nil {
		c.applicationConfiguration("configurationOverrides.applicationConfiguration", o.ApplicationConfiguration)
		c.monitoring("configurationOverrides.monitoringConfiguration", o.MonitoringConfiguration)
	}
	c.clientToken(r.ClientToken)
	c.tags("tags", r.Tags)
	if t := r.SessionIdleTimeoutInMinutes; t != nil && *t < 1 {
		c.fail("sessionIdleTimeoutInMinutes", "Member must have value greater than or equal to 1")
	}
	return c.err()
}

// GetManagedEndpointSessionCredentialsRequest is the body of
// GetManagedEndpointSessionCredentials.
type GetManagedEndpointSessionCredentialsRequest struct {
	ExecutionRoleARN  string `json:"executionRoleArn"`
	CredentialType    string `json:"credentialType"`
	DurationInSeconds *int   `json:"durationInSeconds"`
	LogContext        string `json:"logContext"`
	ClientToken       string `json:"clientToken"`
}

var patLogContext = regexp.MustCompile(`^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$`)

// Validate checks the request against the constraints of the model, and
// (inferred) durationInSeconds within 1..43200 (12 hours).
func (r *GetManagedEndpointSessionCredentialsRequest) Validate() error {
	var c checker
	if c.required("executionRoleArn", r.ExecutionRoleARN != "") {
		c.str("executionRoleArn", r.ExecutionRoleARN, 20, 2048, patIAMRoleARN)
	}
	if c.required("credentialType", r.CredentialType != "") {
		c.str("credentialType", r.CredentialType, 1, 64, patNonBlank)
	}
	if d := r.DurationInSeconds; d != nil && (*d < 1 || *d > 43200) {
		c.fail("durationInSeconds", "Member must have value between 1 and 43200")
	}
	if r.LogContext != "" {
		// ^((?!.*-s3alias)(?!xn--.*)[a-z0-9][-a-z0-9.]*)?[a-z0-9]$, whose
		// lookaheads RE2 lacks, spelled out.
		c.str("logContext", r.LogContext, 3, 63, patLogContext)
		if strings.Contains(r.LogContext, "-s3alias") || strings.HasPrefix(r.LogContext, "xn--") {
			c.fail("logContext", "Member must not start with xn-- nor contain -s3alias")
		}
	}
	if r.ClientToken != "" {
		c.str("clientToken", r.ClientToken, 1, 64, patNonBlank)
	}
	return c.err()
}

// CheckIdentifier validates a String2048 path member (the endpoint and
// virtual cluster identifiers of GetManagedEndpointSessionCredentials).
func CheckIdentifier(field, v string) error {
	var c checker
	c.str(field, v, 1, 2048, patNonBlank)
	return c.err()
}
