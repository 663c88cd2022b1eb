#!/usr/bin/env bash
# ODBC (unixODBC + psqlODBC Unicode driver) directly and through the proxy: the C client
# odbc_client (parameterised statements, NULLs, UTF-16 text, errors, transactions, a catalog
# call) with server-side prepare and with cursor-based fetching (UseDeclareFetch), and isql
# with SQL on stdin. Driver and DSNs live in a temp folder (ODBCSYSINI/ODBCINI).
# Transcripts must be identical; nothing is rewritten before comparing.
# Usage: odbc.sh PATH_TO_odbc_client
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env
CLIENT=${1:?usage: odbc.sh PATH_TO_odbc_client}
DRIVER=/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so
[[ -r $DRIVER ]] || e2e_die "psqlODBC Unicode driver not found at $DRIVER (Debian package odbc-postgresql)"
command -v isql >/dev/null || e2e_die "isql not found (Debian package unixodbc)"

WORK="$(mktemp -d /tmp/e2e-clients-odbc.XXXXXX)"
E2E_CLEANUPS+=("rm -rf '$WORK'")
export ODBCSYSINI="$WORK" ODBCINI="$WORK/odbc.ini"
cat >"$WORK/odbcinst.ini" <<INI
[PostgreSQL Unicode]
Description = psqlODBC Unicode driver (e2e test)
Driver = $DRIVER
INI
dsn() {  # dsn NAME PORT EXTRA...
  local name=$1 port=$2
  shift 2
  printf '[%s]\nDriver = PostgreSQL Unicode\nServername = 127.0.0.1\nPort = %s\nDatabase = %s\nUsername = analyst\nPassword = analyst-dev-pw\nSSLmode = disable\n' \
    "$name" "$port" "$E2E_DB"
  local kv
  for kv in "$@"; do echo "$kv"; done
  echo
}
{
  dsn direct "$BLUESHIFT_DEV_PORT" "UseServerSidePrepare = 1"
  dsn proxy "$BLUESHIFT_TEST_PROXY_PORT" "UseServerSidePrepare = 1"
  dsn direct_cursor "$BLUESHIFT_DEV_PORT" "UseServerSidePrepare = 0" "UseDeclareFetch = 1" "Fetch = 7"
  dsn proxy_cursor "$BLUESHIFT_TEST_PROXY_PORT" "UseServerSidePrepare = 0" "UseDeclareFetch = 1" "Fetch = 7"
} >"$ODBCINI"

failed=0
for variant in "" _cursor; do
  for side in direct proxy; do
    rc=0
    "$CLIENT" "$side$variant" >"$WORK/client.$side$variant.out" 2>&1 || rc=$?
    echo "odbc_client $side$variant: exit $rc, $(wc -l <"$WORK/client.$side$variant.out") lines"
    if ((rc != 0)); then
      cat "$WORK/client.$side$variant.out" >&2
      failed=1
    fi
  done
  e2e_diff "odbc_client$variant" "$WORK/client.direct$variant.out" "$WORK/client.proxy$variant.out" || failed=1
  out="$WORK/client.proxy$variant.out"
  # What the scenario must have seen through the proxy (the Unicode row, the NULL row, the
  # duplicate key's SQLSTATE, the transaction outcome, the catalog call).
  for pattern in \
    "row '3' 'gamma \"quoted\"' '99999999.99' '2024-03-04 03:06:05.000002' '🚀 rocket' '0'" \
    "row '5' NULL NULL NULL NULL '1'" \
    "diag duplicate insert: state=23505" \
    "diag exec: state=22012 native=[0-9-]+ text=ERROR: division by zero" \
    "row '102' 'committed'" \
    "exec UPDATE odbc_t SET amount = amount \\* 2 WHERE amount < 1000" \
    "^  row count 4$" \
    "catalog columns: 5" \
    "row '10000' '50005000' 'ffeed84c7cb1ae7bf4ec4bd78275bb98'" \
    "unexpected failures: 0"; do
    grep -qE -- "$pattern" "$out" || { echo "FAIL: odbc_client$variant through the proxy: no line matching /$pattern/" >&2; failed=1; }
  done
done

# isql: SQL on stdin, batch mode; -b stops at the first error, so errors go last.
SQL="SELECT 1 AS one, 'ü✓' AS u, NULL AS n
SELECT count(*) FROM generate_series(1, 5000)
SELECT nosuchcolumn"
for side in direct proxy; do
  rc=0
  isql -b -v -d'|' "$side" <<<"$SQL" >"$WORK/isql.$side.out" 2>&1 || rc=$?
  echo "exit $rc" >>"$WORK/isql.$side.out"
done
e2e_diff isql "$WORK/isql.direct.out" "$WORK/isql.proxy.out" || failed=1
grep -q '^1|ü✓|$' "$WORK/isql.proxy.out" || { echo "FAIL: isql through the proxy: row 1|ü✓| missing" >&2; failed=1; }
grep -q '^5000$' "$WORK/isql.proxy.out" || { echo "FAIL: isql through the proxy: count 5000 missing" >&2; failed=1; }
grep -q 'column "nosuchcolumn" does not exist' "$WORK/isql.proxy.out" ||
  { echo "FAIL: isql through the proxy: the server's error is missing" >&2; failed=1; }

if ((failed)); then
  echo "transcripts kept in $WORK" >&2
  E2E_CLEANUPS=()
  exit 1
fi
echo "PASS: ODBC transcripts identical direct and through the proxy (server-side prepare, declare/fetch, isql)"
