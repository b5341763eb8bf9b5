"""The `document.issue` effect: render the step's document for the case, store it once."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from connectors.common import (
    CaseRecord,
    case_id_of,
    department_name,
    load_case,
    local_today,
    localized,
    long_date,
)
from connectors.documents.body import (
    BodyError,
    Shown,
    decisions_context,
    document_data,
    fees_context,
    render_body,
    render_table,
    render_text,
)
from connectors.documents.pdf import (
    Attachment,
    DocumentContent,
    DocumentTable,
    FeeLine,
    SignerInfo,
    render_document,
)
from connectors.documents.signing import Signer, settings_signer
from connectors.settings import ConnectorSettings
from workflow_engine.engine.commands import Actor, Command, DocumentIssued
from workflow_engine.engine.definition import ProcedureDefinition
from workflow_engine.persistence.cases.outbox import OutboxItem, PermanentError
from workflow_engine.persistence.models import Document, User, table
from workflow_engine.persistence.platform.catalogs import EngineCatalogs
from workflow_engine.persistence.platform.uploads import UploadStore
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.field_types.base import CatalogLookup
from workflow_engine.templates.step_types.document import DocumentStep

log = logging.getLogger(__name__)
documents_t = table(Document)
users_t = table(User)

# No 0/O, 1/I/L or U: a code read aloud or copied from paper is not misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_MAX_TRIES = 3


def issuing_department(definition: Mapping[str, Any], step_id: str) -> str | None:
    """The key of the department a document step's header names: the step's
    `document.department` when it sets one, else the procedure's own department."""
    for step in definition.get("steps") or ():
        spec = step.get("document") if isinstance(step, Mapping) else None
        if step.get("id") == step_id and isinstance(spec, Mapping) and spec.get("department"):
            return str(spec["department"])
    key = definition.get("department")
    return str(key) if key else None


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(settings: ConnectorSettings, code: str) -> str:
    return settings.url(f"/verificar/{code}")


def document_path(settings: ConnectorSettings, storage_path: str) -> Path:
    """Where a stored document lives on disk (`storage_path` is relative to documents_dir)."""
    root = Path(settings.documents_dir).resolve()
    path = (root / storage_path).resolve()
    if not path.is_relative_to(root):
        raise ValueError("storage path escapes the documents directory")
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _issued(step_id: str, attempt: int, row: Any) -> list[Command]:
    extra: dict[str, Any] = {"filename": row.filename, "sha256": row.sha256}
    if row.expires_on is not None:
        extra["expires_on"] = row.expires_on.isoformat()
    return [
        DocumentIssued(
            at=utcnow(),
            actor=Actor.system(),
            step_id=step_id,
            attempt=attempt,
            document_id=str(row.id),
            verification_code=row.verification_code,
            extra=extra,
        )
    ]


def _awaits_document(state: Mapping[str, Any], step_id: str, attempt: int) -> bool:
    return (
        state.get("status") == "awaiting_document"
        and state.get("position") == step_id
        and (state.get("attempts") or {}).get(step_id) == attempt
    )


class DocumentIssuer:
    """Renders, signs (see `signing`), stores and records the document of a document step.

    Idempotent by the message key: a retry finds the row written the first time and answers
    with it; it never writes a second file or row.
    """

    def __init__(
        self,
        engine: Engine,
        settings: ConnectorSettings,
        *,
        sign: Signer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        # Default: PAdES with the configured (or DEMO) certificate, loaded on first use.
        self.sign = sign if sign is not None else settings_signer(settings)
        self.clock = clock

    def __call__(self, item: OutboxItem) -> Sequence[Command]:
        try:
            step_id = str(item.payload["step_id"])
            attempt = int(item.payload["attempt"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(f"malformed document.issue payload: {exc!r}") from None
        existing = self.find_by_key(item.key)
        if existing is not None:
            return _issued(step_id, attempt, existing)
        case_id = case_id_of(item)
        with self.engine.connect() as conn:
            case = load_case(conn, case_id)
            department = department_name(conn, issuing_department(case.definition, step_id))
        if not _awaits_document(case.state, step_id, attempt):
            # The case moved on (cancelled, say): a document nobody asks for any more
            # would still pass verification, so none is issued.
            log.info("case %s no longer awaits document %s/%s", case.id, step_id, attempt)
            return []
        step = case.step(step_id)
        spec = step.get("document")
        if not isinstance(spec, Mapping):
            raise PermanentError(f"step {step_id!r} has no document to issue")
        issued_at = self.clock()
        issued_on = local_today(self.settings.timezone, issued_at)
        expires_on = document_expiry(case, step, spec, issued_on)
        kind = str(spec.get("kind") or "documento")
        filename = f"{kind}-{case.folio}.pdf"

        for _ in range(_MAX_TRIES):
            code = new_verification_code()
            content = self.content(case, step, spec, code, issued_on, expires_on, department)
            try:
                rendered = render_document(content)
            except Exception as exc:  # ReportLab: the same content fails the same way again
                raise PermanentError(
                    f"case {case.folio}: the document of step {step_id!r} cannot be laid out "
                    f"({type(exc).__name__}: {exc}); fix its template or data, then retry"
                ) from None
            pdf = self.sign(rendered.pdf, rendered.stamps)
            digest = hashlib.sha256(pdf).hexdigest()
            storage_path = f"{issued_on.year}/{secrets.token_hex(16)}.pdf"
            path = document_path(self.settings, storage_path)
            written = False
            try:
                with self.engine.begin() as conn:
                    row = conn.execute(
                        select(documents_t).where(documents_t.c.idempotency_key == item.key)
                    ).one_or_none()
                    if row is not None:
                        return _issued(step_id, attempt, row)
                    conn.execute(
                        insert(documents_t).values(
                            case_id=case.id,
                            step_id=step_id,
                            kind=kind,
                            idempotency_key=item.key,
                            verification_code=code,
                            filename=filename,
                            content_type="application/pdf",
                            sha256=digest,
                            size=len(pdf),
                            storage_path=storage_path,
                            issued_at=issued_at,
                            expires_on=expires_on,
                            title=content.title[:200],
                            holder=(content.holder or "")[:200] or None,
                            signatures=max(1, len(rendered.stamps)) if pdf != rendered.pdf else 0,
                        )
                    )
                    # The file is in place before the row commits: a committed row always
                    # has its file. A crash in between can only leave an unreferenced file.
                    _write_atomically(path, pdf)
                    written = True
            except IntegrityError:
                if written:
                    path.unlink(missing_ok=True)
                row = self.find_by_key(item.key)
                if row is not None:
                    return _issued(step_id, attempt, row)
                continue  # the verification code collided: draw another
            except BaseException:
                if written:
                    path.unlink(missing_ok=True)
                raise
            row = self.find_by_key(item.key)
            assert row is not None
            return _issued(step_id, attempt, row)
        raise PermanentError("could not allocate a unique verification code")

    def content(
        self,
        case: CaseRecord,
        step: Mapping[str, Any],
        spec: Mapping[str, Any],
        code: str,
        issued_on: date,
        expires_on: date | None,
        department: str | None,
    ) -> DocumentContent:
        return document_content(
            self.settings,
            case,
            step,
            spec,
            code=code,
            issued_on=issued_on,
            expires_on=expires_on,
            department=department,
            applicant_name=lambda: self.applicant_name(case),
            catalogs=EngineCatalogs(self.engine),
            department_of=self.department_of,
            open_file=lambda public_id: self.file_bytes(case, public_id),
        )

    def department_of(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return department_name(conn, key)

    def file_bytes(self, case: CaseRecord, public_id: str) -> bytes | None:
        """The bytes of one of the case's uploads (an official's file the document attaches)."""
        root = self.settings.uploads_dir or str(Path(self.settings.instance_dir) / "uploads")
        stored = UploadStore(self.engine, root).in_case(public_id, case.id)
        return stored.path.read_bytes() if stored is not None else None

    def applicant_name(self, case: CaseRecord) -> str:
        """The applicant's account name: the holder when the template names none."""
        if not case.applicant_id.isdigit():
            return ""
        with self.engine.connect() as conn:
            name = conn.execute(
                select(users_t.c.name).where(users_t.c.id == int(case.applicant_id))
            ).scalar_one_or_none()
        return str(name or "")

    def find_by_key(self, key: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(documents_t).where(documents_t.c.idempotency_key == key)
            ).one_or_none()


def document_expiry(
    case: CaseRecord, step: Mapping[str, Any], spec: Mapping[str, Any], issued_on: date
) -> date | None:
    """The last day the document is valid (`DocumentStep.expires_on` on the case's data);
    a `valid_until` that gives no date for this case is a permanent error to fix."""
    if spec.get("valid_until") is None:
        return DocumentStep.expires_on(spec, issued_on, {})
    state = case.state
    definition = ProcedureDefinition(case.definition)
    data = definition.rule_data(
        state.get("data") or {},
        folio=case.folio,
        created_at=str(state.get("created_at") or ""),
        submitted_at=state.get("submitted_at"),
        results=state.get("results") or {},
        year=issued_on.year,
    )
    try:
        return DocumentStep.expires_on(spec, issued_on, data, definition.fee_tables)
    except ValueError as exc:
        raise PermanentError(
            f"case {case.folio}: the validity of the document of step {step.get('id')!r} "
            f"cannot be worked out ({exc}); fix its valid_until or the data, then retry"
        ) from None


def document_content(
    settings: ConnectorSettings,
    case: CaseRecord,
    step: Mapping[str, Any],
    spec: Mapping[str, Any],
    *,
    code: str,
    issued_on: date,
    expires_on: date | None,
    department: str | None,
    applicant_name: Callable[[], str] | None = None,
    preview: bool = False,
    catalogs: CatalogLookup | None = None,
    department_of: Callable[[str], str | None] | None = None,
    open_file: Callable[[str], bytes | None] | None = None,
) -> DocumentContent:
    """What a document step prints for a case (the issuer's and the dry run's one source);
    `applicant_name` gives the holder when the template names none."""
    state = case.state
    payments = list(state.get("payments") or ())
    fees = fees_context(payments)
    submitted = state.get("submitted_at") or (
        case.submitted_at.isoformat() if case.submitted_at else None
    )
    created = state.get("created_at")
    decisions = decisions_context(state, case.definition, catalogs, department_of)
    context = {
        "decision": decisions,
        "data": document_data(state.get("data") or {}, case.model, catalogs),
        "case": {
            "folio": case.folio,
            "created_at": Shown(str(created or ""), long_date(created, settings.timezone)),
            "submitted_at": Shown(str(submitted or ""), long_date(submitted, settings.timezone)),
            "procedure": case.procedure_title,
        },
        "fees": fees,
    }
    source = localized(spec.get("body"))
    try:
        body = render_body(source, context) if source else []
        holder = render_text(str(spec["holder"]), context) if spec.get("holder") else ""
        tables = [
            DocumentTable(*render_table(table_spec, context))
            for table_spec in spec.get("tables") or ()
        ]
    except BodyError as exc:
        raise PermanentError(
            f"case {case.folio}: the document text of step {step.get('id')!r} cannot be "
            f"rendered ({exc}); fix its template, then retry"
        ) from None
    if not holder and applicant_name is not None:
        holder = applicant_name()
    return DocumentContent(
        municipality=settings.municipality_name,
        department=department,
        title=localized(spec.get("title"), localized(step.get("title"), "Documento")),
        procedure_title=case.procedure_title,
        folio=case.folio,
        issued_on=issued_on,
        expires_on=expires_on,
        verification_code=code,
        verification_url=verification_url(settings, code),
        body=body,
        signers=[signer_info(s, decisions) for s in spec.get("signers") or ()],
        fee_lines=[FeeLine(line["label"], line["amount"]) for line in fees["lines"]],
        fee_total=fees["total"] if fees["lines"] else None,
        payment_reference=fees["reference"] or None,
        kind=str(spec.get("kind") or "documento"),
        holder=holder or None,
        tables=tables,
        logo_path=settings.municipality_logo,
        preview=preview,
        attachments=attachments(spec, decisions, open_file),
    )


def signer_info(signer: Mapping[str, Any], decisions: Mapping[str, Any]) -> SignerInfo:
    """A fixed signer as the template names them, or "whoever decided" a review step
    (`decided_by`): that official's name and job title; without a title on record, the
    signer's `position` in the template, else the department's name."""
    fixed = SignerInfo(str(signer.get("name") or ""), localized(signer.get("position")))
    step_id = signer.get("decided_by")
    if not step_id:
        return fixed
    official = (decisions.get(str(step_id)) or {}).get("official") or {}
    position = str(official.get("title") or "") or localized(signer.get("position"))
    return SignerInfo(
        str(official.get("name") or ""), position or str(official.get("position") or "")
    )


def attachments(
    spec: Mapping[str, Any],
    decisions: Mapping[str, Any],
    open_file: Callable[[str], bytes | None] | None,
) -> list[Attachment]:
    """The official's files the document attaches (`decision.<step>.fields.<file field>`),
    with their bytes when `open_file` finds them."""
    out: list[Attachment] = []
    for ref in spec.get("attachments") or ():
        _decision, step_id, _fields, field_id = str(ref).split(".", 3)
        files = ((decisions.get(step_id) or {}).get("files") or {}).get(field_id) or ()
        for item in files:
            data = open_file(str(item.get("id"))) if open_file is not None else None
            out.append(Attachment(str(item.get("name")), str(item.get("content_type")), data))
    return out
