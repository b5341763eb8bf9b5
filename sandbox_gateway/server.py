"""Serve a WSGI app on a loopback port in a daemon thread (tests, benchmark)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class SandboxServer:
    url: str
    app: Any
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()


def serve_in_background(app: Any, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start `app` on host:port (a free port by default); call `.stop()` when done."""
    server = make_server(host, port, app, threaded=True)
    # A short poll: `stop()` waits for the loop's next check (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},
        name="sandbox-gateway",
        daemon=True,
    )
    thread.start()
    return SandboxServer(f"http://{host}:{server.server_port}", app, server, thread)
