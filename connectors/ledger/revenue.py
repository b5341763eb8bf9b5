"""Treasury figures from the ledger: money collected (by concept, procedure, channel and
month), payment orders issued against paid (the collection rate), pending and expired, the
forecast of a year's recurring charges, and the taxpayer base over time.

Every function takes a date range in local days (both ends included), the municipality's
time zone and, where it matters, `today`: the same figures for the same data and day, so
tests compare them with sums done by hand. Amounts are centavos per currency, never mixed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, String, and_, case, func, literal, not_, or_, select

from connectors.ledger.book import (
    objects_t,
    obligations_t,
    taxpayers_t,
    yearly_charge,
)
from connectors.ledger.totals import CHANNELS as CHANNELS
from connectors.ledger.totals import channel_of as channel_of
from connectors.ledger.totals import concept_of as concept_of
from connectors.ledger.totals import day_totals_t
from workflow_engine.persistence.models import PaymentOrder, table

orders_t = table(PaymentOrder)

TAXPAYER_KINDS = ("fisica", "moral")
MAX_DAYS = 3 * 366 + 1  # the longest range a page asks for (three years)


class RangeError(ValueError):
    """A date range the figures cannot be asked for (reversed, or too long)."""


@dataclass(frozen=True)
class Period:
    """Local days `start`..`end`, both included, in the municipality's time zone."""

    start: date
    end: date
    timezone: str = "America/Mexico_City"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise RangeError("the range ends before it starts")
        if (self.end - self.start).days > MAX_DAYS:
            raise RangeError("the range is longer than three years")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants [from, to) the local days cover."""
        lo = datetime.combine(self.start, time(0), tzinfo=self.tz).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.tz)
        return lo, hi.astimezone(UTC)

    def month_of(self, moment: datetime) -> str:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.tz).strftime("%Y-%m")

    def month_case(self, column: Any) -> Any:
        """SQL: the local month ("YYYY-MM") of a UTC moment inside the period (a CASE over
        the months' bounds: the same on every database, time zone included)."""
        months = self.months()
        ends = []
        for key in months[:-1]:
            year, month = int(key[:4]), int(key[5:])
            first = date(year + (month == 12), month % 12 + 1, 1)
            ends.append(datetime.combine(first, time(0), tzinfo=self.tz).astimezone(UTC))
        if not ends:
            return literal(months[0], String)
        return case(
            *((column < end, key) for end, key in zip(ends, months, strict=False)), else_=months[-1]
        )

    def day_month_case(self, column: Any) -> Any:
        """SQL: the month ("YYYY-MM") of a local day inside the period (a CASE over the
        first days of the months: the same on every database)."""
        months = self.months()
        if len(months) == 1:
            return literal(months[0], String)
        firsts = []
        for key in months[:-1]:
            year, month = int(key[:4]), int(key[5:])
            firsts.append(date(year + (month == 12), month % 12 + 1, 1))
        return case(
            *((column < first, key) for first, key in zip(firsts, months, strict=False)),
            else_=months[-1],
        )

    def months(self) -> list[str]:
        """Every month the range touches, "YYYY-MM", in order."""
        out = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


@dataclass(frozen=True)
class Amount:
    """A sum of payments (or orders, or charges) under one key, in one currency."""

    key: str
    currency: str
    count: int
    cents: int


@dataclass(frozen=True)
class Collected:
    """Money received in a period. `by_month` has every month of the period (zero when
    nothing came in), the other lists only keys with money, largest first."""

    total: list[Amount]
    by_month: list[Amount]
    by_channel: list[Amount]
    by_concept: list[Amount]
    by_procedure: list[Amount]


class _Sums:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.cents: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, key: str, currency: str, cents: int, count: int = 1) -> None:
        self.counts[key, currency] += count
        self.cents[key, currency] += cents

    def rows(self) -> list[Amount]:
        found = [Amount(k, c, self.counts[k, c], v) for (k, c), v in self.cents.items()]
        return sorted(found, key=lambda a: (a.currency, -a.cents, a.key))


def collected(
    conn: Connection,
    period: Period,
    *,
    procedure: str | None = None,
    procedures: Collection[str] | None = None,
    channel: str | None = None,
) -> Collected:
    """Payments received in the period, optionally of one procedure's cases ("" for those
    of no case: the yearly charges of the taxpayer base), of any of `procedures` (a
    department's), or through one channel.

    Summed from the daily totals (`connectors.ledger.totals`, per local day in the
    municipality's time zone, kept with every payment): a few hundred rows per month, not
    every payment of the period."""
    t = day_totals_t.c
    rows = select(
        period.day_month_case(t.day).label("month"),
        t.channel,
        t.currency,
        t.procedure_key,
        t.concept,
        t.n,
        t.cents,
    ).where(t.day >= period.start, t.day <= period.end)
    if procedure is not None:
        rows = rows.where(t.procedure_key == procedure)
    if procedures is not None:
        rows = rows.where(t.procedure_key.in_(sorted(p for p in procedures if p)))
    if channel:
        rows = rows.where(t.channel == channel)
    each = rows.subquery()
    keys_ = (each.c.month, each.c.channel, each.c.currency, each.c.procedure_key, each.c.concept)
    groups = select(
        *keys_,
        func.sum(each.c.n).label("n"),
        func.sum(each.c.cents).label("cents"),
    ).group_by(*keys_)
    total, months, channels, concepts, keys = _Sums(), _Sums(), _Sums(), _Sums(), _Sums()
    for r in conn.execute(groups):
        cents, currency, n = int(r.cents), r.currency, int(r.n)
        for sums, key in (
            (total, ""),
            (months, r.month),
            (channels, r.channel),
            (concepts, r.concept),
            (keys, r.procedure_key),
        ):
            sums.add(key, currency, cents, n)
    currencies = sorted({c for _k, c in total.cents}) or ["MXN"]
    by_month = [
        Amount(m, c, months.counts.get((m, c), 0), months.cents.get((m, c), 0))
        for c in currencies
        for m in period.months()
    ]
    return Collected(
        total=total.rows(),
        by_month=by_month,
        by_channel=channels.rows(),
        by_concept=concepts.rows(),
        by_procedure=keys.rows(),
    )


@dataclass(frozen=True)
class OrdersRow:
    """Payment orders issued in a period for one procedure (key "" : all of them), and what
    became of them by `today`: paid, still payable, or expired (or cancelled)."""

    procedure: str
    currency: str
    issued: int = 0
    issued_cents: int = 0
    paid: int = 0
    paid_cents: int = 0
    pending: int = 0
    pending_cents: int = 0
    expired: int = 0
    expired_cents: int = 0

    @property
    def rate(self) -> float | None:
        """Collection rate: the share of the issued amount paid (None: nothing issued)."""
        return self.paid_cents / self.issued_cents if self.issued_cents else None


def orders(
    conn: Connection,
    period: Period,
    today: date,
    *,
    procedure: str | None = None,
    procedures: Collection[str] | None = None,
) -> list[OrdersRow]:
    """Orders issued in the period per procedure and currency, by procedure key, then their
    total per currency (procedure "") last."""
    lo, hi = period.bounds()
    o = orders_t.c
    paid = o.status == "paid"
    pending = and_(o.status == "pending", or_(o.expires_on.is_(None), o.expires_on >= today))
    # The order's copy of its case's procedure key: the period's orders come from one
    # covering index (ix_payment_orders_revenue), without a join to a million cases; one
    # group per procedure and currency, paid and pending counted with FILTER (expired: the
    # rest), cheaper than a group per outcome.
    query = (
        select(
            o.procedure_key,
            o.currency,
            func.count().label("n"),
            func.sum(o.amount_cents).label("cents"),
            func.count().filter(paid).label("paid"),
            func.sum(o.amount_cents).filter(paid).label("paid_cents"),
            func.count().filter(pending).label("pending"),
            func.sum(o.amount_cents).filter(pending).label("pending_cents"),
        )
        .where(o.created_at >= lo, o.created_at < hi)
        .group_by(o.procedure_key, o.currency)
    )
    if procedure:
        query = query.where(o.procedure_key == procedure)
    if procedures is not None:
        query = query.where(o.procedure_key.in_(sorted(procedures)))
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in conn.execute(query):
        n, cents = int(r.n), int(r.cents)
        counts = {
            "issued": n,
            "issued_cents": cents,
            "paid": int(r.paid),
            "paid_cents": int(r.paid_cents or 0),
            "pending": int(r.pending),
            "pending_cents": int(r.pending_cents or 0),
        }
        counts["expired"] = n - counts["paid"] - counts["pending"]
        counts["expired_cents"] = cents - counts["paid_cents"] - counts["pending_cents"]
        for key in (r.procedure_key, ""):
            row = sums[key, r.currency]
            for name, value in counts.items():
                row[name] += value
    keys = sorted(sums, key=lambda k: (k[0] == "", k[0], k[1]))
    return [OrdersRow(procedure=k[0], currency=k[1], **sums[k]) for k in keys]


@dataclass(frozen=True)
class ForecastRow:
    """A year's recurring charges of one kind of object and concept: what the taxpayer base
    should pay (`expected`), how much of it is already charged, and paid."""

    kind: str
    concept: str
    currency: str
    objects: int = 0
    expected_cents: int = 0
    charged_cents: int = 0
    paid_cents: int = 0


def yearly_forecast(conn: Connection, year: int, *, kind: str | None = None) -> list[ForecastRow]:
    """Every active object with a yearly charge: its charge for `year` as already written,
    or as the yearly job will write it (`connectors.ledger.book.yearly_charge`).

    Summed in SQL: the written charges per kind, concept and currency; the objects not yet
    charged per kind and schedule (most objects share one), each schedule priced once by
    `yearly_charge` and multiplied by its objects."""
    ob, og = objects_t.c, obligations_t.c
    live = [ob.status == "active", ob.recurring.is_not(None)]
    if kind:
        live.append(ob.kind == kind)
    this_year = [og.kind == "recurring", og.period == str(year), og.status != "cancelled"]
    concept = func.coalesce(ob.recurring["concept"].as_string(), "")
    currency = func.coalesce(ob.recurring["currency"].as_string(), "MXN")
    sums: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    charged = (
        select(
            ob.kind,
            concept.label("concept"),
            currency.label("currency"),
            func.count().label("n"),
            func.sum(og.amount_cents).label("cents"),
            func.sum(case((og.status == "paid", og.amount_cents), else_=0)).label("paid"),
        )
        .join(obligations_t, og.object_id == ob.id)
        .where(*live, *this_year)
        .group_by(ob.kind, concept, currency)
    )
    for r in conn.execute(charged):
        row = sums[r.kind, str(r.concept), str(r.currency)]
        row["objects"] += int(r.n)
        row["expected_cents"] += int(r.cents)
        row["charged_cents"] += int(r.cents)
        row["paid_cents"] += int(r.paid or 0)
    written = select(og.id).where(og.object_id == ob.id, *this_year).exists()
    planned = (
        select(ob.kind, ob.recurring, func.count().label("n"))
        .where(*live, not_(written))
        .group_by(ob.kind, ob.recurring)
    )
    for r in conn.execute(planned):
        spec = r.recurring or {}
        charge = yearly_charge(spec, year)
        if charge is None:
            continue
        row = sums[r.kind, str(spec.get("concept", "")), str(spec.get("currency", "MXN"))]
        row["objects"] += int(r.n)
        row["expected_cents"] += charge[1] * int(r.n)
    return [ForecastRow(k[0], k[1], k[2], **sums[k]) for k in sorted(sums)]


@dataclass(frozen=True)
class BaseMonth:
    """The taxpayer base in one month: who and what was registered in it, per kind, and how
    many there were in all at its end."""

    month: str
    taxpayers: dict[str, int] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)
    taxpayers_total: int = 0
    objects_total: int = 0


def taxpayer_base(
    conn: Connection, period: Period, *, object_kind: str | None = None
) -> list[BaseMonth]:
    """Month by month: taxpayers registered by kind (física, moral), taxable objects
    registered by kind (or only `object_kind`), and the running totals."""
    lo, hi = period.bounds()
    tp = taxpayers_t.c
    ob = objects_t.c
    objects_where = [ob.kind == object_kind] if object_kind else []
    taxpayers_before = conn.execute(
        select(func.count()).select_from(taxpayers_t).where(tp.created_at < lo)
    ).scalar_one()
    objects_before = conn.execute(
        select(func.count()).select_from(objects_t).where(ob.registered_at < lo, *objects_where)
    ).scalar_one()
    new_taxpayers = _by_month(
        conn,
        period,
        tp.created_at,
        tp.kind,
        [tp.created_at >= lo, tp.created_at < hi],
    )
    new_objects = _by_month(
        conn,
        period,
        ob.registered_at,
        ob.kind,
        [ob.registered_at >= lo, ob.registered_at < hi, *objects_where],
    )
    months = []
    taxpayers_total, objects_total = int(taxpayers_before), int(objects_before)
    for month in period.months():
        taxpayers = dict(new_taxpayers.get(month, {}))
        objects = dict(new_objects.get(month, {}))
        taxpayers_total += sum(taxpayers.values())
        objects_total += sum(objects.values())
        months.append(BaseMonth(month, taxpayers, objects, taxpayers_total, objects_total))
    return months


def _by_month(
    conn: Connection, period: Period, moment: Any, kind: Any, where: list[Any]
) -> dict[str, dict[str, int]]:
    """{month: {kind: how many}} of the rows `where` selects, counted in SQL."""
    each = (
        select(period.month_case(moment).label("month"), kind.label("kind")).where(*where)
    ).subquery()
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, what, n in conn.execute(
        select(each.c.month, each.c.kind, func.count()).group_by(each.c.month, each.c.kind)
    ):
        found[month][what] += int(n)
    return found
