"""The procedure's sample answers («Respuestas de ejemplo») through HTTP as the licence's
liaison: the page saved as drawn gives back the same example_data (addresses, the partners'
rows and the files' refs included); a sample file uploaded is kept as the reference keeps
one (id from its sha256, name, size, type; not its bytes); a refused file says why, saves
nothing and keeps what was typed; the test run's «Guardar como respuestas de ejemplo» saves
the run's answers; undo brings the previous ones back; another department's gets 404."""

from __future__ import annotations

import hashlib
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.paths import EXAMPLES
from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
PAGE = f"/configurador/{KEY}/prueba/respuestas-de-ejemplo"
REFERENCE = json.loads((EXAMPLES / "licencia-funcionamiento.json").read_text(encoding="utf-8"))
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class _Form(HTMLParser):
    """The values a browser would post for the page's form (no file chosen)."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") != "file" and "name" in a:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _as_drawn(web: FlaskClient, path: str = PAGE) -> list[tuple[str, str]]:
    html = web.get(path).get_data(as_text=True)
    form = html[html.index('enctype="multipart/form-data"') :]
    parser = _Form()
    parser.feed(form[: form.index("</form>")])
    return [(k, v) for k, v in parser.pairs if k not in ("csrf_token",)] + [
        ("csrf_token", csrf_from(html))
    ]


def _example(app: Flask) -> Any:
    return app.extensions["tramita"].catalog.draft(KEY).get("example_data")


def _with(pairs: list[tuple[str, str]], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for k, v in pairs:
        data.setdefault(k, []).append(v)
    data.update(changes)
    return data


def test_the_page_saved_as_drawn_keeps_every_answer(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE).get_data(as_text=True)
    assert "Respuestas de ejemplo" in page
    assert 'name="domicilio_negocio.street" value="Calle 5 de Mayo"' in page
    assert 'name="socios[1].socio_nombre" value="Juan Carlos Ramírez Torres"' in page
    assert "Conservar «acta-constitutiva.pdf»" in page
    saved = web.post(PAGE, data=_with(_as_drawn(web)), content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:4000]
    assert _example(app) == REFERENCE["example_data"]


def test_a_partner_row_is_added_and_an_address_changed(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    data = _with(
        _as_drawn(web),
        **{
            "socios[2].socio_nombre": "Ana Pérez",
            "socios[2].socio_curp": "HELG850312MPLRPD05",
            "socios[2].socio_porcentaje": "5",
            "domicilio_negocio.number": "216",
        },
    )
    saved = web.post(PAGE, data=data, content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:4000]
    negocio = _example(app)["negocio"]
    assert negocio["socios"][2] == {
        "socio_nombre": "Ana Pérez",
        "socio_curp": "HELG850312MPLRPD05",
        "socio_porcentaje": 5,
    }
    assert negocio["domicilio_negocio"]["number"] == "216"


def test_a_sample_file_is_kept_by_its_hash_not_its_bytes(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    pairs = [(k, v) for k, v in _as_drawn(web) if k != "doc_uso_suelo.keep"]
    data = _with(pairs, doc_uso_suelo=(io.BytesIO(PDF), "constancia.pdf", "application/pdf"))
    saved = web.post(PAGE, data=data, content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:4000]
    digest = hashlib.sha256(PDF).hexdigest()
    assert _example(app)["documentos"]["doc_uso_suelo"] == [
        {
            "id": f"f-{digest[:12]}",
            "name": "constancia.pdf",
            "sha256": digest,
            "size": len(PDF),
            "content_type": "application/pdf",
        }
    ]


def test_a_refused_file_says_why_and_nothing_is_lost(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    before = _example(app)
    data = _with(
        _as_drawn(web),
        nombre_comercial="Cocina Nueva",
        doc_uso_suelo=(io.BytesIO(b"just text"), "constancia.pdf", "application/pdf"),
    )
    refused = web.post(PAGE, data=data, content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "No se guardaron las respuestas de ejemplo" in page
    assert "El archivo no es" in page or "su contenido es" in page, page[:4000]
    assert 'value="Cocina Nueva"' in page
    assert _example(app) == before


def test_the_test_run_saves_its_answers_and_undo_brings_them_back(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    run = f"/configurador/{KEY}/prueba?correr=1&d.negocio.nombre_comercial=Cocina+Nueva"
    html = web.get(run).get_data(as_text=True)
    assert "Guardar como respuestas de ejemplo" in html
    assert '<input type="hidden" name="nombre_comercial" value="Cocina Nueva">' in html
    section = html[html.index('id="respuestas-de-ejemplo"') :]
    parser = _Form()
    parser.feed(section[: section.index("</form>")])
    saved = web.post(PAGE, data=_with(parser.pairs), content_type="multipart/form-data")
    assert saved.headers["Location"].endswith(f"/configurador/{KEY}/prueba")
    example = _example(app)
    assert example["negocio"]["nombre_comercial"] == "Cocina Nueva"
    assert example["negocio"]["superficie_m2"] == 180
    assert example["negocio"]["socios"] == REFERENCE["example_data"]["negocio"]["socios"]
    assert example["documentos"] == REFERENCE["example_data"]["documentos"]
    html = web.get(PAGE).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision
    web.post(
        f"/configurador/{KEY}/deshacer",
        data={"csrf_token": csrf_from(html), "revision": revision.group(1), "next": PAGE},
    )
    assert _example(app) == REFERENCE["example_data"]


def test_another_department_gets_not_found(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    other = "/configurador/permiso-construccion/prueba/respuestas-de-ejemplo"
    assert web.get(other).status_code == 404
    token = csrf_from(web.get(PAGE).get_data(as_text=True))
    assert web.post(other, data={"csrf_token": token, "revision": "1"}).status_code == 404


def test_every_installed_procedure_round_trips_through_the_page(app: Flask) -> None:
    """Saved as drawn, each installed procedure keeps its example_data (its later forms and
    a review's sample decision fields included)."""
    catalog = app.extensions["tramita"].catalog
    web = login(app.test_client(), "admin@demo.gob.mx")
    for info in catalog.all():
        page = f"/configurador/{info.key}/prueba/respuestas-de-ejemplo"
        before = catalog.draft(info.key).get("example_data")
        saved = web.post(page, data=_with(_as_drawn(web, page)), content_type="multipart/form-data")
        assert saved.status_code == 302, (info.key, saved.get_data(as_text=True)[:3000])
        assert catalog.draft(info.key).get("example_data") == before, info.key
