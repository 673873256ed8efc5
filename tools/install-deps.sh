#!/bin/sh
# Installs what convene needs to build and test on Debian 12, from Debian's own packages.
# Idempotent: when everything is present it returns at once without touching apt.
set -eu

PACKAGES="build-essential cmake pkg-config ccache git ca-certificates tzdata \
  librdkafka-dev librocksdb-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
  rapidjson-dev libcli11-dev libhowardhinnant-date-dev libjemalloc-dev libgtest-dev kcat \
  libcsv-dev libmicrohttpd-dev libre2-dev libsodium-dev libprotobuf-dev protobuf-compiler curl \
  python3 python3-jsonschema python3-yaml"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

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
