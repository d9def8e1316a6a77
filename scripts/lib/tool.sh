# shellcheck shell=bash
# tool.sh is what the scripts that keep a tool in sparkplane's cache share
# (helm.sh, kube-binaries.sh, moto.sh, spark-operator.sh, versitygw.sh):
# where the cache is, a lock that serialises builds of one tool, a build
# run in the background with progress, and the cleanup of an interrupted
# build. Source it after setting TOOL (the name log lines start with).

log() { echo "$TOOL: $*" >&2; }

# sparkplane_cache prints the cache folder, as internal/config.Env.CacheDir
# finds it: $SPARKPLANE_CACHE, else $XDG_CACHE_HOME/sparkplane, else
# /var/cache/sparkplane for root (readable by the users local jobs run as),
# else ~/.cache/sparkplane.
sparkplane_cache() {
	if [[ $(id -u) -eq 0 && -z "${SPARKPLANE_CACHE:-}" && -z "${XDG_CACHE_HOME:-}" ]]; then
		echo /var/cache/sparkplane
	else
		echo "${SPARKPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkplane}"
	fi
}

# Build state, cleaned up on any exit so an interrupted build leaves nothing.
build_tmp=""
build_pid=""
tool_cleanup() {
	if [ -n "$build_pid" ]; then # the go command, and the compiler or linker it runs
		pkill -TERM -P "$build_pid" 2>/dev/null || true
		kill "$build_pid" 2>/dev/null || true
	fi
	if [ -n "$build_tmp" ]; then rm -rf "$build_tmp"; fi
}
trap tool_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# lock_tool DIR creates DIR and holds DIR/.lock until the script exits
# (waiting, with a message, while another build holds it), then removes
# what a killed build left there.
lock_tool() {
	mkdir -p "$1"
	exec 9>"$1/.lock"
	if ! flock -n 9; then
		log "another build holds $1/.lock; waiting"
		flock 9
	fi
	rm -rf "$1"/.build.* # leftovers of a killed build; we hold the lock
}

# new_build_tmp DIR makes the build's scratch folder inside DIR (the same
# filesystem, so moving a result into DIR is an atomic rename) and sets
# build_tmp to it.
new_build_tmp() { build_tmp=$(mktemp -d "$1/.build.XXXXXX"); }

# build_with_progress CMD... runs CMD in the background, saying every 30 s
# that it still runs; it fails when CMD does, naming how long it ran.
build_with_progress() {
	local start=$SECONDS ticks=0
	"$@" &
	build_pid=$!
	while kill -0 "$build_pid" 2>/dev/null; do
		sleep 1
		ticks=$((ticks + 1))
		if [ $((ticks % 30)) -eq 0 ]; then log "still building... ${ticks}s elapsed"; fi
	done
	if ! wait "$build_pid"; then
		build_pid=""
		log "build failed after $((SECONDS - start))s"
		return 1
	fi
	build_pid=""
}

# need_go fails, saying what cannot be built, when go is not on PATH.
need_go() {
	command -v go >/dev/null 2>&1 || { log "go is not on PATH; cannot build $1"; exit 1; }
}
