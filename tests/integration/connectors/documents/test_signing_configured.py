"""A configured certificate (SIGNING_P12_PATH / _PASSWORD) and an RFC 3161 time-stamping
server (SIGNING_TSA_URL): documents are signed with them and carry a trusted timestamp.

The TSA is a local HTTP server answering with pyHanko's DummyTimeStamper, so the real HTTP
client path is exercised without the network.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from connectors.documents.pdf import DocumentContent, SignerInfo, render_document
from connectors.documents.signing import SigningError, signing_setup
from connectors.documents.verification import validate_signatures
from connectors.settings import ConnectorSettings
from tests.conftest import service_missing
from tests.helpers import serving


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool = False, tsa: bool = False
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca and not tsa:  # a signing certificate, as CAs issue them
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A municipality CA, its signing certificate (PKCS#12) and a TSA certificate."""
    tmp = tmp_path_factory.mktemp("pki")
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _cert("AC Municipio de Prueba", ca_key, "AC Municipio de Prueba", ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert("Firma Municipio de Prueba", key, "AC Municipio de Prueba", ca_key)
    p12 = tmp / "firma.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"firma", key, cert, [ca], serialization.BestAvailableEncryption(b"s3creto")
        )
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = _cert("TSA de Prueba", tsa_key, "AC Municipio de Prueba", ca_key, tsa=True)
    return {"p12": p12, "password": "s3creto", "tsa_key": tsa_key, "tsa": tsa, "dir": tmp}


@pytest.fixture(scope="module")
def tsa_url(pki: dict[str, Any]) -> Iterator[str]:
    from pyhanko.sign.timestamps import DummyTimeStamper

    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(pki["tsa"].public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            pki["tsa_key"].private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )
    requests: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            requests.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with serving.running(server):
        yield f"http://127.0.0.1:{server.server_port}/tsa"


def _content() -> DocumentContent:
    return DocumentContent(
        municipality="Municipio de Prueba",
        title="Constancia",
        procedure_title="Constancia",
        folio="PRU-2026-ABCDE0",
        issued_on=datetime.now(UTC).date(),
        verification_code="ABCDE23456",
        verification_url="https://x.example/verificar/ABCDE23456",
        body=["Se hace constar."],
        holder="Ana Pérez",
        signers=[SignerInfo("Lic. Ana", "Secretaria")],
    )


def test_configured_certificate_and_tsa_give_a_timestamped_signature(
    pki: dict[str, Any], tsa_url: str, tmp_path: Path
) -> None:
    settings = ConnectorSettings(
        documents_dir=str(tmp_path / "documents"),
        instance_dir=str(tmp_path),
        signing_p12_path=str(pki["p12"]),
        signing_p12_password=pki["password"],
        signing_tsa_url=tsa_url,
    )
    setup = signing_setup(settings)
    assert not setup.demo and not (tmp_path / "signing").exists()  # no DEMO CA made
    rendered = render_document(_content())
    signed = setup.signer(rendered.pdf, rendered.stamps)
    (check,) = validate_signatures(signed, setup.trust_roots)
    assert check.ok and check.whole_file and check.timestamped
    assert check.signer == "Firma Municipio de Prueba"
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        service_missing("`pdfsig` is not installed (apt-get install poppler-utils)")
    target = tmp_path / "signed.pdf"
    target.write_bytes(signed)
    report = subprocess.run([str(pdfsig), str(target)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in report and "Total document signed" in report


def test_a_wrong_password_is_a_clear_error(pki: dict[str, Any], tmp_path: Path) -> None:
    settings = ConnectorSettings(
        documents_dir=str(tmp_path / "documents"),
        signing_p12_path=str(pki["p12"]),
        signing_p12_password="incorrecta",
    )
    with pytest.raises(SigningError, match="cannot read the PKCS#12"):
        signing_setup(settings)


def test_production_without_a_certificate_refuses_to_sign(tmp_path: Path) -> None:
    settings = ConnectorSettings(
        documents_dir=str(tmp_path / "documents"),
        instance_dir=str(tmp_path),
        signing_demo_allowed=False,
    )
    with pytest.raises(SigningError, match="SIGNING_P12_PATH"):
        signing_setup(settings)
    assert not (tmp_path / "signing").exists()


def test_signing_trust_roots_makes_verificar_trust_another_certificate_of_that_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document signed with the municipality's earlier certificate, issued by the same
    national CA, is trusted by /verificar only when SIGNING_TRUST_ROOTS names that CA."""
    from app.config import Settings
    from app.services import connector_settings

    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _cert("AC Nacional de Prueba", root_key, "AC Nacional de Prueba", root_key, ca=True)

    def p12(name: str, subject: str) -> Path:
        """A PKCS#12 with the certificate alone: the CA is not in it."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _cert(subject, key, "AC Nacional de Prueba", root_key)
        path = tmp_path / f"{name}.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"f", key, cert, None, serialization.BestAvailableEncryption(b"clave")
            )
        )
        return path

    earlier, current = p12("anterior", "Firma Municipio 2025"), p12("vigente", "Firma 2026")
    roots_pem = tmp_path / "raices.pem"
    roots_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    signer = signing_setup(
        ConnectorSettings(
            documents_dir=str(tmp_path / "documents"),
            instance_dir=str(tmp_path),
            signing_p12_path=str(earlier),
            signing_p12_password="clave",
        )
    ).signer
    rendered = render_document(_content())
    signed = signer(rendered.pdf, rendered.stamps)

    def check_as_configured(**env: str) -> Any:
        monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
        monkeypatch.setenv("SECRET_KEY", "test-secret")
        monkeypatch.setenv("SIGNING_P12_PATH", str(current))
        monkeypatch.setenv("SIGNING_P12_PASSWORD", "clave")
        monkeypatch.delenv("SIGNING_TRUST_ROOTS", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        setup = signing_setup(connector_settings(Settings.from_env()))
        (check,) = validate_signatures(signed, setup.trust_roots)
        return check

    without = check_as_configured()
    assert without.intact and not without.trusted and not without.ok
    trusted = check_as_configured(SIGNING_TRUST_ROOTS=str(roots_pem))
    assert trusted.ok and trusted.signer == "Firma Municipio 2025"
