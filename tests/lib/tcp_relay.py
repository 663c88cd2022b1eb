"""A loopback TCP relay for tests: each client it accepts is joined to a target port, after
an optional delay (a slow network or server), with an optional tap on the bytes the target
sends back. It listens on a port the system picks (relay.port)."""

from __future__ import annotations

import socket
import threading
import time


class Relay:
    def __init__(self, target_port, delay=0.0, tap=None):
        self.target_port = target_port
        self.delay = delay  # read when a client arrives: later changes affect later clients
        self.tap = tap      # tap(bytes) sees every chunk from the target, in order
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._join, args=(client, self.delay), daemon=True).start()

    def _join(self, client, delay):
        time.sleep(delay)
        try:
            target = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        threading.Thread(target=pipe, args=(client, target), daemon=True).start()
        pipe(target, client, self.tap)

    def close(self):
        self.listener.close()


def pipe(src, dst, tap=None):
    """Copies src to dst until either side closes, then shuts both down."""
    try:
        while data := src.recv(65536):
            if tap is not None:
                tap(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
