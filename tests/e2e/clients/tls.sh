#!/usr/bin/env bash
# TLS on both sides of the proxy. Builds a throwaway CA and a server certificate (CN and
# SAN localhost, SAN IP 127.0.0.1), a throwaway PostgreSQL 15 on 127.0.0.1:5450 (or the next
# free port up to 5459: another worktree's run may hold 5450 for its warehouse) that accepts
# only TLS (hostssl), and private proxies on 6510-6513 with client TLS required and the
# upstream verified. Checks:
#   - psql sslmode=verify-full through the proxy works, and pg_stat_ssl on the upstream shows
#     the proxy's connection encrypted; a 200k-row result is identical to a direct TLS run
#   - sslmode=disable is refused with the proxy's "accepts only TLS" FATAL
#   - SCRAM over TLS on both sides: works with channel_binding=disable; with
#     channel_binding=require the client refuses (the proxy never offers SCRAM-SHA-256-PLUS);
#     with libpq's default (prefer) the server refuses the downgraded exchange, by design
#   - upstream verify-full with the wrong CA or the wrong server name fails with a clear error;
#     upstream tls: require against a server without TLS fails with a clear error
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env

PGBIN=/usr/lib/postgresql/15/bin
PG_PORT=5450
while ! e2e_port_free "$PG_PORT" && ((PG_PORT < 5459)); do PG_PORT=$((PG_PORT + 1)); done
P_GOOD=6510 P_WRONG_CA=6511 P_WRONG_NAME=6512 P_PLAIN_UPSTREAM=6513 P_OPTIONAL=6514
[[ -x $PGBIN/initdb ]] || e2e_die "PostgreSQL 15 server binaries not found in $PGBIN"
command -v openssl >/dev/null || e2e_die "openssl not found"
e2e_port_free "$PG_PORT" || e2e_die "port $PG_PORT is taken; cannot start the throwaway TLS server"

# PostgreSQL refuses to run as root: as root the instance runs as the dev warehouse's user.
if [[ $EUID -eq 0 ]]; then
  OS_USER="${BLUESHIFT_DEV_OS_USER:-blueshift-dev}"
  getent passwd "$OS_USER" >/dev/null ||
    e2e_die "user $OS_USER does not exist (deploy/dev/warehouse.sh start creates it)"
  as_server() { runuser -u "$OS_USER" -- "$@"; }
else
  OS_USER="$(id -un)"
  as_server() { "$@"; }
fi

WORK="$(mktemp -d /tmp/e2e-clients-tls.XXXXXX)"
chmod 755 "$WORK"
E2E_CLEANUPS+=("rm -rf '$WORK'")
cd "$WORK"

# --- certificates
openssl_quiet() { openssl "$@" >/dev/null 2>&1 || { openssl "$@"; e2e_die "openssl $1 failed"; }; }
make_ca() {  # make_ca NAME CN
  openssl_quiet req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 2 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
make_ca ca "Blueshift e2e test CA"
make_ca wrongca "Some other CA"
openssl_quiet req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
openssl_quiet x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
  -extfile server.ext
chmod 600 server.key
mkdir pg
cp server.crt server.key pg/
chmod 600 pg/server.key
chmod 644 ca.crt wrongca.crt server.crt

# --- the throwaway TLS-only PostgreSQL
mkdir pg/data pg/sock
[[ $EUID -eq 0 ]] && chown -R "$OS_USER": pg
chmod 700 pg/data
as_server "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  >initdb.log 2>&1 || { cat initdb.log >&2; e2e_die "initdb failed"; }
cat >pg/extra.conf <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/pg/sock'
max_connections = 30
shared_buffers = 16MB
fsync = off
lc_messages = 'C'
log_connections = on
ssl = on
ssl_cert_file = '$WORK/pg/server.crt'
ssl_key_file = '$WORK/pg/server.key'
password_encryption = 'scram-sha-256'
EOF
cat >pg/pg_hba.conf <<EOF
local    all  postgres                trust
hostssl  all  postgres  127.0.0.1/32  trust
hostssl  all  etl       127.0.0.1/32  md5
hostssl  all  all       127.0.0.1/32  scram-sha-256
EOF
echo "include '$WORK/pg/extra.conf'" >>pg/data/postgresql.conf
cp pg/pg_hba.conf pg/data/pg_hba.conf
[[ $EUID -eq 0 ]] && chown -R "$OS_USER": pg
E2E_CLEANUPS=("as_server '$PGBIN/pg_ctl' stop -D '$WORK/pg/data' -m immediate -w >/dev/null 2>&1" "${E2E_CLEANUPS[@]}")
as_server "$PGBIN/pg_ctl" start -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -t 60 >/dev/null ||
  { cat pg/server.log >&2; e2e_die "the TLS PostgreSQL did not start"; }
psql -X -q -v ON_ERROR_STOP=1 -h "$WORK/pg/sock" -p "$PG_PORT" -U postgres -d postgres <<'SQL'
SET password_encryption = 'md5';
CREATE ROLE etl LOGIN PASSWORD 'etl-dev-pw';
SET password_encryption = 'scram-sha-256';
CREATE ROLE analyst LOGIN PASSWORD 'analyst-dev-pw';
SQL
echo "TLS-only PostgreSQL up on 127.0.0.1:$PG_PORT"

# --- proxies
proxy_config() {  # proxy_config FILE PORT UPSTREAM_PORT UPSTREAM_TLS CA SERVER_NAME [REQUIRE]
  cat >"$1" <<EOF
listen: "127.0.0.1:$2"
tls: {cert_file: "$WORK/server.crt", key_file: "$WORK/server.key", require: ${7:-true}}
upstream: {host: 127.0.0.1, port: $3, tls: $4, ca_file: "$5", server_name: "$6", connect_timeout_ms: 3000}
log: {level: info}
EOF
}
proxy_config good.yaml "$P_GOOD" "$PG_PORT" verify-full "$WORK/ca.crt" localhost
proxy_config wrongca.yaml "$P_WRONG_CA" "$PG_PORT" verify-full "$WORK/wrongca.crt" localhost
proxy_config wrongname.yaml "$P_WRONG_NAME" "$PG_PORT" verify-full "$WORK/ca.crt" wrong.example
proxy_config plain.yaml "$P_PLAIN_UPSTREAM" "$BLUESHIFT_DEV_PORT" require "$WORK/ca.crt" localhost
proxy_config optional.yaml "$P_OPTIONAL" "$PG_PORT" verify-full "$WORK/ca.crt" localhost false
"$BLUESHIFT_BIN" --config good.yaml --check-config >/dev/null || e2e_die "blueshift --check-config rejects good.yaml"
e2e_start_proxy "$P_GOOD" proxy-good.log --config good.yaml
e2e_start_proxy "$P_WRONG_CA" proxy-wrongca.log --config wrongca.yaml
e2e_start_proxy "$P_WRONG_NAME" proxy-wrongname.log --config wrongname.yaml
e2e_start_proxy "$P_PLAIN_UPSTREAM" proxy-plain.log --config plain.yaml
e2e_start_proxy "$P_OPTIONAL" proxy-optional.log --config optional.yaml

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
ok() { echo "ok: $*"; }
# tls_psql PORT USER PASSWORD "extra conninfo" SQL: stdout+stderr in $out (and last.out),
# exit status in $rc.
tls_psql() {
  rc=0
  PGPASSWORD=$3 psql -X -w -At -d "host=localhost port=$1 user=$2 dbname=postgres sslrootcert=$WORK/ca.crt connect_timeout=10 $4" \
    -c "$5" >last.out 2>&1 || rc=$?
  out=$(<last.out)
}

# 1. verify-full through the proxy; the upstream connection is TLS too.
tls_psql "$P_GOOD" etl etl-dev-pw "sslmode=verify-full" \
  "SELECT ssl, version LIKE 'TLS%' FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
[[ $rc == 0 && $out == "t|t" ]] && ok "verify-full through the proxy; upstream pg_stat_ssl: $out" ||
  fail "verify-full through the proxy: exit $rc: $out"
out=$(PGPASSWORD=etl-dev-pw psql -X -w -At -d "host=127.0.0.1 port=$P_GOOD user=etl dbname=postgres sslmode=verify-full sslrootcert=$WORK/ca.crt" \
  -c '\conninfo' 2>&1) || true
[[ $out == *"SSL connection (protocol: TLSv1."* ]] && ok "verify-full by IP (SAN 127.0.0.1): ${out##*SSL connection }" ||
  fail "verify-full by IP address through the proxy: $out"

# Same query direct over TLS and through the proxy: identical output, 200k rows.
Q="SELECT g, md5(g::text) FROM generate_series(1, 200000) g"
tls_psql "$PG_PORT" etl etl-dev-pw "sslmode=verify-full" "$Q"
cp last.out direct.out
tls_psql "$P_GOOD" etl etl-dev-pw "sslmode=verify-full" "$Q"
cp last.out proxy.out
if e2e_diff "200k rows over TLS" direct.out proxy.out && [[ $(wc -l <proxy.out) == 200000 ]]; then
  ok "200000 rows over TLS on both sides identical to direct"
else
  failed=1
fi

# 2. sslmode=disable is refused by the proxy.
tls_psql "$P_GOOD" etl etl-dev-pw "sslmode=disable" "SELECT 1"
[[ $rc != 0 && $out == *"FATAL:  blueshift: this proxy accepts only TLS connections"* ]] &&
  ok "sslmode=disable refused: $(grep FATAL <<<"$out")" || fail "sslmode=disable through the proxy: exit $rc: $out"
# The instance itself only accepts TLS, so the success above proves the upstream leg is TLS.
tls_psql "$PG_PORT" etl etl-dev-pw "sslmode=disable" "SELECT 1"
[[ $rc != 0 && $out == *"no encryption"* ]] && ok "the TLS instance refuses plaintext itself" ||
  fail "the TLS instance accepted plaintext: $out"

# With tls.require false, TLS is offered but plaintext clients are served too.
tls_psql "$P_OPTIONAL" etl etl-dev-pw "sslmode=disable" "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
[[ $rc == 0 && $out == t ]] && ok "tls.require false: a plaintext client is served (upstream still TLS)" ||
  fail "tls.require false, sslmode=disable: exit $rc: $out"
tls_psql "$P_OPTIONAL" etl etl-dev-pw "sslmode=verify-full" "SELECT 1"
[[ $rc == 0 && $out == 1 ]] && ok "tls.require false: a TLS client is served" ||
  fail "tls.require false, sslmode=verify-full: exit $rc: $out"

# Cancel through a TLS session: libpq sends the CancelRequest on a new plaintext connection,
# which the proxy must accept although it requires TLS for sessions, and forward upstream.
PGPASSWORD=etl-dev-pw psql -X -w -d "host=localhost port=$P_GOOD user=etl dbname=postgres sslmode=verify-full sslrootcert=$WORK/ca.crt application_name=e2e_tls_cancel" \
  -c "SELECT pg_sleep(30)" >cancel.out 2>&1 &
psql_pid=$!
for ((i = 0; i < 100; i++)); do
  n=$(psql -X -At -h "$WORK/pg/sock" -p "$PG_PORT" -U postgres -d postgres -c \
    "SELECT count(*) FROM pg_stat_activity JOIN pg_stat_ssl USING (pid) WHERE application_name = 'e2e_tls_cancel' AND state = 'active' AND ssl")
  [[ $n == 1 ]] && break
  sleep 0.1
done
t0=$(date +%s%N)
kill -INT "$psql_pid"
rc=0
wait "$psql_pid" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $n == 1 && $rc == 1 && $(<cancel.out) == *"canceling statement due to user request"* && $ms -lt 1000 ]] &&
  ok "psql cancel over TLS on both sides took ${ms} ms" || fail "cancel over TLS: active=$n exit $rc after ${ms} ms: $(<cancel.out)"

# 3. SCRAM over TLS on both sides.
tls_psql "$P_GOOD" analyst analyst-dev-pw "sslmode=verify-full channel_binding=disable" "SELECT current_user"
[[ $rc == 0 && $out == analyst ]] && ok "SCRAM with channel_binding=disable through the proxy" ||
  fail "SCRAM with channel_binding=disable: exit $rc: $out"
tls_psql "$P_GOOD" analyst analyst-dev-pw "sslmode=verify-full channel_binding=require" "SELECT current_user"
[[ $rc != 0 && $out == *"channel binding is required, but server did not offer an authentication method that supports channel binding"* ]] &&
  ok "channel_binding=require: the client refuses (no SCRAM-SHA-256-PLUS offered)" ||
  fail "channel_binding=require: exit $rc: $out"
tls_psql "$PG_PORT" analyst analyst-dev-pw "sslmode=verify-full channel_binding=require" "SELECT current_user"
[[ $rc == 0 && $out == analyst ]] && ok "channel_binding=require works direct (the server offers -PLUS)" ||
  fail "channel_binding=require direct: exit $rc: $out"
tls_psql "$P_GOOD" analyst analyst-dev-pw "sslmode=verify-full channel_binding=prefer" "SELECT current_user"
if [[ $rc != 0 && $out == *"SCRAM channel binding negotiation error"* ]]; then
  ok "channel_binding=prefer: refused by the server's downgrade protection, as documented"
elif [[ $rc == 0 ]]; then
  fail "channel_binding=prefer through TLS on both sides now logs in: update this test and the docs"
else
  fail "channel_binding=prefer: unexpected failure: $out"
fi

# 4. Upstream verification failures are reported clearly.
tls_psql "$P_WRONG_CA" etl etl-dev-pw "sslmode=verify-full" "SELECT 1"
[[ $rc != 0 && $out == *"blueshift: could not connect to the upstream server 127.0.0.1:$PG_PORT"* &&
  $out == *"TLS handshake failed"* && $out == *"certificate verify failed"* ]] &&
  ok "wrong upstream CA: $(tr '\n' ' ' <<<"$out")" || fail "wrong upstream CA: exit $rc: $out"
tls_psql "$P_WRONG_NAME" etl etl-dev-pw "sslmode=verify-full" "SELECT 1"
[[ $rc != 0 && $out == *"blueshift: could not connect to the upstream server"* && $out == *"TLS handshake failed"* ]] &&
  ok "wrong upstream server name: $(tr '\n' ' ' <<<"$out")" || fail "wrong upstream server name: exit $rc: $out"
tls_psql "$P_PLAIN_UPSTREAM" etl etl-dev-pw "sslmode=verify-full" "SELECT 1"
[[ $rc != 0 && $out == *"the server does not accept TLS"* ]] &&
  ok "upstream tls: require against a plaintext server: $(tr '\n' ' ' <<<"$out")" ||
  fail "upstream tls: require against a plaintext server: exit $rc: $out"
# The client certificate check is the client's: a client trusting another CA refuses the proxy.
out=$(PGPASSWORD=etl-dev-pw psql -X -w -At -d "host=localhost port=$P_GOOD user=etl dbname=postgres sslmode=verify-full sslrootcert=$WORK/wrongca.crt" -c "SELECT 1" 2>&1) && rc=0 || rc=$?
[[ $rc != 0 && $out == *"certificate verify failed"* ]] && ok "a client trusting another CA refuses the proxy's certificate" ||
  fail "client with the wrong CA: exit $rc: $out"

if ((failed)); then
  for f in proxy-*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done
  exit 1
fi
echo "PASS: TLS on both sides"
