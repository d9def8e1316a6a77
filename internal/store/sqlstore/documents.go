package sqlstore

import (
	"encoding/json"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// The resource tables and their documents. Tags live in a tags column (a
// JSON object) beside each document, never in it: TagResource writes only
// the column and state changes only the document, so neither overwrites
// the other. A job run's cancel request has a column of its own for the
// same reason. Readers put them together.

var virtualClusters = &table[*emr.VirtualCluster]{name: "virtual_clusters", fields: "doc, tags, NULL",
	decode: func(r *row) (*emr.VirtualCluster, error) {
		var vc emr.VirtualCluster
		return &vc, unmarshal(r, &vc, &vc.Tags)
	}}

var jobRuns = &table[*emr.JobRun]{name: "job_runs", fields: "doc, tags, cancel_requested_at",
	decode: func(r *row) (*emr.JobRun, error) {
		var run emr.JobRun
		if r.cancel.Valid {
			at := time.UnixMilli(r.cancel.Int64).UTC()
			run.CancelRequestedAt = &at
		}
		return &run, unmarshal(r, &run, &run.Tags)
	}}

var jobTemplates = &table[*emr.JobTemplate]{name: "job_templates", fields: "doc, '{}', NULL",
	decode: func(r *row) (*emr.JobTemplate, error) {
		var t emr.JobTemplate
		return &t, unmarshal(r, &t, nil)
	}}

var securityConfigurations = &table[*emr.SecurityConfiguration]{name: "security_configurations", fields: "doc, '{}', NULL",
	decode: func(r *row) (*emr.SecurityConfiguration, error) {
		d := scDoc{SecurityConfiguration: new(emr.SecurityConfiguration)}
		err := unmarshal(r, &d, nil)
		d.SecurityConfiguration.ContainerProvider = d.ContainerProvider
		return d.SecurityConfiguration, err
	}}

var managedEndpoints = &table[*emr.Endpoint]{name: "managed_endpoints", fields: "doc, tags, NULL",
	decode: func(r *row) (*emr.Endpoint, error) {
		d := endpointDoc{Endpoint: new(emr.Endpoint)}
		err := unmarshal(r, &d, &d.Endpoint.Tags)
		d.Endpoint.SessionIdleTimeoutInMinutes = d.SessionIdleTimeoutInMinutes
		return d.Endpoint, err
	}}

// unmarshal decodes the document of r into v and, if tags is not nil, its
// tags column into tags.
func unmarshal(r *row, v any, tags *map[string]string) error {
	if err := json.Unmarshal(r.doc, v); err != nil {
		return err
	}
	if tags == nil {
		return nil
	}
	var err error
	*tags, err = store.DecodeTags(r.tags)
	return err
}

// marshal is the JSON document v, as text.
func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// vcDoc, runDoc: the documents of resources, without their tags (nor the
// scheduler status, computed when a cluster is described, nor the cancel
// request, which is not in the JSON).
func vcDoc(vc *emr.VirtualCluster) (string, error) {
	c := *vc
	c.Tags, c.SchedulerStatus = nil, nil
	return marshal(&c)
}

func runDoc(run *emr.JobRun) (string, error) {
	c := *run
	c.Tags = nil
	return marshal(&c)
}

// scDoc is the stored document of a security configuration: the resource
// as the API returns it, and the container provider it was created with,
// which the API does not return.
type scDoc struct {
	*emr.SecurityConfiguration
	ContainerProvider *emr.ContainerProvider `json:"containerProvider,omitempty"`
}

// endpointDoc is the stored document of a managed endpoint: the resource
// as the API returns it without its tags, and the idle timeout it was
// created with, which the API does not return.
type endpointDoc struct {
	*emr.Endpoint
	SessionIdleTimeoutInMinutes *int `json:"sessionIdleTimeoutInMinutes,omitempty"`
}

func endpointDocOf(e *emr.Endpoint) (string, error) {
	c := *e
	c.Tags = nil
	return marshal(endpointDoc{&c, e.SessionIdleTimeoutInMinutes})
}
