"""Checking an issued document: its record by verification code, an uploaded copy, revocation.

The public page `/verificar/<code>` is a thin layer over these functions. A copy is genuine
when it is byte-identical to what was issued (same sha256); independently, its PAdES
signatures are validated with pyHanko against the municipality's trust root, so a copy that
was re-saved by a viewer (not identical) can still be shown as validly signed.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlalchemy import Engine, insert, select, update

from connectors.documents.signing import outside_event_loop
from workflow_engine.persistence.models import AuditLog, Case, Document, table
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)
documents_t = table(Document)
cases_t = table(Case)
audit_t = table(AuditLog)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_REASON_CHARS = 500

VALID, EXPIRED, REVOKED = "valid", "expired", "revoked"


@dataclass(frozen=True)
class DocumentRecord:
    """What the public may see about an issued document (minimal holder data)."""

    id: int
    code: str
    kind: str
    title: str
    folio: str
    holder: str
    issued_at: datetime
    expires_on: date | None
    revoked_at: datetime | None
    revoked_reason: str | None
    sha256: str
    signatures: int

    def status(self, today: date) -> str:
        """`revoked` beats `expired` beats `valid`."""
        if self.revoked_at is not None:
            return REVOKED
        if self.expires_on is not None and today > self.expires_on:
            return EXPIRED
        return VALID


def normalize_code(code: str) -> str:
    """Codes are printed in capitals; people type them in any case, with spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())[:32]


def find_document(engine: Engine, code: str) -> DocumentRecord | None:
    code = normalize_code(code)
    if not code:
        return None
    query = (
        select(documents_t, cases_t.c.folio)
        .join(cases_t, cases_t.c.id == documents_t.c.case_id)
        .where(documents_t.c.verification_code == code)
    )
    with engine.connect() as conn:
        row = conn.execute(query).one_or_none()
    if row is None:
        return None
    return DocumentRecord(
        id=int(row.id),
        code=row.verification_code,
        kind=row.kind,
        title=row.title or row.kind.capitalize(),
        folio=row.folio,
        holder=mask_holder(row.holder or ""),
        issued_at=row.issued_at,
        expires_on=row.expires_on,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
        sha256=row.sha256,
        signatures=int(row.signatures or 0),
    )


def mask_holder(name: str) -> str:
    """Enough of the holder's name to match the paper, not a directory of citizens:
    «María Guadalupe Hernández López» -> «María G. H. L.». Company names stay whole."""
    words = name.split()
    if len(words) <= 1 or any(w.rstrip(".,").upper() in _COMPANY_MARKS for w in words):
        return name
    return " ".join([words[0], *(f"{w[0]}." for w in words[1:] if w[:1].isalpha())])


_COMPANY_MARKS = frozenset({"S.A", "SA", "S", "C.V", "CV", "S.C", "SC", "A.C", "AC", "SRL"})


# -- uploaded copies ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """One embedded signature, as pyHanko judged it."""

    field: str
    signer: str
    intact: bool  # the signed bytes were not changed
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the certificate chains to the municipality's trust root
    whole_file: bool  # nothing was appended after it
    timestamped: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


@dataclass(frozen=True)
class UploadCheck:
    """The verdict on an uploaded PDF for one issued document."""

    is_pdf: bool
    identical: bool
    signatures: Sequence[SignatureCheck] = field(default_factory=tuple)
    error: str | None = None

    @property
    def problem(self) -> str | None:
        """Why the signature check failed: unsigned, changed, untrusted or appended."""
        if self.signature_valid:
            return None
        if not self.signatures:
            return "unsigned"
        if not all(s.intact and s.valid for s in self.signatures):
            return "changed"
        if not all(s.trusted for s in self.signatures):
            return "untrusted"
        return "appended"

    @property
    def signature_valid(self) -> bool:
        """Every signature intact, valid and trusted, and the last one covers the file."""
        return (
            bool(self.signatures)
            and all(s.ok for s in self.signatures)
            and self.signatures[-1].whole_file
        )


def looks_like_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def check_upload(
    record: DocumentRecord, data: bytes, trust_roots: Sequence[asn1_x509.Certificate]
) -> UploadCheck:
    """Compare an uploaded file with the issued document and validate its signatures."""
    if not looks_like_pdf(data):
        return UploadCheck(is_pdf=False, identical=False)
    identical = hashlib.sha256(data).hexdigest() == record.sha256
    try:
        signatures = validate_signatures(data, trust_roots)
    except Exception as exc:  # a damaged PDF must give a verdict, never a 500
        log.info("uploaded PDF for %s could not be validated: %r", record.code, exc)
        return UploadCheck(is_pdf=True, identical=identical, error=type(exc).__name__)
    return UploadCheck(is_pdf=True, identical=identical, signatures=signatures)


def validate_signatures(
    data: bytes, trust_roots: Sequence[asn1_x509.Certificate]
) -> list[SignatureCheck]:
    """Every embedded signature of `data`, in file order, validated offline."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    checks: list[SignatureCheck] = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(
            trust_roots=list(trust_roots), allow_fetching=False, revocation_mode="soft-fail"
        )
        status: Any = outside_event_loop(partial(validate_pdf_signature, embedded, context))
        signer = ""
        cert = getattr(status, "signing_cert", None)
        if cert is not None:
            signer = str(cert.subject.native.get("common_name") or "")
        checks.append(
            SignatureCheck(
                field=str(embedded.field_name),
                signer=signer,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted) and bool(status.bottom_line),
                whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                timestamped=getattr(status, "timestamp_validity", None) is not None,
            )
        )
    return checks


# -- revocation ---------------------------------------------------------------------------


class RevocationError(ValueError):
    """The revocation cannot be recorded (unknown code, no reason, already revoked)."""

    def __init__(self, code: str, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_es = message_es
        self.message_en = message_en


def revoke_document(
    engine: Engine,
    code: str,
    reason: str,
    *,
    actor_id: str,
    actor_name: str = "",
    ip: str = "",
    now: datetime | None = None,
) -> DocumentRecord:
    """Mark the document revoked with its reason and write the audit row, in one transaction.

    Revoking twice is refused: the first reason is what the public saw.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise RevocationError(
            "reason_required",
            "Escriba el motivo de la revocación; se mostrará en la página de verificación.",
            "Write the reason for revoking; it is shown on the verification page.",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise RevocationError(
            "reason_too_long",
            f"El motivo puede tener hasta {MAX_REASON_CHARS} caracteres.",
            f"The reason may be at most {MAX_REASON_CHARS} characters long.",
        )
    record = find_document(engine, code)
    if record is None:
        raise RevocationError(
            "not_found",
            "No existe ningún documento con ese código de verificación.",
            "There is no document with that verification code.",
        )
    moment = now or utcnow()
    with engine.begin() as conn:
        changed = conn.execute(
            update(documents_t)
            .where(documents_t.c.id == record.id, documents_t.c.revoked_at.is_(None))
            .values(revoked_at=moment, revoked_reason=reason, revoked_by=str(actor_id)[:64])
        ).rowcount
        if not changed:
            raise RevocationError(
                "already_revoked",
                "Este documento ya estaba revocado.",
                "This document was already revoked.",
            )
        conn.execute(
            insert(audit_t).values(
                created_at=moment,
                actor_id=str(actor_id)[:64],
                actor_name=(actor_name or str(actor_id))[:200],
                action="document.revoked",
                target_type="document",
                target_id=str(record.id),
                details={"code": record.code, "folio": record.folio, "reason": reason},
                ip=(ip or "")[:64],
            )
        )
    revoked = find_document(engine, record.code)
    assert revoked is not None
    return revoked
