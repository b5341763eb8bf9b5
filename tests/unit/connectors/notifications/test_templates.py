"""Every notification kind is worded in Spanish and English, and the HTML e-mail escapes what
people wrote (a liaison's notice, an official's observations)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors import ConnectorSettings
from connectors.common import CaseRecord
from connectors.notifications import build_email, compose
from workflow_engine.mail.rendering import ACCOUNT_KINDS, TEMPLATES, render_account_mail

ALL_KINDS = sorted(p.stem for p in (TEMPLATES / "es").glob("*.txt") if not p.stem.startswith("_"))
KINDS = [k for k in ALL_KINDS if k not in ACCOUNT_KINDS]  # the case notifications
CASE = CaseRecord(
    id=4,
    folio="CHO-2026-ABCDE0",
    procedure_key="permiso-mercado",
    applicant_id="12",
    state={},
    definition={"title": {"es": "Permiso de puesto", "en": "Stall permit"}},
    submitted_at=None,
)
PAYLOAD = {
    "folio": CASE.folio,
    "reference": "CHO11",
    "total_cents": 5000,
    "due_on": "2026-03-09",
    "expires_on": "2026-03-10",
    "respond_by": "2026-03-20",
    "reason": "incomplete",
    "kind": "permiso",
}


def test_every_spanish_template_has_an_english_one() -> None:
    assert len(KINDS) >= 18
    assert (
        sorted(p.stem for p in (TEMPLATES / "en").glob("*.txt") if not p.stem.startswith("_"))
        == ALL_KINDS
    )
    assert set(ALL_KINDS) >= ACCOUNT_KINDS


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind: str, lang: str) -> None:
    message = compose(kind, PAYLOAD, CASE, "applicant", lang)
    assert message.subject and message.body and message.action
    assert CASE.folio in message.subject + message.body
    assert "{" not in message.subject + message.body and "  " not in message.body
    title = "Permiso de puesto" if lang == "es" else "Stall permit"
    if kind not in ("payment_failed", "payment_expired"):
        assert title in message.body


def test_english_dates_and_spanish_dates() -> None:
    assert "20 de marzo de 2026" in compose("case_returned", PAYLOAD, CASE, "applicant").body
    assert "20 March 2026" in compose("case_returned", PAYLOAD, CASE, "applicant", "en").body


def test_html_escapes_what_people_wrote() -> None:
    payload = {
        "folio": CASE.folio,
        "subject": {"es": "Aviso <b>importante</b>"},
        "message": {"es": "Traiga <script>alert(1)</script> el original."},
    }
    message = compose("step_notice", payload, CASE, "applicant")
    email = build_email(
        ConnectorSettings(documents_dir="/nonexistent"),
        to="ana@example.mx",
        subject=message.subject,
        text=message.body,
        link='https://t.mx/expedientes/X"><script>',
        idempotency_key="k",
        at=datetime(2026, 3, 5, tzinfo=UTC),
        action=message.action,
    )
    html = email.get_body(("html",))
    plain = email.get_body(("plain",))
    assert html is not None and plain is not None
    content = html.get_content()
    assert "<script>" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "Aviso &lt;b&gt;importante&lt;/b&gt;" in content
    assert "Traiga <script>alert(1)</script> el original." in plain.get_content()


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("kind", sorted(ACCOUNT_KINDS))
def test_every_account_email_renders_in_both_languages(kind: str, lang: str) -> None:
    context = {
        "link": "https://t.mx/enlace/abc",
        "name": "Ana",
        "role": "liaison",
        "department": "Tesorería",
        "municipality": "Chocotlán",
    }
    message = render_account_mail(kind, context, lang)
    assert message.subject and "https://t.mx/enlace/abc" in message.body.split("\n\n")
    assert "{" not in message.subject + message.body and "  " not in message.body
    # An account e-mail is never a case notification's fallback, nor the other way round.
    assert compose(kind, PAYLOAD, CASE, "applicant", lang).subject != message.subject
    with pytest.raises(ValueError):
        render_account_mail("case_approved", context, lang)
