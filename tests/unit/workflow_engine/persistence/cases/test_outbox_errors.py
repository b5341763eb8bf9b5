"""Effect failures are classified in one place: what can never succeed is dead-lettered at
once with a readable reason; what may pass by itself is retried with a capped back-off."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import exc as sa_exc

from connectors.documents.signing import SigningError
from connectors.payments.rest.client import CircuitOpenError, RestRefusedError
from workflow_engine.engine.errors import ConflictError, InvalidCommandError
from workflow_engine.persistence.cases.outbox import OutboxProcessor, PermanentError, TransientError
from workflow_engine.persistence.cases.outbox_errors import classify, describe


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _db(kind: type[sa_exc.DBAPIError], message: str, sqlstate: str | None = None) -> Exception:
    return kind(
        "INSERT INTO ledger (tax_id) VALUES (%(tax_id)s)",
        {"tax_id": "PEGA950130MDFRMN02"},
        _DriverError(message, sqlstate),
    )


def _undefined() -> Exception:
    try:
        jinja2.Environment(undefined=jinja2.StrictUndefined).from_string("{{ nombre }}").render()
    except jinja2.TemplateError as exc:
        return exc
    raise AssertionError("rendered")


def _bad_template() -> Exception:
    try:
        jinja2.Environment().from_string("{% if %}")
    except jinja2.TemplateError as exc:
        return exc
    raise AssertionError("parsed")


def _decimal() -> Exception:
    try:
        Decimal("doce pesos")
    except InvalidOperation as exc:
        return exc
    raise AssertionError("parsed")


PERMANENT: dict[str, Callable[[], BaseException]] = {
    "handler says so": lambda: PermanentError("plantilla de correo inexistente"),
    "value too long": lambda: _db(
        sa_exc.DataError, "value too long for type character varying(20)", "22001"
    ),
    "not null": lambda: _db(sa_exc.IntegrityError, "null value in column", "23502"),
    "foreign key": lambda: _db(sa_exc.IntegrityError, "violates foreign key", "23503"),
    "sqlite not null": lambda: _db(sa_exc.IntegrityError, "NOT NULL constraint failed: x.y"),
    "undefined template name": _undefined,
    "template syntax": _bad_template,
    "missing certificate": lambda: SigningError("no signing certificate: set SIGNING_P12_PATH"),
    "missing file": lambda: FileNotFoundError(2, "No such file", "/etc/tramita/logo.png"),
    "validation": lambda: ValueError("invalid RFC"),
    "payload without a key": lambda: KeyError("total_cents"),
    "bad amount": _decimal,
    "the system refused": lambda: RestRefusedError("422 Unprocessable", 422),
    "the engine refused the result": lambda: InvalidCommandError("no", "no"),
    "mailbox does not exist": lambda: smtplib.SMTPRecipientsRefused({"a@b.mx": (550, b"no")}),
    "smtp 5xx": lambda: smtplib.SMTPDataError(554, b"rejected"),
    "smtp login": lambda: smtplib.SMTPAuthenticationError(535, b"bad credentials"),
}
TRANSIENT: dict[str, Callable[[], BaseException]] = {
    "handler says so": lambda: TransientError("try later"),
    "database gone": lambda: _db(sa_exc.OperationalError, "connection refused", "08001"),
    "unique race": lambda: _db(sa_exc.IntegrityError, "duplicate key value", "23505"),
    "sqlite unique race": lambda: _db(sa_exc.IntegrityError, "UNIQUE constraint failed: x.k"),
    "pool exhausted": lambda: sa_exc.TimeoutError("QueuePool limit"),
    "connection refused": lambda: ConnectionRefusedError(111, "refused"),
    "timeout": lambda: TimeoutError("timed out"),
    "dns": lambda: socket.gaierror(-2, "Name or service not known"),
    "smtp disconnected": lambda: smtplib.SMTPServerDisconnected("gone"),
    "smtp 4xx": lambda: smtplib.SMTPDataError(451, b"try again later"),
    "circuit open": lambda: CircuitOpenError("cooling down"),
    "lost the race five times": lambda: ConflictError("conflicto", "conflict"),
    "unknown": lambda: RuntimeError("something odd"),
}


@pytest.mark.parametrize("name", sorted(PERMANENT))
def test_failures_that_cannot_succeed_are_permanent(name: str) -> None:
    failure = classify(PERMANENT[name]())
    assert failure.permanent
    assert failure.reason.startswith("permanent: ")


@pytest.mark.parametrize("name", sorted(TRANSIENT))
def test_failures_that_may_pass_are_retried(name: str) -> None:
    failure = classify(TRANSIENT[name]())
    assert not failure.permanent
    assert failure.reason.startswith("transient: ")


@pytest.mark.parametrize("kind", [sa_exc.DataError, sa_exc.IntegrityError, sa_exc.OperationalError])
def test_a_database_error_is_described_without_its_statement_or_data(kind: type) -> None:
    reason = describe(_db(kind, "value too long for type character varying(20)\nDETAIL: x"))
    assert reason == (
        f"{kind.__name__} (_DriverError): value too long for type character varying(20)"
    )
    assert "PEGA950130MDFRMN02" not in reason and "INSERT" not in reason


def _processor(base: float, cap: float) -> OutboxProcessor:
    return OutboxProcessor(None, None, {}, base_delay=base, max_delay=cap)  # type: ignore[arg-type]


@given(
    attempts=st.integers(min_value=0, max_value=100_000),
    base=st.floats(min_value=0.01, max_value=600),
    cap=st.floats(min_value=1, max_value=7200),
)
def test_backoff_never_exceeds_its_cap_jitter_included(
    attempts: int, base: float, cap: float
) -> None:
    delay = _processor(base, cap).backoff(attempts)
    assert 0 < delay <= cap
    if base * 2 ** min(max(attempts - 1, 0), 60) * 0.8 >= cap:
        assert delay == cap  # past the cap every retry waits exactly the cap


@given(attempts=st.integers(min_value=1, max_value=40))
def test_backoff_with_the_defaults_stays_within_an_hour(attempts: int) -> None:
    delay = _processor(5.0, 3600.0).backoff(attempts)
    assert delay <= 3600
    assert delay >= min(3600.0, 5.0 * 2 ** (attempts - 1) * 0.8)
