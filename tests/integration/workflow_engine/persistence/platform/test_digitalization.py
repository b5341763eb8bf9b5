"""The municipality's digitalization over versions, on both databases: each published
version's level, the live procedures' score today, one history point per day a version was
published or a procedure archived (an archived procedure leaves the score)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from workflow_engine.persistence.models import ProcedureTemplate, ProcedureVersion, table
from workflow_engine.persistence.platform.digitalization import digitalization_report
from workflow_engine.templates.digitalization import digitalization_level, municipality_score

KEY = "licencia-funcionamiento"  # level 3: one requirement shown in original
ARCHIVED = "permiso-mercado"  # level 3
JAN = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 2, 5, 30, tzinfo=UTC)  # 1 February in Mexico City
MAR = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
versions_t = table(ProcedureVersion)
templates_t = table(ProcedureTemplate)


@pytest.fixture
def app(demo_cases_url: str, app_factory: Any) -> Flask:
    """The demo municipality as `flask demo seed` leaves it, seeded once per session."""
    app: Flask = app_factory(demo_cases_url)
    return app


def test_levels_by_version_score_and_history(app: Flask) -> None:
    services = app.extensions["tramita"]
    catalog = services.catalog
    engine = services.engine
    with engine.begin() as conn:
        conn.execute(update(versions_t).values(published_at=JAN))
    first = {v.key: digitalization_level(v.definition) for v in catalog.live()}
    assert first[KEY] == 3 and first[ARCHIVED] == 3

    doc = copy.deepcopy(catalog.draft(KEY))
    for requirement in doc["catalog"]["requirements"]:
        requirement["original_copy"] = "copy"
    catalog.save_draft(doc)
    second = catalog.publish(KEY, note="Se acepta la copia digital del visto bueno")
    catalog.archive(ARCHIVED)
    with engine.begin() as conn:
        conn.execute(
            update(versions_t).where(versions_t.c.id == second.id).values(published_at=FEB)
        )
        conn.execute(
            update(templates_t).where(templates_t.c.key == ARCHIVED).values(archived_at=MAR)
        )

    with engine.connect() as conn:
        report = digitalization_report(conn, "America/Mexico_City")
    licencia = [(v.number, v.level) for v in report.versions if v.key == KEY]
    assert licencia == [(1, 3), (second.number, 4)]
    assert [v.missing for v in report.versions if v.key == KEY][1] == ()

    after = {**first, KEY: 4}
    del after[ARCHIVED]
    assert {v.key: v.level for v in report.live} == after
    assert report.current == municipality_score(after.values())

    assert [p.day for p in report.history] == [
        date(2026, 1, 10),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert report.history[0].score == municipality_score(first.values())
    assert report.history[1].score == municipality_score({**first, KEY: 4}.values())
    assert report.history[2].score == report.current
    assert report.history[2].score.procedures == len(first) - 1

    with engine.connect() as conn:
        mine = digitalization_report(conn, "UTC", departments={"mercados"})
    assert mine.live == [] and {v.key for v in mine.versions} == {ARCHIVED}
