#!/usr/bin/env bash
# psycopg over TLS through a private proxy offering client TLS (self-signed certificate) in
# front of the dev warehouse, on 127.0.0.1:6520: tls_records.py reads COPY TO STDOUT many
# times (no hang) and checks the size of every TLS record the proxy writes (at most 8 KiB
# of data, as PostgreSQL's).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env
PORT=6520
command -v openssl >/dev/null || e2e_die "openssl not found"
WORK="$(mktemp -d /tmp/e2e-clients-tls-records.XXXXXX)"
E2E_CLEANUPS+=("rm -rf '$WORK'")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/server.key" -out "$WORK/server.crt" -days 2 \
  -subj "/CN=localhost" >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; e2e_die "openssl failed"; }
cat >"$WORK/proxy.yaml" <<EOF
tls: {cert_file: "$WORK/server.crt", key_file: "$WORK/server.key"}
upstream: {host: 127.0.0.1, port: $BLUESHIFT_DEV_PORT}
log: {level: info}
EOF
e2e_start_proxy "$PORT" "$WORK/proxy.log" --config "$WORK/proxy.yaml"
python3=/usr/bin/python3
[[ -x $python3 ]] || python3=python3
"$python3" "$HERE/tls_records.py" "$PORT" || { tail -n 20 "$WORK/proxy.log" >&2; exit 1; }
