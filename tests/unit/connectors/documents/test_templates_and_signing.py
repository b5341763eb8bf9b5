"""Document templates (tables, conditionals, holder), their validation, the DEMO certificate
and signing without a database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.documents.body import BodyError, document_data, render_table, render_text
from connectors.documents.demo_ca import ensure_demo_credentials
from connectors.documents.pdf import DocumentContent, SignerInfo, render_document
from connectors.documents.signing import Credentials, PadesSigner
from connectors.documents.verification import mask_holder, normalize_code, validate_signatures
from tests.helpers.paths import EXAMPLES
from workflow_engine.templates.validation import validate_template


def _licence() -> dict[str, Any]:
    return json.loads((EXAMPLES / "licencia-funcionamiento.json").read_text())


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in doc["steps"] if s["type"] == "document")["document"]


def _problems(doc: dict[str, Any]) -> list[str]:
    return [f"{p.path}: {p.message_en}" for p in validate_template(doc)]


def test_examples_use_tables_conditionals_and_sequential_signers_and_stay_valid() -> None:
    for path in EXAMPLES.glob("*.json"):
        assert _problems(json.loads(path.read_text())) == [], path.name
    licence = _document(_licence())
    assert "{% if data.vende_alcohol %}" in licence["body"]["es"]
    assert licence["tables"][0]["rows"] == "data.socios"
    building = _document(json.loads((EXAMPLES / "permiso-construccion.json").read_text()))
    assert len(building["signers"]) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(holder="{{ data.nombre_que_no_existe }}"), "nombre_que_no_existe"),
        (lambda d: d["tables"][0].update(rows="data.giro"), "not a repeating group"),
        (lambda d: d["tables"][0].update(rows="data.socis"), "not a repeating group"),
        (
            lambda d: d["tables"][0]["columns"][0].update(value="{{ fila.nombre }}"),
            "fila.nombre",
        ),
        (
            lambda d: d["body"].update(es="{% if data.vende_alcool %}x{% endif %}"),
            "vende_alcool",
        ),
        (lambda d: d["tables"][0].update(rows="case.folio"), "rows"),
    ],
)
def test_validation_names_what_is_wrong_in_a_document(change: Any, expected: str) -> None:
    doc = _licence()
    change(_document(doc))
    problems = _problems(doc)
    assert any(expected in p for p in problems), problems


def test_loop_variables_are_not_mistaken_for_fields() -> None:
    doc = _licence()
    _document(doc)["body"]["es"] = (
        "{% for s in data.socios %}{{ s.socio_nombre }} {% endfor %}{% set n = 2 %}{{ n }}"
    )
    assert _problems(doc) == []


CONTEXT = {
    "data": document_data(
        {
            "socios": [
                {"socio_nombre": "Ana <b>", "socio_porcentaje": 60},
                {"socio_nombre": "Luis", "socio_porcentaje": 40},
            ],
            "nombre": "  Ana   Pérez ",
        },
        {"steps": []},
    ),
    "fees": {"lines": [{"label": "Derecho", "amount": "$10.00 MXN"}]},
}


def test_tables_render_one_row_per_item_as_plain_text() -> None:
    spec = _document(_licence())["tables"][0]
    title, header, rows, align = render_table(spec, CONTEXT)
    assert (title, header) == ("Socios", ["Nombre", "CURP", "Participación"])
    assert rows == [["Ana <b>", "", "60 %"], ["Luis", "", "40 %"]]  # escaped by the layout
    assert align == ["left", "left", "right"]
    fees = {"rows": "fees.lines", "columns": [{"label": {"es": "C"}, "value": "{{ row.amount }}"}]}
    assert render_table(fees, CONTEXT)[2] == [["$10.00 MXN"]]
    assert render_table({**fees, "rows": "data.nada"}, CONTEXT)[2] == []
    assert render_text("{{ data.nombre }}", CONTEXT) == "Ana Pérez"
    with pytest.raises(BodyError):
        render_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", CONTEXT)


def test_holder_is_abbreviated_for_the_public_page() -> None:
    assert mask_holder("María Guadalupe Hernández López") == "María G. H. L."
    assert mask_holder("Cocina La Esperanza, S.A. de C.V.") == "Cocina La Esperanza, S.A. de C.V."
    assert mask_holder("Ana") == "Ana"
    assert normalize_code(" zph-pqb hz7m ") == "ZPHPQBHZ7M"


def test_demo_certificate_is_marked_and_made_once(tmp_path: Path) -> None:
    first = ensure_demo_credentials(tmp_path, "Municipio de Chocotlán")
    second = ensure_demo_credentials(tmp_path, "Municipio de Chocotlán")
    assert first == second
    credentials = Credentials.from_pkcs12(*first)
    subject = credentials.certificate.subject.human_friendly
    assert "DEMO" in subject and "DEMO" in credentials.trust_roots[0].subject.human_friendly
    assert (first[0].stat().st_mode & 0o077) == 0  # the key file is private


def test_every_signer_gets_a_stamp_on_its_signature_line(tmp_path: Path) -> None:
    content = DocumentContent(
        municipality="Municipio de Chocotlán",
        title="Licencia",
        procedure_title="Licencia",
        folio="CHO-2026-ABCDE0",
        issued_on=date(2026, 3, 5),
        verification_code="ABCDE23456",
        verification_url="https://x.example/verificar/ABCDE23456",
        body=["Texto. " * 300],
        holder="Ana Pérez",
        signers=[SignerInfo("Director", "Dirección"), SignerInfo("Alcaldesa", "Presidencia")],
    )
    rendered = render_document(content)
    assert [s.field_name for s in rendered.stamps] == ["Firma1", "Firma2"]
    first, second = rendered.stamps
    assert first.page == second.page and first.box[1] == second.box[1]  # side by side
    assert first.box[2] <= second.box[0]
    credentials = Credentials.from_pkcs12(*ensure_demo_credentials(tmp_path, "M"))
    signed = PadesSigner(credentials)(rendered.pdf, rendered.stamps)
    checks = validate_signatures(signed, credentials.trust_roots)
    assert [c.field for c in checks] == ["Firma1", "Firma2"]
    assert all(c.ok for c in checks) and checks[-1].whole_file and not checks[0].whole_file
    assert signed.startswith(b"%PDF-")


def test_the_municipality_logo_is_printed_and_a_missing_one_falls_back(tmp_path: Path) -> None:
    from dataclasses import replace

    from PIL import Image

    logo = tmp_path / "escudo.png"
    Image.new("RGB", (120, 160), (123, 30, 58)).save(logo)
    base = DocumentContent(
        municipality="Municipio de Chocotlán",
        title="Constancia",
        procedure_title="Constancia",
        folio="CHO-2026-ABCDE0",
        issued_on=date(2026, 3, 5),
        verification_code="ABCDE23456",
        verification_url="https://x.example/verificar/ABCDE23456",
    )
    with_logo = render_document(replace(base, logo_path=str(logo))).pdf
    assert b"/Subtype /Image" in with_logo
    fallback = render_document(replace(base, logo_path=str(tmp_path / "no-existe.png"))).pdf
    assert b"/Subtype /Image" not in fallback and fallback.startswith(b"%PDF-")
