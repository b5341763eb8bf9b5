"""Trying a draft before it is live (issue 16): the wizard drawn from the draft, clicked
through step by step, and the test run — sample answers, decisions and a payment outcome give
the path, fees, tasks, notices and a «VISTA PREVIA» PDF, and nothing is stored or sent."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.helpers.preview import assert_unsigned
from tests.helpers.web import login
from workflow_engine.persistence.models import Case, Notification, OutboxMessage

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
RUN = f"/configurador/{KEY}/prueba?correr=1"


def _liaison(app: Flask) -> FlaskClient:
    return login(app.test_client(), LIAISON)


def _stored(app: Flask) -> tuple[int, int, int]:
    with app.extensions["tramita"].engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Case.__table__, OutboxMessage.__table__, Notification.__table__)
        )


def test_the_wizard_is_clicked_through_from_the_draft(app: Flask) -> None:
    web = _liaison(app)
    index = web.get(f"/configurador/{KEY}/vista-previa").get_data(as_text=True)
    steps = re.findall(rf'href="/configurador/{KEY}/vista-previa/([a-z_]+)"', index)
    assert steps[:3] == ["solicitante", "negocio", "documentos"]
    page = web.get(f"/configurador/{KEY}/vista-previa/negocio")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Cocina La Esperanza" in html  # the template's example answers
    assert f'action="/configurador/{KEY}/vista-previa/negocio"' in html
    assert f'href="/configurador/{KEY}/vista-previa/solicitante"' in html  # «Regresar»
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None  # the visitor's own token: the form posts
    going = web.post(f"/configurador/{KEY}/vista-previa/negocio", data={"csrf_token": token[1]})
    assert going.status_code == 302
    assert going.headers["Location"].endswith(f"/configurador/{KEY}/vista-previa/documentos")
    end = web.post(f"/configurador/{KEY}/vista-previa/documentos", data={"csrf_token": token[1]})
    assert end.headers["Location"].endswith(f"/configurador/{KEY}/vista-previa")
    assert web.get(f"/configurador/{KEY}/vista-previa/revision_conjunta").status_code == 404


def test_a_test_run_shows_path_fees_tasks_notices_and_stores_nothing(app: Flask) -> None:
    web = _liaison(app)
    before = _stored(app)
    form = web.get(f"/configurador/{KEY}/prueba").get_data(as_text=True)
    assert 'value="Cocina La Esperanza"' in form  # prefilled, editable
    assert "Resultado de la prueba" not in form
    approved = web.get(RUN + "&decision=approve&decision=approve&pago=pagado")
    html = approved.get_data(as_text=True)
    assert approved.status_code == 200
    assert "Resultado de la prueba" in html
    assert "$6,425.00" in html  # the example's fees, as a real case would charge
    assert "Protección Civil" in html and "Desarrollo Económico" in html  # parallel review
    assert "case_approved" in html
    assert _stored(app) == before  # no case, no outbox row, no notification


def test_answers_decisions_and_payment_outcome_change_the_run(app: Flask) -> None:
    web = _liaison(app)
    small = web.get(RUN + "&d.negocio.superficie_m2=20&decision=approve&decision=approve")
    assert "$6,425.00" not in small.get_data(as_text=True)
    unpaid = web.get(RUN + "&decision=approve&decision=approve&pago=pendiente")
    assert "El pago queda pendiente" in unpaid.get_data(as_text=True)
    rejected = web.get(RUN + "&decision=reject").get_data(as_text=True)
    assert "case_rejected" in rejected and "case_approved" not in rejected
    stopped = web.get(RUN + "&d.negocio.superficie_m2=mucho&decision=approve")
    assert stopped.status_code == 200 and "usa-alert--warning" in stopped.get_data(as_text=True)
    assert web.get(RUN + "&decision=borrar").status_code == 400


def test_the_document_of_a_test_run_is_an_unsigned_preview_pdf(app: Flask) -> None:
    web = _liaison(app)
    html = web.get(RUN + "&decision=approve&decision=approve").get_data(as_text=True)
    link = re.search(rf'href="(/configurador/{KEY}/prueba/documento/0[^"]*)"', html)
    assert link is not None
    pdf = web.get(link[1].replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert_unsigned(pdf.data)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "VISTA PREVIA" in text.upper()
    assert web.get(f"/configurador/{KEY}/prueba/documento/7?correr=1").status_code == 404


def test_other_departments_cannot_try_a_procedure(app: Flask) -> None:
    web = _liaison(app)
    for path in ("vista-previa", "vista-previa/solicitante", "prueba", "prueba/documento/0"):
        assert web.get(f"/configurador/permiso-construccion/{path}").status_code == 404
