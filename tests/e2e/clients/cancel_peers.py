#!/usr/bin/python3
"""Cancels across two peered proxy instances (as behind a load balancer).

Instance A (peer_id 1) and B (peer_id 2) list each other under `peers:`. A session's secret
names its instance in its top four bits; a CancelRequest sent to the other instance is
forwarded to the session's own and cancels the query there. A wrong secret sent to the other
instance cancels nothing, and a CancelRequest already marked as forwarded (sign bit of the
pid) is never forwarded again. Usage: cancel_peers.py PORT_A PORT_B
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgwire  # noqa: E402

DB = os.environ.get("E2E_DB", "blueshift_e2e_clients")
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def login(port):
    s = pgwire.Session(port)
    err = s.startup("etl", DB, "etl-dev-pw", application_name="e2e_clients_cancel_peers")
    if err:
        raise SystemExit(f"FAIL: login through the proxy on {port} refused: {err}")
    return s


def signed(v):
    return ((v + 2**31) % 2**32) - 2**31


def sleeps_through(session, cancels, seconds=1.5):
    """Runs pg_sleep(seconds) while the (port, pid, secret) cancels are sent: True when it completed."""
    session.send_query(f"SELECT pg_sleep({seconds}), 'done'")
    time.sleep(0.2)
    for port, pid, secret in cancels:
        pgwire.send_cancel(port, pid, secret, wait=0.5)
    rows, _, error = session.read_result()
    return error is None and rows == [["", "done"]]


def cancelled_via(session, port):
    """Runs pg_sleep(5), cancels it through port with the session's key: seconds taken, or None."""
    session.send_query("SELECT pg_sleep(5)")
    time.sleep(0.3)
    t0 = time.monotonic()
    pgwire.send_cancel(port, *session.key, wait=2.0)
    _, _, error = session.read_result()
    took = time.monotonic() - t0
    return took if error is not None and error.get("C") == "57014" else None


def main():
    port_a, port_b = int(sys.argv[1]), int(sys.argv[2])
    on_a, on_b = login(port_a), login(port_b)
    for name, s, peer in (("A", on_a, 1), ("B", on_b, 2)):
        issuer = (s.key[1] & 0xFFFFFFFF) >> 28
        check(issuer == peer, f"a session on {name} has a secret naming peer {peer} (top bits {issuer})")

    pid, secret = on_a.key
    wrong = [(port_b, pid, signed(secret ^ 1)), (port_b, pid, signed(secret ^ (1 << 20))),
             (port_b, pid, signed((secret & 0x0FFFFFFF) | (3 << 28)))]  # peer 3 does not exist
    check(sleeps_through(on_a, wrong), "wrong secrets sent to the other instance cancel nothing")
    # A marked (forwarded) request for a session on B, sent to A: A must not forward it.
    marked = [(port_a, signed(on_b.key[0] | 2**31), on_b.key[1])]
    check(sleeps_through(on_b, marked), "a CancelRequest marked as forwarded is not forwarded again")

    for name, s, other_name, other_port in (("A", on_a, "B", port_b), ("B", on_b, "A", port_a)):
        took = cancelled_via(s, other_port)
        check(took is not None and took < 1.0,
              f"a session on {name} cancelled by a CancelRequest sent to {other_name} "
              f"({'not cancelled' if took is None else f'{took:.3f} s'})")
        rows, _, error = s.query("SELECT 'alive'")
        check(error is None and rows == [["alive"]], f"the session on {name} is usable after the cancel")
    on_a.close()
    on_b.close()
    if failures:
        sys.exit(1)
    print("PASS: cancels reach the session's instance through its peer")


if __name__ == "__main__":
    main()
