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
TOOL=helm
# shellcheck source=lib/tool.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tool.sh"
bin_dir=$(sparkplane_cache)/helm-$VERSION
bin=$bin_dir/helm

# compile installs helm into $build_tmp, in a module of its own so neither
# sparkplane's go.mod nor a go.work applies.
compile() {
	mkdir -p "$build_tmp/mod"
	cd "$build_tmp/mod" && exec env GOWORK=off GOFLAGS=-mod=mod GOBIN="$build_tmp" \
		go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$VERSION" "helm.sh/helm/v4/cmd/helm@$VERSION"
}

lock_tool "$bin_dir"
if [ -x "$bin" ]; then
	log "helm $VERSION already built: $bin"
else
	need_go helm
	new_build_tmp "$bin_dir"
	log "building helm $VERSION (helm.sh/helm/v4 from the Go module proxy) into $bin_dir"
	log "a cold build (empty Go cache) takes 5-8 minutes on 2 cores; please wait"
	start=$SECONDS
	build_with_progress compile || exit 1
	mv -f "$build_tmp/helm" "$bin" # same filesystem: atomic rename
	log "built in $((SECONDS - start))s"
fi
chmod 0755 "$bin_dir" "$bin"
echo "$bin"
