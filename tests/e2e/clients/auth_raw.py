#!/usr/bin/python3
"""Logins through the proxy compared field by field with direct logins, on the raw wire.

For each authentication method the dev warehouse uses (cleartext 'password' for legacy, MD5
for etl, SCRAM-SHA-256 for analyst): a wrong password must give the very ErrorResponse the
server gives (every field: severity, SQLSTATE 28P01, message, file, line, routine); the right
password must log in with the same ParameterStatus values. Also an unknown user and an
unknown database. Through the proxy, SCRAM-SHA-256-PLUS is never offered.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgwire  # noqa: E402

DIRECT = int(os.environ["BLUESHIFT_DEV_PORT"])
PROXY = int(os.environ["BLUESHIFT_TEST_PROXY_PORT"])
DB = os.environ.get("E2E_DB", "blueshift_e2e_clients")
failures = []


def check(ok, what):
    """Prints the first line of what on success, all of it (the evidence) on failure."""
    print(("ok: " + what.split("\n")[0]) if ok else ("FAIL: " + what))
    if not ok:
        failures.append(what)


def attempt(port, user, password, database=DB):
    s = pgwire.Session(port)
    try:
        err = s.startup(user, database, password, application_name="e2e_clients_auth")
        mechanisms = getattr(s, "sasl_mechanisms", None)
        if err:
            return "error", err, mechanisms
        rows, _, qerr = s.query("SELECT current_user, session_user")
        return "ok", {"params": s.parameters, "rows": rows, "error": qerr}, mechanisms
    finally:
        s.close()


CASES = [
    ("legacy", "legacy-dev-pw", DB, "cleartext"),
    ("etl", "etl-dev-pw", DB, "md5"),
    ("analyst", "analyst-dev-pw", DB, "scram-sha-256"),
]

for user, password, db, method in CASES:
    for label, pw in (("wrong password", password + "x"), ("right password", password)):
        d = attempt(DIRECT, user, pw, db)
        p = attempt(PROXY, user, pw, db)
        name = f"{user} ({method}), {label}"
        if d[0] == "error" and "role" in d[1].get("M", "") and "does not exist" in d[1].get("M", ""):
            check(False, f"{name}: the role is missing on the warehouse ({d[1]['M']}); tell the lead")
            continue
        check(d[0] == p[0], f"{name}: outcome direct {d[0]}, through the proxy {p[0]}")
        if label == "wrong password":
            check(d[1] == p[1], f"{name}: identical ErrorResponse fields\n  direct: {d[1]}\n  proxy:  {p[1]}")
            check(p[1].get("C") == "28P01", f"{name}: SQLSTATE {p[1].get('C')} (expect 28P01)")
        else:
            check(p[0] == "ok" and p[1]["rows"] == [[user, user]], f"{name}: logged in as {user} through the proxy")
            check(d[1]["params"] == p[1]["params"],
                  f"{name}: identical ParameterStatus\n  direct: {d[1]['params']}\n  proxy:  {p[1]['params']}")
        if method == "scram-sha-256":
            check(d[2] is not None and "SCRAM-SHA-256" in d[2], f"{name}: the server offers SCRAM ({d[2]})")
            check(p[2] == [m for m in d[2] if not m.endswith("-PLUS")],
                  f"{name}: the proxy offers {p[2]} (server without TLS offers {d[2]})")

for label, user, password, db in (("unknown user", "no_such_user_e2e", "pw", DB),
                                  ("unknown database", "etl", "etl-dev-pw", "no_such_db_e2e")):
    d = attempt(DIRECT, user, password, db)
    p = attempt(PROXY, user, password, db)
    check(d[0] == p[0] == "error" and d[1] == p[1],
          f"{label}: identical ErrorResponse\n  direct: {d[1]}\n  proxy:  {p[1]}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("PASS: logins through the proxy behave as direct, error fields included")
