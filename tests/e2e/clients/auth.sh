#!/usr/bin/env bash
# Authentication through the proxy: wrong passwords give the server's own error (same
# SQLSTATE 28P01 and message as direct) for cleartext, MD5 and SCRAM users, on the raw wire
# (auth_raw.py, every ErrorResponse field) and as psql prints it. psql's messages are
# compared after removing the 'connection to server at "127.0.0.1", port N failed: ' prefix,
# which names the port dialled.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env
python3=/usr/bin/python3
[[ -x $python3 ]] || python3=python3
"$python3" "$HERE/auth_raw.py"

failed=0
for user in analyst etl legacy; do
  for port in "$BLUESHIFT_DEV_PORT" "$BLUESHIFT_TEST_PROXY_PORT"; do
    PGPASSWORD=wrong-password psql -X -w -h 127.0.0.1 -p "$port" -U "$user" -d "$E2E_DB" -c 'SELECT 1' 2>&1 |
      sed -E 's/^psql: error: connection to server at "127.0.0.1", port [0-9]+ failed: //' >"/tmp/e2e-auth-$$.$port" || true
  done
  if e2e_diff "psql wrong password for $user" "/tmp/e2e-auth-$$.$BLUESHIFT_DEV_PORT" "/tmp/e2e-auth-$$.$BLUESHIFT_TEST_PROXY_PORT"; then
    if grep -q "FATAL:  password authentication failed for user \"$user\"" "/tmp/e2e-auth-$$.$BLUESHIFT_TEST_PROXY_PORT"; then
      echo "ok: psql wrong password for $user: $(cat "/tmp/e2e-auth-$$.$BLUESHIFT_TEST_PROXY_PORT")"
    else
      echo "FAIL: psql wrong password for $user: unexpected message $(cat "/tmp/e2e-auth-$$.$BLUESHIFT_TEST_PROXY_PORT")" >&2
      failed=1
    fi
  else
    failed=1
  fi
  rm -f "/tmp/e2e-auth-$$."*
done
((failed == 0)) || exit 1
echo "PASS: wrong passwords through the proxy give the server's error"
