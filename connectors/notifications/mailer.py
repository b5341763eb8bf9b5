"""Sending e-mail over SMTP: plain text with its HTML alternative, both from the Jinja layouts."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from connectors.settings import ConnectorSettings
from workflow_engine.mail.rendering import render_email


def message_id(idempotency_key: str, mail_from: str) -> str:
    """A Message-ID fixed by the notification's key, so a resend is recognisably the same."""
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def build_email(
    settings: ConnectorSettings,
    *,
    to: str,
    subject: str,
    text: str,
    link: str | None,
    idempotency_key: str,
    at: datetime,
    lang: str = "es",
    action: str = "",
    note: str | None = None,
    html: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message; `html` replaces the rendered HTML part if given."""
    plain, rendered = render_email(
        subject=subject,
        text=text,
        link=link,
        action=action,
        note=note,
        municipality=settings.municipality_name,
        lang=lang,
    )
    msg = EmailMessage()
    msg["From"] = formataddr((settings.municipality_name, settings.mail_from))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id(idempotency_key, settings.mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(plain)
    msg.add_alternative(html or rendered, subtype="html")
    msg["Content-Language"] = lang  # after the body: setting the content drops Content-* headers
    return msg


class SmtpMailer:
    """One SMTP connection per batch of notifications."""

    def __init__(self, settings: ConnectorSettings) -> None:
        self.settings = settings

    @contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        s = self.settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            yield smtp
