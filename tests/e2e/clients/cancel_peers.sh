#!/usr/bin/env bash
# Two private proxies in front of the dev warehouse, peered as two instances behind a load
# balancer would be (127.0.0.1:6521 is peer 1, :6522 peer 2, one peers: list for both), and
# cancel_peers.py cancels a session on each through the other.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"
e2e_require_env
PORT_A=6521 PORT_B=6522
WORK="$(mktemp -d /tmp/e2e-clients-cancel-peers.XXXXXX)"
E2E_CLEANUPS+=("rm -rf '$WORK'")
for id in 1 2; do
  cat >"$WORK/peer$id.yaml" <<EOF
upstream: {host: 127.0.0.1, port: $BLUESHIFT_DEV_PORT}
log: {level: debug}
peer_id: $id
peers:
  - {id: 1, host: 127.0.0.1, port: $PORT_A}
  - {id: 2, host: 127.0.0.1, port: $PORT_B}
EOF
done
e2e_start_proxy "$PORT_A" "$WORK/peer1.log" --config "$WORK/peer1.yaml"
e2e_start_proxy "$PORT_B" "$WORK/peer2.log" --config "$WORK/peer2.yaml"
python3=/usr/bin/python3
[[ -x $python3 ]] || python3=python3
if ! "$python3" "$HERE/cancel_peers.py" "$PORT_A" "$PORT_B"; then
  for f in "$WORK"/peer*.log; do echo "--- $f" >&2; grep -i cancel "$f" | tail -n 20 >&2; done
  exit 1
fi
