#!/usr/bin/env bash
# The whole test run, as CI does it (.ci/run calls this), on a clean clone as root:
#   install deps -> build -> start a dev warehouse in .test-run/ -> start one proxy ->
#   ctest -> stop both. Exits with ctest's status (non-zero also when the build failed).
#
# Usage: tests/run.sh [extra ctest args, e.g. -L e2e or -R warehouse]
#
# Exported to the tests:
#   BLUESHIFT_ROOT            the repo
#   BLUESHIFT_BIN             build/blueshift (absolute)
#   BLUESHIFT_DEV_DIR         the test warehouse folder (.test-run/warehouse)
#   BLUESHIFT_DEV_PORT        its port (5440 unless taken or set)
#   BLUESHIFT_TEST_PROXY_PORT the shared proxy's port (6439 unless taken or set)
#   BLUESHIFT_TEST_CONFIG     the config that proxy runs with
# Other knobs: BLUESHIFT_BUILD_DIR (default build), BLUESHIFT_JOBS (default 2),
# BLUESHIFT_TEST_FRESH=1 (delete .test-run/warehouse first).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BLUESHIFT_BUILD_DIR:-$ROOT/build}"
[[ "$BUILD_DIR" == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
JOBS="${BLUESHIFT_JOBS:-2}"
RUN_DIR="$ROOT/.test-run"
WAREHOUSE="$ROOT/deploy/dev/warehouse.sh"
START=$SECONDS

log() { echo "[run.sh +$((SECONDS - START))s] $*"; }

port_taken() {
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]] && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# $1 = preferred port, $2 = "fixed" when the user set it. Prints the port to use.
pick_port() {
  local p="$1"
  if [[ "$2" == fixed ]] || ! port_taken "$p"; then echo "$p"; return; fi
  for ((p = $1 + 1; p < $1 + 60; p++)); do
    port_taken "$p" || { echo "$p"; return; }
  done
  echo "$1"
}

mkdir -p "$RUN_DIR"
export BLUESHIFT_ROOT="$ROOT"
export BLUESHIFT_DEV_DIR="$RUN_DIR/warehouse"
export BLUESHIFT_BIN="$BUILD_DIR/blueshift"

# --- dependencies and build ---------------------------------------------------------------
log "installing dependencies"
bash "$ROOT/deploy/install-deps.sh" || { log "FAILED: deploy/install-deps.sh"; exit 1; }

log "configuring $BUILD_DIR"
if ! cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$RUN_DIR/configure.log" 2>&1; then
  cat "$RUN_DIR/configure.log"
  log "FAILED: cmake configure"
  exit 1
fi
log "building with $JOBS jobs"
keep_going=()
case "$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt")" in
  Ninja) keep_going=(-- -k 0) ;;
  "Unix Makefiles") keep_going=(-- -k) ;;
esac
build_failed=0
# Keep going past a broken target so that every test that can run still runs.
if ! cmake --build "$BUILD_DIR" -j"$JOBS" "${keep_going[@]}" >"$RUN_DIR/build.log" 2>&1; then
  build_failed=1
  grep -E 'error:|\*\*\*|undefined reference|fatal' "$RUN_DIR/build.log" | head -n 60
  log "BUILD FAILED (full log: $RUN_DIR/build.log); running the tests that built"
else
  log "build ok"
fi

# --- services -------------------------------------------------------------------------------
proxy_pid=""
cleanup() {
  {
    if [[ -n "$proxy_pid" ]] && kill -0 "$proxy_pid" 2>/dev/null; then
      kill -TERM "$proxy_pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$proxy_pid" 2>/dev/null
    fi
    "$WAREHOUSE" stop
  } >>"$RUN_DIR/cleanup.log" 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "${BLUESHIFT_TEST_FRESH:-0}" == 1 ]]; then
  "$WAREHOUSE" stop >/dev/null 2>&1
  rm -rf "$(readlink -f "$BLUESHIFT_DEV_DIR")" "$BLUESHIFT_DEV_DIR"
fi

# A warehouse left running by an earlier run keeps its port; otherwise 5440 unless taken.
if "$WAREHOUSE" status >/dev/null 2>&1; then
  BLUESHIFT_DEV_PORT="$(eval "$("$WAREHOUSE" env)"; echo "$PGPORT")"
else
  BLUESHIFT_DEV_PORT="$(pick_port "${BLUESHIFT_DEV_PORT:-5440}" "${BLUESHIFT_DEV_PORT:+fixed}")"
fi
export BLUESHIFT_DEV_PORT
log "starting the test warehouse on 127.0.0.1:$BLUESHIFT_DEV_PORT ($BLUESHIFT_DEV_DIR)"
"$WAREHOUSE" start || { log "FAILED: warehouse start"; exit 1; }

BLUESHIFT_TEST_PROXY_PORT="$(pick_port "${BLUESHIFT_TEST_PROXY_PORT:-6439}" "${BLUESHIFT_TEST_PROXY_PORT:+fixed}")"
export BLUESHIFT_TEST_PROXY_PORT
export BLUESHIFT_TEST_CONFIG="$RUN_DIR/blueshift.test.yaml"
sed -e "s/5440/$BLUESHIFT_DEV_PORT/g" -e "s/6439/$BLUESHIFT_TEST_PROXY_PORT/g" \
  "$ROOT/tests/e2e/blueshift.test.yaml" >"$BLUESHIFT_TEST_CONFIG"
PROXY_LOG="$RUN_DIR/blueshift.log"
proxy_ok=0
if [[ -x "$BLUESHIFT_BIN" ]]; then
  log "starting the proxy on 127.0.0.1:$BLUESHIFT_TEST_PROXY_PORT (log: $PROXY_LOG)"
  "$BLUESHIFT_BIN" --config "$BLUESHIFT_TEST_CONFIG" \
    --listen "127.0.0.1:$BLUESHIFT_TEST_PROXY_PORT" \
    --upstream "127.0.0.1:$BLUESHIFT_DEV_PORT" </dev/null >"$PROXY_LOG" 2>&1 &
  proxy_pid=$!
  for _ in $(seq 1 100); do
    kill -0 "$proxy_pid" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$BLUESHIFT_TEST_PROXY_PORT") 2>/dev/null; then proxy_ok=1; break; fi
    sleep 0.2
  done
  if [[ $proxy_ok == 1 ]]; then
    log "proxy up (pid $proxy_pid)"
  else
    log "PROXY DID NOT START; tests that need it will fail. Last lines of its log:"
    tail -n 40 "$PROXY_LOG"
  fi
else
  log "no proxy binary at $BLUESHIFT_BIN; tests that need it will fail"
fi

# --- tests ----------------------------------------------------------------------------------
log "ctest (BLUESHIFT_DEV_PORT=$BLUESHIFT_DEV_PORT BLUESHIFT_TEST_PROXY_PORT=$BLUESHIFT_TEST_PROXY_PORT)"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error --timeout 900 -j"$JOBS" "$@" \
  2>&1 | tee "$RUN_DIR/ctest.log"
status=${PIPESTATUS[0]}

if [[ $status -ne 0 && -n "$proxy_pid" ]]; then
  if kill -0 "$proxy_pid" 2>/dev/null; then
    log "tests failed; the proxy is still running. Last lines of its log:"
  else
    log "tests failed; the proxy has exited. Last lines of its log:"
  fi
  tail -n 40 "$PROXY_LOG"
fi
if [[ $build_failed == 1 ]]; then
  log "the build failed (see above); failing the run"
  [[ $status -ne 0 ]] || status=1
fi
log "done in $((SECONDS - START))s, exit $status"
# Repeat ctest's closing lines last, so they are what a reader (or CI) sees at the end.
grep -E '^[0-9]+% tests passed|^Total Test time' "$RUN_DIR/ctest.log" || true
exit "$status"
