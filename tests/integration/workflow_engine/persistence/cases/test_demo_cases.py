"""The demo's cases: every state, spread over recent months, replayed through the real engine
(intact hash chains, times in order and in the past), once; and the second demo municipality
(La Chorrera: balboas, its own procedures)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.payments.handler import settle_payment
from tests.helpers.html_tables import table_rows
from tests.helpers.pdf import pdf_text
from tests.helpers.web import login
from workflow_engine.money import MoneyFormat, format_cents, use_money_format
from workflow_engine.persistence.cases.demo_cases import DEMO_NEIGHBOURS, SCENES, seed_demo_cases
from workflow_engine.persistence.models import Case, Document, PaymentOrder, Task, table
from workflow_engine.persistence.platform.demo import demo_staff, seed_demo
from workflow_engine.persistence.platform.demo_profiles import CHOCOTLAN

PROCEDURES = ["constancia-residencia", "permiso-construccion", "solicitud-acceso-informacion"]


def _seed_cases(app: Flask) -> Any:
    services = app.extensions["tramita"]
    return seed_demo_cases(
        services.cases,
        services.outbox,
        PROCEDURES,
        demo_staff(services.engine),
        settle=lambda reference: settle_payment(services.engine, reference, "demo")[1],
    )


def test_demo_cases_cover_every_state_with_consistent_history_once(
    db_url: str, app_factory: Any
) -> None:
    app: Flask = app_factory(db_url)
    services = app.extensions["tramita"]
    seed_demo(services.engine, demo_mode=True, municipality=CHOCOTLAN)
    report = _seed_cases(app)
    assert report.created == 3 * len(SCENES) and not report.skipped
    cases_t = table(Case)
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(cases_t.c.id, cases_t.c.status, cases_t.c.state, cases_t.c.created_at)
        ).all()
        open_tasks = conn.execute(
            select(table(Task).c.department, table(Task).c.assignee_id).where(
                table(Task).c.status == "open"
            )
        ).all()
        orders = Counter(
            str(s) for s in conn.execute(select(table(PaymentOrder).c.status)).scalars()
        )
        documents = conn.execute(select(func.count()).select_from(table(Document))).scalar_one()
    statuses = Counter(str(r.status) for r in rows)
    outcomes = Counter(str(r.state.get("outcome")) for r in rows if r.status == "closed")
    for status in ("draft", "in_review", "awaiting_correction", "awaiting_payment", "closed"):
        assert statuses[status] >= 1, statuses
    for outcome in ("approved", "rejected", "cancelled"):  # cancelled: a lapsed correction
        assert outcomes[outcome] >= 1, outcomes
    assert orders["paid"] >= 2 and orders["pending"] >= 1, orders
    assert documents >= 2
    assert len({d for d, _a in open_tasks}) >= 2, "more than one department has work"
    assert any(a is not None for _d, a in open_tasks), "some tasks are held by an official"
    now = datetime.now(UTC)
    created = [r.created_at for r in rows]
    assert min(created) < now - timedelta(days=60), "spread over recent months"
    assert max(created) < now
    for row in rows:
        assert services.cases.verify_history(row.id) == [], row.id
        times = [e["created_at"] for e in services.cases.history(row.id)]
        assert times == sorted(times) and times[-1] <= now

    again = _seed_cases(app)
    assert again.skipped and again.created == 0
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases_t)).scalar_one() == len(rows)


def test_demo_seed_command_seeds_the_cases_by_default_and_once(
    sqlite_url: str, app_factory: Any
) -> None:
    app: Flask = app_factory(sqlite_url, demo_municipality="chocotlan")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "7 trámites publicados" in first.output  # Chocotlán: no Panamanian vehicle register
    assert f"Expedientes demo: {7 * len(SCENES)} nuevos" in first.output, first.output
    second = runner.invoke(args=["demo", "seed"])
    assert "ya estaban creados" in second.output, second.output
    cases_t = table(Case)
    with app.extensions["tramita"].engine.connect() as conn:
        keys = set(conn.execute(select(cases_t.c.procedure_key)).scalars())
        total = conn.execute(select(func.count()).select_from(cases_t)).scalar_one()
    assert "registro-vehicular" not in keys and total == 7 * len(SCENES)
    assert len(DEMO_NEIGHBOURS) >= 4
    # a few orders expired the way the daily job does (each case asked for another), once
    assert "Órdenes de pago demo vencidas: 3" in first.output, first.output
    assert "vencidas" not in second.output
    orders_t = table(PaymentOrder)
    with app.extensions["tramita"].engine.connect() as conn:
        statuses = Counter(conn.execute(select(orders_t.c.status)).scalars())
        awaiting = conn.execute(
            select(func.count()).where(cases_t.c.status == "awaiting_payment")
        ).scalar_one()
    assert statuses["expired"] == 3 and statuses["pending"] == awaiting
    client = login(app.test_client(), "tesoreria@demo.gob.mx")
    html = client.get("/tableros/ingresos").get_data(as_text=True)
    orders = table_rows(html, "ordenes")
    assert orders[0][4] == "Vencidas" and orders[-1][0] == "Total"
    assert int(orders[-1][4]) == 3  # the revenue page's «expired» figure is not empty


def test_la_chorrera_demo_publishes_the_vehicle_register_in_balboas(
    sqlite_url: str, app_factory: Any, tmp_path: Path
) -> None:
    app: Flask = app_factory(
        sqlite_url,
        demo_municipality="la-chorrera",
        municipality_name="Municipio de La Chorrera",
        municipality_code="LCH",
        timezone="America/Panama",
        municipality_locale="es_PA",
        municipality_currency="PAB",
    )
    try:
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
        assert "1 trámites publicados" in result.output
        engine = app.extensions["tramita"].engine
        with engine.connect() as conn:
            keys = set(conn.execute(select(table(Case).c.procedure_key)).scalars())
            orders = conn.execute(
                select(table(PaymentOrder).c.currency, table(PaymentOrder).c.amount_cents)
            ).all()
            paths = list(conn.execute(select(table(Document).c.storage_path)).scalars())
        assert keys == {"registro-vehicular"}
        assert orders and {o.currency for o in orders} == {"PAB"}
        assert format_cents(orders[0].amount_cents, "PAB").startswith("B/.")
        assert paths, "approved vehicle registrations have their certificate"
        pdf = Path(app.extensions["tramita"].settings.documents_dir) / paths[0]
        text = pdf_text(pdf.read_bytes(), tmp_path)
        assert "Municipio de La Chorrera" in text and "Chocotlán" not in text
        assert "B/." in text
    finally:
        use_money_format(MoneyFormat())


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ("chocotlan", "es_MX", "MXN", "CHO")),
        ({"DEMO_MUNICIPALITY": "la-chorrera"}, ("la-chorrera", "es_PA", "PAB", "LCH")),
        (
            {"DEMO_MUNICIPALITY": "la-chorrera", "MUNICIPALITY_CODE": "LCX"},
            ("la-chorrera", "es_PA", "PAB", "LCX"),
        ),
    ],
)
def test_demo_municipality_setting_gives_its_defaults(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: tuple[str, ...]
) -> None:
    from app.config import Settings

    for name in ("DEMO_MUNICIPALITY", "MUNICIPALITY_LOCALE", "MUNICIPALITY_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MUNICIPALITY_CODE", raising=False)
    monkeypatch.setenv("DEMO_MODE", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    got = (
        settings.demo_municipality,
        settings.municipality_locale,
        settings.municipality_currency,
        settings.municipality_code,
    )
    assert got == expected
