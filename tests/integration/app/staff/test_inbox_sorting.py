"""The inbox's sortable columns over HTTP, on SQLite and PostgreSQL: folio, applicant and
state headers are plain links (aria-sort on the active one), the order holds across pages,
and the filters stay in the header, page and filter-form links."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert

from app.staff import listing
from tests.helpers.web import forge_login
from workflow_engine.persistence.models import (
    Case,
    ProcedureTemplate,
    ProcedureVersion,
    Task,
    table,
)
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.search import search_text

# (folio, applicant, case status); the folios' order differs from the names' and the states'
CASES = [
    ("CHO-2026-00003C", "Óscar Ruiz", "in_review"),
    ("CHO-2026-00001A", "beatriz Soto", "awaiting_payment"),
    ("CHO-2026-00005E", "Ana Gómez", "awaiting_correction"),
    ("CHO-2026-00002B", "Carlos Díaz", "in_review"),
    ("CHO-2026-00004D", "Álvaro Núñez", "awaiting_payment"),
]
BY_FOLIO = sorted(c[0] for c in CASES)
BY_NAME = [  # accents and case ignored
    "CHO-2026-00004D",  # Álvaro
    "CHO-2026-00005E",  # Ana
    "CHO-2026-00001A",  # beatriz
    "CHO-2026-00002B",  # Carlos
    "CHO-2026-00003C",  # Óscar
]
FOLIO = re.compile(r'class="folio">(CHO-[0-9A-Z-]+)<')


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        template_id = conn.execute(
            insert(table(ProcedureTemplate))
            .values(key="licencia", department_key="obras", draft={}, draft_checksum="x")
            .returning(table(ProcedureTemplate).c.id)
        ).scalar_one()
        version_id = conn.execute(
            insert(table(ProcedureVersion))
            .values(template_id=template_id, number=1, definition={}, checksum="x")
            .returning(table(ProcedureVersion).c.id)
        ).scalar_one()
        for n, (folio, name, status) in enumerate(CASES):
            moment = datetime(2026, 3, 1 + n, 16, tzinfo=UTC)
            case_id = conn.execute(
                insert(table(Case))
                .values(
                    folio=folio,
                    version_id=version_id,
                    procedure_key="licencia",
                    applicant_id="99",
                    applicant_name=name,
                    status=status,
                    position="revision",
                    state={},
                    created_at=moment,
                    updated_at=moment,
                    submitted_at=moment,
                )
                .returning(table(Case).c.id)
            ).scalar_one()
            conn.execute(
                insert(table(Task)).values(
                    case_id=case_id,
                    task_key=f"revision-{case_id}",
                    step_id="revision",
                    department="obras",
                    role="revisor",
                    status="open",
                    due_on=date(2026, 4, 1),
                    opened_at=moment,
                    folio=folio,
                    procedure_key="licencia",
                    submitted_at=moment,
                    applicant_name=name,
                    applicant_search=search_text(name),
                )
            )


@pytest.fixture
def client(db_url: str, app_factory: Any) -> FlaskClient:
    app: Flask = app_factory(db_url)
    app.config["TESTING"] = True
    engine = app.extensions["tramita"].engine
    accounts = Accounts(engine)
    accounts.ensure_department("obras", "Obras Públicas", "Public Works")
    official = accounts.create(
        "revisora@obras.test",
        "una-clave-larga-1",
        role="official",
        name="Revisora",
        department_key="obras",
        role_tags=["revisor"],
        verified=True,
    )
    _seed(engine)
    return forge_login(app.test_client(), official.id)


def _page(client: FlaskClient, **query: str) -> str:
    response = client.get("/bandeja", query_string={"vista": "unclaimed", **query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _folios(page: str) -> list[str]:
    return FOLIO.findall(page)


def _header(page: str, label: str) -> tuple[str, str]:
    """(aria-sort, link) of the column header with this label."""
    found = re.search(
        r'<th scope="col" aria-sort="(\w+)"><a href="([^"]*)">' + re.escape(label), page
    )
    assert found, label
    return found.group(1), html_lib.unescape(found.group(2))


def _walk(client: FlaskClient, **query: str) -> list[str]:
    """Every folio of the view, following «Siguiente página» to the end."""
    page = _page(client, **query)
    seen = _folios(page)
    for _ in range(10):
        more = re.search(r'<a [^>]*href="([^"]*)"[^>]*rel="next"', page)
        if not more:
            return seen
        link = html_lib.unescape(more.group(1))
        response = client.get("/bandeja" + link)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        seen += _folios(page)
    raise AssertionError("too many pages")


@pytest.mark.parametrize(
    ("orden", "expected"),
    [
        ("folio", BY_FOLIO),
        ("folio_desc", BY_FOLIO[::-1]),
        ("applicant", BY_NAME),
        ("applicant_desc", BY_NAME[::-1]),
    ],
)
def test_sorting_by_folio_and_applicant_holds_across_pages(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, orden: str, expected: list[str]
) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    assert _walk(client, orden=orden) == expected


def test_sorting_by_state_groups_the_cases_by_their_status(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    states = {folio: status for folio, _name, status in CASES}
    got = _walk(client, orden="state")
    assert sorted(got) == BY_FOLIO
    order = [states[f] for f in got]
    assert order == sorted(order)  # one group per status, never interleaved
    ties = [f for f in got if states[f] == "in_review"]
    assert ties == ["CHO-2026-00003C", "CHO-2026-00002B"]  # same status: tasks in id order
    assert [states[f] for f in _walk(client, orden="state_desc")] == order[::-1]


def test_column_headers_are_links_with_aria_sort_on_the_active_one(client: FlaskClient) -> None:
    page = _page(client, orden="applicant", q="a")
    assert _header(page, "Solicitante")[0] == "ascending"
    for label in ("Folio", "Estado", "Recibida", "Fecha límite"):
        assert _header(page, label)[0] == "none", label
    _aria, link = _header(page, "Solicitante")
    assert "orden=applicant_desc" in link  # a second click reverses it
    descending = client.get("/bandeja" + link).get_data(as_text=True)
    assert _header(descending, "Solicitante")[0] == "descending"
    _aria, link = _header(page, "Folio")
    assert "orden=folio" in link and "vista=unclaimed" in link and "q=a" in link
    by_folio = client.get("/bandeja" + link).get_data(as_text=True)
    assert _header(by_folio, "Folio")[0] == "ascending"
    # the filter form keeps the order when filters are applied again
    assert re.search(r'<option value="folio" selected>', by_folio)


def test_filters_still_apply_to_a_sorted_view(client: FlaskClient) -> None:
    # a search for names: «ana» finds Ana Gómez only (word prefixes)
    assert _folios(_page(client, orden="folio_desc", q="ana")) == ["CHO-2026-00005E"]


def test_an_unknown_order_or_another_orders_cursor_is_a_400(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    assert client.get("/bandeja?vista=unclaimed&orden=folio_up").status_code == 400
    page = _page(client, orden="folio")
    link = html_lib.unescape(re.search(r'<a [^>]*href="([^"]*)"[^>]*rel="next"', page).group(1))  # type: ignore[union-attr]
    other = link.replace("orden=folio", "orden=applicant")
    assert client.get("/bandeja" + other).status_code == 400


def test_the_orders_are_named_in_english_too(client: FlaskClient) -> None:
    page = _page(client, lang="en", orden="applicant_desc")
    assert re.search(r'<option value="applicant_desc" selected>Applicant, descending<', page)
    assert _header(page, "Applicant")[0] == "descending"
