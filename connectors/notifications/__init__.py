"""Notifications: in-app rows and e-mail for the engine's `notify` effects."""

from connectors.notifications.handler import Notifier, Recipient, resolve_recipients
from connectors.notifications.mailer import SmtpMailer, build_email, message_id
from connectors.notifications.messages import Message, compose

__all__ = [
    "Message",
    "Notifier",
    "Recipient",
    "SmtpMailer",
    "build_email",
    "compose",
    "message_id",
    "resolve_recipients",
]
