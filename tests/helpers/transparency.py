"""Cases written straight into the cases table with chosen filing and closing dates, for the
transparency figures (which read only those columns): time is fully controlled."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import insert, select

from workflow_engine.persistence.cases.resolution import fill_resolutions
from workflow_engine.persistence.models import Case, ProcedureTemplate, ProcedureVersion, table

CONSTANCIA = "constancia-residencia"  # secretaría del ayuntamiento, answer in 1 business day
LICENCIA = "licencia-funcionamiento"  # desarrollo económico, 10 business days
FOLIOS = count(1)  # unique within a process: every test database starts empty


def at(day: int) -> datetime:
    """Noon in Mexico City on 2026-03-`day` (18:00 UTC), so local and UTC dates agree."""
    return datetime(2026, 3, day, 18, 0, tzinfo=UTC)


def seeded_case(
    app: Flask, key: str, submitted: int, closed: int | None, outcome: str | None = "approved"
) -> None:
    """A case of `key` filed on March `submitted` and, unless `closed` is None, closed on
    March `closed` with `outcome`."""
    engine = app.extensions["tramita"].engine
    versions, templates = table(ProcedureVersion), table(ProcedureTemplate)
    with engine.begin() as conn:
        version_id = (
            conn.execute(
                select(versions.c.id)
                .join(templates, templates.c.id == versions.c.template_id)
                .where(templates.c.key == key)
                .order_by(versions.c.number.desc())
            )
            .scalars()
            .first()
        )
        conn.execute(
            insert(table(Case)).values(
                folio=f"TR-{next(FOLIOS)}",
                version_id=version_id,
                procedure_key=key,
                applicant_id="1",
                status="closed" if closed else "in_review",
                position="end" if closed else "revision",
                outcome=outcome if closed else None,
                state={},
                created_at=at(submitted),
                updated_at=at(closed or submitted),
                submitted_at=at(submitted),
                closed_at=at(closed) if closed else None,
            )
        )
        fill_resolutions(conn, ZoneInfo(app.extensions["tramita"].settings.timezone))
