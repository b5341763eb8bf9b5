"""Case exports through HTTP, the build task run eagerly (no broker): the columns are the
version's fields after the case's own; the CSV and the XLSX hold the same rows; only the
requester downloads; another department's director gets a 404; requests and downloads are
in the access and audit logs; bad input is answered with a message."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select

from tests.helpers.api import PDF
from tests.helpers.cases import CITIZEN, FILLING_IN, file_with_examples, walk_with_examples
from tests.helpers.web import account, csrf_token, login
from workflow_engine.engine import StartCase
from workflow_engine.persistence.cases.exports import CASE_COLUMNS
from workflow_engine.persistence.models import AuditLog, CaseAccess, table
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates import model as template_model

KEY = "licencia-funcionamiento"  # desarrollo-economico's
DIRECTOR = "funcionario@demo.gob.mx"  # desarrollo-economico, director
COLLEAGUE = "revisora@demo.gob.mx"  # desarrollo-economico, reviewer
OTHER_DIRECTOR = "mercados@demo.gob.mx"  # mercados, director
ADMIN = "admin@demo.gob.mx"


@pytest.fixture
def app(demo_cases_url: str, app_factory: Any) -> Flask:
    """The demo municipality as `flask demo seed` leaves it (seeded once per session, copied
    for each test), with three more licence cases filed by the citizen."""
    app: Flask = app_factory(demo_cases_url)
    services = app.extensions["tramita"]
    app.config["FILED"] = {
        file_with_examples(services, KEY, account(app, CITIZEN).actor()).folio for _ in range(3)
    }
    return app


def _client(app: Flask, email: str) -> Any:
    return login(app.test_client(), email)


def _ask(client: Any, version: int | str, fmt: str) -> Any:
    page = f"/exportaciones/{KEY}"
    token = csrf_token(client, page)
    return client.post(page, data={"csrf_token": token, "version": version, "formato": fmt})


def _fetch(client: Any, url: str) -> Any:
    """GET, the body read and the file closed (send_file responses stream)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _version(app: Flask) -> int:
    info = app.extensions["tramita"].catalog.info(KEY)
    assert info.latest_version is not None
    return int(info.latest_version)


def _export_id(response: Any) -> int:
    assert response.status_code == 303, response.get_data(True)
    found = re.search(rf"/exportaciones/{KEY}/(\d+)$", response.headers["Location"])
    assert found
    return int(found.group(1))


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_cells(data: bytes) -> list[list[Any]]:
    """The first sheet's cells as openpyxl reads them (values typed, number formats)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def same_as_csv(cell: Any, text: str) -> bool:
    """A typed spreadsheet cell holds what the CSV's text says: a moment written the same
    way, a number equal to the text's (amounts without the currency sign and separators)."""
    value = cell.value
    if value is None:
        return text == ""
    if isinstance(value, datetime):
        shown = "%Y-%m-%d %H:%M" if cell.number_format.startswith("yyyy") else "%d/%m/%Y %H:%M"
        return value.strftime(shown) == text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value)) == Decimal(re.sub(r"[^0-9.\-]", "", text))
    return bool(value == text)


def test_csv_and_xlsx_have_the_versions_fields_and_the_same_rows(app: Flask) -> None:
    client = _client(app, DIRECTOR)
    version = _version(app)
    assert "Exportar expedientes" in client.get("/bandeja").get_data(True)
    listing = client.get("/exportaciones").get_data(True)
    assert f"/exportaciones/{KEY}" in listing and "/exportaciones/permiso-mercado" not in listing
    form = client.get(f"/exportaciones/{KEY}")
    assert form.status_code == 200 and "Versión" in form.get_data(True)

    downloads = {}
    for fmt in ("csv", "xlsx"):
        export_id = _export_id(_ask(client, version, fmt))
        page = client.get(f"/exportaciones/{KEY}/{export_id}").get_data(True)
        assert "Listo para descargar" in page and "Descargar el archivo" in page
        progress = client.get(f"/exportaciones/{KEY}/{export_id}/progreso.json").get_json()
        assert progress["status"] == "ready"
        assert progress["done"] == progress["total"] >= 3
        assert progress["download"].endswith(f"/{export_id}/archivo")
        response = _fetch(client, progress["download"])
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        downloads[fmt] = response.data

    from_csv = csv_rows(downloads["csv"])
    from_xlsx = xlsx_cells(downloads["xlsx"])
    assert [[c.value for c in r] for r in from_xlsx[:1]] == from_csv[:1]
    assert len(from_xlsx) == len(from_csv)
    for typed, text in zip(from_xlsx[1:], from_csv[1:], strict=True):
        cells = typed + [None] * (len(text) - len(typed))  # trailing empty cells are not kept
        assert all(
            same_as_csv(c, t) if c is not None else t == ""
            for c, t in zip(cells, text, strict=True)
        ), (text, [c.value if c else None for c in cells])
    definition = app.extensions["tramita"].catalog.version(KEY, version).definition
    procedure = template_model.of(definition)
    fields = [f.title("es") for f in procedure.fields()]
    assert from_csv[0][len(CASE_COLUMNS) :] == fields
    assert from_csv[0][:2] == ["Folio", "Estado"]
    assert len(from_csv) == progress["total"] + 1
    assert all(len(r) == len(from_csv[0]) for r in from_csv)
    assert app.config["FILED"] <= {r[0] for r in from_csv[1:]}
    # files are links to the download route, absolute
    file_columns = [
        len(CASE_COLUMNS) + n for n, f in enumerate(procedure.fields()) if f.takes_files
    ]
    links = [r[c] for r in from_csv[1:] for c in file_columns if r[c]]
    assert links and all(link.startswith("http") and "/archivos/" in link for link in links)


def test_xlsx_cells_are_numbers_dates_and_words_a_spreadsheet_can_use(app: Flask) -> None:
    """A treasurer sums a column: numbers are numbers, moments real dates with a date
    format, yes/no answers words in the reader's language; never a number kept as text."""
    client = _client(app, DIRECTOR)
    version = _version(app)
    export_id = _export_id(_ask(client, version, "xlsx"))
    rows = xlsx_cells(_fetch(client, f"/exportaciones/{KEY}/{export_id}/archivo").data)
    header = [c.value for c in rows[0]]
    procedure = template_model.of(
        app.extensions["tramita"].catalog.version(KEY, version).definition
    )
    kinds = {len(CASE_COLUMNS) + n: f.kind.name for n, f in enumerate(procedure.fields())}
    numbers = [i for i, kind in kinds.items() if kind == "number"]
    yesno = [i for i, kind in kinds.items() if kind == "yesno"]
    assert numbers and yesno
    body = rows[1:]
    assert len(body) >= 3
    for row in body:
        filed = row[header.index("Enviado")]
        assert isinstance(filed.value, datetime) and filed.number_format == "yyyy-mm-dd hh:mm"
        assert isinstance(row[header.index("Iniciado")].value, datetime)
        for i in numbers:
            if i < len(row) and row[i].value is not None:
                assert isinstance(row[i].value, int | float), (header[i], row[i].value)
                assert row[i].data_type == "n"
        for i in yesno:
            if i < len(row) and row[i].value is not None:
                assert row[i].value in ("Sí", "No")
    summed = [row[i].value for row in body for i in numbers if i < len(row) and row[i].value]
    assert summed and sum(summed) > 0  # what a SUM() over the column adds up


def test_english_headers_follow_the_readers_language(app: Flask) -> None:
    client = _client(app, ADMIN)  # an administrator exports every filed case
    client.set_cookie("lang", "en")
    version = _version(app)
    export_id = _export_id(_ask(client, version, "csv"))
    rows = csv_rows(_fetch(client, f"/exportaciones/{KEY}/{export_id}/archivo").data)
    definition = app.extensions["tramita"].catalog.version(KEY, version).definition
    fields = [f.title("en") for f in template_model.of(definition).fields()]
    assert rows[0][1:3] == ["Status", "Outcome"]
    assert rows[0][len(CASE_COLUMNS) :] == fields
    assert app.config["FILED"] <= {r[0] for r in rows[1:]}


def test_only_the_department_and_only_the_requester(app: Flask) -> None:
    other = _client(app, OTHER_DIRECTOR)
    assert other.get(f"/exportaciones/{KEY}").status_code == 404
    token = csrf_token(other, "/bandeja")
    posted = other.post(
        f"/exportaciones/{KEY}", data={"csrf_token": token, "version": 1, "formato": "csv"}
    )
    assert posted.status_code == 404
    assert f"/exportaciones/{KEY}" not in other.get("/exportaciones").get_data(True)
    assert _client(app, CITIZEN).get("/exportaciones").status_code == 404

    director = _client(app, DIRECTOR)
    export_id = _export_id(_ask(director, _version(app), "csv"))
    colleague = _client(app, COLLEAGUE)
    for tail in ("", "/progreso.json", "/archivo"):
        assert colleague.get(f"/exportaciones/{KEY}/{export_id}{tail}").status_code == 404
        assert other.get(f"/exportaciones/{KEY}/{export_id}{tail}").status_code == 404
    assert _fetch(director, f"/exportaciones/{KEY}/{export_id}/archivo").status_code == 200


def test_requests_and_downloads_are_logged(app: Flask) -> None:
    director = _client(app, DIRECTOR)
    export_id = _export_id(_ask(director, _version(app), "xlsx"))
    assert _fetch(director, f"/exportaciones/{KEY}/{export_id}/archivo").status_code == 200
    engine = app.extensions["tramita"].engine
    access = table(CaseAccess)
    audit = table(AuditLog)
    with engine.connect() as conn:
        looks = conn.execute(select(access.c.what, access.c.user_name)).all()
        actions = conn.execute(
            select(audit.c.action)
            .where(audit.c.target_type == "case_export", audit.c.target_id == str(export_id))
            .order_by(audit.c.id)
        ).scalars()
        assert list(actions) == ["export.requested", "export.ready", "export.downloaded"]
    read = [w for w, _name in looks if w == f"export:{export_id}"]
    downloaded = [w for w, _name in looks if w == f"export-download:{export_id}"]
    total = app.extensions["tramita"].exports.info(export_id).rows_total
    assert len(read) == len(downloaded) == total >= 3


def test_bad_input_gets_a_clear_message(app: Flask) -> None:
    director = _client(app, DIRECTOR)
    bad_format = _ask(director, _version(app), "pdf")
    assert bad_format.status_code == 400 and "Elija el formato" in bad_format.get_data(True)
    bad_version = _ask(director, 99, "csv")
    assert bad_version.status_code == 400
    assert "Elija una de las versiones" in bad_version.get_data(True)
    assert director.get(f"/exportaciones/{KEY}/999999").status_code == 404
    assert director.get("/exportaciones/no-existe").status_code == 404


def test_expired_exports_are_purged(app: Flask) -> None:
    director = _client(app, DIRECTOR)
    export_id = _export_id(_ask(director, _version(app), "csv"))
    exports = app.extensions["tramita"].exports
    later = exports.info(export_id).expires_at
    exports.clock = lambda: later
    assert exports.purge() == 1
    assert director.get(f"/exportaciones/{KEY}/{export_id}/archivo").status_code == 404
    assert "Ya no está disponible" in director.get(f"/exportaciones/{KEY}/{export_id}").get_data(
        True
    )


def _filed_with_uploads(app: Flask) -> str:
    """A licence filed by the citizen with real uploaded files (the example data's file
    references name no stored file); its folio."""
    services = app.extensions["tramita"]
    actor = account(app, CITIZEN).actor()
    started = services.cases.start(KEY, StartCase(at=utcnow(), actor=actor))
    definition = services.cases.load(started.case_id)[1]
    answers: dict[str, dict[str, Any]] = {}
    for step_id, values in definition.example_data().items():
        for fld in definition.step(step_id).get("fields") or ():
            if fld["type"] == "file" and fld["id"] in values:
                answers.setdefault(step_id, {})[fld["id"]] = [
                    services.uploads.save(
                        owner_id=actor.id,
                        case_id=started.case_id,
                        step_id=step_id,
                        field_id=fld["id"],
                        filename=f"{fld['id']}.pdf",
                        data=PDF + fld["id"].encode(),
                        field=fld,
                    )
                ]
    assert answers
    walk_with_examples(
        services,
        started.case_id,
        actor,
        lambda s: s.status not in FILLING_IN,
        answers=answers,
        run_outbox=False,
    )
    return str(started.folio)


def test_the_files_linked_in_an_export_open_for_whoever_may_see_the_case(app: Flask) -> None:
    """An administrator (who reads every case) and the handling department follow the
    export's file links; another department's director and anonymous visitors do not."""
    folio = _filed_with_uploads(app)
    admin = _client(app, ADMIN)
    version = _version(app)
    export_id = _export_id(_ask(admin, version, "csv"))
    rows = csv_rows(_fetch(admin, f"/exportaciones/{KEY}/{export_id}/archivo").data)
    procedure = template_model.of(
        app.extensions["tramita"].catalog.version(KEY, version).definition
    )
    columns = [len(CASE_COLUMNS) + n for n, f in enumerate(procedure.fields()) if f.takes_files]
    links = [line for r in rows[1:] if r[0] == folio for c in columns for line in r[c].splitlines()]
    assert len(links) >= 3
    paths = [re.sub(r"^https?://[^/]+", "", link) for link in links]
    director = _client(app, DIRECTOR)
    other = _client(app, OTHER_DIRECTOR)
    anonymous = app.test_client()
    engine = app.extensions["tramita"].engine
    access = table(CaseAccess)
    for path in paths:
        assert path.startswith("/archivos/")
        assert _fetch(director, path).status_code == 200
        assert _fetch(admin, path).status_code == 200
        assert _fetch(other, path).status_code == 404
        assert _fetch(anonymous, path).status_code in (302, 401, 404)
    with engine.connect() as conn:
        looked = conn.execute(
            select(access.c.what).where(access.c.user_name == account(app, ADMIN).name)
        ).scalars()
        assert {w for w in looked if w.startswith("file:")} == {
            "file:" + p.removeprefix("/archivos/") for p in paths
        }
