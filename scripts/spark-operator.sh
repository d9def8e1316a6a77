#!/usr/bin/env bash
# spark-operator.sh makes sure the Kubeflow Spark Operator is available for
# the peer benchmark (test/devcluster BenchmarkPeers): the `operator` binary
# and its three CRDs (SparkApplication, ScheduledSparkApplication and
# SparkConnect, which the controller watches too).
#
# The binary is compiled in a throw-away module from
# github.com/kubeflow/spark-operator/v2@$VERSION (Go module proxy), and the
# CRDs are copied from the same module's config/crd/bases, into
# <cache>/spark-operator-$VERSION, only when missing. The cache is
# $SPARKPLANE_CACHE, else $XDG_CACHE_HOME/sparkplane, else
# /var/cache/sparkplane for root, else ~/.cache/sparkplane (as
# internal/config.Env.CacheDir). A cold build takes ~5-8 minutes on 2 cores.
#
# Idempotent and safe to run concurrently (a lock serialises builds). The
# last line printed is the folder that holds the binary and the CRDs.
set -euo pipefail

VERSION=v2.3.0
MODULE=github.com/kubeflow/spark-operator/v2
TOOL=spark-operator
# shellcheck source=lib/tool.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tool.sh"
dir=$(sparkplane_cache)/spark-operator-$VERSION
bin=$dir/operator
crds=(sparkoperator.k8s.io_sparkapplications.yaml sparkoperator.k8s.io_scheduledsparkapplications.yaml
	sparkoperator.k8s.io_sparkconnects.yaml)

complete() {
	[ -x "$bin" ] || return 1
	local f
	for f in "${crds[@]}"; do [ -s "$dir/crds/$f" ] || return 1; done
}

compile() {
	cd "$build_tmp"
	export GOWORK=off GOFLAGS=-mod=mod
	go mod init sparkplane-spark-operator-build 2>/dev/null
	go get "$MODULE@$VERSION" >&2 # its errors, and the downloads as progress
	exec go build -trimpath -ldflags "-s -w -X $MODULE.version=${VERSION#v}" -o "$build_tmp/operator" "$MODULE/cmd/operator"
}

build() {
	need_go "the Spark Operator"
	new_build_tmp "$dir"
	log "building the Spark Operator $VERSION ($MODULE from the Go module proxy) into $dir"
	log "a cold build (empty Go cache) takes about 5-8 minutes on 2 cores; please wait"
	local start=$SECONDS
	build_with_progress compile || exit 1
	local src
	src=$(cd "$build_tmp" && GOWORK=off GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "$MODULE")
	mkdir -p "$build_tmp/crds"
	local f
	for f in "${crds[@]}"; do cp "$src/config/crd/bases/$f" "$build_tmp/crds/$f"; done
	chmod 0644 "$build_tmp"/crds/*.yaml
	rm -rf "$dir/crds"
	mv "$build_tmp/crds" "$dir/crds"
	mv -f "$build_tmp/operator" "$bin" # same filesystem: atomic rename, last, so complete() holds only when all is there
	log "built in $((SECONDS - start))s"
}

lock_tool "$dir"
if complete; then
	log "Spark Operator $VERSION already built: $dir"
else
	build
fi
chmod 0755 "$dir" "$bin"
echo "$dir"
