"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns aware UTC datetimes (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


_replayed_now: ContextVar[Callable[[], datetime] | None] = ContextVar("replayed_now", default=None)


def utcnow() -> datetime:
    """The current time; inside :func:`replaying`, the moment being replayed."""
    replayed = _replayed_now.get()
    return replayed() if replayed is not None else datetime.now(UTC)


@contextmanager
def replaying(now: Callable[[], datetime]) -> Iterator[None]:
    """Make :func:`utcnow` answer `now()` in this context (the demo seed replays cases in
    the past through the real engine and effects, so their rows carry consistent times)."""
    token = _replayed_now.set(now)
    try:
        yield
    finally:
        _replayed_now.reset(token)
