"""A small sandbox payment gateway: its own Flask app, so `make run` and the tests exercise
the real HTTP flow (hosted checkout, redirect back, signed webhook, status API) without a
bank.

It plays a third party on purpose: it shares no code with connectors/gateway (it signs its
webhooks with its own few lines), so a mistake in our verification cannot hide behind the
same mistake here. State lives in memory; restarting it forgets every session.

    create_sandbox_app(api_key=..., webhook_secret=...)   # the WSGI app
    serve_in_background(app)                              # tests: on 127.0.0.1, in a thread
    python -m sandbox_gateway --port 5001                 # `make run`
"""

from sandbox_gateway.app import SandboxStore, create_sandbox_app
from sandbox_gateway.server import SandboxServer, serve_in_background

__all__ = ["SandboxServer", "SandboxStore", "create_sandbox_app", "serve_in_background"]
