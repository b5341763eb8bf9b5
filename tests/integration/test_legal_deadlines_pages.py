"""The procedure's maximum response time on the pages (the citizen's case page, the inbox list
and the case review), and holidays seen by every process at once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask

from tests.helpers.cases import file_with_examples
from tests.helpers.web import account, forge_login
from workflow_engine.persistence.platform.holidays import add_holiday, remove_holiday
from workflow_engine.persistence.types import utcnow

CITIZEN = "ciudadano@demo.gob.mx"
OFFICIAL = "funcionario@demo.gob.mx"  # desarrollo-economico, revisor


def filed_licence(app: Flask) -> tuple[Any, str]:
    services = app.extensions["tramita"]
    started = file_with_examples(services, "licencia-funcionamiento", account(app, CITIZEN).actor())
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
    assert 'class="badge deadline-on_time"' in review


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


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
