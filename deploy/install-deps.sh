#!/usr/bin/env bash
# Installs every Debian 12 (bookworm) package Blueshift needs to build, test and run its dev
# warehouse. Idempotent and quick when everything is present: it asks dpkg first and touches
# apt only for what is missing, because CI runs it on every submission.
#
# Usage (as root): deploy/install-deps.sh
set -euo pipefail

# One entry a line. "a|b" means any one of them will do; the first is installed when none is.
#  - file_fdw (the dev lake's foreign tables) ships inside postgresql-15 on bookworm; there is
#    no postgresql-contrib-15 package there, only the postgresql-contrib metapackage.
#  - default-jdk-headless pulls openjdk-17-jdk-headless; either satisfies the JDBC tests.
PACKAGES=(
  build-essential
  cmake
  ninja-build
  g++
  clang
  libclang-rt-14-dev
  libboost1.81-dev
  libssl-dev
  libpq-dev
  postgresql-15
  postgresql-client-15
  postgresql-contrib
  libpg-query-dev
  libprotobuf-c-dev
  nlohmann-json3-dev
  libabsl-dev
  libspdlog-dev
  libfmt-dev
  libyaml-cpp-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  pgbouncer
  strace
  haproxy
  python3
  python3-psycopg
  python3-yaml
  python3-prometheus-client
  libpostgresql-jdbc-java
  "default-jdk-headless|openjdk-17-jdk-headless"
  odbc-postgresql
  unixodbc
  unixodbc-dev
  openssl
  procps
  iproute2
  passwd
  util-linux
)

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == "installed" ]]
}

missing=()
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r -a alternatives <<<"$entry"
  ok=0
  for pkg in "${alternatives[@]}"; do
    if installed "$pkg"; then ok=1; break; fi
  done
  [[ $ok == 1 ]] || missing+=("${alternatives[0]}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [[ $EUID -ne 0 ]]; then
  echo "install-deps: run as root to install them (sudo $0)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql packages would create and start a default cluster on 5432; the project
# runs its own clusters, so tell postgresql-common not to make one.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/blueshift.conf
fi

# Refresh the package lists only when apt does not know a package we need (a fresh image has
# no lists at all); an update costs tens of seconds.
need_update=0
for pkg in "${missing[@]}"; do
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then need_update=1; break; fi
done
if [[ $need_update == 1 ]]; then
  apt-get update -q
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  # Stale package lists name versions the mirror no longer has: refresh once and retry.
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-deps: done"
