"""Issued documents are PAdES-signed, independently verifiable, and checkable at /verificar.

Every example procedure is walked from start to end through the real engine and outbox; each
document it issues is checked with poppler's `pdfsig`, pyHanko's validator, `qpdf --check`,
pypdf's text extraction and a QR decoder, the way a third party would check it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app import create_app
from app.cli import run_migrations
from app.services import connector_settings
from connectors.documents import document_path, signing_setup
from connectors.documents.verification import find_document, validate_signatures
from connectors.payments.handler import settle_payment
from tests.conftest import make_settings, service_missing
from tests.helpers.documents import stamp_text
from tests.helpers.paths import EXAMPLES
from tests.helpers.web import account, csrf_from, forge_login
from workflow_engine.persistence.cases.outbox import OutboxItem
from workflow_engine.persistence.cases.walkthrough import run_walkthrough
from workflow_engine.persistence.models import (
    AuditLog,
    Document,
    OutboxMessage,
    PaymentOrder,
    table,
)
from workflow_engine.persistence.platform.accounts import Accounts

KEYS = sorted(json.loads(p.read_text())["key"] for p in EXAMPLES.glob("*.json"))
documents_t = table(Document)
outbox_t = table(OutboxMessage)
audit_t = table(AuditLog)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = "qpdf" if name == "qpdf" else "poppler-utils"
        service_missing(f"`{name}` is not installed (apt-get install {package})")
    return str(path)


@dataclass
class Issued:
    key: str
    folio: str
    code: str
    holder: str
    signers: int
    path: Path
    pdf: bytes


@dataclass
class World:
    app: Flask
    docs: dict[str, Issued]

    @property
    def services(self) -> Any:
        return self.app.extensions["tramita"]


def _expected_holder(key: str) -> str:
    doc = json.loads(next(p for p in EXAMPLES.glob("*.json") if key in p.read_text()).read_text())
    example = {k: v for step in doc["example_data"].values() for k, v in step.items()}
    for step in doc["steps"]:
        if step["type"] == "document":
            field = re.search(r"data\.(\w+)", step["document"]["holder"])
            assert field is not None
            return str(example[field.group(1)])
    raise AssertionError(key)


def _signer_count(key: str) -> int:
    path = next(p for p in EXAMPLES.glob("*.json") if json.loads(p.read_text())["key"] == key)
    doc = json.loads(path.read_text())
    step = next(s for s in doc["steps"] if s["type"] == "document")
    return len(step["document"].get("signers") or ()) or 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo municipality with one finished case (and its document) per example."""
    from workflow_engine.persistence.platform.demo import seed_demo

    tmp = tmp_path_factory.mktemp("signed")
    url = f"sqlite:///{tmp}/tramita.db"
    run_migrations(url)
    app = create_app(make_settings(url, tmp, base_url="https://tramites.chocotlan.example"))
    app.config["TESTING"] = True
    services = app.extensions["tramita"]
    seed_demo(services.engine, demo_mode=True)
    applicant = Accounts(services.engine, demo_mode=True).by_email("ciudadano@demo.gob.mx")
    assert applicant is not None
    docs: dict[str, Issued] = {}
    for key in KEYS:
        result = run_walkthrough(
            services.cases,
            services.outbox,
            key,
            applicant.actor(),
            settle=lambda ref: settle_payment(services.engine, ref, "test")[1],
        )
        assert result.documents, key
        (doc,) = result.documents
        path = Path(services.settings.documents_dir) / doc["storage_path"]
        docs[key] = Issued(
            key,
            result.folio,
            doc["verification_code"],
            _expected_holder(key),
            _signer_count(key),
            path,
            path.read_bytes(),
        )
    yield World(app, docs)
    services.engine.dispose()


def _pdfsig(data: bytes, tmp_path: Path) -> str:
    target = tmp_path / "doc.pdf"
    target.write_bytes(data)
    run = subprocess.run([_tool("pdfsig"), str(target)], capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


def _qr_texts(data: bytes, tmp_path: Path, dpi: int = 110) -> list[str]:
    import zxingcpp
    from PIL import Image

    target = tmp_path / "qr.pdf"
    target.write_bytes(data)
    subprocess.run(
        [_tool("pdftoppm"), "-r", str(dpi), "-png", str(target), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    found = []
    for image in sorted(tmp_path.glob("page*.png")):
        found += [r.text for r in zxingcpp.read_barcodes(Image.open(image))]
    return found


@pytest.mark.parametrize("key", KEYS)
def test_every_issued_document_is_signed_and_verifiable(
    world: World, key: str, tmp_path: Path
) -> None:
    issued = world.docs[key]
    # poppler: every signature valid; the last one covers the whole file
    report = _pdfsig(issued.pdf, tmp_path)
    assert report.count("Signature is Valid") == issued.signers, report
    last = report.rsplit("Signature #", 1)[1]
    assert "Total document signed" in last, report
    assert "SHA-256" in report and "ETSI.CAdES.detached" in report, report
    # pyHanko agrees, against the municipality's (demo) trust root
    roots = signing_setup(connector_settings(world.services.settings)).trust_roots
    checks = validate_signatures(issued.pdf, roots)
    assert len(checks) == issued.signers
    assert all(c.ok for c in checks) and checks[-1].whole_file, checks
    assert "DEMO" in checks[0].signer
    # the file is structurally sound
    qpdf = subprocess.run(
        [_tool("qpdf"), "--check", str(issued.path)], capture_output=True, text=True, timeout=60
    )
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
    # what a person reads: folio, holder, code, dates, page numbers
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(issued.pdf))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert issued.folio in text
    assert issued.holder in text
    assert issued.code in text
    assert f"Página 1 de {len(reader.pages)}" in text
    assert "Fecha de expedición" in text
    # the QR code points at this document's verification page
    url = f"https://tramites.chocotlan.example/verificar/{issued.code}"
    assert url in _qr_texts(issued.pdf, tmp_path)


def test_the_licence_prints_its_table_conditional_paragraph_and_stamp(world: World) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(world.docs["licencia-funcionamiento"].pdf))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Socios" in text and "Juan Carlos Ramírez Torres" in text and "40 %" in text
    assert "autorizado para vender bebidas alcohólicas" in text  # example sells alcohol
    assert "no autoriza la venta" not in text
    # the visible stamp, where the signature line is, names the signer and the position
    stamp = stamp_text(reader, "Firma1")
    # the DEMO certificate is the municipality's seal: the stamp names it and who signed
    assert "Sello electrónico de Municipio de Chocotlán (DEMO)" in stamp
    assert "firmado en su nombre por" in stamp
    assert "Lic. Rosa Elena Vázquez Ortega" in stamp
    assert "Directora de Desarrollo Económico" in stamp


def test_the_event_permit_is_valid_until_the_event_ends(world: World, tmp_path: Path) -> None:
    """`valid_until: {"var": "fin_evento"}`: the validity is the event's last day (its
    example ends 29 September 2026 at 23:00), printed, stored and verifiable."""
    issued = world.docs["permiso-evento-via-publica"]
    target = tmp_path / "permiso.pdf"
    target.write_bytes(issued.pdf)
    run = subprocess.run(
        [_tool("pdftotext"), "-layout", str(target), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = " ".join(run.stdout.split())
    assert "Vigente hasta 29 de septiembre de 2026" in text, text
    assert "Signature is Valid" in _pdfsig(issued.pdf, tmp_path)
    record = find_document(world.services.engine, issued.code)
    assert record is not None and record.expires_on == date(2026, 9, 29)


def test_the_header_names_the_issuing_department(world: World) -> None:
    """The vehicle certificate's block names the treasury; the others their procedure's."""
    from pypdf import PdfReader

    def header(key: str) -> str:
        page = PdfReader(io.BytesIO(world.docs[key].pdf)).pages[0]
        return " ".join((page.extract_text() or "").split()[:12])

    assert "Tesorería Municipal" in header("registro-vehicular")  # document.department
    assert "Movilidad" not in header("registro-vehicular")
    assert "Desarrollo Urbano" in header("permiso-construccion")  # the procedure's own


def test_sequential_signers_sign_in_order(world: World, tmp_path: Path) -> None:
    issued = world.docs["permiso-construccion"]
    report = _pdfsig(issued.pdf, tmp_path)
    first, second = report.split("Signature #")[1:3]
    assert "Firma1" in first and "Total document signed" not in first
    assert "Firma2" in second and "Total document signed" in second
    record = find_document(world.services.engine, issued.code)
    assert record is not None and record.signatures == 2


def _changed(pdf: bytes) -> bytes:
    """One byte changed inside the signed content (a digit of the first page's stream)."""
    at = pdf.index(b"stream", pdf.index(b"/Contents")) + 40
    data = bytearray(pdf)
    data[at] = data[at] ^ 0x01
    return bytes(data)


def _upload(client: FlaskClient, code: str, data: bytes, name: str = "doc.pdf") -> Any:
    page = client.get(f"/verificar/{code}").get_data(as_text=True)
    token = csrf_from(page)
    return client.post(
        f"/verificar/{code}/archivo",
        data={"csrf_token": token, "archivo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _upload_raw(client: FlaskClient, code: str, data: bytes) -> Any:
    """A multipart upload encoded here (the test client would spool a large body to a
    temporary file that it never closes)."""
    page = client.get(f"/verificar/{code}").get_data(as_text=True)
    token = csrf_from(page)
    boundary = "----tramita-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="archivo"; filename="grande.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/verificar/{code}/archivo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_verification_page_shows_the_document(world: World) -> None:
    issued = world.docs["licencia-funcionamiento"]
    client = world.app.test_client()
    page = client.get(f"/verificar/{issued.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Documento vigente" in html
    assert "Licencia de funcionamiento" in html and issued.folio in html
    assert "María G. H. L." in html  # minimal holder data, not the full name
    assert issued.holder not in html
    assert client.get(f"/verificar/{issued.code.lower()}").status_code == 301
    english = client.get(f"/verificar/{issued.code}?lang=en").get_data(as_text=True)
    assert "Valid document" in english and "Check a file" in english
    typed = client.get(f"/verificar?codigo={issued.code[:5]}-{issued.code[5:].lower()}")
    assert typed.headers["Location"].endswith(f"/verificar/{issued.code}")
    unknown = world.app.test_client().get("/verificar/ZZZZZZZZZZ")
    assert unknown.status_code == 404
    assert "Documento no encontrado" in unknown.get_data(as_text=True)
    assert "Document not found" in client.get("/verificar/ZZZZZZZZZZ").get_data(as_text=True)


def test_an_uploaded_copy_is_checked_byte_for_byte_and_by_signature(
    world: World, tmp_path: Path
) -> None:
    issued = world.docs["constancia-residencia"]
    client = world.app.test_client()
    same = _upload(client, issued.code, issued.pdf)
    html = same.get_data(as_text=True)
    assert same.status_code == 200
    assert "El archivo es idéntico" in html and "La firma electrónica es válida" in html

    tampered = _changed(issued.pdf)
    assert "Signature is Valid" not in _pdfsig(tampered, tmp_path)
    bad = _upload(client, issued.code, tampered).get_data(as_text=True)
    assert "El archivo no es idéntico" in bad
    assert "La firma electrónica no es válida" in bad

    # someone else's signed document uploaded here: validly signed, but not this one
    other = _upload(client, issued.code, world.docs["permiso-mercado"].pdf)
    assert "El archivo no es idéntico" in other.get_data(as_text=True)

    huge = _upload_raw(client, issued.code, b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
    assert huge.status_code == 413 and "pesa más de 10 MB" in huge.get_data(as_text=True)

    not_pdf = _upload(client, issued.code, b"hola", "nota.txt")
    assert not_pdf.status_code == 400
    assert "no es un PDF" in not_pdf.get_data(as_text=True)

    empty = client.post(
        f"/verificar/{issued.code}/archivo",
        data={"csrf_token": csrf_from(html)},
    )
    assert empty.status_code == 400
    assert client.post(f"/verificar/{issued.code}/archivo").status_code == 400  # no CSRF


def test_a_document_signed_by_another_ca_is_not_trusted(world: World, tmp_path: Path) -> None:
    from connectors.documents.demo_ca import create_demo_credentials
    from connectors.documents.signing import Credentials, PadesSigner, SignatureStamp

    p12, password = create_demo_credentials(tmp_path / "other", "Municipio Falso")
    forged = PadesSigner(Credentials.from_pkcs12(p12, password))(
        _strip_last_signature(world.docs["permiso-publicidad"].pdf),
        [SignatureStamp("Falsa", "Alguien", "Nadie")],
    )
    roots = signing_setup(connector_settings(world.services.settings)).trust_roots
    (check,) = validate_signatures(forged, roots)[-1:]
    assert check.intact and check.valid and not check.trusted


def _strip_last_signature(pdf: bytes) -> bytes:
    """The document as it was before its (only) signature: the ReportLab output."""
    end = pdf.index(b"%%EOF") + len(b"%%EOF")
    return pdf[: end + 1]


def test_revoked_and_expired_documents_say_so(world: World) -> None:
    engine = world.services.engine
    client = world.app.test_client()
    expired = world.docs["registro-vehicular"]
    with engine.begin() as conn:
        conn.execute(
            update(documents_t)
            .where(documents_t.c.verification_code == expired.code)
            .values(expires_on=date.today() - timedelta(days=2))
        )
    assert "Documento vencido" in client.get(f"/verificar/{expired.code}").get_data(as_text=True)

    revoked = world.docs["permiso-mercado"]
    runner = world.app.test_cli_runner()
    result = runner.invoke(
        args=["documents", "revoke", revoked.code, "--reason", "Puesto <b>clausurado</b>"]
    )
    assert result.exit_code == 0, result.output
    html = client.get(f"/verificar/{revoked.code}").get_data(as_text=True)
    assert "Documento revocado" in html
    assert "Puesto &lt;b&gt;clausurado&lt;/b&gt;" in html  # escaped
    again = runner.invoke(args=["documents", "revoke", revoked.code, "--reason", "otra vez"])
    assert again.exit_code == 1 and "ya estaba revocado" in again.output
    with engine.connect() as conn:
        action = conn.execute(
            select(audit_t.c.action).where(audit_t.c.target_type == "document")
        ).scalar_one()
    assert action == "document.revoked"


def test_cli_shows_the_signing_certificate_and_a_document(world: World) -> None:
    runner = world.app.test_cli_runner()
    info = runner.invoke(args=["documents", "signing-info"])
    assert info.exit_code == 0 and "demo: yes" in info.output and "DEMO" in info.output
    issued = world.docs["licencia-funcionamiento"]
    shown = runner.invoke(args=["documents", "show", issued.code.lower()])
    assert f"folio: {issued.folio}" in shown.output and "status: " in shown.output
    missing = runner.invoke(args=["documents", "show", "ZZZZZZZZZZ"])
    assert missing.exit_code == 1


def test_only_admins_revoke_from_the_page(world: World) -> None:
    issued = world.docs["permiso-publicidad"]
    citizen = world.app.test_client()
    forge_login(citizen, account(world.app, "ciudadano@demo.gob.mx").id)
    page = citizen.get(f"/verificar/{issued.code}").get_data(as_text=True)
    assert "Revocar documento" not in page
    token = csrf_from(page)
    refused = citizen.post(
        f"/verificar/{issued.code}/revocar", data={"csrf_token": token, "motivo": "x"}
    )
    assert refused.status_code == 404

    admin = world.app.test_client()
    forge_login(admin, account(world.app, "admin@demo.gob.mx").id)
    page = admin.get(f"/verificar/{issued.code}").get_data(as_text=True)
    assert "Motivo de la revocación" in page
    token = csrf_from(page)
    blank = admin.post(
        f"/verificar/{issued.code}/revocar", data={"csrf_token": token, "motivo": " "}
    )
    assert blank.status_code == 400 and "Escriba el motivo" in blank.get_data(as_text=True)
    done = admin.post(
        f"/verificar/{issued.code}/revocar",
        data={"csrf_token": token, "motivo": "Anuncio retirado por el titular"},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "Documento revocado" in html and "Anuncio retirado por el titular" in html
    again = admin.post(
        f"/verificar/{issued.code}/revocar?lang=en", data={"csrf_token": token, "motivo": "x"}
    )
    assert again.status_code == 409
    assert "This document was already revoked." in again.get_data(as_text=True)


def test_running_the_effect_again_gives_the_same_document(world: World) -> None:
    engine = world.services.engine
    issued = world.docs["constancia-residencia"]
    with engine.connect() as conn:
        row = conn.execute(
            select(outbox_t).where(outbox_t.c.kind == "document.issue").limit(1)
        ).one()
        before = conn.execute(select(func.count()).select_from(documents_t)).scalar_one()
        files_before = sorted(Path(world.services.settings.documents_dir).rglob("*.pdf"))
    handler = world.services.outbox.handlers["document.issue"]
    item = OutboxItem(row.id, row.case_id, row.kind, row.idempotency_key, row.payload, 1)
    first = handler(item)
    second = handler(item)
    assert [c.document_id for c in first] == [c.document_id for c in second]  # type: ignore[attr-defined]
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(documents_t)).scalar_one()
        doc = conn.execute(
            select(documents_t).where(documents_t.c.id == int(first[0].document_id))  # type: ignore[attr-defined]
        ).one()
    assert after == before
    assert sorted(Path(world.services.settings.documents_dir).rglob("*.pdf")) == files_before
    stored = document_path(connector_settings(world.services.settings), doc.storage_path)
    import hashlib

    assert hashlib.sha256(stored.read_bytes()).hexdigest() == doc.sha256
    assert issued.code  # the fixture's documents are untouched


def test_the_payment_slip_uses_the_same_layout(world: World, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from connectors.documents.payment_slip import payment_slip_for_case

    engine = world.services.engine
    orders_t = table(PaymentOrder)
    with engine.connect() as conn:
        order = conn.execute(select(orders_t).order_by(orders_t.c.id).limit(1)).one()
    kwargs = {"municipality_name": "Municipio de Chocotlán", "base_url": "https://x.example"}
    assert payment_slip_for_case(engine, order.case_id, **kwargs) is None  # all paid
    with engine.begin() as conn:
        conn.execute(update(orders_t).where(orders_t.c.id == order.id).values(status="pending"))
    pdf = payment_slip_for_case(engine, order.case_id, **kwargs)
    assert pdf is not None
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Orden de pago" in text and order.reference in text and "Página 1 de 1" in text
    assert pdf == payment_slip_for_case(engine, order.case_id, **kwargs)  # same order, same bytes
    assert order.reference in _qr_texts(pdf, tmp_path, dpi=200)  # Code128 for counter scanners


def test_a_panamanian_document_prints_balboas_and_any_script(tmp_path: Path) -> None:
    """Country-neutral output, checked the way a reader's tools see it: amounts in balboas
    with their own sign (MUNICIPALITY_LOCALE=es_PA), names in «Ǆ», Greek and Cyrillic in the
    text and in the signature stamp (DejaVu Sans), the issuing department the document step
    names, and a valid signature (pdfsig)."""
    from connectors.common import CaseRecord
    from connectors.documents.demo_ca import ensure_demo_credentials
    from connectors.documents.issue import document_content
    from connectors.documents.pdf import render_document
    from connectors.documents.signing import Credentials, PadesSigner
    from connectors.settings import ConnectorSettings
    from workflow_engine.money import MoneyFormat, money_format, use_money_format

    holder = "Ǆenan Ωμέγα Жуков"
    step = {
        "id": "emision",
        "type": "document",
        "title": {"es": "Permiso"},
        "document": {
            "kind": "permiso",
            "title": {"es": "Permiso de ocupación"},
            "body": {"es": "Se otorga a {{ data.nombre }} por {{ fees.total }}."},
            "holder": "{{ data.nombre }}",
            "department": "obras",
            "signers": [
                {
                    "role": "director",
                    "name": "Đorđe Σπύρος",
                    "position": {"es": "Ingeniero municipal"},
                }
            ],
        },
    }
    case = CaseRecord(
        id=1,
        folio="PAN-2026-ABCDE0",
        procedure_key="permiso",
        applicant_id="1",
        state={
            "data": {"nombre": holder},
            "payments": [
                {
                    "reference": "PAN1",
                    "currency": "PAB",
                    "total_cents": 123450,
                    "lines": [{"id": "base", "label": {"es": "Derecho"}, "amount_cents": 123450}],
                }
            ],
        },
        definition={
            "key": "permiso",
            "title": {"es": "Permiso"},
            "department": "catastro",
            "fields": [],
            "steps": [step],
        },
        submitted_at=None,
    )
    from connectors.documents.issue import issuing_department

    assert issuing_department(case.definition, "emision") == "obras"  # the step's own
    assert issuing_department({**case.definition, "steps": []}, "emision") == "catastro"
    before = money_format()
    use_money_format(MoneyFormat("es_PA"))
    try:
        content = document_content(
            ConnectorSettings(documents_dir=str(tmp_path), municipality_name="Municipio de Panamá"),
            case,
            step,
            step["document"],
            code="ABCDE23456",
            issued_on=date(2026, 3, 5),
            expires_on=None,
            department="Dirección de Obras y Construcciones",
        )
    finally:
        use_money_format(before)
    rendered = render_document(content)
    credentials = Credentials.from_pkcs12(*ensure_demo_credentials(tmp_path, "M"))
    signed = PadesSigner(credentials)(rendered.pdf, rendered.stamps)
    assert "Signature is Valid" in _pdfsig(signed, tmp_path)
    target = tmp_path / "permiso.pdf"
    target.write_bytes(signed)
    run = subprocess.run(
        [_tool("pdftotext"), "-enc", "UTF-8", str(target), "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = " ".join(run.stdout.replace("\u00a0", " ").split())
    assert f"Se otorga a {holder} por B/. 1,234.50." in text
    assert "Derecho B/. 1,234.50" in text or ("Derecho" in text and text.count("B/. 1,234.50") >= 2)
    assert "Dirección de Obras y Construcciones" in text
    assert "Đorđe Σπύρος" in text  # under the signature line and in the stamp
    assert "Sello electrónico de M (DEMO) firmado en su nombre por Đorđe Σπύρος" in text
    assert "Đorđe Σπύρος Ingeniero municipal" in text
    assert "■" not in text and "MXN" not in text
