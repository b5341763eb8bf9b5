"""The consolidated fiscal account (cuenta fiscal consolidada): the treasury's whole view of
one taxpayer on one page. The account statement (`book.statement`: identification, taxable
objects, balance, overdue), plus every obligation with its history (charged, order issued,
payments and what the payment sources said, expiry, cancellation), every payment with its
channel, and every case the taxpayer filed. Each look by staff is written to the audit log."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from connectors.ledger.book import (
    Statement,
    cases_t,
    obligations_t,
    payments_t,
    statement,
    taxpayers_t,
)
from connectors.ledger.revenue import channel_of, orders_t
from workflow_engine.persistence.models import PaymentEvent, table
from workflow_engine.persistence.platform.staff import record_audit
from workflow_engine.persistence.types import utcnow

events_t = table(PaymentEvent)
MAX_CASES = 200
VIEWED = "taxpayer_account.viewed"


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to an obligation: `what` is charged, order_issued,
    order_expired, paid, payment_<kind>_<status> (a source's notice that moved nothing:
    refused, failed, duplicate...) or cancelled."""

    on: date
    what: str
    detail: str = ""
    amount_cents: int | None = None
    currency: str = ""


@dataclass(frozen=True)
class ObligationView:
    id: int
    concept: str
    object_label: str
    folio: str
    amount_cents: int
    currency: str
    due_on: date
    status: str  # open | paid | cancelled
    reference: str
    days_overdue: int  # 0 unless open and past due
    history: list[HistoryEntry]


@dataclass(frozen=True)
class PaymentView:
    on: date
    channel: str
    source: str
    reference: str
    folio: str
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class CaseView:
    folio: str
    procedure_key: str
    status: str
    outcome: str | None
    started_on: date
    how: str  # applicant | identifier | ledger: how the case is tied to the taxpayer


@dataclass(frozen=True)
class FiscalAccount:
    statement: Statement
    obligations: list[ObligationView]
    payments: list[PaymentView]
    cases: list[CaseView]

    @property
    def overdue(self) -> list[ObligationView]:
        return [o for o in self.obligations if o.days_overdue > 0]


def _local(moment: datetime, tz: ZoneInfo) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).date()


def fiscal_account(
    conn: Connection, taxpayer_id: int, today: date, lang: str = "es", *, timezone: str
) -> FiscalAccount:
    """Everything the ledger and the cases know about one taxpayer (raises NoResultFound
    for an unknown id)."""
    tz = ZoneInfo(timezone)
    account = statement(conn, taxpayer_id, today, lang)
    labels = {int(o["id"]): str(o["label"]) for o in account.objects}
    obligations = conn.execute(
        select(obligations_t, cases_t.c.folio)
        .outerjoin(cases_t, cases_t.c.id == obligations_t.c.case_id)
        .where(obligations_t.c.taxpayer_id == taxpayer_id)
        .order_by(obligations_t.c.due_on.desc(), obligations_t.c.id.desc())
    ).all()
    payments = conn.execute(
        select(payments_t, cases_t.c.folio)
        .outerjoin(cases_t, cases_t.c.id == payments_t.c.case_id)
        .where(payments_t.c.taxpayer_id == taxpayer_id)
        .order_by(payments_t.c.paid_at.desc(), payments_t.c.id.desc())
    ).all()
    references = sorted({str(o.reference) for o in obligations if o.reference})
    history: dict[str, list[HistoryEntry]] = defaultdict(list)
    if references:
        for order in conn.execute(select(orders_t).where(orders_t.c.reference.in_(references))):
            history[order.reference].append(
                HistoryEntry(
                    _local(order.created_at, tz),
                    "order_issued",
                    order.expires_on.isoformat() if order.expires_on else "",
                    int(order.amount_cents),
                    order.currency,
                )
            )
            if order.status == "expired" and order.expires_on:
                history[order.reference].append(HistoryEntry(order.expires_on, "order_expired"))
        for event in conn.execute(
            select(events_t)
            .where(events_t.c.reference.in_(references), events_t.c.status != "recorded")
            .order_by(events_t.c.id)
        ):
            history[event.reference].append(
                HistoryEntry(
                    _local(event.created_at, tz),
                    f"payment_{event.kind}_{event.status}",
                    f"{event.source} {event.reason}".strip(),
                    event.amount_cents,
                    event.currency or "",
                )
            )
    paid_by_obligation: dict[int, list[Any]] = defaultdict(list)
    for pay in payments:
        if pay.obligation_id is not None:
            paid_by_obligation[int(pay.obligation_id)].append(pay)
    views = []
    for ob in obligations:
        entries = [
            HistoryEntry(
                _local(ob.created_at, tz), "charged", "", int(ob.amount_cents), ob.currency
            ),
            *history.get(ob.reference or "", []),
            *(
                HistoryEntry(
                    _local(p.paid_at, tz), "paid", p.source, int(p.amount_cents), p.currency
                )
                for p in paid_by_obligation.get(int(ob.id), [])
            ),
        ]
        if ob.status == "cancelled":
            entries.append(HistoryEntry(entries[-1].on, "cancelled"))
        entries.sort(key=lambda e: e.on)  # stable: on one day, in the order things happen
        overdue = (today - ob.due_on).days if ob.status == "open" and ob.due_on < today else 0
        views.append(
            ObligationView(
                id=int(ob.id),
                concept=ob.concept,
                object_label=labels.get(int(ob.object_id or 0), ""),
                folio=ob.folio or "",
                amount_cents=int(ob.amount_cents),
                currency=ob.currency,
                due_on=ob.due_on,
                status=ob.status,
                reference=ob.reference or "",
                days_overdue=overdue,
                history=entries,
            )
        )
    return FiscalAccount(
        statement=account,
        obligations=views,
        payments=[
            PaymentView(
                on=_local(p.paid_at, tz),
                channel=channel_of(p.source),
                source=p.source,
                reference=p.reference,
                folio=p.folio or "",
                amount_cents=int(p.amount_cents),
                currency=p.currency,
            )
            for p in payments
        ],
        cases=_cases(conn, account, obligations, payments, tz),
    )


def identifiers(taxpayer: Mapping[str, Any]) -> list[str]:
    """The taxpayer's RFC (or RUC, cédula) and CURP as a case's applicant copy holds them:
    upper case, no spaces (`inbox.normalize_ref`)."""
    found = set()
    for key in ("tax_id", "curp"):
        cleaned = re.sub(r"\s+", "", str(taxpayer.get(key) or "")).upper()
        if cleaned:
            found.add(cleaned)
    return sorted(found)


def _cases(
    conn: Connection,
    account: Statement,
    obligations: Sequence[Any],
    payments: Sequence[Any],
    tz: Any,
) -> list[CaseView]:
    """Cases the taxpayer filed: as the account holder (only the holder's own taxpayer, not a
    company they registered), by the RFC or CURP their applicant carries (from any account:
    `cases.applicant_ref`, upper case without spaces, compared exactly), or tied to its
    charges, payments and registered objects. Each case once."""
    taxpayer = account.taxpayer
    how: dict[int, str] = {}
    ledger_ids = {int(r.case_id) for r in [*obligations, *payments] if r.case_id is not None}
    ledger_ids |= {int(o["source_case_id"]) for o in account.objects if o["source_case_id"]}
    for case_id in ledger_ids:
        how[case_id] = "ledger"
    user_id = taxpayer.get("user_id")
    own = (
        user_id is not None
        and conn.execute(
            select(taxpayers_t.c.id)
            .where(taxpayers_t.c.user_id == user_id)
            .order_by(taxpayers_t.c.id)
            .limit(1)
        ).scalar_one()
        == taxpayer["id"]
    )
    if own:  # by the account (indexed)
        for row in conn.execute(
            select(cases_t.c.id)
            .where(cases_t.c.applicant_id == str(user_id))
            .order_by(cases_t.c.updated_at.desc())
            .limit(MAX_CASES)
        ):
            how[int(row.id)] = "applicant"
    refs = identifiers(taxpayer)
    if refs:  # by the RFC/CURP the applicant's data carries, whoever filed (indexed, 0021)
        for row in conn.execute(
            select(cases_t.c.id)
            .where(cases_t.c.applicant_ref.in_(refs))
            .order_by(cases_t.c.id.desc())
            .limit(MAX_CASES)
        ):
            how.setdefault(int(row.id), "identifier")
    if not how:
        return []
    rows = conn.execute(
        select(
            cases_t.c.id,
            cases_t.c.folio,
            cases_t.c.procedure_key,
            cases_t.c.status,
            cases_t.c.outcome,
            cases_t.c.created_at,
        )
        .where(cases_t.c.id.in_(sorted(how)[-MAX_CASES:]))
        .order_by(cases_t.c.created_at.desc(), cases_t.c.id.desc())
    ).all()
    return [
        CaseView(
            folio=r.folio,
            procedure_key=r.procedure_key,
            status=r.status,
            outcome=r.outcome,
            started_on=_local(r.created_at, tz),
            how=how[int(r.id)],
        )
        for r in rows
    ]


def log_view(engine: Engine, taxpayer_id: int, actor: Any, ip: str = "") -> None:
    """Record one look at a taxpayer's account by staff (who saw whose fiscal data, when)
    in the audit log, in its own short transaction."""
    with engine.begin() as conn:
        record_audit(
            conn,
            utcnow(),
            actor,
            ip,
            VIEWED,
            "taxpayer",
            taxpayer_id,
            {},
        )


def taxpayer_exists(conn: Connection, taxpayer_id: int) -> bool:
    return (
        conn.execute(
            select(taxpayers_t.c.id).where(taxpayers_t.c.id == taxpayer_id)
        ).scalar_one_or_none()
        is not None
    )
