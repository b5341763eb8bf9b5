"""The procedure's maximum response time on the pages (the citizen's case page, the inbox list
and the case review), and holidays seen by every process at once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask

from tests.helpers.cases import FILLING_IN, walk_with_examples
from tests.helpers.web import account, forge_login
from workflow_engine.engine import StartCase
from workflow_engine.persistence.platform.holidays import add_holiday, remove_holiday
from workflow_engine.persistence.types import utcnow

CITIZEN = "ciudadano@demo.gob.mx"
OFFICIAL = "funcionario@demo.gob.mx"  # desarrollo-economico, revisor


def filed_licence(app: Flask, superficie: int | None = None) -> tuple[Any, str]:
    services = app.extensions["tramita"]
    actor = account(app, CITIZEN).actor()
    started = services.cases.start("licencia-funcionamiento", StartCase(at=utcnow(), actor=actor))
    answers = {"negocio": {"superficie_m2": superficie}} if superficie else None
    walk_with_examples(
        services,
        started.case_id,
        actor,
        lambda s: s.status not in FILLING_IN,
        answers=answers,
        run_outbox=False,
    )
    state = services.cases.load(started.case_id)[0]
    assert state.response_due is not None  # the example declares a `response_deadline`
    return started, state.response_due


def spanish_date(iso: str) -> str:
    from app.formatting import format_date

    return format_date(iso, "es")


def test_the_maximum_response_time_shows_on_the_case_page_and_in_the_inbox(
    api_app: Flask,
) -> None:
    started, due = filed_licence(api_app)
    with api_app.test_request_context():
        shown = spanish_date(due)
    citizen = api_app.test_client()
    forge_login(citizen, account(api_app, CITIZEN).id)
    page = citizen.get(f"/expedientes/{started.folio}").get_data(as_text=True)
    assert "Plazo máximo de respuesta" in page and shown in page

    official = api_app.test_client()
    forge_login(official, account(api_app, OFFICIAL).id)
    listing = official.get("/bandeja?vista=department").get_data(as_text=True)
    if started.folio not in listing:
        listing = official.get("/bandeja?vista=unclaimed").get_data(as_text=True)
    assert started.folio in listing
    assert "Plazo máximo de respuesta" in listing and shown in listing
    review = official.get(f"/bandeja/expedientes/{started.folio}").get_data(as_text=True)
    assert "Plazo máximo de respuesta" in review and shown in review
    assert re.search(r'class="[^"]*\bdeadline-on_time\b', review)  # the on-time tag
    api = citizen.get(f"/api/v1/cases/{started.folio}").get_json()
    assert api["response_due"] == due


def test_a_holiday_declared_in_one_process_counts_in_another_at_once(
    api_app: Flask, app_factory: Any
) -> None:
    """Two application instances on one database: each keeps its calendar cached, and a
    holiday added through either (or the CLI) is used by the other's next command."""
    other = app_factory(str(api_app.extensions["tramita"].engine.url))
    first, second = api_app.extensions["tramita"], other.extensions["tramita"]
    day = _next_weekday(utcnow().date() + timedelta(days=3))
    for services in (first, second):
        services.cases.detached_context()  # both caches warm
    add_holiday(first.engine, day, "Decreto de prueba")
    for services in (first, second):
        assert not services.cases.detached_context().calendar.is_business_day(day)
    remove_holiday(second.engine, day)
    for services in (first, second):
        assert services.cases.detached_context().calendar.is_business_day(day)


def test_the_case_reads_bring_the_holidays_fingerprint_a_command_compares(
    demo_app: Flask, app_factory: Any
) -> None:
    """On PostgreSQL the wizard's case read and the command's own read carry the holidays'
    fingerprint (no query of its own): whatever the table holds, it is the very tuple
    `holidays_stamp` computes, so a holiday declared in another process still counts in the
    next wizard command; SQLite reads carry none and the command asks."""
    from workflow_engine.persistence.cases.hotpath import (
        HotPath,
        LoadedCase,
        case_by_folio,
        driver_of,
    )
    from workflow_engine.persistence.platform.holidays import holidays_stamp

    services = demo_app.extensions["tramita"]
    other = app_factory(str(services.engine.url)).extensions["tramita"]
    started, _due = filed_licence(demo_app)
    pg = services.engine.dialect.name == "postgresql"
    first = _next_weekday(utcnow().date() + timedelta(days=40))
    second = _next_weekday(first + timedelta(days=200))
    for declare in (None, first, second):
        if declare is not None:
            add_holiday(other.engine, declare, "Decreto de prueba")
        with services.engine.begin() as conn:
            expected = holidays_stamp(conn)
            by_folio = LoadedCase.from_row(case_by_folio(conn, started.folio)).holidays
            by_id = HotPath(conn.dialect.name).load(driver_of(conn), started.case_id)
        assert by_id is not None
        assert (by_folio, by_id.holidays) == ((expected, expected) if pg else (None, None))
        # the command with the wizard's read uses the calendar with the new holiday
        with services.engine.begin() as conn:
            loaded = LoadedCase.from_row(case_by_folio(conn, started.folio))
            ctx = services.cases.context(conn, loaded.holidays)
        if declare is not None:
            assert not ctx.calendar.is_business_day(declare)


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_licence_walks_through_its_deadlines_ficta_then_an_unpaid_lapse(
    api_app: Flask,
) -> None:
    """A large business goes to the joint review; nobody decides: after 8 business days the
    reviews are escalated (their own deadline), after the procedure's 10 the catalog's
    afirmativa ficta approves them and the payment is asked for; the applicant does not pay
    in 15 business days: the case closes as `sin_pago`, each step in the history."""
    from workflow_engine.persistence.cases.timers import fire_due_timers

    services = api_app.extensions["tramita"]
    started, due = filed_licence(api_app, superficie=150)
    state = services.cases.load(started.case_id)[0]
    assert len(state.open_tasks()) == 2
    task_due = date.fromisoformat(state.open_tasks()[0].due_on)
    assert task_due < date.fromisoformat(due)
    fire_due_timers(services.cases, now=_evening(task_due + timedelta(days=1)))
    state = services.cases.load(started.case_id)[0]
    assert all(t.escalated for t in state.open_tasks()) and state.status == "in_review"
    fire_due_timers(services.cases, now=_evening(date.fromisoformat(due) + timedelta(days=1)))
    state = services.cases.load(started.case_id)[0]
    types = [e["type"] for e in services.cases.history(started.case_id)]
    assert types.index("case.response_lapsed") < types.index("case.afirmativa_ficta")
    assert state.status == "awaiting_payment"
    step_due = state.step_due(services.cases.tz)
    assert step_due is not None
    fire_due_timers(services.cases, now=_evening(step_due + timedelta(days=1)))
    state = services.cases.load(started.case_id)[0]
    assert state.is_closed and state.outcome == "cancelled" and state.position == "sin_pago"
    types = [e["type"] for e in services.cases.history(started.case_id)]
    assert types.index("step.lapsed") < types.index("case.closed")


def _evening(day: date) -> datetime:
    return datetime.combine(day, time(23, 0), UTC)
