"""Sending e-mail over SMTP (plain text with a simple HTML alternative)."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape

from connectors.settings import ConnectorSettings


def message_id(idempotency_key: str, mail_from: str) -> str:
    """A Message-ID fixed by the notification's key, so a resend is recognisably the same."""
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def _html(text: str, link: str | None) -> str:
    paragraphs = "".join(
        "<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in text.split("\n\n") if p
    )
    if link:
        paragraphs += f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
    return (
        '<!doctype html><html lang="es"><body style="font-family:Arial,sans-serif;'
        f'font-size:15px;line-height:1.5;color:#1f2933">{paragraphs}</body></html>'
    )


def build_email(
    settings: ConnectorSettings,
    *,
    to: str,
    subject: str,
    text: str,
    link: str | None,
    idempotency_key: str,
    at: datetime,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((settings.municipality_name, settings.mail_from))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id(idempotency_key, settings.mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    footer = f"{settings.municipality_name}\nEste mensaje se envió automáticamente; no lo responda."
    plain = text + (f"\n\n{link}" if link else "") + f"\n\n--\n{footer}"
    msg.set_content(plain)
    msg.add_alternative(_html(text + "\n\n" + footer, link), subtype="html")
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
