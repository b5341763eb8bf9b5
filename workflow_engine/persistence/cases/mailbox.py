"""E-mails that are not about a case (account verification, password reset) go through the
outbox too, so nothing is lost while the mail server is down."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from workflow_engine.persistence.cases.outbox import add_message
from workflow_engine.persistence.models import OutboxMessage, table
from workflow_engine.persistence.types import utcnow

outbox_t = table(OutboxMessage)
EMAIL_KIND = "email"


def enqueue_email(
    engine: Engine,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    key: str,
    lang: str = "es",
) -> int:
    """Queue one e-mail (outbox kind `email`) and return its outbox id; hand the id to the
    dispatcher after this returns. The same `key` queues the message only once."""
    now = utcnow()
    payload = {"to": to, "subject": subject, "text": text, "html": html, "lang": lang}
    try:
        with engine.begin() as conn:
            message_id = add_message(
                conn, case_id=None, kind=EMAIL_KIND, key=key, payload=payload, at=now
            )
    except IntegrityError:
        with engine.connect() as conn:
            message_id = conn.execute(
                select(outbox_t.c.id).where(outbox_t.c.idempotency_key == key)
            ).scalar_one()
    return int(message_id)
