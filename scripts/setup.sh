#!/usr/bin/env bash
# Installs what sparkplane needs to run real Spark jobs, idempotently:
#   - a JDK 17 (Debian's openjdk-17-jdk-headless) unless one is present,
#   - python3 (PySpark drivers),
#   - Apache Spark from the pyspark package on PyPI, into the cache folder
#     ${SPARKPLANE_CACHE:-~/.cache/sparkplane}/spark-<version>, shared by every clone.
#     As root (with neither SPARKPLANE_CACHE nor XDG_CACHE_HOME set) the cache is
#     /var/cache/sparkplane, readable by the users jobs run as (root's home is not);
#     a copy already in ~/.cache/sparkplane is copied there instead of downloaded.
#   - the S3A connector in that Spark: hadoop-aws and the AWS SDK bundle matching its
#     Hadoop client jars, from Maven Central, SHA-1 checked (scripts/adds3a, in Go: the
#     server installs it the same way into the Spark versions it installs on first use),
#   - as root, the Unix user sparkplane-job that local runs run as by default
#     (security.executionRoles[].localUser names others; create those yourself).
# With --test it also installs what the tests drive sparkplane with: the AWS CLI v2
# (Debian's awscli package), the PostgreSQL server (Debian's postgresql) that
# internal/testenv/pgenv starts throwaway instances of, unless SPARKPLANE_TEST_POSTGRES
# names a server to use instead, and the S3 server versitygw that
# internal/testenv/s3env and the embedded cluster run (scripts/versitygw.sh builds
# it into $CACHE/versitygw-<version>), and moto's CloudWatch Logs server that
# internal/testenv/cwenv starts (scripts/moto.sh installs it into $CACHE/moto-<version>),
# and Helm, which test/chart and test/devcluster drive charts/sparkplane with
# (scripts/helm.sh builds it into $CACHE/helm-<version>).
set -euo pipefail

SPARK_VERSION=3.5.9 # keep in step with internal/sparkdist.Version
JOB_USER=sparkplane-job # keep in step with internal/config.DefaultJobUser
is_root=false
[[ $(id -u) -eq 0 ]] && is_root=true
if $is_root && [[ -z "${SPARKPLANE_CACHE:-}" && -z "${XDG_CACHE_HOME:-}" ]]; then
  CACHE=/var/cache/sparkplane # keep in step with internal/config.RootCacheDir
else
  CACHE="${SPARKPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkplane}"
fi
SPARK_DIR="$CACHE/spark-$SPARK_VERSION"
HOME_SPARK_DIR="${HOME:-/nonexistent}/.cache/sparkplane/spark-$SPARK_VERSION"
with_test=false
[[ "${1:-}" == "--test" ]] && with_test=true

say() { printf '==> %s\n' "$*"; }

apt_updated=false
apt_install() {
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: need root (or sudo) to apt-get install $*" >&2; exit 1; }
    sudo=sudo
  fi
  if ! $apt_updated; then
    say "apt-get update"
    $sudo apt-get update -qq
    apt_updated=true
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

# JDK 17: Spark 3.5 runs on it; EMR 7.x images use it too.
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] || compgen -G "/usr/lib/jvm/java-17-openjdk-*/bin/java" >/dev/null; then
  say "JDK present"
else
  apt_install openjdk-17-jdk-headless
fi

command -v python3 >/dev/null || apt_install python3 python3-pip
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip

if [[ -x "$SPARK_DIR/pyspark/bin/spark-submit" ]]; then
  say "Apache Spark $SPARK_VERSION present in $SPARK_DIR"
else
  mkdir -p "$CACHE"
  tmp="$(mktemp -d "$CACHE/.spark-$SPARK_VERSION.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if [[ "$HOME_SPARK_DIR" != "$SPARK_DIR" && -x "$HOME_SPARK_DIR/pyspark/bin/spark-submit" ]]; then
    say "Copying Apache Spark $SPARK_VERSION from $HOME_SPARK_DIR into $SPARK_DIR"
    cp -a "$HOME_SPARK_DIR/." "$tmp/"
  else
    say "Installing Apache Spark $SPARK_VERSION (pyspark from PyPI, ~320 MB) into $SPARK_DIR"
    python3 -m pip install --disable-pip-version-check --progress-bar on --target "$tmp" "pyspark==$SPARK_VERSION"
  fi
  [[ -x "$tmp/pyspark/bin/spark-submit" ]] || { echo "error: pyspark $SPARK_VERSION has no bin/spark-submit" >&2; exit 1; }
  rm -rf "$SPARK_DIR"
  mv "$tmp" "$SPARK_DIR" # atomic: an interrupted install never looks complete
  trap - EXIT
  say "Apache Spark $SPARK_VERSION installed"
fi

# The S3A connector (s3:// and s3a:// data): hadoop-aws and its AWS SDK bundle
# into Spark's jars/, once; see internal/sparkdist/s3a.go.
if compgen -G "$SPARK_DIR/pyspark/jars/hadoop-aws-*.jar" >/dev/null; then
  say "S3A connector present in Apache Spark $SPARK_VERSION"
else
  command -v go >/dev/null || { echo "error: go is not on PATH; it builds scripts/adds3a, which installs the S3A connector" >&2; exit 1; }
  say "Installing the S3A connector (hadoop-aws + AWS SDK bundle from Maven Central, ~270 MB) into Apache Spark $SPARK_VERSION"
  repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  (cd "$repo_root" && go run ./scripts/adds3a "$SPARK_DIR/pyspark")
fi

if $is_root; then
  # Local runs run as unprivileged users when the server is root: they must
  # read Spark (the JDK under /usr/lib/jvm and python3 are world-readable).
  chmod 0755 "$CACHE"
  chmod -R a+rX "$SPARK_DIR"
  if id -u "$JOB_USER" >/dev/null 2>&1; then
    say "Job user $JOB_USER present"
  else
    say "Creating the job user $JOB_USER (local runs run as it when the server is root)"
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$JOB_USER"
  fi
fi

if $with_test; then
  # The AWS CLI v2 that the tests drive the server with. A pip-installed v1 may
  # shadow it on PATH, so the tests look for /usr/bin/aws first.
  if [[ -x /usr/bin/aws ]] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2'; then
    say "AWS CLI v2 present"
  else
    apt_install awscli
  fi
  # initdb and postgres, which the PostgreSQL store's tests run. Only Debian's
  # /usr/lib/postgresql/<version>/bin counts: a stray initdb on PATH may be gone
  # on a fresh machine.
  if [[ -n "${SPARKPLANE_TEST_POSTGRES:-}" ]]; then
    say "PostgreSQL: the tests use SPARKPLANE_TEST_POSTGRES"
  elif compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
    say "PostgreSQL present"
  else
    apt_install postgresql
  fi
  say "S3 server: $("$(dirname "${BASH_SOURCE[0]}")/versitygw.sh")"
  say "CloudWatch Logs server for the tests (moto): $("$(dirname "${BASH_SOURCE[0]}")/moto.sh")"
  say "Helm for the chart's tests: $("$(dirname "${BASH_SOURCE[0]}")/helm.sh")"
fi
say "Ready."
