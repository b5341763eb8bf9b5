"""Chinese, Japanese, Korean and emoji in a document print as themselves, not as boxes: the
text DejaVu Sans lacks is set in the vendored fallbacks (WenQuanYi Micro Hei, Noto Emoji),
embedded, read back with pdftotext, on a document that still verifies with pdfsig; the
visible stamp names a CJK signer; a template preview prints the same way."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from connectors.common import CaseRecord
from connectors.documents.demo_ca import ensure_demo_credentials
from connectors.documents.issue import document_content
from connectors.documents.pdf import render_document
from connectors.documents.preview import render_preview
from connectors.documents.signing import Credentials, PadesSigner
from connectors.settings import ConnectorSettings
from tests.conftest import service_missing
from tests.helpers.pdf import pdf_fonts, pdf_text
from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.templates.preview import simulate

WORLD = "北京市 東京都 서울 😀✅"
NAME = f"Zoë Ñúñez Ǆurić {WORLD}"
FALLBACKS = {"WenQuanYiMicroHei", "NotoEmoji-Regular"}


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdfsig")
    if tool is None:
        service_missing("`pdfsig` is not installed (apt-get install poppler-utils)")
    target = tmp_path / "signed.pdf"
    target.write_bytes(pdf)
    run = subprocess.run([tool, str(target)], capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


def _case() -> tuple[CaseRecord, dict[str, Any]]:
    step: dict[str, Any] = {
        "id": "emision",
        "type": "document",
        "title": {"es": "Constancia"},
        "document": {
            "kind": "constancia",
            "title": {"es": "Constancia de residencia"},
            "body": {"es": "Hace constar que <b>{{ data.nombre }}</b> vive en {{ data.calle }}."},
            "holder": "{{ data.nombre }}",
            "tables": [
                {
                    "title": {"es": "Acompañantes"},
                    "rows": "data.acompanantes",
                    "columns": [{"label": {"es": "Nombre"}, "value": "{{ row.nombre }}"}],
                }
            ],
            "signers": [
                {"role": "director", "name": "李雷 Pérez", "position": {"es": "Director 市长"}}
            ],
        },
    }
    case = CaseRecord(
        id=1,
        folio="CHO-2026-000777",
        procedure_key="constancia",
        applicant_id="1",
        state={
            "data": {
                "nombre": NAME,
                "calle": "Calle 5 de Mayo & 東京 🏠",
                "acompanantes": [{"nombre": "김민준 😀"}, {"nombre": "山田 花子"}],
            }
        },
        definition={
            "key": "constancia",
            "title": {"es": "Constancia"},
            "fields": [],
            "steps": [step],
        },
        submitted_at=None,
    )
    return case, step


def test_cjk_and_emoji_print_in_the_fallback_fonts_and_the_document_verifies(
    tmp_path: Path,
) -> None:
    case, step = _case()
    settings = ConnectorSettings(documents_dir=str(tmp_path), municipality_name="Chocotlán")
    content = document_content(
        settings,
        case,
        step,
        step["document"],
        code="ABCDE23456",
        issued_on=date(2026, 3, 5),
        expires_on=None,
        department="Secretaría del Ayuntamiento 秘书处",
    )
    rendered = render_document(content)
    credentials = Credentials.from_pkcs12(*ensure_demo_credentials(tmp_path, "Chocotlán"))
    signed = PadesSigner(credentials)(rendered.pdf, rendered.stamps)

    assert "Signature is Valid" in _pdfsig(signed, tmp_path)
    fonts = pdf_fonts(signed, tmp_path)
    assert all(fonts.get(name) for name in FALLBACKS), fonts  # embedded, not referenced
    text = pdf_text(signed, tmp_path)
    assert f"Hace constar que {NAME} vive en Calle 5 de Mayo & 東京 🏠." in text, text
    assert "김민준 😀" in text and "山田 花子" in text  # the table's cells
    assert "Titular " + NAME in text and "Secretaría del Ayuntamiento 秘书处" in text
    # Under the signature line and in the visible stamp (set in the CJK font, Latin and all).
    assert text.count("李雷 Pérez") >= 2 and "Director 市长" in text
    assert "firmado en su nombre por 李雷 Pérez Director 市长" in text, text
    assert "■" not in text and "\ufffd" not in text


def test_the_template_preview_prints_cjk_and_emoji_the_same_way(tmp_path: Path) -> None:
    doc = copy.deepcopy(json.loads((examples_dir() / "constancia-residencia.json").read_text()))
    doc["example_data"]["datos"]["nombre"] = NAME
    at = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    sim = simulate(doc, None, ["approve"] * 10, at=at)
    settings = ConnectorSettings(documents_dir=str(tmp_path))
    pdf = render_preview(settings, doc, sim.documents[0], at=at)
    assert all(pdf_fonts(pdf, tmp_path).get(name) for name in FALLBACKS)
    text = pdf_text(pdf, tmp_path)
    assert f"hace constar que {NAME}, con CURP" in text, text
    assert "VISTA PREVIA" in text
