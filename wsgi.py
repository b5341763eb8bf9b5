"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from app import create_app
from app.observability.logs import configure_logging

configure_logging()  # JSON lines on stderr (LOG_FORMAT, LOG_LEVEL)
app = create_app()
