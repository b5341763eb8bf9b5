"""Small helpers shared by the effect handlers: the case a message is about, money and dates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from workflow_engine.money import format_cents
from workflow_engine.persistence.cases.outbox import OutboxItem, PermanentError
from workflow_engine.persistence.models import Case, Department, ProcedureVersion, table
from workflow_engine.templates import model as template_model

cases_t = table(Case)
versions_t = table(ProcedureVersion)
departments_t = table(Department)

MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


@dataclass(frozen=True)
class CaseRecord:
    """What a handler reads about a case: the row's columns, its state and its template."""

    id: int
    folio: str
    procedure_key: str
    applicant_id: str
    state: Mapping[str, Any]
    definition: Mapping[str, Any]
    submitted_at: datetime | None

    @cached_property
    def model(self) -> template_model.Procedure:
        """The template's typed model (parsed on first use)."""
        return template_model.parse(self.definition)

    @property
    def procedure_title(self) -> str:
        return localized(self.definition.get("title"), self.procedure_key)

    def step(self, step_id: str) -> Mapping[str, Any]:
        found = self.model.get_step(step_id)
        if found is None:
            raise PermanentError(f"step {step_id!r} not in procedure {self.procedure_key!r}")
        return dict(found.raw)


def case_id_of(item: OutboxItem) -> int:
    """The database id of the case a message is about (the column, else the payload)."""
    if item.case_id is not None:
        return int(item.case_id)
    raw = item.payload.get("case_id")
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        raise PermanentError(f"message {item.key!r} names no case") from None


def load_case(conn: Connection, case_id: int) -> CaseRecord:
    row = conn.execute(
        select(
            cases_t.c.id,
            cases_t.c.folio,
            cases_t.c.procedure_key,
            cases_t.c.applicant_id,
            cases_t.c.state,
            cases_t.c.submitted_at,
            versions_t.c.definition,
        )
        .join(versions_t, versions_t.c.id == cases_t.c.version_id)
        .where(cases_t.c.id == case_id)
    ).one_or_none()
    if row is None:
        raise PermanentError(f"case {case_id} does not exist")
    return CaseRecord(
        id=int(row.id),
        folio=str(row.folio),
        procedure_key=str(row.procedure_key),
        applicant_id=str(row.applicant_id),
        state=dict(row.state or {}),
        definition=dict(row.definition or {}),
        submitted_at=row.submitted_at,
    )


def department_name(conn: Connection, key: str | None) -> str | None:
    if not key:
        return None
    name = conn.execute(
        select(departments_t.c.name_es).where(departments_t.c.key == key)
    ).scalar_one_or_none()
    return str(name) if name else None


def localized(text: Any, default: str = "") -> str:
    """The Spanish version of a localized text ({"es": ..., "en": ...}) or a plain string."""
    if isinstance(text, Mapping):
        return str(text.get("es") or text.get("en") or default)
    if isinstance(text, str) and text:
        return text
    return default


def local_today(timezone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()


def long_date(value: date | datetime | str | None, timezone: str | None = None) -> str:
    """A date the way it is written in Spanish documents: «5 de marzo de 2026»."""
    if value is None or value == "":
        return ""
    parsed: date | datetime
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    else:
        parsed = value
    if isinstance(parsed, datetime):
        if parsed.tzinfo is not None and timezone:
            parsed = parsed.astimezone(ZoneInfo(timezone))
        parsed = parsed.date()
    return f"{parsed.day} de {MONTHS_ES[parsed.month - 1]} de {parsed.year}"


def money(cents: int | None, currency: str | None = None) -> str:
    """An amount in centavos with its currency's own sign, the municipality's way
    («$1,234.50» for pesos in México, «B/. 1,234.50» in Panamá): workflow_engine.money."""
    return format_cents(cents, currency)
