"""The visible signature stamp says whose certificate signs (an institutional seal names the
institution, and the official who signs on its behalf), in the municipality's local time; a
table with no rows is left out of the document. Read back with pdftotext."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.documents.demo_ca import ensure_demo_credentials
from connectors.documents.pdf import DocumentContent, DocumentTable, SignerInfo, render_document
from connectors.documents.signing import Credentials, PadesSigner
from tests.helpers.pdf import pdf_text


def _content(tables: tuple[DocumentTable, ...] = ()) -> DocumentContent:
    return DocumentContent(
        municipality="Municipio de Chocotlán",
        title="Licencia de funcionamiento",
        procedure_title="Licencia de funcionamiento",
        folio="CHO-2026-000123",
        issued_on=date(2026, 3, 5),
        verification_code="ABCDE23456",
        verification_url="https://tramites.example/verificar/ABCDE23456",
        body=("Se otorga la licencia.",),
        signers=(SignerInfo("Lic. Rosa Elena Vázquez Ortega", "Directora de Desarrollo"),),
        tables=tables,
    )


def test_the_stamp_names_the_institution_whose_seal_signs_and_the_local_time(
    tmp_path: Path,
) -> None:
    credentials = Credentials.from_pkcs12(*ensure_demo_credentials(tmp_path, "Chocotlán"))
    rendered = render_document(_content())
    before = datetime.now(UTC)
    signed = PadesSigner(credentials, timezone="America/Mexico_City")(rendered.pdf, rendered.stamps)
    text = pdf_text(signed, tmp_path)
    assert "Sello electrónico de Chocotlán (DEMO) firmado en su nombre por" in text, text
    assert "Lic. Rosa Elena Vázquez Ortega Directora de Desarrollo" in text
    local = before.astimezone(ZoneInfo("America/Mexico_City"))
    assert f"{local:%d/%m/%Y %H:}" in text and " CST" in text, text  # Mexico City time
    assert "UTC" not in text


def test_a_personal_certificate_signs_in_its_own_name(tmp_path: Path) -> None:
    credentials = Credentials.from_pkcs12(*ensure_demo_credentials(tmp_path, "Chocotlán"))
    stamp_signer = credentials.subject_name  # the certificate's own holder signs
    assert credentials.stamp_heading(stamp_signer) == "Firmado electrónicamente por"
    assert credentials.stamp_heading("Otra Persona").startswith(
        f"Sello electrónico de {credentials.holder_name}"
    )


def test_an_empty_table_is_left_out_and_a_full_one_printed(tmp_path: Path) -> None:
    empty = DocumentTable("Socios", ("Nombre", "Participación"), ())
    full = DocumentTable("Vehículos", ("Placa",), (("ABC-123",),))
    text = pdf_text(render_document(_content((empty, full))).pdf, tmp_path)
    assert "Socios" not in text and "Participación" not in text
    assert "Vehículos" in text and "ABC-123" in text
