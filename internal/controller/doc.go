// Package controller drives job runs from PENDING to a terminal state. It is
// level-triggered: each pass over a run compares the state in the store with
// what the run's runtime observes and makes one legal transition; nothing is
// remembered between passes, so a restarted server picks up where it was.
//
// Passes are triggered by the API (a new run, a cancel), by the runtimes (a
// process or pod changed) and by a periodic resync that also enforces the
// job-start timeout.
//
// Several servers may share one store: each then drives only the runs whose
// lease it holds, through a Leased view of the store (lease.go), and takes
// over the runs of a server that stopped renewing its leases.
package controller
