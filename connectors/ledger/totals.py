"""The treasury's daily pre-aggregate of money received: `payment_day_totals`.

One row per local day (the municipality's TIMEZONE), channel, currency, procedure ("" for a
payment of no case) and concept, with how many payments and how many centavos. Every ledger
payment adds itself in the same transaction that writes it (`connectors.ledger.book.
add_payment` and `connectors.payments.recording.PaymentRecorder`, the doors money comes in
by); ledger payments are append-only (a refund is only logged), so the rows only grow.
`connectors.ledger.revenue.collected` sums these rows instead of every payment of the
period; `rebuild` recomputes them from the payments (rows written straight into the tables:
tests, the benchmark), as migration 0020 did for the payments before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow_engine.persistence.models import (
    Case,
    LedgerPayment,
    Obligation,
    PaymentDayTotal,
    table,
)

day_totals_t = table(PaymentDayTotal)
_payments_t = table(LedgerPayment)
_obligations_t = table(Obligation)
_cases_t = table(Case)

DEFAULT_TIMEZONE = "America/Mexico_City"
# How money came in, from a payment's source (`gateway:<name>`, `bank:<name>`,
# `counter:<method>`); anything else (the demo's, an old import) is `other`.
CHANNELS = ("gateway", "bank", "counter", "other")


class DayKey(NamedTuple):
    day: date
    channel: str
    currency: str
    procedure_key: str
    concept: str


def channel_of(source: str) -> str:
    kind = source.split(":", 1)[0]
    return kind if kind in CHANNELS[:-1] else "other"


def source_channel(source: str) -> str:
    """The channel a payment counts under in the totals: its source is `<channel>:<name>`
    (as SQL's `source LIKE 'bank:%'`), else `other`."""
    return next((c for c in CHANNELS[:-1] if source.startswith(f"{c}:")), "other")


def concept_of(concept: str | None, kind: str | None, period: str | None, folio: str) -> str:
    """The concept an obligation is charged under, without what makes it one of many: the
    year of a recurring charge («Refrendo anual 2027» → «Refrendo anual») or the folio of a
    procedure's fee («Derechos · LF-2027-000012» → «Derechos»). "" without an obligation."""
    text = concept or ""
    if kind == "recurring" and period and text.endswith(f" {period}"):
        return text[: -len(period) - 1]
    if folio and text.endswith(f" · {folio}"):
        return text[: -len(folio) - 3]
    return text


def payment_concept(
    concept: str | None, kind: str | None, period: str | None, *, of_case: bool
) -> str:
    """The concept a payment counts under: its obligation's, without the year of a yearly
    charge, or, for a case's fee, without the folio after the last « · »."""
    if of_case and concept is not None:
        return concept.rsplit(" · ", 1)[0]
    return concept_of(concept, kind, period, "")


def local_day(moment: datetime, timezone: str | ZoneInfo) -> date:
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def day_key(
    *,
    paid_at: datetime,
    source: str,
    currency: str,
    procedure_key: str | None,
    concept: str | None,
    kind: str | None,
    period: str | None,
    timezone: str | ZoneInfo,
) -> DayKey:
    """Where one payment counts: `procedure_key` is its case's (None: no case), `concept`,
    `kind` and `period` its obligation's (None: none)."""
    return DayKey(
        local_day(paid_at, timezone),
        source_channel(source),
        currency.upper(),
        procedure_key or "",
        payment_concept(concept, kind, period, of_case=procedure_key is not None)[:300],
    )


def add(conn: Connection, totals: Mapping[DayKey, tuple[int, int]]) -> None:
    """Add (count, centavos) to each key's row: an upsert, PostgreSQL and SQLite alike.
    Keys in order, so two transactions adding to the same rows never deadlock."""
    if not totals:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(day_totals_t)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(DayKey._fields),
        set_={
            "n": day_totals_t.c.n + stmt.excluded.n,
            "cents": day_totals_t.c.cents + stmt.excluded.cents,
        },
    )
    conn.execute(
        stmt,
        [{**key._asdict(), "n": n, "cents": cents} for key, (n, cents) in sorted(totals.items())],
    )


def sums(rows: Iterable[tuple[DayKey, int]]) -> dict[DayKey, tuple[int, int]]:
    """(key, centavos) per payment → (count, centavos) per key."""
    out: dict[DayKey, list[int]] = defaultdict(lambda: [0, 0])
    for key, cents in rows:
        out[key][0] += 1
        out[key][1] += int(cents)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _day_bounds(first: date, last: date, zone: ZoneInfo) -> list[tuple[date, datetime]]:
    """Each local day first..last+1 with the UTC instant it starts."""
    out = []
    day = first
    while day <= last + timedelta(days=1):
        out.append((day, datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)))
        day += timedelta(days=1)
    return out


def rebuild(conn: Connection, timezone: str | ZoneInfo, *, days_per_query: int = 31) -> int:
    """Recompute every row from the ledger payments (for payments written straight into the
    table). Summed in SQL a month of local days at a time (each payment's day by a CASE over
    the days' UTC bounds: the same on every database); the concept worked out per group in
    Python. Returns the rows written."""
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    p, ob, cs = _payments_t.c, _obligations_t.c, _cases_t.c
    conn.execute(delete(day_totals_t))
    low, high = conn.execute(select(func.min(p.paid_at), func.max(p.paid_at))).one()
    if low is None:
        return 0
    bounds = _day_bounds(local_day(low, zone), local_day(high, zone), zone)
    case_id = func.coalesce(p.case_id, ob.case_id)
    channel = case(*((p.source.like(f"{c}:%"), c) for c in CHANNELS[:-1]), else_="other")
    written = 0
    for start in range(0, len(bounds) - 1, days_per_query):
        days = bounds[start : start + days_per_query + 1]
        lo, hi = days[0][1], days[-1][1]
        day = case(*((p.paid_at < at, d) for (d, _), (_, at) in pairwise(days)))
        each = (
            select(
                day.label("day"),
                channel.label("channel"),
                p.currency,
                p.amount_cents,
                cs.procedure_key,
                ob.concept,
                ob.kind,
                ob.period,
            )
            .outerjoin(_obligations_t, ob.id == p.obligation_id)
            .outerjoin(_cases_t, cs.id == case_id)
            .where(p.paid_at >= lo, p.paid_at < hi)
            .subquery()
        )
        keys = (
            each.c.day,
            each.c.channel,
            each.c.currency,
            each.c.procedure_key,
            each.c.concept,
            each.c.kind,
            each.c.period,
        )
        query = select(
            *keys, func.count().label("n"), func.sum(each.c.amount_cents).label("cents")
        ).group_by(*keys)
        totals: dict[DayKey, list[int]] = defaultdict(lambda: [0, 0])
        for r in conn.execute(query):
            the_day = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day)[:10])
            concept = payment_concept(
                r.concept, r.kind, r.period, of_case=r.procedure_key is not None
            )
            key = DayKey(
                the_day, r.channel, r.currency.upper(), r.procedure_key or "", concept[:300]
            )
            totals[key][0] += int(r.n)
            totals[key][1] += int(r.cents)
        add(conn, {k: (v[0], v[1]) for k, v in totals.items()})
        written += len(totals)
    return written
