#!/bin/sh
# Installs what convene needs to build and test on Debian 12: Debian's own packages (apt-get),
# then the browser tests' packages from npm, exactly as web/package-lock.json pins them.
# Idempotent: when everything is present it returns at once without touching apt or npm.
set -eu
# --build-only: what building convene needs, without the browser tests' chromium, Node.js and
# npm packages (the container image uses this).
build_only=false
[ "${1:-}" = "--build-only" ] && build_only=true

PACKAGES="build-essential cmake pkg-config ccache git ca-certificates tzdata \
  librdkafka-dev librocksdb-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
  rapidjson-dev libcli11-dev libhowardhinnant-date-dev libjemalloc-dev libgtest-dev kcat \
  libcsv-dev libmicrohttpd-dev libre2-dev libsodium-dev libprotobuf-dev protobuf-compiler curl \
  python3 python3-jsonschema python3-yaml"
$build_only || PACKAGES="$PACKAGES chromium fonts-liberation openssl"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# Node.js and npm: Debian's packages, unless a node with npm is there already
# (another packaging of Node.js would conflict with Debian's npm).
if ! $build_only && { ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; }; then
  missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" != "0" ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The browser tests' packages (puppeteer-core, axe-core), into web/node_modules,
# again only when the lockfile changed since they were installed.
web="$(cd "$(dirname "$0")/.." && pwd)/web"
stamp="$web/node_modules/.convene-lock-sha256"
want="$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)"
if ! $build_only && [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install-deps: npm ci in $web"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts)
  echo "$want" > "$stamp"
fi
if [ -z "$missing" ]; then
  echo "install-deps: all dependencies present"
fi
