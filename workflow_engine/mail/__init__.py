"""The registry of e-mail kinds and their wording (see `rendering`): case notifications and
account e-mails alike, one Jinja template per kind and language, no Flask."""

from workflow_engine.mail.rendering import (
    ACCOUNT_KINDS,
    Message,
    render_account_mail,
    render_email,
    render_message,
)

__all__ = ["ACCOUNT_KINDS", "Message", "render_account_mail", "render_email", "render_message"]
