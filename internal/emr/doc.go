// Package emr is the domain of the EMR on EKS (emr-containers) API as sparkplane
// implements it: virtual clusters, job runs, their states and legal transitions,
// job templates and how a run is resolved from one, security configurations,
// managed endpoints, taggable ARNs, identifiers, and the validation rules of
// the AWS service model.
//
// The types carry the JSON names of the wire format (restJson1, API version
// 2020-10-01), so the API layer encodes them as they are. The package does no I/O.
package emr
