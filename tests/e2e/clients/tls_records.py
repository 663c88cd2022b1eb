#!/usr/bin/python3
"""psycopg 3 over TLS through the proxy: COPY TO STDOUT read with cursor.copy() again and
again must never hang, and no TLS record the proxy writes may carry more than 8 KiB.

Why: libpq reads into room for about 8 KiB. Of a larger record it takes part; the rest waits
decrypted inside OpenSSL, where the select() psycopg waits on cannot see it, and psycopg
waits forever. PostgreSQL never writes records over 8 KiB, so this does not happen directly.

First the COPY loop straight on the proxy (the timing that hangs); then a few more COPYs
through a small relay that copies the proxy's bytes to the client and, after the
SSLRequest's 'S', parses the TLS record headers (type, version, length) of everything the
proxy sends. Usage: tls_records.py PROXY_TLS_PORT (a proxy offering TLS).
"""
import os
import socket
import struct
import sys
import threading
import time

import psycopg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from tcp_relay import Relay  # noqa: E402

DB = os.environ.get("E2E_DB", "blueshift_e2e_clients")
# Rows of 3 KB read by a client a little slower than the server: the proxy then reads large
# chunks from the server, and the last record of a result is often nearly 16 KiB while libpq
# has less room than that (without the fix the loop hung within 20 iterations in most runs).
ITERATIONS = 200
ROWS = 200
WIDTH = 3000
DEADLINE_S = 30
# TLS 1.3 AEAD adds a content-type byte and a 16-byte tag; TLS 1.2 GCM an 8-byte nonce and the
# tag. RFC 8446 allows at most 256 bytes of expansion: anything over 8 KiB + 256 held more
# than 8 KiB of plaintext.
MAX_RECORD = 8192 + 256


class ServerBytes:
    """The relay's tap: what the proxy sends after its one-byte answer to SSLRequest."""

    def __init__(self):
        self.data = bytearray()
        self.answered = False

    def __call__(self, chunk):
        if not self.answered:
            if chunk[:1] != b"S":
                raise SystemExit(f"FAIL: the proxy answered SSLRequest with {chunk[:1]!r}")
            chunk = chunk[1:]
            self.answered = True
        self.data += chunk


def record_lengths(stream):
    """Lengths of the TLS records in stream (whole records only)."""
    lengths = []
    pos = 0
    while pos + 5 <= len(stream):
        kind, major, _minor, length = struct.unpack("!BBBH", stream[pos:pos + 5])
        if kind not in (20, 21, 22, 23) or major != 3:
            raise SystemExit(f"FAIL: not a TLS record header at offset {pos}: {bytes(stream[pos:pos + 5]).hex()}")
        lengths.append(length)
        pos += 5 + length
    return lengths


def copy_loop(port, iterations, result):
    sql = f"COPY (SELECT g, repeat('x', {WIDTH}) FROM generate_series(1, {ROWS}) g) TO STDOUT"
    with psycopg.connect(f"host=127.0.0.1 port={port} dbname={DB} user=analyst password=analyst-dev-pw "
                         "sslmode=require connect_timeout=10 application_name=e2e_clients_tls_records") as conn:
        with conn.cursor() as cur:
            for i in range(iterations):
                rows = 0
                with cur.copy(sql) as copy:
                    for data in copy:
                        rows += bytes(data).count(b"\n")
                        if rows % 20 == 0:
                            time.sleep(0.001)
                if rows != ROWS:
                    result.append(f"iteration {i}: {rows} rows, expected {ROWS}")
                    return
                result.append(i)


def run_copies(port, iterations, what):
    """Runs copy_loop with a deadline; exits with FAIL when it hangs or goes wrong."""
    result = []
    t0 = time.monotonic()
    worker = threading.Thread(target=copy_loop, args=(port, iterations, result), daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    done = [r for r in result if isinstance(r, int)]
    if worker.is_alive():
        print(f"FAIL: psycopg hung in COPY TO STDOUT over TLS ({what}) after {len(done)} of {iterations} "
              f"iterations ({time.monotonic() - t0:.1f} s)")
        os._exit(1)
    errors = [r for r in result if not isinstance(r, int)]
    if errors or len(done) != iterations:
        print(f"FAIL: {errors or 'the COPY loop ended early'}")
        sys.exit(1)
    print(f"ok: {iterations} COPY TO STDOUT reads of {ROWS} rows over TLS ({what}) in {time.monotonic() - t0:.1f} s")


def main():
    proxy_port = int(sys.argv[1])
    run_copies(proxy_port, ITERATIONS, "straight to the proxy")
    tap = ServerBytes()
    relay = Relay(proxy_port, tap=tap)
    run_copies(relay.port, 20, "through the recording relay")

    lengths = record_lengths(tap.data)
    biggest = max(lengths)
    large = sum(1 for n in lengths if n > 4096)
    print(f"{len(lengths)} TLS records from the proxy, the largest {biggest} bytes, {large} over 4 KiB")
    if large < 100:
        print("FAIL: too few large records to say anything about the record size")
        sys.exit(1)
    if biggest > MAX_RECORD:
        print(f"FAIL: the proxy wrote a TLS record of {biggest} bytes (PostgreSQL writes at most 8 KiB of data)")
        sys.exit(1)
    print(f"PASS: no hang, and every record at most {MAX_RECORD} bytes")


if __name__ == "__main__":
    main()
