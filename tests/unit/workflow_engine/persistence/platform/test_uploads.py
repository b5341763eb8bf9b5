"""Upload checks without a database: sniffing by magic numbers, names, sizes and types."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from workflow_engine.persistence.platform.uploads import (
    DOCX,
    XLSX,
    UploadRejectedError,
    check_upload,
    clean_filename,
    sniff,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF"


def _office(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hola")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xdb\x00", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (_office("word"), DOCX),
        (_office("xl"), XLSX),
        (
            _office("ppt"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (_zip(), "application/zip"),
        (b"PK\x03\x04 broken", "application/octet-stream"),
        ("Constancia de domicilio: Calle Allende S/N, Chocotlán\n".encode(), "text/plain"),
        (b"<!DOCTYPE html><html></html>", "text/html"),
        (b"  <script>alert(1)</script>", "text/html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"<svg onload=alert(1)>", "image/svg+xml"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/octet-stream"),
        (b"\x00\x01\x02", "application/octet-stream"),
    ],
)
def test_sniff_uses_the_bytes(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


def test_text_cut_in_the_middle_of_a_character_is_still_text() -> None:
    data = ("ñ" * 3000).encode()  # 6000 bytes; the 4096-byte sample ends inside a character
    assert sniff(data[:4097] + b"a") == "text/plain"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Ana\\Mi INE.pdf", "Mi INE.pdf"),
        ("  recibo\n\tluz .pdf ", "recibo luz .pdf"),
        ("nombre\x00oculto.pdf", "nombreoculto.pdf"),
        ("", "archivo"),
        ("...", "archivo"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("\u202egpj.exe", "gpj.exe"),  # right-to-left override removed
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_clean_filename_adds_the_extension_and_keeps_it_when_shortening() -> None:
    assert clean_filename("escaneo", "application/pdf") == "escaneo.pdf"
    long = clean_filename("a" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


FIELD: dict[str, Any] = {"id": "doc", "accept": ["application/pdf", "image/*"], "max_size_mb": 1}


def test_check_accepts_good_files_and_wildcards() -> None:
    assert check_upload(filename="ine.PDF", data=PDF, field=FIELD) == ("ine.PDF", "application/pdf")
    assert check_upload(filename="foto", data=b"GIF89a..", field=FIELD) == ("foto.gif", "image/gif")
    assert (
        check_upload(
            filename="ine.pdf", data=PDF, field=FIELD, declared_type="application/octet-stream"
        )[1]
        == "application/pdf"
    )
    assert (
        check_upload(
            filename="x.jpg", data=b"\xff\xd8\xff\xe0", field=FIELD, declared_type="image/pjpeg"
        )[1]
        == "image/jpeg"
    )


def test_default_accept_is_pdf_jpeg_png_and_default_size_is_ten_mb() -> None:
    field = {"id": "doc"}
    with pytest.raises(UploadRejectedError, match="GIF"):
        check_upload(filename="a.gif", data=b"GIF89a..", field=field)
    big = PDF + b"0" * (10 * 1024 * 1024)
    with pytest.raises(UploadRejectedError) as caught:
        check_upload(filename="a.pdf", data=big, field=field)
    assert "máximo es 10 MB" in caught.value.message_es
    assert "maximum is 10 MB" in caught.value.message_en


def test_size_limit_is_exact() -> None:
    exact = PDF + b"0" * (1024 * 1024 - len(PDF))
    assert check_upload(filename="a.pdf", data=exact, field=FIELD)[1] == "application/pdf"
    with pytest.raises(UploadRejectedError):
        check_upload(filename="a.pdf", data=exact + b"0", field=FIELD)


def test_mislabelled_files_are_refused_in_both_languages() -> None:
    with pytest.raises(UploadRejectedError) as caught:
        check_upload(filename="ine.pdf", data=b"\x89PNG\r\n\x1a\n", field=FIELD)
    assert caught.value.message_es.startswith(
        "El archivo no es un PDF aunque su nombre termine en .pdf"
    )
    assert "not a PDF although its name ends in .pdf" in caught.value.message_en
    with pytest.raises(UploadRejectedError, match="claims to be a PDF"):
        check_upload(
            filename="foto", data=b"GIF89a..", field=FIELD, declared_type="application/pdf"
        )


def test_refusals_carry_the_code_and_field() -> None:
    with pytest.raises(UploadRejectedError) as caught:
        check_upload(filename="a.pdf", data=b"", field=FIELD)
    assert caught.value.code == "upload_rejected"
    assert caught.value.http_status == 422
    assert caught.value.details["field"] == "doc"


def test_latin1_text_is_text_and_office_files_declared_as_zip_pass() -> None:
    assert sniff("Dirección: Calle Allende, Chocotlán".encode("latin-1")) == "text/plain"
    field = {"id": "doc", "accept": [DOCX]}
    name, kind = check_upload(
        filename="solicitud.docx",
        data=_office("word"),
        field=field,
        declared_type="application/zip",
    )
    assert (name, kind) == ("solicitud.docx", DOCX)
