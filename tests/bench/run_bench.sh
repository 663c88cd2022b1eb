#!/usr/bin/env bash
# Benchmarks Blueshift against direct PostgreSQL and PgBouncer on the dev warehouse, in one run:
# pgbench -S throughput (simple/extended/prepared, interleaved rounds, medians), single-client
# latency, COPY TO STDOUT throughput, memory per idle client, proxy CPU per 100k transactions,
# and optionally a second Blueshift with policies loaded. A benchmark, not a test: exits 0 when
# targets are missed (it prints TARGET MET / TARGET MISSED), non-zero only when the harness
# could not measure (77 when there is no blueshift binary to measure).
#
# This script owns the processes (warehouse if it was down, PgBouncer, Blueshift) and removes
# them on exit; tests/bench/bench.py does the measuring and writes the summary.
#
# Environment (defaults in brackets; BENCH_QUICK=1 switches to a ~2 minute smoke run):
#   BLUESHIFT_BIN          proxy binary              [<repo>/build/blueshift]
#   BLUESHIFT_DEV_PORT     warehouse port            [5440]
#   BENCH_POLICIES_CONFIG  Blueshift YAML with a policies: block for a 4th target,
#                          "blueshift+policies" (--listen/--upstream override the file's);
#                          "none" to skip. When Blueshift refuses the file (e.g. a build without
#                          policies), that target is skipped with a note.
#                          [tests/bench/policies.yaml, with @DEV_PORT@ and @WORK@ filled in]
#   BENCH_EXAMPLE_CONFIG   Blueshift YAML for a 5th target, "blueshift+example": the example
#                          policies as deployed, where pgbench's statements take the fast path
#                          (a copy pointed at this warehouse: tests/bench/example_config.py);
#                          "none" to skip                  [deploy/blueshift.example.yaml]
#   BENCH_SECONDS          length of each pgbench -S throughput run  [8, 6 with a policies target; quick 2]
#                          (not 10: 5 rounds x 3 modes x 3-4 targets must fit in ~8 minutes)
#   BENCH_WARMUP_SECONDS   first seconds of each run left out of its TPS (pgbench -P 1), while
#                          new warehouse backends warm up; 0: the whole run              [1]
#   BENCH_ROUNDS           interleaved rounds per mode, median reported          [5; quick 1]
#   BENCH_LOADS            machine conditions measured in turn: "quiet", "contended" (one busy
#                          process per core at nice 0 beside the benchmark)   ["quiet contended"]
#   BENCH_CONTENDED_ROUNDS, BENCH_CONTENDED_LAT_ROUNDS  rounds when contended     [3, 10; quick 1, 1]
#   BENCH_MODES            pgbench -M modes          ["simple extended prepared"]
#   BENCH_CLIENTS/BENCH_JOBS  pgbench -c / -j        [16 / 2]
#   BENCH_LAT_SECONDS, BENCH_LAT_ROUNDS   single-client latency runs  [1, 7; quick 1, 3]
#                          (many short rounds: latency is what the noise on this VM hurts most)
#   BENCH_COPY_REPEAT      COPY TO STDOUT of pgbench_accounts this many times over (UNION ALL):
#                          3 = 3M rows, ~290 MB at scale 10                       [3; quick 1]
#   BENCH_COPY_ROUNDS      COPY rounds (one run is about 1.2 s; its noise is tenths)  [5; quick 1]
#   BENCH_COPY_QUERY       replaces the COPY statement, e.g. "COPY (SELECT g, md5(g::text)
#                          FROM generate_series(1, 3000000) g) TO STDOUT" (that one mostly
#                          measures md5() on the warehouse, not the proxy)
#   BENCH_SYSCALL_TXS      system calls per transaction: strace -c over N and 2N transactions,
#                          the difference over N (skipped without strace)        [2000; quick 300]
#   BENCH_SYSCALL_MODES, BENCH_SYSCALL_TARGETS  what it counts  [all three modes, pgbouncer,
#                          blueshift and blueshift+policies; quick: simple, pgbouncer, blueshift]
#   BENCH_IDLE_CLIENTS     idle sessions for the memory test via the warehouse  [1000; quick 100]
#   BENCH_IDLE_COUNTS      idle session counts for the memory test via tests/bench/idle_upstream.py
#                          (no warehouse backends: scales past max_connections); "" to skip
#                                                                           ["1000 5000"; quick 500]
#   BENCH_IDLE_SAMPLES     fresh proxy pairs sampled per count there, the median reported
#                          (one sample scatters by a few tenths of a KiB)            [3; quick 1]
#   BENCH_SCALE            pgbench -i scale of database "bench" (kept between runs)       [10]
#   BENCH_OS_USER          unprivileged OS user PgBouncer runs as when we are root  [nobody]
#   BENCH_PGB_FRESH        1: also measure "pgbouncer-fresh", PgBouncer with its server
#                          connections dropped before each run (new backends, as Blueshift
#                          and direct runs have), throughput only                 [1; quick 0]
#   BENCH_HUGE_PAGES       1: when this script starts the warehouse as root, reserve huge pages
#                          for its shared memory (restored at exit; tests/bench/huge_pages.sh
#                          says why); a warehouse already up is left as it is        [1]
#   BENCH_IO_THREADS       passed as --io-threads to Blueshift     [unset: the binary's default]
#   BENCH_PLACEMENT        1: also measure Blueshift with one I/O thread and pinned beside
#                          the default, quiet and contended (BENCH_PLACEMENT_ROUNDS [3]), and
#                          each proxy confined to one core with the warehouse on the others,
#                          against direct on the warehouse's cores, with one I/O thread that
#                          polls (io_poll_us: 50) beside them (BENCH_CEILING_ROUNDS [5]);
#                          tests/bench/placement.py                        [1; quick 0]
#   BENCH_RESULTS_FILE     where the summary is also written [tests/bench/results-latest.txt]
#   BENCH_KEEP_WORK=1      keep the scratch folder (configs, logs) for inspection
#   BENCH_TIME_LIMIT       hard stop in seconds: everything is stopped and removed [2400; quick 180]
#
# PgBouncer: session pool mode, auth_type=md5 with an auth_file holding etl's MD5 hash, so
# that it authenticates clients itself and logs in to the warehouse with the same hash, as a
# production PgBouncer would; Blueshift relays the warehouse's own authentication.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WAREHOUSE="$REPO/deploy/dev/warehouse.sh"
DEV_PORT="${BLUESHIFT_DEV_PORT:-5440}"
BIN="${BLUESHIFT_BIN:-${BENCH_DEFAULT_BIN:-$REPO/build/blueshift}}"
DB=bench
DB_USER=etl
DB_PASSWORD=etl-dev-pw

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  : "${BENCH_SECONDS:=2}" "${BENCH_ROUNDS:=1}" "${BENCH_LAT_SECONDS:=1}" "${BENCH_LAT_ROUNDS:=3}"
  : "${BENCH_COPY_REPEAT:=1}" "${BENCH_COPY_ROUNDS:=1}" "${BENCH_IDLE_CLIENTS:=100}"
  : "${BENCH_TIME_LIMIT:=180}" "${BENCH_PGB_FRESH:=0}" "${BENCH_IDLE_COUNTS=500}"
  : "${BENCH_CONTENDED_ROUNDS:=1}" "${BENCH_CONTENDED_LAT_ROUNDS:=1}" "${BENCH_SYSCALL_TXS:=300}"
  : "${BENCH_SYSCALL_MODES:=simple}" "${BENCH_SYSCALL_TARGETS:=pgbouncer blueshift}" "${BENCH_PLACEMENT:=0}"
  : "${BENCH_IDLE_SAMPLES:=1}"
fi
export BENCH_ROUNDS="${BENCH_ROUNDS:-5}" BENCH_CONTENDED_ROUNDS="${BENCH_CONTENDED_ROUNDS:-3}"
export BENCH_CONTENDED_LAT_ROUNDS="${BENCH_CONTENDED_LAT_ROUNDS:-10}"
export BENCH_LAT_SECONDS="${BENCH_LAT_SECONDS:-1}" BENCH_LAT_ROUNDS="${BENCH_LAT_ROUNDS:-7}"
export BENCH_COPY_REPEAT="${BENCH_COPY_REPEAT:-3}" BENCH_COPY_ROUNDS="${BENCH_COPY_ROUNDS:-5}"
export BENCH_IDLE_CLIENTS="${BENCH_IDLE_CLIENTS:-1000}"
export BENCH_SYSCALL_TXS="${BENCH_SYSCALL_TXS:-2000}" BENCH_SYSCALL_MODES BENCH_SYSCALL_TARGETS
BENCH_IDLE_COUNTS="${BENCH_IDLE_COUNTS-1000 5000}"
export BENCH_SCALE="${BENCH_SCALE:-10}"
SCALE="$BENCH_SCALE"
RESULTS="${BENCH_RESULTS_FILE:-$HERE/results-latest.txt}"

say() { echo "bench: $*"; }
die() { echo "bench: error: $*" >&2; exit 1; }

if [[ ! -x "$BIN" ]]; then
  say "SKIP: no blueshift binary at $BIN (build it, or set BLUESHIFT_BIN)"
  exit 77
fi
BIN="$(realpath "$BIN")"
for tool in pgbench psql pgbouncer python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
POLICIES_CONFIG="${BENCH_POLICIES_CONFIG:-$HERE/policies.yaml}"
[[ "$POLICIES_CONFIG" == none || -r "$POLICIES_CONFIG" ]] \
  || die "BENCH_POLICIES_CONFIG=$POLICIES_CONFIG is not a readable file"
EXAMPLE_CONFIG="${BENCH_EXAMPLE_CONFIG:-$REPO/deploy/blueshift.example.yaml}"
[[ "$EXAMPLE_CONFIG" == none || -r "$EXAMPLE_CONFIG" ]] \
  || die "BENCH_EXAMPLE_CONFIG=$EXAMPLE_CONFIG is not a readable file"

START_TIME=$SECONDS
WORK="$(mktemp -d /tmp/blueshift-bench.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
STARTED_WAREHOUSE=0
WATCHDOG=""

source "$HERE/huge_pages.sh"

cleanup() {
  local rc=$? pid i
  trap - EXIT INT TERM
  if [[ -n "$WATCHDOG" ]]; then kill "$WATCHDOG" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $STARTED_WAREHOUSE == 1 ]]; then "$WAREHOUSE" stop || true; fi
  restore_huge_pages
  if [[ "${BENCH_KEEP_WORK:-0}" == 1 ]]; then say "scratch kept in $WORK"; else rm -rf "$WORK"; fi
  say "done in $((SECONDS - START_TIME)) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The watchdog signals this shell, whose trap then stops the measuring and every process.
# (A test runner's own timeout would SIGKILL us and leave the proxies behind.)
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIME_LIMIT:-2400}" & nap=$!
  wait "$nap"
  echo "bench: time limit of ${BENCH_TIME_LIMIT:-2400} s reached, stopping" >&2
  kill -TERM $$
) &
WATCHDOG=$!

# Ports are picked by the kernel and released just before use; a clash is possible but rare,
# and wait_port then reports it.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_port() {  # port pid name log
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$4" >&2 || true; die "$3 exited during start-up"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  tail -n 20 "$4" >&2 || true
  die "$3 is not listening on 127.0.0.1:$1"
}

# ---- warehouse and database ----------------------------------------------------------------
if "$WAREHOUSE" status >/dev/null 2>&1; then
  say "warehouse already up on 127.0.0.1:$DEV_PORT"
else
  "$WAREHOUSE" start
  STARTED_WAREHOUSE=1
fi
su_sql() { "$WAREHOUSE" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
if [[ $STARTED_WAREHOUSE == 1 && "${BENCH_HUGE_PAGES:-1}" == 1 ]]; then use_huge_pages; else describe_huge_pages; fi
say "warehouse: $HUGE_NOTE"

export PGPASSWORD="$DB_PASSWORD"
(
  # One setup at a time: a smoke run and a full run may start together.
  flock -w 120 9 || die "timed out waiting for the setup lock"
  if [[ "$(su_sql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
    say "creating database $DB owned by $DB_USER"
    su_sql -d postgres -c "CREATE DATABASE $DB OWNER $DB_USER"
  fi
  su_sql -d "$DB" -c "GRANT ALL ON SCHEMA public TO $DB_USER"
  have="$(psql -X -At -h 127.0.0.1 -p "$DEV_PORT" -U "$DB_USER" -d "$DB" \
           -c "SELECT count(*) FROM pgbench_branches" 2>/dev/null || true)"
  if [[ "$have" != "$SCALE" ]]; then
    say "pgbench -i -s $SCALE into $DB as $DB_USER"
    timeout 300 pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$DEV_PORT" -U "$DB_USER" "$DB" \
      >"$WORK/pgbench-init.log" 2>&1 || { tail -n 5 "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }
    tail -n 1 "$WORK/pgbench-init.log"
  else
    say "database $DB already initialised at scale $SCALE"
  fi
) 9>/tmp/blueshift-bench-setup.lock

# ---- PgBouncer -----------------------------------------------------------------------------
if [[ $EUID -eq 0 ]]; then
  PGB_USER="${BENCH_OS_USER:-nobody}"
  PGB_RUN=(setpriv --reuid="$(id -u "$PGB_USER")" --regid="$(id -g "$PGB_USER")" --clear-groups)
else
  PGB_USER="$(id -un)"
  PGB_RUN=()
fi
MD5_HASH="md5$(printf '%s%s' "$DB_PASSWORD" "$DB_USER" | md5sum | cut -d' ' -f1)"
PGB_NOTE="$(pgbouncer --version | head -n 1), session pool, auth_type=md5 (auth_file with etl's md5 hash), run as OS user $PGB_USER"

start_pgbouncer() {  # name port [upstream-port [clients]] -> sets LAST_PID
  local dir="$WORK/$1" upstream="${3:-$DEV_PORT}" clients="${4:-$BENCH_IDLE_CLIENTS}"
  mkdir -p "$dir"
  printf '"%s" "%s"\n' "$DB_USER" "$MD5_HASH" >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
$DB = host=127.0.0.1 port=$upstream dbname=$DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $2
unix_socket_dir =
auth_type = md5
auth_file = $dir/userlist.txt
pool_mode = session
max_client_conn = $((clients + 200))
default_pool_size = $((clients + 100))
logfile = $dir/pgbouncer.log
admin_users = $DB_USER
EOF
  chown -R "$PGB_USER" "$dir"
  # No -d: in the foreground (setpriv execs) $! is PgBouncer itself, which the CPU and memory
  # figures need.
  "${PGB_RUN[@]}" pgbouncer "$dir/pgbouncer.ini" >"$dir/stdout.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_port "$2" "$LAST_PID" "pgbouncer ($1)" "$dir/pgbouncer.log"
}

start_blueshift() {  # name port [extra args...] -> sets LAST_PID
  local name="$1" port="$2"; shift 2
  local args=(--listen "127.0.0.1:$port" --upstream "127.0.0.1:${UPSTREAM_PORT:-$DEV_PORT}" "$@")
  [[ -n "${BENCH_IO_THREADS:-}" ]] && args+=(--io-threads "$BENCH_IO_THREADS")
  mkdir -p "$WORK/$name"
  "$BIN" "${args[@]}" >"$WORK/$name/blueshift.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_port "$port" "$LAST_PID" "blueshift ($name)" "$WORK/$name/blueshift.log"
}

# Like start_blueshift, but a refusal (exit during start-up) is reported, not fatal: the
# policies target is optional. Returns 1 when it did not come up.
try_start_blueshift() {  # name port [extra args...] -> sets LAST_PID
  local name="$1" port="$2" i; shift 2
  local args=(--listen "127.0.0.1:$port" --upstream "127.0.0.1:$DEV_PORT" "$@")
  [[ -n "${BENCH_IO_THREADS:-}" ]] && args+=(--io-threads "$BENCH_IO_THREADS")
  mkdir -p "$WORK/$name"
  "$BIN" "${args[@]}" >"$WORK/$name/blueshift.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  for ((i = 0; i < 150; i++)); do
    kill -0 "$LAST_PID" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# A target with a configuration of its own (policies loaded): started if Blueshift accepts
# the file, else skipped with a note. Appends to POL_JSON and sets CONFIG_NOTE.
start_config_target() {  # target-name dir-name port config-file
  if try_start_blueshift "$2" "$3" --config "$4"; then
    POL_JSON+=", \"$1\": {\"port\": $3, \"pid\": $LAST_PID}"
    CONFIG_NOTE="blueshift --config $4"
    say "$1 target: $CONFIG_NOTE on port $3"
  else
    kill "$LAST_PID" 2>/dev/null || true
    CONFIG_NOTE="skipped: blueshift did not start with $4: $(grep -v '^\s*$' \
      "$WORK/$2/blueshift.log" | tail -n 2 | tr '\n' ' ')"
    say "$1 target $CONFIG_NOTE"
  fi
}

read -r P_PGB P_BS P_BSPOL P_BSEX P_PGB_IDLE P_BS_IDLE <<<"$(free_ports 6)"
start_pgbouncer pgbouncer "$P_PGB"; PID_PGB=$LAST_PID
start_blueshift blueshift "$P_BS"; PID_BS=$LAST_PID
POL_JSON=""
POL_NOTE="skipped (BENCH_POLICIES_CONFIG=none)"
if [[ "$POLICIES_CONFIG" != none ]]; then
  pol_file="$(realpath "$POLICIES_CONFIG")"
  if [[ "$pol_file" == "$HERE/policies.yaml" ]]; then
    sed -e "s|@DEV_PORT@|$DEV_PORT|g" -e "s|@WORK@|$WORK|g" "$pol_file" >"$WORK/policies.yaml"
    pol_file="$WORK/policies.yaml"
  fi
  start_config_target blueshift+policies blueshift-policies "$P_BSPOL" "$pol_file"
  POL_NOTE="${CONFIG_NOTE/$pol_file/$POLICIES_CONFIG}"
fi
EXAMPLE_NOTE="skipped (BENCH_EXAMPLE_CONFIG=none)"
if [[ "$EXAMPLE_CONFIG" != none ]]; then
  python3 "$HERE/example_config.py" "$EXAMPLE_CONFIG" "$WORK/example.yaml" "$DEV_PORT" "$WORK" \
    || die "tests/bench/example_config.py could not copy $EXAMPLE_CONFIG"
  start_config_target blueshift+example blueshift-example "$P_BSEX" "$WORK/example.yaml"
  EXAMPLE_NOTE="${CONFIG_NOTE/$WORK\/example.yaml/$EXAMPLE_CONFIG (a copy pointed at this warehouse)}"
fi
if [[ -n "$POL_JSON" ]]; then export BENCH_SECONDS="${BENCH_SECONDS:-6}"; else export BENCH_SECONDS="${BENCH_SECONDS:-8}"; fi
# Fresh processes for the memory test, so their RSS is not inflated by earlier benchmark runs.
start_blueshift blueshift-idle "$P_BS_IDLE"; PID_BS_IDLE=$LAST_PID
start_pgbouncer pgbouncer-idle "$P_PGB_IDLE"; PID_PGB_IDLE=$LAST_PID
# Idle memory at scale (BENCH_IDLE_COUNTS sessions) against tests/bench/idle_upstream.py, which
# holds thousands of sessions where the warehouse could not: a fresh pair of proxies per count.
IDLE_SCRIPTED_JSON=""
if [[ -n "$BENCH_IDLE_COUNTS" ]]; then
  python3 "$HERE/idle_upstream.py" >"$WORK/idle_upstream.log" 2>&1 &
  PIDS+=("$!")
  for ((i = 0; i < 100; i++)); do grep -q '^listening' "$WORK/idle_upstream.log" && break; sleep 0.1; done
  P_IDLE_UP="$(awk '/^listening/ {print $2}' "$WORK/idle_upstream.log")"
  [[ -n "$P_IDLE_UP" ]] || die "idle_upstream.py did not start: $(cat "$WORK/idle_upstream.log")"
  for n in $BENCH_IDLE_COUNTS; do
    pairs=""
    for ((s = 1; s <= ${BENCH_IDLE_SAMPLES:-3}; s++)); do
      read -r p_bs p_pgb <<<"$(free_ports 2)"
      UPSTREAM_PORT="$P_IDLE_UP" start_blueshift "blueshift-idle-$n-$s" "$p_bs"; pid_bs=$LAST_PID
      start_pgbouncer "pgbouncer-idle-$n-$s" "$p_pgb" "$P_IDLE_UP" "$n"; pid_pgb=$LAST_PID
      pairs+="${pairs:+, }{\"blueshift\": {\"port\": $p_bs, \"pid\": $pid_bs},"
      pairs+=" \"pgbouncer\": {\"port\": $p_pgb, \"pid\": $pid_pgb}}"
    done
    IDLE_SCRIPTED_JSON+="${IDLE_SCRIPTED_JSON:+, }\"$n\": [$pairs]"
  done
fi
# Placement and ceiling targets: the default thread choice, one I/O thread, and pinned.
PLACEMENT_JSON=""
if [[ "${BENCH_PLACEMENT:-1}" == 1 ]]; then
  read -r P_BS1 P_BSP P_BSPOLL <<<"$(free_ports 3)"
  start_blueshift blueshift-1t "$P_BS1" --io-threads 1; PID_BS1=$LAST_PID
  # The default is unpinned: the third configuration is the same count pinned.
  printf 'pin_io_threads: true\n' >"$WORK/pinned.yaml"
  start_blueshift blueshift-pinned "$P_BSP" --config "$WORK/pinned.yaml"; PID_BSP=$LAST_PID
  # For the ceiling: one I/O thread that polls before it sleeps, as on cores of its own.
  printf 'io_threads: 1\nio_poll_us: 50\n' >"$WORK/polling.yaml"
  start_blueshift blueshift-polling "$P_BSPOLL" --config "$WORK/polling.yaml"; PID_BSPOLL=$LAST_PID
  PLACEMENT_JSON=", \"placement\": {\"blueshift default\": {\"port\": $P_BS, \"pid\": $PID_BS},
   \"blueshift 1 thread\": {\"port\": $P_BS1, \"pid\": $PID_BS1},
   \"blueshift pinned\": {\"port\": $P_BSP, \"pid\": $PID_BSP},
   \"pgbouncer\": {\"port\": $P_PGB, \"pid\": $PID_PGB}},
 \"ceiling\": {\"blueshift 1 thread\": {\"port\": $P_BS1, \"pid\": $PID_BS1},
   \"blueshift polling\": {\"port\": $P_BSPOLL, \"pid\": $PID_BSPOLL},
   \"blueshift default\": {\"port\": $P_BS, \"pid\": $PID_BS},
   \"pgbouncer\": {\"port\": $P_PGB, \"pid\": $PID_PGB}}"
fi
say "direct 127.0.0.1:$DEV_PORT, pgbouncer :$P_PGB (pid $PID_PGB), blueshift :$P_BS (pid $PID_BS, $BIN)"

# "pgbouncer-fresh": the same PgBouncer, its server connections dropped (admin KILL + RESUME)
# before each run, so that like Blueshift's and direct runs it starts with new backends
# (a diagnostic: the target compares with the warm pool, as PgBouncer is deployed).
FRESH_JSON=""
if [[ "${BENCH_PGB_FRESH:-1}" == 1 ]]; then
  FRESH_JSON="\"pgbouncer-fresh\": {\"port\": $P_PGB, \"pid\": $PID_PGB, \"fresh\": true},"
fi
cat >"$WORK/targets.json" <<EOF
{"tps": {"direct": {"port": $DEV_PORT, "pid": null},
         "pgbouncer": {"port": $P_PGB, "pid": $PID_PGB}, $FRESH_JSON
         "blueshift": {"port": $P_BS, "pid": $PID_BS}$POL_JSON},
 "idle": {"blueshift": {"port": $P_BS_IDLE, "pid": $PID_BS_IDLE},
          "pgbouncer": {"port": $P_PGB_IDLE, "pid": $PID_PGB_IDLE}},
 "idle_scripted": {$IDLE_SCRIPTED_JSON}$PLACEMENT_JSON}
EOF

say "loadavg before measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
# In the background so that a signal's trap runs at once (bash defers traps while a foreground
# child runs); first in PIDS so that cleanup stops it before the proxies it is measuring.
python3 "$HERE/bench.py" --targets "$WORK/targets.json" --results "$RESULTS" \
  --warehouse "$WAREHOUSE" --binary "$BIN" --pgbouncer-note "$PGB_NOTE" \
  --warehouse-note "$HUGE_NOTE" \
  --policies-note "$POL_NOTE" --example-note "$EXAMPLE_NOTE" --user "$DB_USER" --database "$DB" &
PY_PID=$!
PIDS=("$PY_PID" "${PIDS[@]}")
rc=0
wait "$PY_PID" || rc=$?
exit "$rc"
