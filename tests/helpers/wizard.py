"""The citizen's wizard in tests: posting a step as the browser does, a case's state."""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_token

CITIZEN = "ciudadano@demo.gob.mx"
KEY = "licencia-funcionamiento"

SOLICITANTE = {
    "tipo_persona": "moral",
    "razon_social": "Comercializadora La Esperanza de Chocotlán, S.A. de C.V.",
    "nombre_solicitante": "María Guadalupe Hernández López",
    "curp": "HELG850312MPLRPD05",
    "rfc": "CEC150610K90",
    "correo": "contacto@laesperanza.com.mx",
    "telefono": "222 318 4567",
}
NEGOCIO = {
    "nombre_comercial": "Cocina La Esperanza",
    "giro": "restaurante",
    "superficie_m2": "180",
    "empleados": "9",
    "domicilio_negocio.street": "Calle 5 de Mayo",
    "domicilio_negocio.number": "214",
    "domicilio_negocio.neighbourhood": "Barrio de San Miguel",
    "domicilio_negocio.postcode": "72960",
    "domicilio_negocio.municipality": "Chocotlán",
    "vende_alcohol": "si",
    "cuenta_uso_suelo": "si",
    "socios[0].socio_nombre": "María Guadalupe Hernández López",
    "socios[0].socio_curp": "HELG850312MPLRPD05",
    "socios[0].socio_porcentaje": "60",
    "socios[1].socio_nombre": "Juan Carlos Ramírez Torres",
    "socios[1].socio_curp": "RATJ781105HPLMRN06",
    "socios[1].socio_porcentaje": "40",
}


def pdf_bytes(text: str = "hola") -> bytes:
    body = f"1 0 obj << /Type /Catalog >> endobj % {text}\n".encode()
    return b"%PDF-1.4\n" + body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def start(client: FlaskClient) -> str:
    page = client.post(f"/tramites/{KEY}", data={"csrf_token": csrf_token(client)})
    assert page.status_code == 302
    match = re.fullmatch(r"/expedientes/([^/]+)/pasos/solicitante", page.headers["Location"])
    assert match, page.headers["Location"]
    return match.group(1)


def documents() -> dict[str, Any]:
    return {
        "doc_identificacion": [(io.BytesIO(pdf_bytes("ine")), "ine.pdf", "application/pdf")],
        "doc_comprobante_domicilio": [(io.BytesIO(png_bytes()), "recibo.png", "image/png")],
        "doc_uso_suelo": [(io.BytesIO(pdf_bytes("uso")), "uso-suelo.pdf", "application/pdf")],
        "doc_acta_constitutiva": [
            (io.BytesIO(pdf_bytes("acta")), "acta.pdf", "application/pdf"),
            (io.BytesIO(pdf_bytes("poder")), "poder.pdf", "application/pdf"),
        ],
        "doc_programa_pc": [(io.BytesIO(pdf_bytes("pc")), "programa-pc.pdf", "application/pdf")],
    }


def fill_all(client: FlaskClient, folio: str) -> None:
    page = post_step(client, folio, "solicitante", SOLICITANTE)
    assert page.headers["Location"] == f"/expedientes/{folio}/pasos/negocio"
    page = post_step(client, folio, "negocio", NEGOCIO)
    assert page.headers["Location"] == f"/expedientes/{folio}/pasos/documentos"
    page = post_step(client, folio, "documentos", documents())
    assert page.status_code == 302, page.get_data(as_text=True)
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"


def post_step(
    client: FlaskClient,
    folio: str,
    step: str,
    data: dict[str, Any],
    *,
    accion: str = "continuar",
    query: str = "",
) -> Any:
    url = f"/expedientes/{folio}/pasos/{step}{query}"
    form = dict(data)
    form.setdefault("csrf_token", csrf_token(client, url))
    form["accion"] = accion
    return client.post(url, data=form, content_type="multipart/form-data")


def case_state(app: Flask, folio: str) -> Any:
    cases = app.extensions["tramita"].cases
    state, _definition, _lock = cases.load(cases.case_id_for_folio(folio))
    return state
