"""The built-in municipal ledger: who owes what for which taxable object, and what was paid.

Functions take a `Connection` so a caller can write ledger rows in the same transaction as
the payment order or the case change that causes them (a payment is recorded, its obligation
settled and its case advanced together, or not at all). Amounts are integer centavos with a
currency; a balance is kept per currency and never mixes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)

from connectors.common import local_today
from connectors.ledger import totals
from workflow_engine.engine.recurring import due_date
from workflow_engine.persistence.models import (
    IDENTIFIER_LENGTH,
    Case,
    LedgerPayment,
    Obligation,
    TaxableObject,
    Taxpayer,
    User,
    table,
)
from workflow_engine.persistence.types import utcnow
from workflow_engine.search import search_words

taxpayers_t = table(Taxpayer)
objects_t = table(TaxableObject)
obligations_t = table(Obligation)
payments_t = table(LedgerPayment)
users_t = table(User)
cases_t = table(Case)

OBJECT_KINDS = (
    "business",
    "vehicle",
    "billboard",
    "construction",
    "market_stall",
    "cemetery_plot",
    "plot",
)
OBJECT_KIND_NAMES = {
    "business": ("Negocio", "Business"),
    "vehicle": ("Vehículo", "Vehicle"),
    "billboard": ("Anuncio", "Billboard"),
    "construction": ("Construcción", "Construction"),
    "market_stall": ("Puesto de mercado", "Market stall"),
    "cemetery_plot": ("Lote de panteón", "Cemetery plot"),
    "plot": ("Predio", "Plot"),
}
_RFC_MORAL = re.compile(r"^[A-ZÑ&]{3}\d{6}[A-Z0-9]{3}$")
# A Panamanian company's RUC (ficha-rollo-imagen, optional DV); a person's is their cédula,
# whose first number is a province (1-13), never three digits or more like a ficha.
_RUC_PA_JURIDICA = re.compile(r"^\d{3,10}-\d{1,4}-\d{1,7}(?: DV \d{2})?$")


class LedgerError(ValueError):
    """A ledger operation that cannot be done as asked (unknown kind, bad amount...)."""


@dataclass(frozen=True)
class StatementLine:
    """One line of an account statement: a charge (positive) or a payment (negative)."""

    on: date
    kind: str  # charge | payment
    concept: str
    amount_cents: int
    currency: str
    status: str = ""
    reference: str = ""
    object_label: str = ""
    due_on: date | None = None


@dataclass(frozen=True)
class Statement:
    taxpayer: Mapping[str, Any]
    objects: list[Mapping[str, Any]]
    lines: list[StatementLine]
    balances: dict[str, int]  # currency -> centavos owed (negative: credit)
    overdue: dict[str, int] = field(default_factory=dict)


# -- taxpayers ----------------------------------------------------------------------------


def taxpayer_kind(tax_id: str | None) -> str:
    """A 12-character RFC or a Panamanian company RUC is a company (persona moral); anything
    else a person."""
    if not tax_id:
        return "fisica"
    text = tax_id.upper()
    return "moral" if _RFC_MORAL.match(text) or _RUC_PA_JURIDICA.match(text) else "fisica"


def taxpayer_for_user(conn: Connection, user_id: int) -> int:
    """The taxpayer of an account, created from its profile the first time it is needed."""
    found = conn.execute(
        select(taxpayers_t.c.id).where(taxpayers_t.c.user_id == user_id).order_by(taxpayers_t.c.id)
    ).first()
    if found is not None:
        return int(found.id)
    user = conn.execute(
        select(users_t.c.name, users_t.c.email, users_t.c.curp).where(users_t.c.id == user_id)
    ).one_or_none()
    if user is None:
        raise LedgerError(f"no account {user_id}")
    return int(
        conn.execute(
            insert(taxpayers_t)
            .values(
                kind="fisica",
                name=user.name or user.email,
                curp=(user.curp or None),
                user_id=user_id,
                email=user.email,
                created_at=utcnow(),
            )
            .returning(taxpayers_t.c.id)
        ).scalar_one()
    )


def taxpayer_for_case(conn: Connection, case_id: int) -> int:
    """The applicant of a case as a taxpayer (an account holder, or a name-only taxpayer for
    cases started by a system)."""
    case = conn.execute(
        select(cases_t.c.applicant_id, cases_t.c.applicant_name, cases_t.c.applicant_ref).where(
            cases_t.c.id == case_id
        )
    ).one()
    if str(case.applicant_id).isdigit():
        exists = conn.execute(
            select(users_t.c.id).where(users_t.c.id == int(case.applicant_id))
        ).scalar_one_or_none()
        if exists is not None:
            return taxpayer_for_user(conn, int(case.applicant_id))
    name = case.applicant_name or f"Solicitante {case.applicant_id}"
    found = conn.execute(
        select(taxpayers_t.c.id).where(taxpayers_t.c.user_id.is_(None), taxpayers_t.c.name == name)
    ).first()
    if found is not None:
        return int(found.id)
    return int(
        conn.execute(
            insert(taxpayers_t)
            .values(kind="fisica", name=name, curp=case.applicant_ref, created_at=utcnow())
            .returning(taxpayers_t.c.id)
        ).scalar_one()
    )


def clean_identifier(value: object) -> str | None:
    """An RFC, CURP, RUC or cédula as the ledger stores it (upper case, single spaces), or
    None when blank. Longer than the identity columns: a LedgerError, never a database
    error (the field types already bound every supported identifier well below it)."""
    text = " ".join(str(value or "").upper().split())
    if not text:
        return None
    if len(text) > IDENTIFIER_LENGTH:
        raise LedgerError(
            f"an identifier of {len(text)} characters does not fit ({IDENTIFIER_LENGTH} at most)"
        )
    return text


def holder_for_registration(
    conn: Connection,
    case_id: int,
    *,
    tax_id: object = None,
    curp: object = None,
    name: object = None,
) -> int:
    """The taxpayer a registered object belongs to. A taxpayer already known by this tax id
    is linked as it is (never overwritten); otherwise the applicant's own record takes the
    tax id if it has none yet, else the tax id is a new holder (a company the applicant
    registers for), named `name`. A CURP only ever fills a blank."""
    tax = clean_identifier(tax_id)
    personal = clean_identifier(curp)
    holder_name = " ".join(str(name or "").split())[:300]
    applicant = taxpayer_for_case(conn, case_id)
    if tax is None:
        _fill_blank_curp(conn, applicant, personal)
        return applicant
    known = conn.execute(
        select(taxpayers_t.c.id).where(taxpayers_t.c.tax_id == tax).order_by(taxpayers_t.c.id)
    ).first()
    if known is not None:
        return int(known.id)
    own = conn.execute(select(taxpayers_t).where(taxpayers_t.c.id == applicant)).one()
    if own.tax_id is None:
        conn.execute(
            update(taxpayers_t)
            .where(taxpayers_t.c.id == applicant, taxpayers_t.c.tax_id.is_(None))
            .values(tax_id=tax, kind=taxpayer_kind(tax))
        )
        _fill_blank_curp(conn, applicant, personal)
        return applicant
    return int(
        conn.execute(
            insert(taxpayers_t)
            .values(
                kind=taxpayer_kind(tax),
                name=holder_name or own.name,
                tax_id=tax,
                curp=personal,
                user_id=own.user_id,
                email=own.email,
                created_at=utcnow(),
            )
            .returning(taxpayers_t.c.id)
        ).scalar_one()
    )


def _fill_blank_curp(conn: Connection, taxpayer_id: int, curp: str | None) -> None:
    if curp:
        conn.execute(
            update(taxpayers_t)
            .where(taxpayers_t.c.id == taxpayer_id, taxpayers_t.c.curp.is_(None))
            .values(curp=curp)
        )


# -- taxable objects ------------------------------------------------------------------------


def register_object(
    conn: Connection,
    *,
    taxpayer_id: int,
    kind: str,
    key: str,
    description: str = "",
    attributes: Mapping[str, Any] | None = None,
    recurring: Mapping[str, Any] | None = None,
    source_case_id: int | None = None,
) -> int:
    """Register a taxable object, or update it (and its holder) when the key already exists:
    a renewal or a change of owner goes through the same door."""
    if kind not in OBJECT_KINDS:
        raise LedgerError(f"unknown taxable object kind {kind!r}")
    key = key.strip()[:100]
    if not key:
        raise LedgerError("a taxable object needs a key (licence number, plate...)")
    if recurring is not None:
        _check_recurring(recurring)
    now = utcnow()
    values = {
        "taxpayer_id": taxpayer_id,
        "description": description[:300],
        "attributes": dict(attributes or {}),
        "recurring": dict(recurring) if recurring is not None else None,
        "status": "active",
        "updated_at": now,
    }
    existing = conn.execute(
        select(objects_t.c.id).where(objects_t.c.kind == kind, objects_t.c.key == key)
    ).scalar_one_or_none()
    if existing is not None:
        conn.execute(update(objects_t).where(objects_t.c.id == existing).values(**values))
        return int(existing)
    return int(
        conn.execute(
            insert(objects_t)
            .values(kind=kind, key=key, source_case_id=source_case_id, registered_at=now, **values)
            .returning(objects_t.c.id)
        ).scalar_one()
    )


def _check_recurring(spec: Mapping[str, Any]) -> None:
    amount = spec.get("amount_cents")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError("a recurring charge needs a positive amount_cents")
    if not str(spec.get("concept") or "").strip():
        raise LedgerError("a recurring charge needs a concept")
    month, day = int(spec.get("due_month", 3)), int(spec.get("due_day", 31))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise LedgerError("invalid due date for a recurring charge")
    from_year = spec.get("from_year")
    if from_year is not None and (isinstance(from_year, bool) or not isinstance(from_year, int)):
        raise LedgerError("a recurring charge's from_year must be a year")
    first = spec.get("first_charge")
    if first is not None:
        try:
            int(first["year"]), int(first["amount_cents"]), _as_date(first["due_on"])
        except (KeyError, TypeError, ValueError):
            raise LedgerError("invalid first charge of a recurring charge") from None


# -- obligations and payments ---------------------------------------------------------------


def charge(
    conn: Connection,
    *,
    idempotency_key: str,
    taxpayer_id: int,
    concept: str,
    amount_cents: int,
    currency: str,
    due_on: date,
    kind: str = "one_off",
    object_id: int | None = None,
    case_id: int | None = None,
    period: str | None = None,
    reference: str | None = None,
) -> int:
    """Add an obligation once per idempotency key (a retried job never charges twice)."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise LedgerError("an obligation needs a positive amount in centavos")
    found = conn.execute(
        select(obligations_t.c.id).where(obligations_t.c.idempotency_key == idempotency_key)
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(obligations_t)
            .values(
                idempotency_key=idempotency_key,
                taxpayer_id=taxpayer_id,
                object_id=object_id,
                case_id=case_id,
                kind=kind,
                concept=concept[:300],
                period=period,
                amount_cents=amount_cents,
                currency=currency.upper(),
                due_on=due_on,
                reference=reference,
                status="open",
                created_at=utcnow(),
            )
            .returning(obligations_t.c.id)
        ).scalar_one()
    )


def obligation_for_reference(conn: Connection, reference: str) -> Any | None:
    return conn.execute(
        select(obligations_t)
        .where(obligations_t.c.reference == reference)
        .order_by(obligations_t.c.id)
    ).first()


def cancel_obligation(conn: Connection, reference: str) -> None:
    """An order that expired or was cancelled no longer counts as owed (a new one replaces it)."""
    conn.execute(
        update(obligations_t)
        .where(obligations_t.c.reference == reference, obligations_t.c.status == "open")
        .values(status="cancelled")
    )


def add_payment(
    conn: Connection,
    *,
    reference: str,
    amount_cents: int,
    currency: str,
    source: str,
    external_id: str,
    paid_at: datetime,
    taxpayer_id: int | None,
    obligation_id: int | None,
    case_id: int | None,
    timezone: str = totals.DEFAULT_TIMEZONE,
) -> bool:
    """Write the payment and settle its obligation, and count it in the daily totals
    (`connectors.ledger.totals`, on its local day in `timezone`). False (nothing written)
    when this (source, external id) was already recorded: a replayed event changes nothing."""
    already = conn.execute(
        select(payments_t.c.id).where(
            payments_t.c.source == source, payments_t.c.external_id == external_id
        )
    ).scalar_one_or_none()
    if already is not None:
        return False
    conn.execute(
        insert(payments_t).values(
            taxpayer_id=taxpayer_id,
            obligation_id=obligation_id,
            case_id=case_id,
            reference=reference,
            amount_cents=amount_cents,
            currency=currency.upper(),
            source=source[:64],
            external_id=external_id[:128],
            paid_at=paid_at,
            created_at=utcnow(),
        )
    )
    if obligation_id is not None:
        conn.execute(
            update(obligations_t)
            .where(obligations_t.c.id == obligation_id, obligations_t.c.status != "paid")
            .values(status="paid", paid_at=paid_at)
        )
    owed = None
    if obligation_id is not None:
        owed = conn.execute(
            select(
                obligations_t.c.concept,
                obligations_t.c.kind,
                obligations_t.c.period,
                obligations_t.c.case_id,
            ).where(obligations_t.c.id == obligation_id)
        ).first()
    of_case = case_id if case_id is not None else (owed.case_id if owed is not None else None)
    procedure_key = None
    if of_case is not None:
        procedure_key = conn.execute(
            select(cases_t.c.procedure_key).where(cases_t.c.id == of_case)
        ).scalar_one_or_none()
    key = totals.day_key(
        paid_at=paid_at,
        source=source[:64],
        currency=currency,
        procedure_key=procedure_key,
        concept=owed.concept if owed is not None else None,
        kind=owed.kind if owed is not None else None,
        period=owed.period if owed is not None else None,
        timezone=timezone,
    )
    totals.add(conn, {key: (1, amount_cents)})
    return True


# -- recurring charges ----------------------------------------------------------------------


def generate_yearly_charges(engine: Engine, *, timezone: str, year: int | None = None) -> int:
    """This year's recurring obligations (renewals, yearly taxes), safe to repeat: the daily
    job and `flask ledger generate-charges`. `year` defaults to the local current year."""
    year = year or local_today(timezone, utcnow()).year
    with engine.begin() as conn:
        return generate_recurring(conn, year)


def generate_recurring(conn: Connection, year: int) -> int:
    """Charge every active object with a recurring spec for `year` (once: re-running the job
    adds nothing). Returns how many obligations were created."""
    rows = conn.execute(
        select(objects_t).where(objects_t.c.status == "active", objects_t.c.recurring.is_not(None))
    ).all()
    made = 0
    for row in rows:
        spec = row.recurring or {}
        if not spec or year < int(spec.get("from_year") or year):
            continue  # not charged before the year its schedule starts
        key = f"recurring:{row.id}:{year}"
        exists = conn.execute(
            select(obligations_t.c.id).where(obligations_t.c.idempotency_key == key)
        ).scalar_one_or_none()
        if exists is not None:
            continue
        planned = yearly_charge(spec, year)
        if planned is None:
            continue
        due, amount = planned
        charge(
            conn,
            idempotency_key=key,
            taxpayer_id=int(row.taxpayer_id),
            concept=f"{spec['concept']} {year}",
            amount_cents=amount,
            currency=str(spec.get("currency", "MXN")),
            due_on=due,
            kind="recurring",
            object_id=int(row.id),
            period=str(year),
        )
        made += 1
    return made


def yearly_charge(spec: Mapping[str, Any], year: int) -> tuple[date, int] | None:
    """(due date, centavos) of an object's recurring charge for `year` as the yearly job
    writes it (pro-rated, with grace, in the year of registration), or None when the object
    owes nothing that year (its schedule starts later)."""
    if not spec or year < int(spec.get("from_year") or year):
        return None
    month, day = int(spec.get("due_month", 3)), int(spec.get("due_day", 31))
    due = due_date(year, month, day)
    amount = int(spec["amount_cents"])
    first = spec.get("first_charge") or {}
    if first.get("year") == year:  # the year of registration: pro-rated, with grace
        due, amount = _as_date(first["due_on"]), int(first["amount_cents"])
    return (due, amount) if amount > 0 else None


# -- reading --------------------------------------------------------------------------------


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def object_kind_name(kind: str, lang: str = "es") -> str:
    """«Negocio» / «Business»; an unknown kind as it is."""
    names = OBJECT_KIND_NAMES.get(kind, (kind, kind))
    return names[1] if lang == "en" else names[0]


def object_label(row: Any, lang: str = "es") -> str:
    return f"{object_kind_name(row.kind, lang)} {row.key}" + (
        f" · {row.description}" if row.description else ""
    )


def statement(conn: Connection, taxpayer_id: int, today: date, lang: str = "es") -> Statement:
    """The consolidated account: every obligation and payment, the balance per currency and
    how much of it is overdue."""
    taxpayer = conn.execute(select(taxpayers_t).where(taxpayers_t.c.id == taxpayer_id)).one()
    objects = conn.execute(
        select(objects_t).where(objects_t.c.taxpayer_id == taxpayer_id).order_by(objects_t.c.id)
    ).all()
    labels = {o.id: object_label(o, lang) for o in objects}
    lines: list[StatementLine] = []
    balances: dict[str, int] = {}
    overdue: dict[str, int] = {}
    for ob in conn.execute(
        select(obligations_t)
        .where(obligations_t.c.taxpayer_id == taxpayer_id, obligations_t.c.status != "cancelled")
        .order_by(obligations_t.c.created_at, obligations_t.c.id)
    ).all():
        lines.append(
            StatementLine(
                on=ob.created_at.date(),
                kind="charge",
                concept=ob.concept,
                amount_cents=int(ob.amount_cents),
                currency=ob.currency,
                status=ob.status,
                reference=ob.reference or "",
                object_label=labels.get(ob.object_id, ""),
                due_on=ob.due_on,
            )
        )
        balances[ob.currency] = balances.get(ob.currency, 0) + int(ob.amount_cents)
        if ob.status == "open" and ob.due_on < today:
            overdue[ob.currency] = overdue.get(ob.currency, 0) + int(ob.amount_cents)
    for pay in conn.execute(
        select(payments_t)
        .where(payments_t.c.taxpayer_id == taxpayer_id)
        .order_by(payments_t.c.paid_at, payments_t.c.id)
    ).all():
        lines.append(
            StatementLine(
                on=pay.paid_at.date(),
                kind="payment",
                concept=pay.source,
                amount_cents=-int(pay.amount_cents),
                currency=pay.currency,
                reference=pay.reference,
            )
        )
        balances[pay.currency] = balances.get(pay.currency, 0) - int(pay.amount_cents)
    lines.sort(key=lambda line: (line.on, line.kind != "charge"))
    return Statement(
        taxpayer=dict(taxpayer._mapping),
        objects=[dict(o._mapping) | {"label": labels[o.id]} for o in objects],
        lines=lines,
        balances=balances,
        overdue=overdue,
    )


def balance(conn: Connection, taxpayer_id: int) -> dict[str, int]:
    """Charges minus payments per currency (cancelled charges do not count)."""
    owed = dict(
        conn.execute(
            select(obligations_t.c.currency, func.sum(obligations_t.c.amount_cents))
            .where(
                obligations_t.c.taxpayer_id == taxpayer_id, obligations_t.c.status != "cancelled"
            )
            .group_by(obligations_t.c.currency)
        ).all()
    )
    paid = dict(
        conn.execute(
            select(payments_t.c.currency, func.sum(payments_t.c.amount_cents))
            .where(payments_t.c.taxpayer_id == taxpayer_id)
            .group_by(payments_t.c.currency)
        ).all()
    )
    return {c: int(owed.get(c, 0) or 0) - int(paid.get(c, 0) or 0) for c in set(owed) | set(paid)}


# Ageing of the omisos list: (key, first day, last day) overdue, counted from the object's
# oldest unpaid due date (None: no upper end).
AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 1, 30),
    ("31-90", 31, 90),
    ("91-180", 91, 180),
    ("181-365", 181, 365),
    ("365+", 366, None),
)
OMISOS_SORTS = ("id", "amount", "age", "name")


def ageing_bucket(days_overdue: int) -> str:
    """The bucket key of an object whose oldest debt is `days_overdue` days past due."""
    for key, _first, last in AGEING_BUCKETS:
        if last is None or days_overdue <= last:
            return key
    return AGEING_BUCKETS[-1][0]  # pragma: no cover - the last bucket has no end


@dataclass(frozen=True)
class Omiso:
    """A taxable object with overdue obligations, and whose it is."""

    object_id: int
    kind: str
    key: str
    description: str
    taxpayer_id: int
    taxpayer_name: str
    tax_id: str
    overdue_count: int
    overdue_cents: int
    currency: str
    oldest_due: date
    days_overdue: int = 0
    bucket: str = ""


@dataclass(frozen=True)
class AgeingRow:
    """One ageing bucket of the omisos list: how many objects, owing how much."""

    bucket: str
    currency: str
    objects: int
    obligations: int
    cents: int


def find_taxpayers(conn: Connection, query: str, limit: int = 50) -> list[Any]:
    """Taxpayers whose name has words starting with the query's (accents and case ignored,
    as in the inbox), or whose RFC, RUC, CURP or cédula contains it; by name."""
    text = query.strip()[:100]
    if not text:
        return []
    t = taxpayers_t.c
    ident = f"%{text.upper()}%"
    options: list[ColumnElement[bool]] = [t.tax_id.like(ident), t.curp.like(ident)]
    words = search_words(text)
    if words:
        options.append(and_(*(t.search.like(word) for word in words)))
    return list(
        conn.execute(
            select(taxpayers_t).where(or_(*options)).order_by(t.name, t.id).limit(limit)
        ).all()
    )


def _omisos_query(
    today: date, kind: str | None, bucket: str | None, after: int = 0
) -> tuple[Any, Any]:
    """(objects joined with their overdue sums per currency, that sums subquery)."""
    overdue = (
        select(
            obligations_t.c.object_id,
            obligations_t.c.currency,
            func.count().label("n"),
            func.sum(obligations_t.c.amount_cents).label("cents"),
            func.min(obligations_t.c.due_on).label("oldest"),
        )
        .where(
            obligations_t.c.status == "open",
            obligations_t.c.due_on < today,
            obligations_t.c.object_id.is_not(None),
            obligations_t.c.object_id > after,
        )
        .group_by(obligations_t.c.object_id, obligations_t.c.currency)
        .subquery()
    )
    query = (
        select(
            objects_t.c.id,
            objects_t.c.kind,
            objects_t.c.key,
            objects_t.c.description,
            taxpayers_t.c.id.label("taxpayer_id"),
            taxpayers_t.c.name,
            taxpayers_t.c.tax_id,
            taxpayers_t.c.curp,
            overdue.c.n,
            overdue.c.cents,
            overdue.c.currency,
            overdue.c.oldest,
        )
        .join(overdue, overdue.c.object_id == objects_t.c.id)
        .join(taxpayers_t, taxpayers_t.c.id == objects_t.c.taxpayer_id)
        .where(objects_t.c.status == "active")
    )
    if kind:
        query = query.where(objects_t.c.kind == kind)
    if bucket:
        spans = {key: (first, last) for key, first, last in AGEING_BUCKETS}
        if bucket not in spans:
            raise LedgerError(f"unknown ageing bucket {bucket!r}")
        first, last = spans[bucket]
        query = query.where(overdue.c.oldest <= today - timedelta(days=first))
        if last is not None:
            query = query.where(overdue.c.oldest >= today - timedelta(days=last))
    return query, overdue


def omisos(
    conn: Connection,
    today: date,
    *,
    kind: str | None = None,
    bucket: str | None = None,
    sort: str = "id",
    limit: int = 500,
    after: int = 0,
    offset: int = 0,
) -> list[Omiso]:
    """Objects with open obligations past their due date. By object id (keyset pages with
    `after`), or sorted by `amount` (largest first), `age` (oldest debt first) or the
    taxpayer's `name` (pages by `offset`); `bucket` keeps one ageing bucket (by the
    object's oldest overdue debt)."""
    if sort not in OMISOS_SORTS:
        raise LedgerError(f"unknown order {sort!r}")
    query, overdue = _omisos_query(today, kind, bucket, after if sort == "id" else 0)
    order: list[Any] = {
        "id": [],
        "amount": [overdue.c.cents.desc()],
        "age": [overdue.c.oldest],
        "name": [taxpayers_t.c.name],
    }[sort]
    query = query.order_by(*order, objects_t.c.id, overdue.c.currency).limit(limit)
    if sort != "id" and offset:
        query = query.offset(offset)
    found = []
    for r in conn.execute(query).all():
        oldest = _as_date(r.oldest)
        days = (today - oldest).days
        found.append(
            Omiso(
                object_id=int(r.id),
                kind=r.kind,
                key=r.key,
                description=r.description,
                taxpayer_id=int(r.taxpayer_id),
                taxpayer_name=r.name,
                tax_id=r.tax_id or r.curp or "",
                overdue_count=int(r.n),
                overdue_cents=int(r.cents),
                currency=r.currency,
                oldest_due=oldest,
                days_overdue=days,
                bucket=ageing_bucket(days),
            )
        )
    return found


def omisos_ageing(conn: Connection, today: date, *, kind: str | None = None) -> list[AgeingRow]:
    """The omisos list summed per ageing bucket and currency, in bucket order (each bucket
    with objects in it; the rows add up to the whole list)."""
    query, _overdue = _omisos_query(today, kind, None)
    inner = query.subquery()
    limits = [
        (inner.c.oldest >= today - timedelta(days=last), key)
        for key, _first, last in AGEING_BUCKETS
        if last is not None
    ]
    bucket = case(*limits, else_=AGEING_BUCKETS[-1][0]).label("bucket")
    rows = conn.execute(
        select(
            bucket,
            inner.c.currency,
            func.count().label("objects"),
            func.sum(inner.c.n).label("obligations"),
            func.sum(inner.c.cents).label("cents"),
        ).group_by(bucket, inner.c.currency)
    ).all()
    order = {key: i for i, (key, _f, _l) in enumerate(AGEING_BUCKETS)}
    return sorted(
        (
            AgeingRow(str(r.bucket), r.currency, int(r.objects), int(r.obligations), int(r.cents))
            for r in rows
        ),
        key=lambda row: (order[row.bucket], row.currency),
    )
