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
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SPARKPLANE_CACHE:-$HOME/.cache/sparkplane}
bin_dir=$cache/kube-$KUBE_VERSION

log() { echo "kube-binaries: $*" >&2; }

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
	command -v go >/dev/null 2>&1 || { log "go is not on PATH; cannot build ${missing[*]}"; exit 1; }

	build_tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")

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
	(cd "$repo_root/tools/kube" && GOWORK=off exec go build -trimpath -ldflags "$ldflags" -o "$build_tmp/" "${pkgs[@]}") &
	build_pid=$!
	local ticks=0
	while kill -0 "$build_pid" 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		if [ $((ticks % 30)) -eq 0 ]; then log "still building... ${ticks}s elapsed"; fi
	done
	if ! wait "$build_pid"; then
		log "go build failed after $((SECONDS - start))s"
		exit 1
	fi
	for name in "${missing[@]}"; do
		mv -f "$build_tmp/$name" "$bin_dir/$name" # same filesystem: atomic rename
	done
	build_pid=""
	log "built ${missing[*]} in $((SECONDS - start))s"
}

ensure_etcd
mkdir -p "$bin_dir"
exec 9>"$bin_dir/.lock"
if ! flock -n 9; then
	log "another build holds $bin_dir/.lock; waiting"
	flock 9
fi
rm -rf "$bin_dir"/.build.* # leftovers of a killed build; we hold the lock
build_missing
ln -sfn "$(command -v etcd)" "$bin_dir/etcd"
echo "$bin_dir"
