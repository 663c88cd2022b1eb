#!/usr/bin/env bash
# psql scripts run directly on the warehouse and through the proxy; stdout, stderr, exit
# status and every file written by \copy must be identical. The only rewriting applied
# before comparing: the server process id in psql's "Asynchronous notification ... received
# from server process with PID n" lines (a backend pid differs between any two sessions).
# Usage: psql_scripts.sh [SQL_FILE...]   (default: every sql/*.sql)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env

WORK="$(mktemp -d /tmp/e2e-clients-psql.XXXXXX)"
E2E_CLEANUPS+=("rm -rf '$WORK'")
export PGPASSWORD=analyst-dev-pw PGCONNECT_TIMEOUT=10 PGAPPNAME=e2e_clients_psql

# Markers each script's output must contain (direct and proxied alike), so that two
# identical but broken runs (say, both failing to connect) do not pass.
declare -A EXPECT=(
  [01_ddl_dml.sql]='duplicate key value violates unique constraint "accounts_owner_key"|violates check constraint "accounts_balance_check"|value too long for type character varying\(10\)|table "does_not_exist" does not exist|carol +\| +109999.99'
  [02_transactions.sql]='error sqlstate 22012|current transaction is aborted, commands ignored until end of transaction block|error sqlstate 25P02|prepared transactions are disabled|custom failure 42|DETAIL:  some detail|^ +5 \| FIVE'
  [03_copy.sql]='^COPY 4$|^COPY 3$|invalid input syntax for type integer: "not-a-number"|^ +20000 \| +200010000 \| +20000 \| +300015000|"7","""double quotes"""|missing-file.txt: No such file|^299,-10$|^1	-5$'
  [04_notice_notify.sql]='NOTICE:  00000: plain notice 1|DETAIL:  the detail|WARNING:  01000: a warning: w+|INFO:  00000: an info ünïcode ✓|WARNING:  01000: shown|NOTICE:  row 5|Asynchronous notification "e2e_channel" with payload "second with ünïcode ✓"|Asynchronous notification "Mixed Case ✓" received|payload "another"'
  [05_large.sql]='\(200000 rows\)|^ +3 \| +320000 \||^0\|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|^4\|EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE|133334 \|'
  [06_prepared_multi.sql]='invalid input syntax for type integer: "x"|wrong number of parameters for prepared statement "ins"|prepared statement "ins" already exists|prepared statement "ins" does not exist|^ three$|column "nonexistent" does not exist|"\$user", public'
  [08_large_objects.sql]='^ +272728 \| [0-9a-f]{32}$|^ +300000 \| [0-9a-f]{32} \| t$|^ imported ?$|^lo_export$|large object 4294967295 does not exist|^ lo_unlink ?$'
  [07_unicode_nulls_format.sql]='日本語テキスト|🚀✨👩‍💻|Tëst ✓ table|\(null\)|ключ|character with byte sequence 0xe6 0x97 0xa5 in encoding "UTF8" has no equivalent in encoding "LATIN1"|<td align="left">a&lt;b&gt;&amp;&quot;c&quot;</td>|null character not permitted'
)

if (($#)); then files=("$@"); else files=("$HERE"/sql/*.sql); fi
failed=0
for sql in "${files[@]}"; do
  name="$(basename "$sql")"
  for side in direct proxy; do
    port=$BLUESHIFT_DEV_PORT
    [[ $side == proxy ]] && port=$BLUESHIFT_TEST_PROXY_PORT
    dir="$WORK/$name/$side"
    mkdir -p "$dir"
    start=$SECONDS
    set +e
    (cd "$dir" && psql -X -v ON_ERROR_STOP=0 -a -h 127.0.0.1 -p "$port" -U analyst -d "$E2E_DB" -f "$sql" \
      >"$WORK/$name.$side.out" 2>"$WORK/$name.$side.err")
    echo $? >"$WORK/$name.$side.rc"
    set -e
    for f in out err; do
      sed -E -i 's/(received from server process with PID )[0-9]+/\1<pid>/' "$WORK/$name.$side.$f"
    done
    echo "$name $side: exit $(cat "$WORK/$name.$side.rc"), $(wc -l <"$WORK/$name.$side.out") lines out, $(wc -l <"$WORK/$name.$side.err") lines err, $((SECONDS - start)) s"
  done
  ok=1
  for f in rc out err; do
    e2e_diff "$name ($f)" "$WORK/$name.direct.$f" "$WORK/$name.proxy.$f" || ok=0
  done
  # Files written by \copy in each run.
  for copied in "$WORK/$name/direct"/*; do
    [[ -e "$copied" ]] || continue
    e2e_diff "$name (\\copy file $(basename "$copied"))" "$copied" "$WORK/$name/proxy/$(basename "$copied")" || ok=0
  done
  if [[ -z "${EXPECT[$name]:-}" ]]; then
    echo "FAIL: $name has no expected markers in EXPECT; add some" >&2
    ok=0
  else
    # Patterns are separated by '|'; '\|' inside a pattern is a literal bar.
    pattern_list="${EXPECT[$name]}"
    while IFS= read -r pattern; do
      [[ -z "$pattern" ]] && continue
      if ! grep -qE -- "$pattern" "$WORK/$name.proxy.out" "$WORK/$name.proxy.err"; then
        echo "FAIL: $name: expected output matching /$pattern/ through the proxy; not found" >&2
        ok=0
      fi
    done < <(python3 -c 'import re,sys; print("\n".join(re.split(r"(?<!\\)\|", sys.argv[1])))' "$pattern_list")
  fi
  if [[ "$(cat "$WORK/$name.proxy.rc")" != 0 ]]; then
    echo "FAIL: $name: psql exited $(cat "$WORK/$name.proxy.rc") through the proxy" >&2
    ok=0
  fi
  if ((ok)); then echo "ok: $name identical direct and through the proxy"; else failed=1; fi
done
if ((failed)); then
  echo "outputs kept in $WORK for inspection" >&2
  E2E_CLEANUPS=()
  exit 1
fi
echo "PASS: ${#files[@]} psql scripts identical direct and through the proxy"
