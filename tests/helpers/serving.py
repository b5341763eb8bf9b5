"""A test's HTTP server (Werkzeug's or the standard library's) on a loopback port, in a thread.

`serve_forever` checks for `shutdown()` once per poll interval, 0.5 s by default: every test
that stopped its server waited up to half a second for nothing (≈ 30 s of the gateway webhook
tests alone). Every server the tests start runs through here, with a short interval."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

POLL_INTERVAL_S = 0.02


def start(server: socketserver.BaseServer, name: str = "test-server") -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL_S},
        name=name,
        daemon=True,
    )
    thread.start()
    return thread


def stop(server: socketserver.BaseServer, thread: threading.Thread) -> None:
    server.shutdown()
    thread.join(10)
    server.server_close()


@contextmanager
def running(server: socketserver.BaseServer, name: str = "test-server") -> Iterator[None]:
    """`server` serving until the block ends, then shut down and its socket closed."""
    thread = start(server, name)
    try:
        yield
    finally:
        stop(server, thread)
