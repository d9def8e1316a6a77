#!/usr/bin/env bash
# versitygw.sh makes sure the Versity S3 Gateway (versitygw) is available:
# the S3-compatible server that `sparkplane dev-cluster up` runs on a local
# folder and that the S3 tests start (internal/s3server,
# internal/testenv/s3env).
#
# It is compiled from the tools/versitygw module (versitygw $VERSION from the
# Go module proxy) into the cache folder <cache>/versitygw-$VERSION, only
# when missing. The cache is $SPARKPLANE_CACHE, else $XDG_CACHE_HOME/sparkplane,
# else /var/cache/sparkplane for root, else ~/.cache/sparkplane (as
# internal/config.Env.CacheDir). A cold build takes ~3-5 minutes on 2 cores.
#
# Idempotent and safe to run concurrently (a lock serialises builds). The
# last line printed is the binary's path.
set -euo pipefail

VERSION=v1.8.0 # keep in step with tools/versitygw/go.mod and internal/s3server.Version
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $(id -u) -eq 0 && -z "${SPARKPLANE_CACHE:-}" && -z "${XDG_CACHE_HOME:-}" ]]; then
	cache=/var/cache/sparkplane
else
	cache=${SPARKPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkplane}
fi
bin_dir=$cache/versitygw-$VERSION
bin=$bin_dir/versitygw

log() { echo "versitygw: $*" >&2; }

build_tmp=""
cleanup() { if [ -n "$build_tmp" ]; then rm -rf "$build_tmp"; fi; }
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
	log "versitygw $VERSION already built: $bin"
else
	command -v go >/dev/null 2>&1 || { log "go is not on PATH; cannot build versitygw"; exit 1; }
	build_tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")
	log "building versitygw $VERSION from tools/versitygw into $bin_dir (a cold build takes ~3-5 minutes on 2 cores)"
	start=$SECONDS
	(cd "$repo_root/tools/versitygw" && GOWORK=off go build -trimpath -ldflags "-s -w" \
		-o "$build_tmp/versitygw" github.com/versity/versitygw/cmd/versitygw)
	mv -f "$build_tmp/versitygw" "$bin" # same filesystem: atomic rename
	log "built in $((SECONDS - start))s"
fi
# Readable by the users local jobs run as when the cache is root's.
chmod 0755 "$bin_dir" "$bin"
echo "$bin"
