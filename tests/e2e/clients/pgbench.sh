#!/usr/bin/env bash
# pgbench through the proxy: initialise (COPY in, DDL, VACUUM), then the built-in TPC-B
# script with 8 clients in simple, extended and prepared protocol modes, and a pipelined
# TPC-B script in extended and prepared modes. Asserts no client aborted or failed, each
# run processed transactions, and the TPC-B invariant on the warehouse afterwards:
# sum(abalance) = sum(tbalance) = sum(bbalance) = sum(history.delta), with one history
# row per processed transaction.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env

export PGPASSWORD=etl-dev-pw PGCONNECT_TIMEOUT=10
WORK="$(mktemp -d /tmp/e2e-clients-pgbench.XXXXXX)"
E2E_CLEANUPS+=("rm -rf '$WORK'")
PROXY=(-h 127.0.0.1 -p "$BLUESHIFT_TEST_PROXY_PORT" -U etl)
SECONDS_PER_RUN=${E2E_PGBENCH_SECONDS:-3}

direct_sql() { psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$BLUESHIFT_DEV_PORT" -U etl -d "$E2E_BENCH_DB" -c "$1"; }

e2e_note "pgbench -i through the proxy"
pgbench -i -s 1 -q "${PROXY[@]}" "$E2E_BENCH_DB" >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; e2e_die "pgbench -i failed"; }
accounts=$(direct_sql "SELECT count(*) FROM pgbench_accounts")
[[ $accounts == 100000 ]] || e2e_die "pgbench -i through the proxy loaded $accounts accounts, expected 100000"

total=0
run() {  # run LABEL pgbench-args...
  local label=$1
  shift
  local log="$WORK/$label.log"
  local rc=0
  pgbench -c 8 -j 2 -T "$SECONDS_PER_RUN" -n "$@" "${PROXY[@]}" "$E2E_BENCH_DB" >"$log" 2>&1 || rc=$?
  local tx failed
  tx=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$log")
  failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$log")
  local tps
  tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' "$log")
  echo "$label: exit $rc, $tx transactions, ${failed:-?} failed, tps $tps"
  if ((rc != 0)) || [[ -z "$tx" ]] || ((tx == 0)) || [[ "${failed:-0}" != 0 ]] || grep -qiE 'aborted|error' "$log"; then
    cat "$log" >&2
    e2e_die "pgbench $label: errors or no transactions"
  fi
  total=$((total + tx))
}

run simple -M simple
run extended -M extended
run prepared -M prepared
run pipeline-extended -M extended -f "$HERE/pgbench/pipeline_tpcb.sql"
run pipeline-prepared -M prepared -f "$HERE/pgbench/pipeline_tpcb.sql"

read -r a t b h n < <(direct_sql "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers),
  (SELECT sum(bbalance) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history),
  (SELECT count(*) FROM pgbench_history)" | tr '|' ' ')
echo "invariant: accounts $a, tellers $t, branches $b, history $h over $n rows; $total transactions reported"
[[ $a == "$t" && $t == "$b" && $b == "$h" ]] || e2e_die "TPC-B invariant broken: balances differ"
[[ $n == "$total" ]] || e2e_die "history has $n rows but pgbench reported $total transactions"
echo "PASS: pgbench simple/extended/prepared/pipelined through the proxy, $total transactions, invariant holds"
