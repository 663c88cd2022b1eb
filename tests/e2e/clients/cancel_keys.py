#!/usr/bin/python3
"""Backend keys through the proxy, with hand-made CancelRequests.

The BackendKeyData pid a client gets is the server's own (pg_backend_pid()); the secret is the
proxy's. A session running pg_sleep(2) must NOT be cancelled by CancelRequests carrying guessed
keys: random keys, the session's pid with a wrong secret (one bit off, random), neighbouring
pids with its secret, the same key marked as forwarded by a peer (no peering here), and another
session's valid key. Then, as a positive control, the session's own pair cancels it within a
second (SQLSTATE 57014). A session's own NOTIFY, and another's, carry the notifying session's
pid; pg_terminate_backend() of the pid the client got, from another session, ends it.
Seeded (E2E_SEED or time); the seed is printed.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgwire  # noqa: E402

PROXY = int(os.environ["BLUESHIFT_TEST_PROXY_PORT"])
DB = os.environ.get("E2E_DB", "blueshift_e2e_clients")
failures = []


def check(ok, what):
    """Prints the first line of what on success, all of it (the evidence) on failure."""
    print(("ok: " + what.split("\n")[0]) if ok else ("FAIL: " + what))
    if not ok:
        failures.append(what)


def login(port=PROXY):
    s = pgwire.Session(port)
    err = s.startup("etl", DB, "etl-dev-pw", application_name="e2e_clients_cancel")
    if err:
        raise SystemExit(f"FAIL: login through the proxy refused: {err}")
    return s


def main():
    seed = int(os.environ.get("E2E_SEED", time.time_ns() % 2**32))
    print(f"seed {seed}")
    rng = random.Random(seed)

    victim = login()
    other = login()
    pid_c, key_c = victim.key
    rows, _, _ = victim.query("SELECT pg_backend_pid()")
    pid_s = int(rows[0][0])
    other_rows, _, _ = other.query("SELECT pg_backend_pid()")
    print(f"victim: BackendKeyData pid {pid_c}, pg_backend_pid() {pid_s}; other session's pid {other.key[0]}")
    check(pid_c == pid_s, f"the BackendKeyData pid is the server's pg_backend_pid(): {pid_c} vs {pid_s}")
    check(other.key[0] == int(other_rows[0][0]), "so is the other session's")
    check(other.key != victim.key, "two sessions get different cancel keys")

    def r32():
        return rng.randint(-2**31, 2**31 - 1)

    guesses = [(r32(), r32()) for _ in range(40)]
    guesses += [(pid_c, key_c ^ (1 << rng.randrange(31))), (pid_c, key_c ^ 1)]  # one bit off
    guesses += [(pid_c, r32()), (pid_c, r32()), (pid_c + 1, key_c), (pid_c - 1, key_c)]
    guesses += [(pid_c | -2**31, key_c)]  # marked as forwarded by a peer: this proxy has no peers
    guesses += [other.key]  # a valid key, but for the idle session: must not touch the victim
    # Normalise to signed 32-bit.
    guesses = [tuple(((v + 2**31) % 2**32) - 2**31 for v in g) for g in guesses]
    guesses = [g for g in guesses if g != (pid_c, key_c)]

    start = time.monotonic()
    victim.send_query("SELECT pg_sleep(2), 'finished'")
    time.sleep(0.2)
    for pid, secret in guesses:
        pgwire.send_cancel(PROXY, pid, secret, wait=0.5)
    sent_in = time.monotonic() - start
    rows, tags, error = victim.read_result()
    elapsed = time.monotonic() - start
    print(f"sent {len(guesses)} guessed CancelRequests in {sent_in:.2f} s; the query ended after {elapsed:.2f} s")
    check(sent_in < 1.8, f"all guesses arrived while the statement ran ({sent_in:.2f} s)")
    check(error is None, f"no guessed key cancelled the running statement (error: {error})")
    check(rows == [["", "finished"]] and tags == ["SELECT 1"], f"the statement completed normally: {rows} {tags}")
    check(elapsed >= 1.9, f"the statement ran its full 2 s ({elapsed:.2f} s)")

    # The idle session whose key was used is unaffected too.
    rows, _, error = other.query("SELECT 'other alive'")
    check(error is None and rows == [["other alive"]], "the other session is unaffected")

    # Positive control: the session's own key cancels it promptly.
    victim.send_query("SELECT pg_sleep(20)")
    time.sleep(0.3)
    t0 = time.monotonic()
    pgwire.send_cancel(PROXY, pid_c, key_c, wait=2.0)
    rows, tags, error = victim.read_result()
    took = time.monotonic() - t0
    print(f"own key: error {error and error.get('C')} after {took:.3f} s")
    check(error is not None and error.get("C") == "57014", f"the right key cancels with 57014: {error}")
    check(took < 1.0, f"the cancel took effect within a second ({took:.3f} s)")
    rows, _, error = victim.query("SELECT 'victim alive'")
    check(error is None and rows == [["victim alive"]], "the cancelled session is still usable")

    # Notifications name the notifying session by the pid its client was given.
    victim.query("LISTEN e2e_cancel_keys")
    victim.query("NOTIFY e2e_cancel_keys, 'own'")
    other.query("NOTIFY e2e_cancel_keys, 'other'")
    victim.query("SELECT 1")  # the other session's notification arrives by the next ReadyForQuery
    got = sorted(victim.notifications)
    check(sorted([(pid_c, "e2e_cancel_keys", "own"), (other.key[0], "e2e_cancel_keys", "other")]) == got,
          f"own NOTIFY carries the session's own pid {pid_c}, the other's {other.key[0]}: {got}")
    victim.query("UNLISTEN *")

    # A key stays valid only while its session lives: after the victim logs out, its key is
    # dead and cancels nothing (here: the other session, running a short sleep).
    victim.close()
    time.sleep(0.2)
    other.send_query("SELECT pg_sleep(0.5), 'other finished'")
    time.sleep(0.1)
    pgwire.send_cancel(PROXY, pid_c, key_c, wait=0.5)
    rows, _, error = other.read_result()
    check(error is None and rows == [["", "other finished"]], "a closed session's key cancels nothing")

    # pg_terminate_backend() with the pid a client was given ends that client's session.
    third = login()
    rows, _, error = other.query(f"SELECT pg_terminate_backend({third.key[0]})")
    check(error is None and rows == [["t"]], f"pg_terminate_backend(BackendKeyData pid) succeeds: {rows} {error}")
    try:
        _, _, error = third.query("SELECT 'still here'")
    except ConnectionError:
        error = {"C": "closed"}
    check(error is not None and error.get("C") in ("57P01", "closed"),
          f"the terminated session is gone: {error}")
    other.close()

    if failures:
        print(f"{len(failures)} failure(s) (seed {seed})")
        sys.exit(1)
    print("PASS: the server's pids; guessed cancel keys cancel nothing; the right pair cancels within a second")


if __name__ == "__main__":
    main()
