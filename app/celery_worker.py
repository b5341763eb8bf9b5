"""Entry point for `celery -A app.celery_worker worker` and `celery -A app.celery_worker beat`."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["tramita"].celery
