#!/usr/bin/env bash
# From a fresh Debian 12 to a running Blueshift in front of the dev warehouse, as root:
#   install deps -> build -> start the dev warehouse (127.0.0.1:5440) -> start the proxy
#   (127.0.0.1:5439, deploy/blueshift.example.yaml) in the background -> print how to connect.
#
# Usage: deploy/quickstart.sh [start]   build and start everything (idempotent)
#        deploy/quickstart.sh stop      stop the proxy and the dev warehouse
#        deploy/quickstart.sh status    show what is running
# The proxy's pid file and log are .dev/blueshift.pid and .dev/blueshift.log.
# Environment: BLUESHIFT_BUILD_DIR (build), BLUESHIFT_CONFIG (deploy/blueshift.example.yaml),
# BLUESHIFT_SKIP_BUILD=1 (use the binary already built), and the warehouse's BLUESHIFT_DEV_*.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BLUESHIFT_BUILD_DIR:-$ROOT/build}"
CONFIG="${BLUESHIFT_CONFIG:-$ROOT/deploy/blueshift.example.yaml}"
STATE_DIR="$ROOT/.dev"
PID_FILE="$STATE_DIR/blueshift.pid"
PROXY_LOG="$STATE_DIR/blueshift.log"
LISTEN_HOST=127.0.0.1
LISTEN_PORT=5439
WAREHOUSE="$ROOT/deploy/dev/warehouse.sh"

say() { echo "quickstart: $*"; }
die() { echo "quickstart: error: $*" >&2; exit 1; }

proxy_running() {
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

accepting() {
  (exec 3<>"/dev/tcp/$LISTEN_HOST/$LISTEN_PORT") 2>/dev/null
}

stop_proxy() {
  if proxy_running; then
    local pid; pid="$(cat "$PID_FILE")"
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    say "proxy stopped (pid $pid)"
  else
    say "proxy not running"
  fi
  rm -f "$PID_FILE"
}

cmd_start() {
  [[ $EUID -eq 0 ]] || say "not root: dependencies are only checked, not installed"
  bash "$ROOT/deploy/install-deps.sh"

  if [[ "${BLUESHIFT_SKIP_BUILD:-0}" != 1 ]]; then
    say "building in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD_DIR" -j"$(nproc)" --target blueshift
  fi

  "$WAREHOUSE" start

  mkdir -p "$STATE_DIR"
  if proxy_running; then
    say "proxy already running (pid $(cat "$PID_FILE"))"
  else
    [[ -x "$BUILD_DIR/blueshift" ]] || die "no proxy binary at $BUILD_DIR/blueshift"
    [[ -f "$CONFIG" ]] || die "no config at $CONFIG"
    if accepting; then
      die "$LISTEN_HOST:$LISTEN_PORT is already in use by another program"
    fi
    "$BUILD_DIR/blueshift" --check-config --config "$CONFIG" >/dev/null \
      || die "config check failed: $BUILD_DIR/blueshift --check-config --config $CONFIG"
    say "starting the proxy on $LISTEN_HOST:$LISTEN_PORT (log: $PROXY_LOG)"
    setsid "$BUILD_DIR/blueshift" --config "$CONFIG" --listen "$LISTEN_HOST:$LISTEN_PORT" \
      --upstream "127.0.0.1:${BLUESHIFT_DEV_PORT:-5440}" \
      </dev/null >>"$PROXY_LOG" 2>&1 &
    echo $! >"$PID_FILE"
  fi
  for _ in $(seq 1 150); do
    accepting && break
    proxy_running || break
    sleep 0.2
  done
  if ! accepting; then
    tail -n 30 "$PROXY_LOG" >&2 || true
    stop_proxy >/dev/null 2>&1 || true
    die "the proxy is not accepting connections on $LISTEN_HOST:$LISTEN_PORT"
  fi
  cat <<EOF

Blueshift is up: $LISTEN_HOST:$LISTEN_PORT -> dev warehouse 127.0.0.1:${BLUESHIFT_DEV_PORT:-5440}

  PGPASSWORD=analyst-dev-pw psql -h $LISTEN_HOST -p $LISTEN_PORT -U analyst dev
      (password analyst-dev-pw; etl / etl-dev-pw also works)

  Try:  SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = 1;
  Logs: $PROXY_LOG
  Stop: deploy/quickstart.sh stop
EOF
}

cmd_stop() {
  stop_proxy
  "$WAREHOUSE" stop
}

cmd_status() {
  local rc=0
  if proxy_running && accepting; then
    say "proxy up on $LISTEN_HOST:$LISTEN_PORT (pid $(cat "$PID_FILE"))"
  else
    say "proxy down"; rc=1
  fi
  "$WAREHOUSE" status || rc=1
  return $rc
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
