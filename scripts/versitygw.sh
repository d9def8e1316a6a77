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
TOOL=versitygw
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/tool.sh
. "$repo_root/scripts/lib/tool.sh"
bin_dir=$(sparkplane_cache)/versitygw-$VERSION
bin=$bin_dir/versitygw

compile() {
	cd "$repo_root/tools/versitygw" && GOWORK=off exec go build -trimpath -ldflags "-s -w" \
		-o "$build_tmp/versitygw" github.com/versity/versitygw/cmd/versitygw
}

lock_tool "$bin_dir"
if [ -x "$bin" ]; then
	log "versitygw $VERSION already built: $bin"
else
	need_go versitygw
	new_build_tmp "$bin_dir"
	log "building versitygw $VERSION from tools/versitygw into $bin_dir (a cold build takes ~3-5 minutes on 2 cores)"
	start=$SECONDS
	build_with_progress compile || exit 1
	mv -f "$build_tmp/versitygw" "$bin" # same filesystem: atomic rename
	log "built in $((SECONDS - start))s"
fi
# Readable by the users local jobs run as when the cache is root's.
chmod 0755 "$bin_dir" "$bin"
echo "$bin"
