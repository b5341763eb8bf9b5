"""A demo certificate authority and signer, so `make run` signs documents out of the box.

Created once under `<instance>/signing/` when no PKCS#12 is configured. Every subject says
DEMO: a document signed with it is visibly not a real municipal signature. Several processes
(web, worker) may start at once; a lock file makes exactly one of them create the files.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO_DIR = "signing"
P12_NAME = "demo-signer.p12"
PASSWORD_NAME = "demo-signer.password"
CA_NAME = "demo-ca.pem"


def _name(common_name: str, municipality: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{municipality} (DEMO)"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DEMO - sin validez oficial"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def create_demo_credentials(
    directory: Path, municipality: str, *, now: datetime | None = None
) -> tuple[Path, str]:
    """Write a DEMO root CA and a signer certificate (PKCS#12); return (p12 path, password)."""
    now = now or datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name(f"DEMO CA {municipality}", municipality)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"DEMO Firma electrónica {municipality}", municipality))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
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
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(18)
    p12 = pkcs12.serialize_key_and_certificates(
        b"demo-signer",
        key,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(password.encode()),
    )
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory / CA_NAME, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(directory / PASSWORD_NAME, password.encode())
    _write(directory / P12_NAME, p12)  # last: its presence means the set is complete
    return directory / P12_NAME, password


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def ensure_demo_credentials(instance_dir: str | Path, municipality: str) -> tuple[Path, str]:
    """The demo PKCS#12 and its password, created on first call (once across processes)."""
    directory = Path(instance_dir) / DEMO_DIR
    p12 = directory / P12_NAME
    if not p12.exists():
        directory.mkdir(parents=True, exist_ok=True)
        lock = directory / ".create.lock"
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            # Someone else is creating it; wait for them (or take over a stale lock).
            for _ in range(100):
                if p12.exists():
                    break
                time.sleep(0.1)
            else:
                lock.unlink(missing_ok=True)
                return ensure_demo_credentials(instance_dir, municipality)
        else:
            os.close(fd)
            try:
                if not p12.exists():
                    create_demo_credentials(directory, municipality)
            finally:
                lock.unlink(missing_ok=True)
    return p12, (directory / PASSWORD_NAME).read_text().strip()
