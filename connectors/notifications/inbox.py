"""A person's in-app notifications: what they may see, a page of them, marking them read.

Who sees a row: its recipient `user:<id>`; for an active official, also the rows addressed to
their department as a whole (`department:<key>`, written when nobody in it could be named)
and, for a director, `director:<key>`. Nobody else: a row outside that set does not exist for
them (the web layer answers 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update

from workflow_engine.persistence.models import Case, Notification, table
from workflow_engine.persistence.platform.accounts import Account
from workflow_engine.persistence.types import utcnow

notifications_t = table(Notification)
cases_t = table(Case)
PAGE_SIZE = 20


def addresses(account: Account) -> list[str]:
    """The recipient addresses whose rows this account reads."""
    found = [f"user:{account.id}"]
    if account.is_active and account.role == "official" and account.department_key:
        found.append(f"department:{account.department_key}")
        if "director" in account.role_tags:
            found.append(f"director:{account.department_key}")
    return found


def _mine(account: Account) -> Any:
    return notifications_t.c.recipient.in_(addresses(account))


@dataclass(frozen=True)
class Item:
    id: int
    subject: str
    body: str
    template: str
    folio: str | None
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class Page:
    items: list[Item]
    next_cursor: int | None  # the id to pass as `after` for the next (older) page


def unread_count(engine: Engine, account: Account | None) -> int:
    """How many of this account's notifications are unread (0 for nobody)."""
    if account is None:
        return 0
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(notifications_t)
                .where(_mine(account), notifications_t.c.read_at.is_(None))
            ).scalar_one()
        )


def page(engine: Engine, account: Account, after: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Newest first; `after` is the id of the last row of the previous page (keyset)."""
    n = notifications_t.c
    query = (
        select(n.id, n.subject, n.body, n.template, n.created_at, n.read_at, cases_t.c.folio)
        .select_from(notifications_t.outerjoin(cases_t, cases_t.c.id == n.case_id))
        .where(_mine(account))
        .order_by(n.created_at.desc(), n.id.desc())
        .limit(size + 1)
    )
    with engine.connect() as conn:
        if after is not None:
            anchor = conn.execute(
                select(n.created_at).where(n.id == after, _mine(account))
            ).scalar_one_or_none()
            if anchor is None:
                return Page([], None)
            query = query.where(
                or_(n.created_at < anchor, and_(n.created_at == anchor, n.id < after))
            )
        rows = conn.execute(query).all()
    items = [
        Item(
            id=int(r.id),
            subject=str(r.subject),
            body=str(r.body),
            template=str(r.template),
            folio=r.folio,
            created_at=r.created_at,
            read=r.read_at is not None,
        )
        for r in rows[:size]
    ]
    return Page(items, items[-1].id if len(rows) > size else None)


def mark_read(
    engine: Engine, account: Account, notification_id: int, now: datetime | None = None
) -> bool:
    """Mark one of the account's notifications read; False if it is not theirs (or absent)."""
    n = notifications_t.c
    with engine.begin() as conn:
        exists = conn.execute(
            select(n.id).where(n.id == notification_id, _mine(account))
        ).scalar_one_or_none()
        if exists is None:
            return False
        conn.execute(
            update(notifications_t)
            .where(n.id == notification_id, n.read_at.is_(None))
            .values(read_at=now or utcnow())
        )
    return True


def mark_all_read(
    engine: Engine, account: Account, up_to: int | None = None, now: datetime | None = None
) -> int:
    """Mark the account's unread notifications read, those up to id `up_to` if given (what
    the person had on screen, not what arrived since); how many there were."""
    n = notifications_t.c
    query = update(notifications_t).where(_mine(account), n.read_at.is_(None))
    if up_to is not None:
        query = query.where(n.id <= up_to)
    with engine.begin() as conn:
        result = conn.execute(query.values(read_at=now or utcnow()))
    return int(result.rowcount or 0)
