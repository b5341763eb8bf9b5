"""Configurable holidays: besides the statutory ones, a municipality declares its own
non-business days (a patron saint's day, a decree closing offices)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, extract, func, insert, select, update

from workflow_engine.persistence.models import Holiday, table

holidays_t = table(Holiday)


def add_holiday(engine: Engine, day: date, name: str) -> None:
    """Declare or rename a non-business day."""
    with engine.begin() as conn:
        found = conn.execute(select(holidays_t.c.day).where(holidays_t.c.day == day)).scalar()
        if found is None:
            conn.execute(insert(holidays_t).values(day=day, name=name))
        else:
            conn.execute(update(holidays_t).where(holidays_t.c.day == day).values(name=name))


def remove_holiday(engine: Engine, day: date) -> bool:
    with engine.begin() as conn:
        return conn.execute(delete(holidays_t).where(holidays_t.c.day == day)).rowcount == 1


def list_holidays(engine: Engine, year: int | None = None) -> list[tuple[date, str]]:
    query = select(holidays_t.c.day, holidays_t.c.name).order_by(holidays_t.c.day)
    if year is not None:
        query = query.where(extract("year", holidays_t.c.day) == year)
    with engine.connect() as conn:
        return [(row.day, row.name) for row in conn.execute(query)]


def holiday_days(conn: Connection) -> list[date]:
    """Every declared non-business day (what the business calendar is built from)."""
    return list(conn.execute(select(holidays_t.c.day)).scalars().all())


def holidays_stamp(conn: Connection) -> tuple[Any, ...]:
    """A cheap fingerprint of the holidays table (how many, first, last and the sum of their
    days): any process compares it with the one its cached calendar was built from, so a
    holiday added or removed anywhere is seen by every process on its next command. On
    PostgreSQL the case reads of the wizard and the payment webhook bring the same tuple
    (`cases.hotpath.HOLIDAYS_COLUMNS`, a test compares the two)."""
    day = holidays_t.c.day
    row = conn.execute(
        select(func.count(), func.min(day), func.max(day), func.sum(extract("epoch", day)))
    ).one()
    return tuple(row)
