#!/usr/bin/env bash
# kube-binaries.sh makes sure a real etcd, kube-apiserver,
# kube-controller-manager and kubectl are available for sparkplane's
# Kubernetes tests.
#
#   - etcd comes from Debian's etcd-server package (installed if missing).
#   - kube-apiserver, kube-controller-manager and kubectl are compiled from the
#     tools/kube module into $SPARKPLANE_CACHE/kube-v1.34.2 (default cache:
#     ~/.cache/sparkplane), only when missing. A cold build takes ~6-8 min.
#
# Idempotent and safe to run concurrently (a lock serialises builds). The
# last line printed is the folder that holds the binaries.
set -euo pipefail

KUBE_VERSION=v1.34.2
TOOL=kube-binaries
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/tool.sh
. "$repo_root/scripts/lib/tool.sh"
# Not sparkplane_cache: internal/controlplane looks for them here.
bin_dir=${SPARKPLANE_CACHE:-$HOME/.cache/sparkplane}/kube-$KUBE_VERSION

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_etcd() {
	if command -v etcd >/dev/null 2>&1; then
		log "etcd found at $(command -v etcd)"
		return
	fi
	log "etcd missing: installing Debian package etcd-server (apt-get update + install)"
	as_root apt-get update -qq >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >&2
	command -v etcd >/dev/null 2>&1 || { log "etcd still not on PATH after install"; exit 1; }
	log "etcd installed: $(etcd --version 2>/dev/null | head -n1)"
}

build_missing() {
	local missing=() name
	for name in kube-apiserver kube-controller-manager kubectl; do
		[ -x "$bin_dir/$name" ] || missing+=("$name")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "kube binaries already cached in $bin_dir"
		return
	fi
	need_go "${missing[*]}"
	new_build_tmp "$bin_dir"

	local pkgs=() ldflags
	for name in "${missing[@]}"; do pkgs+=("./$name"); done
	ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=34"
		ldflags+=" -X $pkg.gitTreeState=clean"
	done

	log "building ${missing[*]} $KUBE_VERSION from tools/kube into $bin_dir"
	log "a cold build (empty Go cache) takes about 6-8 minutes on 2 cores; please wait"
	local start=$SECONDS
	build_with_progress bash -c 'cd "$1/tools/kube" && GOWORK=off exec go build -trimpath -ldflags "$2" -o "$3/" "${@:4}"' \
		_ "$repo_root" "$ldflags" "$build_tmp" "${pkgs[@]}" || exit 1
	for name in "${missing[@]}"; do
		mv -f "$build_tmp/$name" "$bin_dir/$name" # same filesystem: atomic rename
	done
	log "built ${missing[*]} in $((SECONDS - start))s"
}

ensure_etcd
lock_tool "$bin_dir"
build_missing
ln -sfn "$(command -v etcd)" "$bin_dir/etcd"
echo "$bin_dir"
