"""The `email` effect: a ready-made message (account verification, password reset) sent over
SMTP. A failure raises, so the outbox retries it; without SMTP it is only logged."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage

from connectors.notifications.mailer import SmtpMailer, build_email
from connectors.settings import ConnectorSettings
from workflow_engine.engine import Command
from workflow_engine.persistence.cases.outbox import OutboxItem, PermanentError
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)


def build_account_email(
    settings: ConnectorSettings, item: OutboxItem, at: datetime
) -> EmailMessage:
    payload = item.payload
    to = str(payload.get("to") or "").strip()
    if not to or "\n" in to or "\r" in to:
        raise PermanentError("e-mail without a valid recipient")
    html = payload.get("html")
    return build_email(
        settings,
        to=to,
        subject=" ".join(str(payload.get("subject") or "").split()),
        text=str(payload.get("text") or ""),
        link=None,
        idempotency_key=item.key,
        at=at,
        lang=str(payload.get("lang") or "es"),
        html=str(html) if html else None,
    )


class AccountMailer:
    """Sends the outbox's `email` messages; idempotent by the message key (Message-ID)."""

    def __init__(
        self,
        settings: ConnectorSettings,
        *,
        mailer: SmtpMailer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.mailer = mailer or (SmtpMailer(settings) if settings.smtp_host else None)
        self.clock = clock

    def __call__(self, item: OutboxItem) -> Sequence[Command] | None:
        email = build_account_email(self.settings, item, self.clock())
        if self.mailer is None:
            log.info("no SMTP server configured; e-mail %s to %s not sent", item.key, email["To"])
            return None
        with self.mailer.session() as smtp:
            try:
                smtp.send_message(email)
            except smtplib.SMTPRecipientsRefused:
                # A bad address does not get better by retrying.
                log.warning("e-mail %s: recipient refused", item.key)
        return None
