"""`python -m sandbox_gateway`: the sandbox gateway on loopback (what `make run` starts)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sandbox_gateway.app import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Tramita's sandbox payment gateway")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (loopback)")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--notify-url",
        default=os.environ.get("SANDBOX_NOTIFY_URL", "http://127.0.0.1:5000/pagos/webhook/sandbox"),
        help="where webhooks go when a checkout names no notify_url",
    )
    args = parser.parse_args(argv)
    api_key = os.environ.get("GATEWAY_API_KEY", "")
    secret = os.environ.get("GATEWAY_WEBHOOK_SECRET", "")
    if not api_key or not secret:
        sys.exit("sandbox gateway: set GATEWAY_API_KEY and GATEWAY_WEBHOOK_SECRET")
    logging.basicConfig(level=logging.INFO, format="sandbox-gateway %(levelname)s %(message)s")
    app = create_sandbox_app(
        api_key=api_key, webhook_secret=secret, default_notify_url=args.notify_url
    )
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
