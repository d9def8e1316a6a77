// Package metrics exposes what a sparkplane server does as Prometheus
// metrics: API requests, job runs and their latencies, the controller's and
// runtimes' errors, leases and the store's latency. A Metrics keeps its own
// registry (never the process-wide default), and Handler serves it in the
// Prometheus text format to the callers the access rule lets in.
//
// Every name starts with sparkplane_ and uses base units: counters end in
// _total, durations are seconds (_seconds histograms). The API, the
// controller and the store know nothing of Prometheus: each declares the
// small interface it calls (api.Options.Metrics, controller.Options.Observer)
// and a Metrics satisfies them; Store wraps a store.Store to time it.
package metrics
