#!/usr/bin/env bash
# Cancel through the proxy: psql sends a CancelRequest on SIGINT while pg_sleep runs; the
# statement must end within a second with "canceling statement due to user request" and
# psql must exit 1. Then cancel_keys.py checks that guessed keys cancel nothing and that the
# right key works (raw CancelRequests).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env
export PGPASSWORD=analyst-dev-pw PGCONNECT_TIMEOUT=10
WORK="$(mktemp -d /tmp/e2e-clients-cancel.XXXXXX)"
E2E_CLEANUPS+=("rm -rf '$WORK'")
APP="e2e_cancel_psql_$$"

psql -X -h 127.0.0.1 -p "$BLUESHIFT_TEST_PROXY_PORT" -U analyst -d "$E2E_DB" -v ON_ERROR_STOP=1 \
  -c "SET application_name = '$APP'" -c "SELECT pg_sleep(30)" >"$WORK/out" 2>"$WORK/err" &
PSQL=$!
E2E_PIDS+=("$PSQL")
active=0
for ((i = 0; i < 100; i++)); do
  active=$(e2e_super_psql -d postgres -At -c \
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$APP' AND state = 'active' AND query = 'SELECT pg_sleep(30)'")
  [[ $active == 1 ]] && break
  sleep 0.1
done
[[ $active == 1 ]] || e2e_die "pg_sleep(30) from psql never showed up as active on the warehouse"
start=$(date +%s%N)
kill -INT "$PSQL"
rc=0
wait "$PSQL" || rc=$?
E2E_PIDS=()
ms=$((($(date +%s%N) - start) / 1000000))
echo "psql exited $rc, ${ms} ms after SIGINT; stderr: $(cat "$WORK/err")"
[[ $rc == 1 ]] || e2e_die "psql should exit 1 after a cancelled statement, exited $rc"
grep -q "ERROR:  canceling statement due to user request" "$WORK/err" || e2e_die "psql did not report the cancel"
((ms < 1000)) || e2e_die "the cancel took ${ms} ms (limit 1000)"
left=$(e2e_super_psql -d postgres -At -c \
  "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$APP' AND state = 'active'")
[[ $left == 0 ]] || e2e_die "the statement is still running on the warehouse after the cancel"
echo "ok: psql SIGINT cancelled pg_sleep through the proxy in ${ms} ms"

python3=/usr/bin/python3
[[ -x $python3 ]] || python3=python3
"$python3" "$HERE/cancel_keys.py"
