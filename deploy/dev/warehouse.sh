#!/usr/bin/env bash
# The dev warehouse: a local PostgreSQL 15 standing in for Amazon Redshift, with a demo
# Spectrum-style data lake (file_fdw partitions over CSV files) and Redshift's svv_external_*
# catalog views. Not for production: fsync is off, the superuser is trusted on loopback.
#
# Usage: deploy/dev/warehouse.sh start|stop|status|restart|psql [psql args]|env|reset
#   start    create the cluster and demo data on first use, start it, wait until ready
#   stop     stop it (fast shutdown)
#   status   exit 0 when it is up and accepting connections
#   psql     psql as the superuser "postgres" into database dev (extra args passed on)
#   env      print PG* exports for the superuser connection (eval "$(... env)")
#   reset    stop and delete the cluster and lake, then start afresh
#
# Environment:
#   BLUESHIFT_DEV_DIR              cluster + lake folder   (default <repo>/.dev/warehouse)
#   BLUESHIFT_DEV_PORT             TCP port on 127.0.0.1   (default 5440)
#   BLUESHIFT_DEV_MAX_CONNECTIONS  max_connections         (default 1200)
#   BLUESHIFT_DEV_ROWS_PER_MONTH   lake rows per month, used on first start (default 200)
#   BLUESHIFT_DEV_SEED             lake PRNG seed, used on first start (default 20240101)
#   BLUESHIFT_DEV_OS_USER          OS user running the server when invoked as root
#                                  (default blueshift-dev, created if missing)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
PGBIN=/usr/lib/postgresql/15/bin
DEV_DIR="$(realpath -m "${BLUESHIFT_DEV_DIR:-$REPO/.dev/warehouse}")"
PORT="${BLUESHIFT_DEV_PORT:-5440}"
MAX_CONNECTIONS="${BLUESHIFT_DEV_MAX_CONNECTIONS:-1200}"
ROWS_PER_MONTH="${BLUESHIFT_DEV_ROWS_PER_MONTH:-200}"
SEED="${BLUESHIFT_DEV_SEED:-20240101}"
SUPERUSER=postgres
DATABASE=dev

if [[ $EUID -eq 0 ]]; then
  OS_USER="${BLUESHIFT_DEV_OS_USER:-blueshift-dev}"
else
  OS_USER="$(id -un)"
fi

say() { echo "warehouse: $*"; }
die() { echo "warehouse: error: $*" >&2; exit 1; }

# PostgreSQL refuses to run as root, so as root every server-side command runs as OS_USER.
as_server_user() {
  if [[ $EUID -eq 0 ]]; then runuser -u "$OS_USER" -- "$@"; else "$@"; fi
}

ensure_os_user() {
  [[ $EUID -eq 0 ]] || return 0
  if ! getent passwd "$OS_USER" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$OS_USER"
    say "created system user $OS_USER to run the server"
  fi
}

# The folder the server really uses. Normally DEV_DIR itself; when the server's OS user cannot
# reach DEV_DIR (e.g. a clone under /root) or the socket path would be too long for a unix
# socket, the cluster lives under /var/lib/blueshift-dev/ and DEV_DIR is a symlink to it.
REAL_DIR=""
resolve_real_dir() {  # $1 = create|lookup
  if [[ -L "$DEV_DIR" ]]; then
    REAL_DIR="$(readlink -f "$DEV_DIR")"
  elif [[ -d "$DEV_DIR" ]]; then
    REAL_DIR="$DEV_DIR"
  elif [[ "$1" == lookup ]]; then
    REAL_DIR=""; return 0
  else
    local parent; parent="$(dirname "$DEV_DIR")"
    mkdir -p "$parent"
    local sock="$DEV_DIR/.s.PGSQL.$PORT"
    if (( ${#sock} <= 100 )) && as_server_user test -x "$parent" 2>/dev/null \
       && as_server_user bash -c 'cd "$1"' _ "$parent" 2>/dev/null; then
      REAL_DIR="$DEV_DIR"
      mkdir -p "$REAL_DIR"
    else
      REAL_DIR="/var/lib/blueshift-dev/$(printf '%s' "$DEV_DIR" | sha1sum | cut -c1-12)"
      mkdir -p "$REAL_DIR"
      ln -sfn "$REAL_DIR" "$DEV_DIR"
      say "$DEV_DIR is not reachable by $OS_USER or too long for a socket; using $REAL_DIR"
    fi
    if [[ $EUID -eq 0 ]]; then chown "$OS_USER": "$REAL_DIR"; fi
  fi
  DATA="$REAL_DIR/data"
  LAKE="$REAL_DIR/lake"
  LOGFILE="$DATA/server.log"
}

running() {
  [[ -n "$REAL_DIR" && -f "$DATA/PG_VERSION" ]] || return 1
  as_server_user "$PGBIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

# The port of the running server (from postmaster.pid), else the configured one.
current_port() {
  if [[ -n "$REAL_DIR" && -f "$DATA/postmaster.pid" ]]; then
    sed -n 4p "$DATA/postmaster.pid"
  else
    echo "$PORT"
  fi
}

ready() {
  "$PGBIN/pg_isready" -q -h "$REAL_DIR" -p "$(current_port)" -d "$DATABASE" -U "$SUPERUSER"
}

port_taken() {
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Hltn "( sport = :$PORT )" 2>/dev/null)" ]] && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

write_config() {
  # Written on every start so that port and limits follow the environment.
  cat >"$DATA/blueshift.conf" <<EOF
# Written by deploy/dev/warehouse.sh on every start; edits here are lost.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$REAL_DIR'
max_connections = $MAX_CONNECTIONS
shared_buffers = 256MB
# Dev only: no crash safety wanted, speed is. Never copy these three to a real server.
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = on
lc_messages = 'C'
timezone = 'UTC'
datestyle = 'iso, mdy'
password_encryption = 'scram-sha-256'
EOF
  # First match wins. The superuser is trusted locally and on loopback (dev convenience for
  # tests); everyone else proves a password, each role by the method its tests need.
  cat >"$DATA/pg_hba.conf" <<EOF
# Written by deploy/dev/warehouse.sh on every start; edits here are lost.
# TYPE  DATABASE  USER       ADDRESS        METHOD
local   all       $SUPERUSER                trust
host    all       $SUPERUSER 127.0.0.1/32   trust
host    all       $SUPERUSER ::1/128        trust
local   all       legacy                    password
host    all       legacy     127.0.0.1/32   password
host    all       legacy     ::1/128        password
local   all       etl                       md5
host    all       etl        127.0.0.1/32   md5
host    all       etl        ::1/128        md5
local   all       all                       scram-sha-256
host    all       all        127.0.0.1/32   scram-sha-256
host    all       all        ::1/128        scram-sha-256
EOF
  if [[ $EUID -eq 0 ]]; then chown "$OS_USER": "$DATA/blueshift.conf" "$DATA/pg_hba.conf"; fi
  chmod 600 "$DATA/blueshift.conf" "$DATA/pg_hba.conf"
}

init_cluster() {
  say "initdb in $DATA"
  mkdir -p "$DATA"
  if [[ $EUID -eq 0 ]]; then chown "$OS_USER": "$DATA"; fi
  chmod 700 "$DATA"
  as_server_user "$PGBIN/initdb" -D "$DATA" -U "$SUPERUSER" --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$REAL_DIR/initdb.log" 2>&1 \
    || { cat "$REAL_DIR/initdb.log" >&2; die "initdb failed"; }
  echo "include_if_exists = 'blueshift.conf'" | as_server_user tee -a "$DATA/postgresql.conf" >/dev/null
}

sql() {  # runs psql as the superuser over the unix socket
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$REAL_DIR" -p "$(current_port)" -U "$SUPERUSER" "$@"
}

load_demo() {
  say "generating the demo lake ($ROWS_PER_MONTH rows a month, seed $SEED) in $LAKE"
  rm -rf "$LAKE"
  python3 "$SCRIPT_DIR/gen_lake.py" --out "$LAKE" --rows-per-month "$ROWS_PER_MONTH" \
    --seed "$SEED" --jobs "$(nproc)"
  if [[ $EUID -eq 0 ]]; then chown -R "$OS_USER": "$LAKE"; fi
  chmod -R a+rX "$LAKE"
  say "loading roles, database $DATABASE, demo schema and catalog views"
  sql -d postgres -f "$SCRIPT_DIR/roles.sql"
  sql -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" -c "CREATE DATABASE $DATABASE"
  sql -d "$DATABASE" -v lake_dir="$LAKE" -f "$SCRIPT_DIR/demo.sql" >/dev/null
  sql -d "$DATABASE" -f "$SCRIPT_DIR/catalog_views.sql" >/dev/null
  echo "rows_per_month=$ROWS_PER_MONTH seed=$SEED" >"$REAL_DIR/.demo-loaded"
}

cmd_start() {
  ensure_os_user
  resolve_real_dir create
  # Serialise concurrent starts. The server must not inherit this descriptor (9>&- below),
  # or it would hold the lock for its whole life.
  exec 9>"$REAL_DIR/.start.lock"
  flock 9
  if running; then
    local p; p="$(current_port)"
    [[ "$p" == "$PORT" ]] || say "note: running on port $p, not $PORT (restart to change)"
  else
    if port_taken; then
      die "port $PORT on 127.0.0.1 is in use by another program; stop it or set BLUESHIFT_DEV_PORT"
    fi
    [[ -f "$DATA/PG_VERSION" ]] || init_cluster
    write_config
    say "starting PostgreSQL 15 on 127.0.0.1:$PORT (log: $LOGFILE)"
    as_server_user "$PGBIN/pg_ctl" start -D "$DATA" -l "$LOGFILE" -w -t 60 >/dev/null 9>&- \
      || { tail -n 30 "$LOGFILE" >&2 || true; die "server did not start"; }
  fi
  local i
  for ((i = 0; i < 120; i++)); do ready && break; sleep 0.5; done
  ready || { tail -n 30 "$LOGFILE" >&2 || true; die "server is not accepting connections"; }
  if [[ ! -f "$REAL_DIR/.demo-loaded" ]]; then
    load_demo
  else
    local loaded; loaded="$(cat "$REAL_DIR/.demo-loaded")"
    if [[ -n "${BLUESHIFT_DEV_ROWS_PER_MONTH:-}" && "$loaded" != *"rows_per_month=$ROWS_PER_MONTH "* ]]; then
      say "note: lake was loaded with $loaded; run '$0 reset' to regenerate it"
    fi
  fi
  say "up: 127.0.0.1:$(current_port), database $DATABASE, socket dir $REAL_DIR"
}

cmd_stop() {
  resolve_real_dir lookup
  if ! running; then say "not running"; return 0; fi
  as_server_user "$PGBIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
  say "stopped"
}

cmd_status() {
  resolve_real_dir lookup
  if running && ready; then
    say "up: 127.0.0.1:$(current_port), data $DATA"
    return 0
  fi
  say "down ($DEV_DIR)"
  return 1
}

cmd_psql() {
  resolve_real_dir lookup
  running || die "not running; start it with $0 start"
  exec "$PGBIN/psql" -h "$REAL_DIR" -p "$(current_port)" -U "$SUPERUSER" -d "$DATABASE" "$@"
}

cmd_env() {
  resolve_real_dir lookup
  [[ -n "$REAL_DIR" ]] || die "no warehouse at $DEV_DIR"
  printf 'export PGHOST=%q PGPORT=%q PGUSER=%q PGDATABASE=%q\n' \
    "$REAL_DIR" "$(current_port)" "$SUPERUSER" "$DATABASE"
}

cmd_reset() {
  cmd_stop
  resolve_real_dir lookup
  if [[ -n "$REAL_DIR" ]]; then
    # Only delete what looks like ours.
    [[ -f "$REAL_DIR/data/PG_VERSION" || -f "$REAL_DIR/lake/_manifest.json" || -z "$(ls -A "$REAL_DIR")" ]] \
      || die "$REAL_DIR does not look like a dev warehouse; not deleting it"
    rm -rf "$REAL_DIR"
    if [[ -L "$DEV_DIR" ]]; then rm -f "$DEV_DIR"; fi
    say "deleted $REAL_DIR"
  fi
  cmd_start
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  psql) shift; cmd_psql "$@" ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  *) echo "usage: $0 start|stop|status|restart|psql [args]|env|reset" >&2; exit 2 ;;
esac
