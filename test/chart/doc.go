// Package chart tests the Helm chart charts/sparkplane without a cluster:
// `helm lint` and `helm template` (helm built by scripts/helm.sh) for its
// variants — SQLite with one server, PostgreSQL with several, RBAC per
// namespace or cluster-wide — with the rendered objects decoded and
// checked, and the values it must refuse. test/devcluster installs it.
package chart
