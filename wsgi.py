"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from app import create_app
from app.config import ConfigError
from app.observability.logs import configure_logging

configure_logging()  # JSON lines on stderr (LOG_FORMAT, LOG_LEVEL)
try:
    app = create_app()
except ConfigError as exc:
    print(exc.code, file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": the master stops instead of respawning forever.
    raise SystemExit(3) from None
