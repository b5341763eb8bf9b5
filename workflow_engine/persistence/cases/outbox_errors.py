"""Which effect failures are worth retrying: the one place that decides, for every handler.

A handler raises `PermanentEffectError` (bad data, missing configuration: retrying cannot
help, the message is dead-lettered at once) or `TransientEffectError` (a system that did not
answer: retried with back-off), or lets a library's exception through; `classify` maps the
known library exceptions too. Anything unknown is treated as transient (retried, then
dead-lettered after `OUTBOX_MAX_ATTEMPTS`).
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from decimal import InvalidOperation

import jinja2
from sqlalchemy import exc as sa_exc

from workflow_engine.engine.errors import ConflictError, EngineError

# SQLSTATE of a unique violation: two workers racing to insert the same idempotent row; the
# retry finds the first one's row.
_UNIQUE_VIOLATION = "23505"
_MAX_REASON = 500


class EffectError(Exception):
    """An effect handler's failure, classified by the handler itself."""


class PermanentEffectError(EffectError):
    """Retrying cannot fix it (bad data, missing configuration): dead-letter at once."""


class TransientEffectError(EffectError):
    """The failure may go away by itself (a system that did not answer): retry later."""


@dataclass(frozen=True)
class Failure:
    """How a failure is handled, and the one line an administrator reads about it."""

    permanent: bool
    reason: str


# Library exceptions whose cause is the data or the configuration, never the moment.
_PERMANENT: tuple[type[BaseException], ...] = (
    sa_exc.DataError,  # value too long, invalid input syntax, numeric out of range
    sa_exc.ProgrammingError,
    sa_exc.NotSupportedError,
    jinja2.TemplateError,  # a template that does not render (syntax, undefined name)
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPAuthenticationError,  # wrong SMTP_USER / SMTP_PASSWORD
    smtplib.SMTPNotSupportedError,
    FileNotFoundError,  # a configured file (certificate, logo) that is not there
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    ValueError,  # validation of the message's data (includes UnicodeError, JSON errors)
    TypeError,
    LookupError,  # KeyError, IndexError: a payload without what it must have
    InvalidOperation,  # Decimal arithmetic on bad amounts
)
# Library exceptions of a system that did not answer (now).
_TRANSIENT: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,  # connection lost, server restarting, serialization failure
    sa_exc.InterfaceError,
    sa_exc.InternalError,
    sa_exc.TimeoutError,  # no connection free in the pool
    sa_exc.DisconnectionError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    ConflictError,  # the case moved under us five times in a row: later it will not
)


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, PermanentEffectError):
        return True
    if isinstance(exc, TransientEffectError):
        return False
    if isinstance(exc, sa_exc.IntegrityError):
        return _sqlstate(exc) != _UNIQUE_VIOLATION and "UNIQUE constraint" not in str(exc.orig)
    if isinstance(exc, smtplib.SMTPResponseException):
        return isinstance(exc, _PERMANENT) or int(exc.smtp_code) >= 500
    if isinstance(exc, _TRANSIENT):
        return False
    if isinstance(exc, EngineError):
        return True  # the engine refused the handler's command: it will refuse it again
    return isinstance(exc, _PERMANENT)


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(code) if code else None


def describe(exc: BaseException) -> str:
    """`Type: message`, one line. A database error names the driver's error only, never
    the SQL statement or its parameters (they may hold a citizen's data)."""
    shown: BaseException = exc
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        shown = exc.orig
    text = str(shown).strip().splitlines()[0] if str(shown).strip() else ""
    name = type(exc).__name__
    if shown is not exc:
        name = f"{name} ({type(shown).__name__})"
    return (f"{name}: {text}" if text else name)[:_MAX_REASON]


def classify(exc: BaseException) -> Failure:
    """Permanent or transient, and the readable reason stored in `outbox.last_error`."""
    permanent = _is_permanent(exc)
    label = "permanent" if permanent else "transient"
    return Failure(permanent, f"{label}: {describe(exc)}")
