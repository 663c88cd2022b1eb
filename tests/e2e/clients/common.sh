# Shared shell helpers for the client end-to-end tests (sourced, not run).
# Every test compares the same work done directly on the dev warehouse and through the
# proxy, so each needs the environment tests/run.sh exports; without it a test skips
# locally (exit 77, ctest SKIP_RETURN_CODE) and fails in CI, where a skip would hide a
# broken harness.

E2E_SKIP=77
E2E_DB=blueshift_e2e_clients        # scratch database owned by analyst (made by setup.sh)
E2E_BENCH_DB=blueshift_e2e_bench    # scratch database owned by etl, for pgbench
export E2E_DB E2E_BENCH_DB

e2e_die() { echo "FAIL: $*" >&2; exit 1; }
e2e_note() { echo "--- $*"; }

# Checks the environment and that the warehouse and the shared proxy answer.
e2e_require_env() {
  local missing=()
  local v
  for v in BLUESHIFT_DEV_PORT BLUESHIFT_TEST_PROXY_PORT BLUESHIFT_BIN BLUESHIFT_ROOT; do
    [[ -n "${!v:-}" ]] || missing+=("$v")
  done
  if ((${#missing[@]})); then
    if [[ "${CI:-}" == "true" ]]; then
      e2e_die "environment not set: ${missing[*]} (run the suite through tests/run.sh)"
    fi
    echo "SKIP: environment not set: ${missing[*]} (run the suite through tests/run.sh)"
    exit "$E2E_SKIP"
  fi
  [[ -x "$BLUESHIFT_BIN" ]] || e2e_die "BLUESHIFT_BIN=$BLUESHIFT_BIN is not an executable"
  e2e_wait_port "$BLUESHIFT_DEV_PORT" 5 || e2e_die "the warehouse is not listening on 127.0.0.1:$BLUESHIFT_DEV_PORT"
  e2e_wait_port "$BLUESHIFT_TEST_PROXY_PORT" 5 ||
    e2e_die "the shared proxy is not listening on 127.0.0.1:$BLUESHIFT_TEST_PROXY_PORT"
}

# e2e_wait_port PORT SECONDS: true once something accepts on 127.0.0.1:PORT.
e2e_wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS <= deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# e2e_port_free PORT: true when nothing listens on 127.0.0.1:PORT.
e2e_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

E2E_PIDS=()
E2E_CLEANUPS=()
e2e_cleanup() {
  local pid c
  for pid in "${E2E_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${E2E_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for c in "${E2E_CLEANUPS[@]}"; do eval "$c" || true; done
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

# e2e_start_proxy PORT LOGFILE [blueshift args...]: a private proxy, killed on exit.
e2e_start_proxy() {
  local port=$1 log=$2
  shift 2
  e2e_port_free "$port" || e2e_die "port $port is already taken; cannot start a private proxy"
  "$BLUESHIFT_BIN" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  E2E_PIDS+=($!)
  local pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    e2e_wait_port "$port" 0 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; e2e_die "proxy on port $port exited at start"; }
    sleep 0.1
  done
  cat "$log" >&2
  e2e_die "proxy on port $port did not start listening"
}

# e2e_diff LABEL EXPECTED ACTUAL: fails with a readable diff when the files differ.
e2e_diff() {
  if ! cmp -s "$2" "$3"; then
    echo "FAIL: $1: output through the proxy differs from direct (< direct, > proxy):" >&2
    diff "$2" "$3" | head -n 60 >&2
    return 1
  fi
}

# Superuser SQL straight on the warehouse (trusted on loopback in the dev warehouse).
e2e_super_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$BLUESHIFT_DEV_PORT" -U postgres "$@"
}
