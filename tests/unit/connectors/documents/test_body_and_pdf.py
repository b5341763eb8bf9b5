"""Document text in the sandbox and the PDF layout (no database)."""

from __future__ import annotations

import base64
import io
import re
import zlib
from datetime import date

import pytest

from connectors.documents import (
    CODE_ALPHABET,
    BodyError,
    DocumentContent,
    SignerInfo,
    new_verification_code,
    render_body,
    render_pdf,
)
from connectors.documents.body import document_data, fees_context, format_address
from connectors.documents.pdf import FeeLine

DEFINITION = {
    "steps": [
        {
            "id": "datos",
            "type": "form",
            "fields": [
                {
                    "id": "giro",
                    "type": "select",
                    "options": [{"value": "restaurante", "label": {"es": "Restaurante"}}],
                },
                {"id": "inicio", "type": "date"},
                {"id": "monto", "type": "money"},
                {"id": "domicilio", "type": "address"},
                {"id": "nombre", "type": "text"},
                {"id": "alcohol", "type": "yesno"},
            ],
        }
    ]
}
DATA = {
    "giro": "restaurante",
    "inicio": "2026-03-05",
    "monto": "1500.5",
    "domicilio": {
        "street": "Calle 5 de Mayo",
        "number": "214",
        "neighbourhood": "Barrio de San Miguel",
        "postcode": "72960",
        "municipality": "Chocotlán",
    },
    "nombre": "Ana <b>Pérez</b> & Hijos",
    "alcohol": True,
}
PAYMENTS = [
    {
        "reference": "CHO123456789012",
        "currency": "MXN",
        "total_cents": 123450,
        "paid_at": "2026-03-06T17:00:00+00:00",
        "lines": [{"id": "derecho", "label": {"es": "Derecho"}, "amount_cents": 123450}],
    }
]


def _render(source: str) -> str:
    context = {
        "data": document_data(DATA, DEFINITION),
        "case": {"folio": "CHO-2026-ABCDE0"},
        "fees": fees_context(PAYMENTS),
    }
    return "\n\n".join(render_body(source, context))


def test_values_print_as_people_read_them() -> None:
    text = _render(
        "{{ data.giro }} desde el {{ data.inicio }} por {{ data.monto }}; {{ data.domicilio }}."
        " Alcohol: {{ data.alcohol }}. {{ fees.total }} ({{ fees.reference }}). {{ case.folio }}"
    )
    assert text == (
        "Restaurante desde el 5 de marzo de 2026 por $1,500.50; Calle 5 de Mayo 214, "
        "Barrio de San Miguel, C.P. 72960, Chocotlán. Alcohol: Sí. $1,234.50 "
        "(CHO123456789012). CHO-2026-ABCDE0"
    )


def test_comparisons_see_raw_values_and_missing_fields_are_blank() -> None:
    assert _render('{% if data.giro == "restaurante" %}sí{% endif %}') == "sí"
    assert _render("[{{ data.no_existe }}][{{ data.no_existe.tampoco }}]") == "[][]"
    assert _render("{{ data.giro.label }}") == "Restaurante"


def test_data_is_escaped_for_paragraph_markup() -> None:
    assert _render("{{ data.nombre }}") == "Ana &lt;b&gt;Pérez&lt;/b&gt; &amp; Hijos"
    assert _render("A & B <b>{{ case.folio }}</b>") == "A &amp; B <b>CHO-2026-ABCDE0</b>"


def test_paragraphs_and_line_breaks() -> None:
    assert _render("uno\ndos\n\n\ntres") == "uno<br/>dos\n\ntres"


@pytest.mark.parametrize(
    "source",
    [
        "{{ data.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ data.clear() }}",
        "{{ 'x' * 100000 }}",
        "{{ 9 ** 9999 }}",
        "{% for x in range(1000000) %}{% endfor %}",
        "{{ data.giro",
    ],
)
def test_sandbox_refuses_unsafe_templates(source: str) -> None:
    """Unsafe access either fails with BodyError or renders as nothing (an unsafe
    attribute behaves like a missing one); it never reaches Python internals."""
    try:
        text = _render(source)
    except BodyError:
        return
    assert text == ""


def test_address_without_optional_parts() -> None:
    assert format_address({"street": "Av. Juárez", "municipality": "Chocotlán"}) == (
        "Av. Juárez, Chocotlán"
    )


def test_no_payment_means_no_cost() -> None:
    assert fees_context([])["total"] == "sin costo"


def test_verification_codes_are_unambiguous() -> None:
    codes = {new_verification_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 10
        assert set(code) <= set(CODE_ALPHABET)
    assert not set("01ILOU") & set(CODE_ALPHABET)


def _pdf_text(data: bytes) -> str:
    """Text of ReportLab's content streams (ASCII85 + Flate), enough to find ASCII words."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = match.group(1).strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw if raw.startswith(b"<~") else b"<~" + raw, adobe=True)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            continue
        chunks.append(raw.decode("latin-1"))
    return "\n".join(chunks)


def test_pdf_has_every_part_and_page_numbers() -> None:
    content = DocumentContent(
        municipality="Municipio de Chocotlán",
        department="Desarrollo Urbano",
        title="Licencia de construcción",
        procedure_title="Licencia de construcción",
        folio="CHO-2026-ABCDE0",
        issued_on=date(2026, 3, 5),
        expires_on=date(2027, 3, 5),
        verification_code="ABCDE23456",
        verification_url="https://tramites.example/verificar/ABCDE23456",
        body=["Primer p&aacute;rrafo <b>mal cerrado", "Segundo párrafo. " * 400],
        signers=[SignerInfo("Arq. Héctor Medina", "Director de Desarrollo Urbano")],
        fee_lines=[FeeLine("Derecho", "$1,234.50 MXN")],
        fee_total="$1,234.50 MXN",
        payment_reference="CHO123456789012",
    )
    pdf = render_pdf(content)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    for needle in (
        "CHO-2026-ABCDE0",
        "ABCDE23456",
        "5 de marzo de 2027",
        "CHO123456789012",
        "Municipio de Chocotl",
    ):
        assert needle in text, needle
    # "Página" is not ASCII: read it the way a person's reader does (DejaVu subset codes)
    from pypdf import PdfReader

    shown = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)
    pages = re.findall(r"Página (\d) de (\d)", shown)
    assert len(pages) >= 2
    assert {total for _, total in pages} == {str(len(pages))}


def test_a_tables_columns_line_up_as_asked() -> None:
    """Each cell (and the header) of a right or center column is a paragraph aligned so;
    left is the default."""
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT

    from connectors.documents.pdf import DocumentTable, _data_table, _styles

    spec = DocumentTable(
        "Socios", ["Nombre", "%", "CURP"], [["Ana", "60 %", "X"]], ["left", "right", "center"]
    )
    table = _data_table(spec, _styles())[1]
    cells = table._cellvalues
    assert [c.style.alignment for c in cells[1]] == [TA_LEFT, TA_RIGHT, TA_CENTER]
    assert [c.style.alignment for c in cells[0]] == [TA_LEFT, TA_RIGHT, TA_CENTER]
