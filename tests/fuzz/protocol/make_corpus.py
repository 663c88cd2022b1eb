#!/usr/bin/env python3
"""Writes the small seed corpus of the protocol fuzz targets.

Each seed is a realistic byte stream (one session phase), built here with struct.pack
straight from the PostgreSQL message formats, so the seeds do not depend on the codec
they exercise. Run from anywhere: python3 tests/fuzz/protocol/make_corpus.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def msg(code, body=b""):
    return code.encode() + struct.pack("!i", len(body) + 4) + body


def s(text):
    return text.encode() + b"\0"


def i16(*v):
    return struct.pack("!" + "h" * len(v), *v)


def i32(*v):
    return struct.pack("!" + "i" * len(v), *v)


def sized(b):
    return i32(-1) if b is None else i32(len(b)) + b


def startup(body):
    return i32(len(body) + 4) + body


FRONTEND = {
    "simple_query": msg("Q", s("SELECT * FROM spectrum_schema.sales WHERE year = 2024")) + msg("X"),
    "extended": msg("P", s("s1") + s("SELECT $1::int, $2") + i16(2) + i32(23, 0))
    + msg("B", s("") + s("s1") + i16(1, 0) + i16(2) + sized(b"42") + sized(None) + i16(1, 1))
    + msg("D", b"P" + s(""))
    + msg("E", s("") + i32(0))
    + msg("C", b"S" + s("s1"))
    + msg("H")
    + msg("S"),
    "copy_in": msg("Q", s("COPY t FROM STDIN")) + msg("d", b"1\tone\n2\t\\N\n") + msg("c")
    + msg("f", s("aborted")),
    "auth": msg("p", s("SCRAM-SHA-256") + sized(b"n,,n=,r=rOprNGfwEbeRWgbNEkqO"))
    + msg("p", b"c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    + msg("d", sized(b"\xab" * 32) + sized(b"1717171717171"))
    + msg("i", b"eyJhbGciOiJSUzI1NiJ9.e30.sig\0")
    + msg("F", i32(1598) + i16(1, 1) + i16(1) + sized(b"\0\0\0\1") + i16(1)),
}


def field(name, table_oid, attr, type_oid, size, mod, fmt):
    return s(name) + i32(table_oid) + i16(attr) + i32(type_oid) + i16(size) + i32(mod) + i16(fmt)


def redshift_meta(schema, table, column, catalog, flags):
    return s(schema) + s(table) + s(column) + s(catalog) + i16(flags)


ERROR_FIELDS = b"SERROR\0VERROR\0C42P01\0Mrelation \"x\" does not exist\0P15\0\0"

BACKEND = {
    "login_scram": msg("R", i32(10) + s("SCRAM-SHA-256-PLUS") + s("SCRAM-SHA-256") + b"\0")
    + msg("R", i32(11) + b"r=abc,s=c2FsdA==,i=4096")
    + msg("R", i32(12) + b"v=c2lnbmF0dXJl")
    + msg("R", i32(0))
    + msg("S", s("server_protocol_version") + s("2"))
    + msg("S", s("client_encoding") + s("UTF8"))
    + msg("K", i32(4242, 99))
    + msg("Z", b"I"),
    "login_redshift": msg("R", i32(13) + i32(0) + sized(b"salt") + sized(b"server-nonce"))
    + msg("R", i32(14))
    + msg("v", i32(0) + i32(1) + s("_pq_.compression"))
    + msg("R", i32(0))
    + msg("Z", b"I"),
    "query_result": msg("T", i16(2) + field("id", 16384, 1, 23, 4, -1, 0) + field("name", 16384, 2, 25, -1, -1, 0))
    + msg("D", i16(2) + sized(b"1") + sized(b"one"))
    + msg("D", i16(2) + sized(b"2") + sized(None))
    + msg("C", s("SELECT 2"))
    + msg("Z", b"T"),
    "redshift_rows": msg("T", i16(1) + field("amount", 108000, 3, 1700, -1, 1310726, 0)
                         + redshift_meta("spectrum_schema", "sales", "amount", "dev", 0x1001))
    + msg("D", i16(1) + sized(b"12.50"))
    + msg("C", s("SELECT 1"))
    + msg("Z", b"I"),
    "extended_errors": msg("1") + msg("t", i16(2) + i32(23, 25)) + msg("n") + msg("2") + msg("s") + msg("3")
    + msg("I") + msg("E", ERROR_FIELDS) + msg("N", b"SNOTICE\0Mhello\0\0") + msg("A", i32(7) + s("ch") + s("x"))
    + msg("G", b"\0" + i16(2, 0, 0)) + msg("H", b"\1" + i16(1, 1)) + msg("W", b"\0" + i16(0))
    + msg("d", b"row\n") + msg("c") + msg("V", sized(b"\0\0\0\7")) + msg("Z", b"E"),
}

STARTUP = {
    "startup": startup(i32(196608) + s("user") + s("analyst") + s("database") + s("dev")
                       + s("client_protocol_version") + s("2") + s("application_name") + s("psql") + b"\0"),
    "ssl_then_startup": startup(i32(80877103)) + startup(i32(196608) + s("user") + s("etl") + b"\0"),
    "gss_then_cancel": startup(i32(80877104)) + startup(i32(80877102) + i32(4242, -99)),
    "protocol_3_2": startup(i32(196610) + s("user") + s("u") + s("_pq_.x") + s("1") + b"\0"),
}


def write(target, seeds):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


write("fuzz_protocol_frontend", FRONTEND)
write("fuzz_protocol_backend", BACKEND)
write("fuzz_protocol_startup", STARTUP)
