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
if [[ $(id -u) -eq 0 && -z "${SPARKPLANE_CACHE:-}" && -z "${XDG_CACHE_HOME:-}" ]]; then
	cache=/var/cache/sparkplane
else
	cache=${SPARKPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkplane}
fi
dir=$cache/spark-operator-$VERSION
bin=$dir/operator
crds=(sparkoperator.k8s.io_sparkapplications.yaml sparkoperator.k8s.io_scheduledsparkapplications.yaml
	sparkoperator.k8s.io_sparkconnects.yaml)

log() { echo "spark-operator: $*" >&2; }

# Build state, cleaned up on any exit so an interrupted build leaves nothing.
build_tmp=""
build_pid=""
cleanup() {
	if [ -n "$build_pid" ]; then kill "$build_pid" 2>/dev/null || true; fi
	if [ -n "$build_tmp" ]; then rm -rf "$build_tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

complete() {
	[ -x "$bin" ] || return 1
	local f
	for f in "${crds[@]}"; do [ -s "$dir/crds/$f" ] || return 1; done
}

build() {
	command -v go >/dev/null 2>&1 || { log "go is not on PATH; cannot build the Spark Operator"; exit 1; }
	build_tmp=$(mktemp -d "$dir/.build.XXXXXX")
	log "building the Spark Operator $VERSION ($MODULE from the Go module proxy) into $dir"
	log "a cold build (empty Go cache) takes about 5-8 minutes on 2 cores; please wait"
	local start=$SECONDS
	(
		cd "$build_tmp"
		export GOWORK=off GOFLAGS=-mod=mod
		go mod init sparkplane-spark-operator-build 2>/dev/null
		go get "$MODULE@$VERSION" >&2 # its errors, and the downloads as progress
		exec go build -trimpath -ldflags "-s -w -X $MODULE.version=${VERSION#v}" -o "$build_tmp/operator" "$MODULE/cmd/operator"
	) &
	build_pid=$!
	local ticks=0
	while kill -0 "$build_pid" 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		if [ $((ticks % 30)) -eq 0 ]; then log "still building... ${ticks}s elapsed"; fi
	done
	if ! wait "$build_pid"; then
		build_pid=""
		log "go build failed after $((SECONDS - start))s"
		exit 1
	fi
	build_pid=""
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

mkdir -p "$dir"
exec 9>"$dir/.lock"
if ! flock -n 9; then
	log "another build holds $dir/.lock; waiting"
	flock 9
fi
rm -rf "$dir"/.build.* # leftovers of a killed build; we hold the lock
if complete; then
	log "Spark Operator $VERSION already built: $dir"
else
	build
fi
chmod 0755 "$dir" "$bin"
echo "$dir"
