"""The municipality's digitalization: each published version's level (from
procedure_versions), the score of the live procedures today, and that score over time, one
point per day on which a version was published or a procedure archived.

The level and what is missing are the template's business (templates/digitalization.py);
this module only reads the versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from workflow_engine.persistence.models import ProcedureTemplate, ProcedureVersion, table
from workflow_engine.templates.digitalization import (
    Missing,
    Score,
    digitalization_level,
    digitalization_missing,
    municipality_score,
)

templates_t = table(ProcedureTemplate)
versions_t = table(ProcedureVersion)


@dataclass(frozen=True)
class VersionLevel:
    """One published version of a procedure and its level."""

    key: str
    department: str
    title: Mapping[str, str]
    number: int
    published_at: datetime
    level: int
    missing: tuple[Missing, ...]


@dataclass(frozen=True)
class ScorePoint:
    """The score of the procedures live at the end of `day`."""

    day: date
    score: Score


@dataclass(frozen=True)
class DigitalizationReport:
    current: Score  # the live procedures today
    live: list[VersionLevel]  # their latest versions, by key
    versions: list[VersionLevel]  # every published version, oldest first
    history: list[ScorePoint]  # oldest first


def _level(row: Any) -> VersionLevel:
    doc = row.definition if isinstance(row.definition, Mapping) else {}
    missing = tuple(digitalization_missing(doc))
    title = doc.get("title")
    return VersionLevel(
        key=row.key,
        department=row.department_key,
        title=title if isinstance(title, Mapping) else {"es": row.key},
        number=int(row.number),
        published_at=row.published_at,
        level=digitalization_level(doc),
        missing=missing,
    )


def digitalization_report(
    conn: Connection,
    timezone: str = "UTC",
    departments: Iterable[str] | None = None,
    procedure: str | None = None,
) -> DigitalizationReport:
    """The report of every procedure (or of `departments`' procedures, or of one
    `procedure`); days are the municipality's (`timezone`)."""
    query = (
        select(
            templates_t.c.key,
            templates_t.c.department_key,
            templates_t.c.archived_at,
            versions_t.c.number,
            versions_t.c.published_at,
            versions_t.c.definition,
        )
        .join(templates_t, templates_t.c.id == versions_t.c.template_id)
        .order_by(versions_t.c.published_at, versions_t.c.id)
    )
    if departments is not None:
        query = query.where(templates_t.c.department_key.in_(sorted(departments)))
    if procedure is not None:
        query = query.where(templates_t.c.key == procedure)
    rows = conn.execute(query).all()
    zone = ZoneInfo(timezone)
    versions = [_level(r) for r in rows]
    archived = {r.key: r.archived_at for r in rows if r.archived_at is not None}

    # What happened when: a publication sets a procedure's level, an archival removes it.
    moments: list[tuple[datetime, int, str, int | None]] = [
        (v.published_at, 0, v.key, v.level) for v in versions
    ]
    moments += [(at, 1, key, None) for key, at in archived.items()]
    moments.sort(key=lambda m: (m[0], m[1]))
    levels: dict[str, int] = {}
    history: dict[date, Score] = {}
    for at, _order, key, level in moments:
        if level is None:
            levels.pop(key, None)
        else:
            levels[key] = level
        history[at.astimezone(zone).date()] = municipality_score(levels.values())

    latest: dict[str, VersionLevel] = {}
    for v in versions:
        latest[v.key] = v
    live = [latest[k] for k in sorted(latest) if k not in archived]
    return DigitalizationReport(
        current=municipality_score(v.level for v in live),
        live=live,
        versions=versions,
        history=[ScorePoint(day, score) for day, score in sorted(history.items())],
    )
