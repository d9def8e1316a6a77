#!/usr/bin/env bash
# helm.sh makes sure a Helm $VERSION binary is available: the chart tests
# (charts/sparkplane) lint and render the chart with it, and the embedded
# cluster tests (test/devcluster) install, upgrade and uninstall it.
#
# It is compiled with `go install helm.sh/helm/v4/cmd/helm@$VERSION` from the
# Go module proxy into the cache folder <cache>/helm-$VERSION, only when
# missing, in a throwaway module (helm stays out of sparkplane's go.mod: its
# k8s.io modules need not match ours). The cache is $SPARKPLANE_CACHE, else
# $XDG_CACHE_HOME/sparkplane, else /var/cache/sparkplane for root, else
# ~/.cache/sparkplane (as internal/config.Env.CacheDir). A cold build takes
# 5-8 minutes on 2 busy cores (435 s measured; a warm Go cache: seconds).
#
# Idempotent and safe to run concurrently (a lock serialises builds). The
# last line printed is the binary's path.
set -euo pipefail

VERSION=v4.3.2 # keep in step with charts/sparkplane's tests (HelmVersion)
if [[ $(id -u) -eq 0 && -z "${SPARKPLANE_CACHE:-}" && -z "${XDG_CACHE_HOME:-}" ]]; then
	cache=/var/cache/sparkplane
else
	cache=${SPARKPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkplane}
fi
bin_dir=$cache/helm-$VERSION
bin=$bin_dir/helm

log() { echo "helm: $*" >&2; }

build_tmp=""
build_pid=""
cleanup() {
	if [ -n "$build_pid" ]; then kill "$build_pid" 2>/dev/null || true; fi
	if [ -n "$build_tmp" ]; then rm -rf "$build_tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$bin_dir"
exec 9>"$bin_dir/.lock"
if ! flock -n 9; then
	log "another build holds $bin_dir/.lock; waiting"
	flock 9
fi
rm -rf "$bin_dir"/.build.* # leftovers of a killed build; we hold the lock
if [ -x "$bin" ]; then
	log "helm $VERSION already built: $bin"
else
	command -v go >/dev/null 2>&1 || { log "go is not on PATH; cannot build helm"; exit 1; }
	build_tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")
	log "building helm $VERSION (helm.sh/helm/v4 from the Go module proxy) into $bin_dir"
	log "a cold build (empty Go cache) takes 5-8 minutes on 2 cores; please wait"
	start=$SECONDS
	# A module of its own so neither sparkplane's go.mod nor a go.work applies.
	mkdir -p "$build_tmp/mod"
	(cd "$build_tmp/mod" && exec env GOWORK=off GOFLAGS=-mod=mod GOBIN="$build_tmp" \
		go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$VERSION" "helm.sh/helm/v4/cmd/helm@$VERSION") &
	build_pid=$!
	ticks=0
	while kill -0 "$build_pid" 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		if [ $((ticks % 30)) -eq 0 ]; then log "still building... ${ticks}s elapsed"; fi
	done
	if ! wait "$build_pid"; then
		build_pid=""
		log "go install failed after $((SECONDS - start))s"
		exit 1
	fi
	build_pid=""
	mv -f "$build_tmp/helm" "$bin" # same filesystem: atomic rename
	log "built in $((SECONDS - start))s"
fi
chmod 0755 "$bin_dir" "$bin"
echo "$bin"
