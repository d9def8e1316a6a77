#!/usr/bin/env bash
# moto.sh makes sure moto's server is available: a real implementation of the
# CloudWatch Logs API (and others) that the tests of
# monitoringConfiguration.cloudWatchMonitoringConfiguration send job-run logs
# to (internal/testenv/cwenv).
#
# It installs moto $VERSION and the web framework its server needs from PyPI
# (pip --target) into the cache folder <cache>/moto-$VERSION, only when
# missing. The cache is $SPARKPLANE_CACHE, else $XDG_CACHE_HOME/sparkplane,
# else /var/cache/sparkplane for root, else ~/.cache/sparkplane (as
# internal/config.Env.CacheDir). Takes ~10-30 s and ~120 MB.
#
# Idempotent and safe to run concurrently (a lock serialises installs). The
# last line printed is the folder to put on PYTHONPATH.
set -euo pipefail

VERSION=5.2.5 # keep in step with internal/testenv/cwenv.MotoVersion
TOOL=moto
# shellcheck source=lib/tool.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tool.sh"
cache=$(sparkplane_cache)
dir=$cache/moto-$VERSION

mkdir -p "$cache"
exec 9>"$cache/.moto-$VERSION.lock"
if ! flock -n 9; then
	log "another install holds $cache/.moto-$VERSION.lock; waiting"
	flock 9
fi
if [ -f "$dir/.complete" ]; then
	log "moto $VERSION already installed: $dir"
else
	command -v python3 >/dev/null 2>&1 || { log "python3 is not on PATH; cannot install moto"; exit 1; }
	python3 -m pip --version >/dev/null 2>&1 || { log "pip is missing: run scripts/setup.sh (it installs python3-pip)"; exit 1; }
	build_tmp=$(mktemp -d "$cache/.moto-$VERSION.XXXXXX")
	log "installing moto $VERSION (server with CloudWatch Logs) from PyPI into $dir"
	start=$SECONDS
	python3 -m pip install --disable-pip-version-check --no-warn-conflicts --root-user-action=ignore --progress-bar on \
		--target "$build_tmp" "moto==$VERSION" "flask>=3,<4" "flask-cors>=5,<7" >&2
	touch "$build_tmp/.complete"
	rm -rf "$dir"
	mv "$build_tmp" "$dir" # same filesystem: atomic rename
	build_tmp=""
	log "installed in $((SECONDS - start))s"
fi
chmod 0755 "$dir"
echo "$dir"
