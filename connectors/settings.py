"""What the effect handlers need to know about the municipality and its mail server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectorSettings:
    """Configuration of the effect handlers; built by the app from its config (no Flask here)."""

    documents_dir: str
    # Where uploads live (official's files a document attaches); default instance_dir/uploads.
    uploads_dir: str = ""
    municipality_name: str = "Municipio de Chocotlán"
    municipality_code: str = "CHO"
    base_url: str = "http://127.0.0.1:5000"
    timezone: str = "America/Mexico_City"
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "tramites@chocotlan.gob.mx"
    payment_expiry_days_default: int = 5
    # Optional SMTP login; STARTTLS before login when smtp_starttls is set.
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 30.0
    # Which registered collection system issues payment orders.
    collection_system: str = "builtin"
    # Links printed in e-mails: the applicant's case page and the officials' inbox.
    case_path: str = "/expedientes/{folio}"
    inbox_path: str = "/bandeja/expedientes/{folio}"

    # Document signing (connectors.documents.signing). No PKCS#12: a DEMO CA and signer are
    # created under instance_dir/signing on first use.
    instance_dir: str = ""
    signing_p12_path: str | None = None
    signing_p12_password: str | None = None
    signing_tsa_url: str | None = None
    signing_trust_roots: str | None = None  # PEM file: extra roots trusted when verifying
    municipality_logo: str | None = None  # PNG/JPEG printed on documents
    # Without a PKCS#12, sign with the DEMO certificate (demo mode) or refuse (production).
    signing_demo_allowed: bool = True

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")
