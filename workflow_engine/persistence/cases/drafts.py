"""Abandoned drafts: warn the applicant once, then cancel the draft and delete its files.

A draft is never cancelled without a warning sent at least `warning_days` before: the
cancellation date is the later of «last change + retention» and «warning + warning_days».
Touching the draft again (saving a step) starts the count over and earns a new warning.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from workflow_engine.engine import Actor, CancelCase, EngineError
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.cases.outbox import add_message
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import Case, OutboxMessage, table
from workflow_engine.persistence.platform.uploads import UploadStore
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)
cases_t = table(Case)
outbox_t = table(OutboxMessage)

DRAFT_STATUSES = (case_state.DRAFT, case_state.READY)
DEFAULT_RETENTION_DAYS = 60
DEFAULT_WARNING_DAYS = 7
CANCEL_REASON = "Borrador abandonado"


@dataclass
class DraftSweep:
    """What one run did: folios warned and folios cancelled."""

    warned: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def expires_on(
    updated_at: datetime,
    warned_at: datetime | None,
    *,
    retention_days: int,
    warning_days: int,
    tz: ZoneInfo,
) -> date:
    """The local date on which an untouched draft will be cancelled."""
    moment = updated_at + timedelta(days=retention_days)
    if warned_at is not None:
        moment = max(moment, warned_at + timedelta(days=warning_days))
    return moment.astimezone(tz).date()


def expire_drafts(
    cases: CaseService,
    uploads: UploadStore | None,
    *,
    now: datetime,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    warning_days: int = DEFAULT_WARNING_DAYS,
    limit: int = 500,
) -> DraftSweep:
    """Warn the applicants of drafts about to expire; cancel the drafts whose time is up."""
    if retention_days <= 0:
        raise ValueError("retention_days must be positive")
    warning_days = max(0, min(warning_days, retention_days))
    sweep = DraftSweep()
    _cancel_due(cases, uploads, now, retention_days, warning_days, limit, sweep)
    _warn_due(cases, now, retention_days, warning_days, limit, sweep)
    return sweep


def draft_days() -> tuple[int, int]:
    """(DRAFT_RETENTION_DAYS, DRAFT_WARNING_DAYS) from the environment (defaults 60 and 7)."""

    def number(name: str, default: int) -> int:
        try:
            return max(0, int(os.environ.get(name, "") or default))
        except ValueError:
            log.warning("%s is not a whole number; using %s", name, default)
            return default

    retention = number("DRAFT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS) or DEFAULT_RETENTION_DAYS
    return retention, number("DRAFT_WARNING_DAYS", DEFAULT_WARNING_DAYS)


def expire_abandoned_drafts(
    cases: CaseService, uploads: UploadStore | None, now: datetime | None = None
) -> DraftSweep:
    """The daily sweep with the configured days (`draft_days`): the scheduled job, the
    in-process sweeper and `flask drafts expire`."""
    retention, warning = draft_days()
    return expire_drafts(
        cases, uploads, now=now or utcnow(), retention_days=retention, warning_days=warning
    )


def _cancel_due(
    cases: CaseService,
    uploads: UploadStore | None,
    now: datetime,
    retention_days: int,
    warning_days: int,
    limit: int,
    sweep: DraftSweep,
) -> None:
    with cases.engine.connect() as conn:
        rows = conn.execute(
            select(cases_t.c.id, cases_t.c.folio)
            .where(
                cases_t.c.status.in_(DRAFT_STATUSES),
                cases_t.c.updated_at <= now - timedelta(days=retention_days),
                cases_t.c.draft_warned_at.is_not(None),
                cases_t.c.draft_warned_at >= cases_t.c.updated_at,
                cases_t.c.draft_warned_at <= now - timedelta(days=warning_days),
            )
            .order_by(cases_t.c.id)
            .limit(limit)
        ).all()
    for row in rows:
        try:
            cases.execute(
                int(row.id),
                CancelCase(at=now, actor=Actor.system(), reason=CANCEL_REASON),
            )
        except EngineError:
            log.exception("abandoned draft %s could not be cancelled", row.folio)
            sweep.failed.append(str(row.folio))
            continue
        if uploads is not None:
            uploads.purge_case(int(row.id), now)
        sweep.cancelled.append(str(row.folio))


def _warn_due(
    cases: CaseService,
    now: datetime,
    retention_days: int,
    warning_days: int,
    limit: int,
    sweep: DraftSweep,
) -> None:
    threshold = now - timedelta(days=retention_days - warning_days)
    with cases.engine.connect() as conn:
        rows = conn.execute(
            select(
                cases_t.c.id,
                cases_t.c.folio,
                cases_t.c.updated_at,
                cases_t.c.draft_warned_at,
            )
            .where(
                cases_t.c.status.in_(DRAFT_STATUSES),
                cases_t.c.updated_at <= threshold,
                or_(
                    cases_t.c.draft_warned_at.is_(None),
                    cases_t.c.draft_warned_at < cases_t.c.updated_at,
                ),
            )
            .order_by(cases_t.c.id)
            .limit(limit)
        ).all()
    ids: list[int] = []
    for row in rows:
        expiry = expires_on(
            row.updated_at,
            now,
            retention_days=retention_days,
            warning_days=warning_days,
            tz=cases.tz,
        )
        message_id = _warn(cases, row, now, expiry)
        if message_id is not None:
            ids.append(message_id)
            sweep.warned.append(str(row.folio))
    if ids and cases.dispatcher is not None:
        cases.dispatcher(ids)


def _warn(cases: CaseService, row: Any, now: datetime, expiry: date) -> int | None:
    """Record the warning and its e-mail in one transaction; None if someone beat us to it."""
    key = f"{row.id}:draft_expiring:{row.updated_at.isoformat()}"
    payload = {
        "template": "draft_expiring",
        "to": "applicant",
        "case_id": str(row.id),
        "folio": row.folio,
        "expires_on": expiry.isoformat(),
    }
    try:
        with cases.engine.begin() as conn:
            claimed = conn.execute(
                update(cases_t)
                .where(
                    cases_t.c.id == row.id,
                    cases_t.c.status.in_(DRAFT_STATUSES),
                    cases_t.c.updated_at == row.updated_at,
                    or_(
                        cases_t.c.draft_warned_at.is_(None),
                        cases_t.c.draft_warned_at < cases_t.c.updated_at,
                    ),
                )
                .values(draft_warned_at=now)
            )
            if claimed.rowcount != 1:
                return None
            message_id = add_message(
                conn, case_id=row.id, kind="notify", key=key, payload=payload, at=now
            )
    except IntegrityError:
        return None  # this very warning was already queued
    return int(message_id)


__all__ = [
    "CANCEL_REASON",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_WARNING_DAYS",
    "DraftSweep",
    "expire_drafts",
    "expires_on",
]
