"""Notification texts and e-mail building (no database, no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors import ConnectorSettings
from connectors.common import CaseRecord
from connectors.notifications import build_email, compose, message_id

CASE = CaseRecord(
    id=4,
    folio="CHO-2026-ABCDE0",
    procedure_key="permiso-mercado",
    applicant_id="12",
    state={"payments": [{"reference": "CHO11", "currency": "USD"}]},
    definition={"title": {"es": "Permiso de puesto en mercado"}},
    submitted_at=None,
)
TEMPLATES = [
    "case_submitted",
    "case_returned",
    "case_resubmitted",
    "case_approved",
    "case_rejected",
    "case_cancelled",
    "payment_due",
    "payment_received",
    "payment_failed",
    "payment_expired",
    "document_issued",
    "task_assigned",
    "deadline_reminder",
    "task_escalated",
    "action_required",
    "step_notice",
    "something_new",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_names_the_folio(template: str) -> None:
    payload = {
        "folio": CASE.folio,
        "template": template,
        "reference": "CHO11",
        "total_cents": 5000,
        "due_on": "2026-03-09",
    }
    message = compose(template, payload, CASE, "applicant")
    assert message.subject
    assert CASE.folio in message.subject + message.body
    assert "{" not in message.subject + message.body


def test_returned_keeps_observations_private() -> None:
    payload = {
        "folio": CASE.folio,
        "message": "Falta la credencial de elector por ambos lados.",
        "reason": "incomplete",
        "respond_by": "2026-03-20",
    }
    message = compose("case_returned", payload, CASE, "applicant")
    assert "20 de marzo de 2026" in message.body
    assert "falta información" in message.body
    assert "credencial" not in message.body
    assert message.private is not None and "credencial" in message.private


def test_payment_due_shows_amount_reference_and_deadline() -> None:
    payload = {
        "folio": CASE.folio,
        "reference": "CHO4321",
        "total_cents": 123456,
        "currency": "MXN",
        "expires_on": "2026-03-10",
    }
    body = compose("payment_due", payload, CASE, "applicant").body
    assert "$1,234.56" in body and "CHO4321" in body and "10 de marzo de 2026" in body


def test_payment_received_finds_the_currency_in_the_case() -> None:
    payload = {"folio": CASE.folio, "reference": "CHO11", "total_cents": 7250}
    assert "US$72.50" in compose("payment_received", payload, CASE, "applicant").body


def test_step_notice_uses_the_liaisons_text() -> None:
    payload = {
        "folio": CASE.folio,
        "subject": {"es": "Su permiso está listo"},
        "message": {"es": "Descárguelo."},
    }
    message = compose("step_notice", payload, CASE, "applicant")
    assert message.subject == "Su permiso está listo"
    assert message.body.startswith("Descárguelo.")


def test_email_has_both_parts_and_a_stable_message_id() -> None:
    settings = ConnectorSettings(documents_dir="/nonexistent", mail_from="avisos@chocotlan.gob.mx")
    email = build_email(
        settings,
        to="ana@example.mx",
        subject="Recibimos su solicitud",
        text="Hola <mundo>\n\nSegundo",
        link="http://x/expedientes/CHO",
        idempotency_key="4:notify:1:case_submitted>user:12",
        at=datetime(2026, 3, 5, 12, tzinfo=UTC),
    )
    assert email["Message-ID"] == message_id(
        "4:notify:1:case_submitted>user:12", "avisos@chocotlan.gob.mx"
    )
    assert email["Message-ID"].endswith("@chocotlan.gob.mx>")
    assert "Municipio de Chocotl" in email["From"]
    assert email.is_multipart()
    plain = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert plain is not None and html is not None
    assert "Hola <mundo>" in plain.get_content()
    assert "Hola &lt;mundo&gt;" in html.get_content()
    assert 'href="http://x/expedientes/CHO"' in html.get_content()
