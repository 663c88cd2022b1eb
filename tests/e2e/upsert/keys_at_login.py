"""A session's login starts the read of its database's declared keys, so that its first
upsert without a conflict target (ON CONFLICT DO NOTHING, whose keys Blueshift reads from
the catalog) runs instead of being refused with 55000 "not read yet". The database is new
to the proxy, which has served other sessions and databases before (tests/run.sh's shared
proxy). Its own database."""
import sys
import time

from upsert_e2e import check, connect, run_checks

DB = "blueshift_e2e_upsert_login"


def checks(dev_port, proxy_port):
    with connect(dev_port, DB) as direct:
        direct.execute("CREATE TABLE upsert_login (k int PRIMARY KEY, v int)")
    with connect(proxy_port, DB) as proxied:
        time.sleep(3)  # idle: no statement of this session has asked for the keys
        try:
            status = proxied.execute("INSERT INTO upsert_login VALUES (1, 1) ON CONFLICT DO NOTHING").statusmessage
        except Exception as e:  # noqa: BLE001 - the refusal is what this test looks for
            status = f"{type(e).__name__}: {e}"
        check("the first upsert of a session finds the keys read since its login", status == "INSERT 0 1", status)
        rows = proxied.execute("SELECT k, v FROM upsert_login").fetchall()
        check("and it ran", rows == [(1, 1)], repr(rows))


def main():
    return run_checks(DB, checks)


if __name__ == "__main__":
    sys.exit(main())
