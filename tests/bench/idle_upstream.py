#!/usr/bin/env python3
"""A featherweight PostgreSQL-v3 upstream for the idle-memory benchmark.

Thousands of idle sessions cannot be held against the dev warehouse (one backend each, a few MB
apiece, and max_connections), yet memory per idle client must be measured at 1,000 and 5,000
sessions. This server logs everyone in at once (AuthenticationOk, a few ParameterStatus,
BackendKeyData, ReadyForQuery), answers every Query with an empty CommandComplete, and otherwise
holds the connection: the proxy in front of it keeps exactly the per-session state it keeps in
front of a real warehouse, while this side costs one asyncio transport a connection.

    python3 idle_upstream.py --port 6543        # prints "listening <port>" once ready
"""

import argparse
import asyncio
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgwire_codec import (  # noqa: E402
    CANCEL_REQUEST, GSSENC_REQUEST, SSL_REQUEST, auth, backend_key_data, command_complete,
    parameter_status, ready_for_query,
)

LOGIN = (auth(0) + parameter_status("server_version", "15.0") +
         parameter_status("server_encoding", "UTF8") + parameter_status("client_encoding", "UTF8") +
         parameter_status("DateStyle", "ISO, MDY") + parameter_status("integer_datetimes", "on") +
         parameter_status("standard_conforming_strings", "on") + backend_key_data(4242, 4242) +
         ready_for_query("I"))
ANSWER = command_complete("SELECT 0") + ready_for_query("I")


async def serve(reader, writer):
    try:
        while True:  # startup: SSL/GSS requests get 'N', a cancel closes
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            body = await reader.readexactly(length - 4)
            code = struct.unpack("!i", body[:4])[0]
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                writer.write(b"N")
                continue
            if code == CANCEL_REQUEST:
                return
            break
        writer.write(LOGIN)
        while True:
            kind = await reader.readexactly(1)
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            await reader.readexactly(length - 4)
            if kind == b"X":
                return
            if kind in (b"Q", b"S"):
                writer.write(ANSWER)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    server = await asyncio.start_server(serve, args.host, args.port, backlog=4096)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
