#!/usr/bin/env bash
# Fixture for the client tests: fresh scratch databases, owned by the roles that use them,
# so tests can create schemas and tables without touching the demo database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
e2e_require_env
e2e_super_psql -d postgres \
  -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)" \
  -c "CREATE DATABASE $E2E_DB OWNER analyst ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" \
  -c "DROP DATABASE IF EXISTS $E2E_BENCH_DB WITH (FORCE)" \
  -c "CREATE DATABASE $E2E_BENCH_DB OWNER etl"
echo "created $E2E_DB (owner analyst) and $E2E_BENCH_DB (owner etl)"
