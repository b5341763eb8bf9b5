"""Citizens' uploaded files: checked by their bytes, stored under random names, served only to
the owner and to officials of the departments that review the case.

The name a citizen gives a file is kept for display only; it is never part of a path.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow_engine.engine import Actor
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.cases.visibility import official_handles_case
from workflow_engine.persistence.models import Case, Task, Upload, table
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.fields import FieldError

uploads_t = table(Upload)
cases_t = table(Case)
tasks_t = table(Task)

DEFAULT_ACCEPT = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_SIZE_MB = 10
OCTET = "application/octet-stream"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# What people call each type, in Spanish and English (for messages).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "application/pdf": ("un PDF", "a PDF"),
    "image/jpeg": ("una imagen JPG", "a JPG image"),
    "image/png": ("una imagen PNG", "a PNG image"),
    "image/gif": ("una imagen GIF", "a GIF image"),
    "image/webp": ("una imagen WebP", "a WebP image"),
    DOCX: ("un documento de Word", "a Word document"),
    XLSX: ("una hoja de cálculo de Excel", "an Excel spreadsheet"),
    PPTX: ("una presentación de PowerPoint", "a PowerPoint presentation"),
    "application/zip": ("un archivo ZIP", "a ZIP archive"),
    "text/plain": ("un texto", "a text file"),
    "text/html": ("una página web (HTML)", "a web page (HTML)"),
    "image/svg+xml": ("una imagen SVG", "an SVG image"),
    "application/xml": ("un archivo XML", "an XML file"),
    OCTET: ("un archivo de tipo desconocido", "a file of an unknown type"),
}
SHORT_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    DOCX: "Word (.docx)",
    XLSX: "Excel (.xlsx)",
    PPTX: "PowerPoint (.pptx)",
    "text/plain": "TXT",
    "image/*": "imagen",
}
# Extension -> the type its content must have.
EXTENSIONS: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "jfif": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": DOCX,
    "xlsx": XLSX,
    "pptx": PPTX,
    "txt": "text/plain",
}
PREFERRED_EXTENSION = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    DOCX: "docx",
    XLSX: "xlsx",
    PPTX: "pptx",
    "text/plain": "txt",
}
# Names browsers give the same type.
ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
    "image/x-png": "image/png",
}
_GENERIC = {"", OCTET, "binary/octet-stream", "application/unknown", "application/download"}
_MAX_NAME = 255


class UploadRejectedError(EngineError):
    """A file that cannot be accepted for this field (empty, too big, wrong type, mislabelled)."""

    code = "upload_rejected"
    http_status = 422


class FileInUseError(EngineError):
    """A file the case's answers refer to: it is part of what was sent and stays."""

    code = "file_in_use"
    http_status = 409


class UnknownFileError(EngineError):
    """Step data names a file that is not an upload of this applicant, case and field."""

    code = "unknown_file"
    http_status = 400


# The case's message thread (see app/case_messages.py): files either side attaches there are
# read by both the applicant and the officials of the case.
THREAD_STEP = "_mensajes"


@dataclass(frozen=True)
class PendingUpload:
    """A checked file whose bytes are stored and whose row is still to be inserted."""

    row: dict[str, Any]
    ref: dict[str, Any]  # what the form data keeps: id, name, sha256, size, content_type
    path: Path


@dataclass(frozen=True)
class StoredFile:
    """Where to read an uploaded file from, and how to present it."""

    path: Path
    name: str
    content_type: str
    sha256: str
    size: int
    case_id: int | None = None  # so a look by staff can be logged against the case


def sniff(data: bytes) -> str:
    """The content type the bytes really have (by their magic numbers), else octet-stream."""
    head = data[:1024]
    if data.startswith(b"%PDF-") or (b"%PDF-" in head and data.lstrip()[:5] == b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return _sniff_text(data)


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return OCTET
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        if any(n.startswith("ppt/") for n in names):
            return PPTX
    return "application/zip"


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP = re.compile(rb"^\s*<(!doctype html|html|head|body|script|svg|\?xml)", re.IGNORECASE)


def _sniff_text(data: bytes) -> str:
    sample = data[:4096]
    # Text (UTF-8, Latin-1 or Windows-1252) has no control bytes; binary formats always do.
    if _CONTROL.search(sample):
        return OCTET
    match = _MARKUP.match(sample.lstrip(b"\xef\xbb\xbf"))
    if match:
        tag = match.group(1).lower()
        if tag == b"svg":
            return "image/svg+xml"
        if tag == b"?xml":
            return "image/svg+xml" if b"<svg" in sample.lower() else "application/xml"
        return "text/html"
    return "text/plain"


def clean_filename(name: str, content_type: str | None = None) -> str:
    """A display name: no folders, no control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"\s+", " ", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r" +", " ", base).strip().strip(".").strip()
    if not base:
        base = "archivo"
    stem, dot, ext = base.rpartition(".")
    if not dot and content_type in PREFERRED_EXTENSION:
        stem, ext = base, PREFERRED_EXTENSION[content_type]
        base = f"{stem}.{ext}"
    if len(base) > _MAX_NAME:
        tail = f".{ext}" if dot or content_type in PREFERRED_EXTENSION else ""
        tail = tail[:20]
        base = base[: _MAX_NAME - len(tail)].rstrip() + tail if tail else base[:_MAX_NAME]
    return base


def _extension(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def matches_accept(content_type: str, accept: Iterable[str]) -> bool:
    for pattern in accept:
        pattern = ALIASES.get(pattern.lower(), pattern.lower())
        if pattern == content_type:
            return True
        if pattern.endswith("/*") and content_type.startswith(pattern[:-1]):
            return True
    return False


def _kinds(accept: Sequence[str]) -> str:
    names = [SHORT_NAMES.get(a, a) for a in accept]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " o " + names[-1]


def _kinds_en(accept: Sequence[str]) -> str:
    names = [SHORT_NAMES.get(a, a).replace("imagen", "image") for a in accept]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def check_upload(
    *,
    filename: str,
    data: bytes,
    field: Mapping[str, Any],
    declared_type: str | None = None,
) -> tuple[str, str]:
    """(display name, sniffed content type) of an acceptable file; UploadRejectedError if not."""
    shown = clean_filename(filename)
    if not data:
        raise UploadRejectedError(
            f"El archivo «{shown}» está vacío.",
            f"The file “{shown}” is empty.",
            field=field.get("id"),
        )
    max_mb = float(field.get("max_size_mb") or DEFAULT_MAX_SIZE_MB)
    if len(data) > max_mb * 1024 * 1024:
        limit = f"{max_mb:g}"
        raise UploadRejectedError(
            f"El archivo «{shown}» pesa {len(data) / 1048576:.1f} MB; el máximo es {limit} MB.",
            f"The file “{shown}” is {len(data) / 1048576:.1f} MB; the maximum is {limit} MB.",
            field=field.get("id"),
        )
    actual = sniff(data)
    kind_es, kind_en = KIND_NAMES.get(actual, KIND_NAMES[OCTET])
    ext = _extension(shown)
    expected = EXTENSIONS.get(ext)
    if expected is not None and expected != actual:
        exp_es, exp_en = KIND_NAMES[expected]
        raise UploadRejectedError(
            f"El archivo no es {exp_es} aunque su nombre termine en .{ext}; parece {kind_es}. "
            "Revise que eligió el archivo correcto.",
            f"The file is not {exp_en} although its name ends in .{ext}; it looks like "
            f"{kind_en}. Check that you chose the right file.",
            field=field.get("id"),
        )
    declared = ALIASES.get((declared_type or "").lower(), (declared_type or "").lower())
    declared = declared.split(";", 1)[0].strip()
    office_as_zip = declared == "application/zip" and actual in (DOCX, XLSX, PPTX)
    declared_known = declared not in _GENERIC and declared in KIND_NAMES
    if declared_known and declared != actual and not office_as_zip:
        exp_es, exp_en = KIND_NAMES[declared]
        raise UploadRejectedError(
            f"El archivo «{shown}» dice ser {exp_es} pero su contenido es {kind_es}.",
            f"The file “{shown}” claims to be {exp_en} but its content is {kind_en}.",
            field=field.get("id"),
        )
    accept = [str(a) for a in (field.get("accept") or DEFAULT_ACCEPT)]
    if not matches_accept(actual, accept):
        raise UploadRejectedError(
            f"El archivo «{shown}» es {kind_es}; aquí se admite {_kinds(accept)}.",
            f"The file “{shown}” is {kind_en}; here you can upload {_kinds_en(accept)}.",
            field=field.get("id"),
        )
    return clean_filename(filename, actual), actual


def _live_file_of(public_id: str, case_id: int, owner_id: str) -> tuple[Any, ...]:
    """The conditions naming one not-deleted upload of this owner and case."""
    return (
        uploads_t.c.public_id == public_id,
        uploads_t.c.case_id == case_id,
        uploads_t.c.owner_id == str(owner_id),
        uploads_t.c.deleted_at.is_(None),
    )


class UploadStore:
    """Stores, lists and opens uploaded files. `directory` holds the bytes; rows hold the rest."""

    def __init__(
        self,
        engine: Engine,
        directory: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.directory = Path(directory)
        self._root: Path | None = None
        self.clock = clock

    # -- writing --------------------------------------------------------------------------
    def check(
        self,
        *,
        filename: str,
        data: bytes,
        field: Mapping[str, Any],
        declared_type: str | None = None,
    ) -> tuple[str, str]:
        """See `check_upload`."""
        return check_upload(filename=filename, data=data, field=field, declared_type=declared_type)

    def save(
        self,
        *,
        owner_id: str,
        case_id: int,
        step_id: str,
        field_id: str,
        filename: str,
        data: bytes,
        field: Mapping[str, Any],
        declared_type: str | None = None,
    ) -> dict[str, Any]:
        """Check and store one file for a field of the owner's case; return its file ref."""
        self.check_owner(case_id, owner_id)
        pending = self.prepare(
            owner_id=owner_id,
            case_id=case_id,
            step_id=step_id,
            field_id=field_id,
            filename=filename,
            data=data,
            field=field,
            declared_type=declared_type,
        )
        self.record([pending])
        return pending.ref

    def check_owner(self, case_id: int, owner_id: str, conn: Connection | None = None) -> None:
        """UploadRejectedError unless the case exists and `owner_id` is its applicant."""
        with nullcontext(conn) if conn is not None else self.engine.connect() as c:
            applicant = c.execute(
                select(cases_t.c.applicant_id).where(cases_t.c.id == case_id)
            ).scalar_one_or_none()
        if applicant is None or str(applicant) != str(owner_id):
            raise UploadRejectedError(
                "El expediente no existe o no es suyo.",
                "The case does not exist or is not yours.",
                case=case_id,
            )

    def prepare(
        self,
        *,
        owner_id: str,
        case_id: int,
        step_id: str,
        field_id: str,
        filename: str,
        data: bytes,
        field: Mapping[str, Any],
        declared_type: str | None = None,
    ) -> PendingUpload:
        """Check one file and write its bytes (durably) under a random name; its row is
        written by `record`, so the files of one form go into the database in one
        transaction. Call `check_owner` first. UploadRejectedError if the file is refused."""
        name, content_type = self.check(
            filename=filename, data=data, field=field, declared_type=declared_type
        )
        digest = hashlib.sha256(data).hexdigest()
        now = self.clock()
        public_id = secrets.token_urlsafe(18)  # 24 characters
        storage_path = f"{now.year:04d}/{secrets.token_hex(16)}"
        path = self._path(storage_path)
        _write_atomically(path, data)
        row = {
            "public_id": public_id,
            "owner_id": str(owner_id),
            "case_id": case_id,
            "step_id": step_id,
            "field_id": field_id,
            "original_name": name,
            "storage_path": storage_path,
            "sha256": digest,
            "size": len(data),
            "content_type": content_type,
            "created_at": now,
        }
        ref = {
            "id": public_id,
            "name": name,
            "sha256": digest,
            "size": len(data),
            "content_type": content_type,
        }
        return PendingUpload(row, ref, path)

    def record(self, pending: Sequence[PendingUpload]) -> None:
        """Insert the rows of prepared files in one transaction. A public id that collides
        (astronomically unlikely) is drawn again, in the row and in the ref handed out. If
        the rows cannot be written, the files are removed and the error raised."""
        if not pending:
            return
        try:
            for attempt in range(3):
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(uploads_t), [p.row for p in pending])
                    return
                except IntegrityError:
                    if attempt == 2:
                        raise
                    for p in pending:
                        p.row["public_id"] = p.ref["id"] = secrets.token_urlsafe(18)
        except BaseException:
            self.discard(pending)
            raise

    @staticmethod
    def discard(pending: Iterable[PendingUpload]) -> None:
        """Remove the bytes of prepared files whose rows were never written."""
        for p in pending:
            p.path.unlink(missing_ok=True)

    # -- reading --------------------------------------------------------------------------
    def refs(
        self,
        case_id: int,
        owner_id: str,
        field_id: str,
        public_ids: Iterable[str],
        conn: Connection | None = None,
    ) -> list[dict[str, Any]]:
        """The file refs among `public_ids` that belong to this case, owner and field (and are
        not deleted), in the order given, without repeats. Anything else is dropped."""
        wanted = [p for p in dict.fromkeys(str(p) for p in public_ids) if 0 < len(p) <= 40]
        if not wanted:
            return []
        with nullcontext(conn) if conn is not None else self.engine.connect() as c:
            rows = c.execute(
                select(uploads_t).where(
                    uploads_t.c.public_id.in_(wanted),
                    uploads_t.c.case_id == case_id,
                    uploads_t.c.owner_id == str(owner_id),
                    uploads_t.c.field_id == field_id,
                    uploads_t.c.deleted_at.is_(None),
                )
            ).all()
        found = {r.public_id: r for r in rows}
        return [_ref(found[p]) for p in wanted if p in found]

    def resolve_files(
        self,
        *,
        case_id: int,
        owner_id: str,
        step: Mapping[str, Any],
        values: Mapping[str, Any],
        conn: Connection | None = None,
    ) -> dict[str, Any]:
        """`values` with every file reference of `step`'s file fields (in groups too)
        replaced by the stored upload's (name, size, sha256 and content type as stored).

        The one rule for step data from any door (wizard, API): a reference must name a
        live upload of this owner to this case and field; UnknownFileError, naming the field,
        otherwise. Values that are not references at all are left for the field's
        validation to refuse."""
        out = dict(values)
        slots = list(_file_slots(step, out))
        if not slots:
            return out
        wanted = {ref_id for _f, _p, refs in slots for ref_id in refs if ref_id is not None}
        found: dict[str, Any] = {}
        if wanted:
            with nullcontext(conn) if conn is not None else self.engine.connect() as c:
                rows = c.execute(
                    select(uploads_t).where(
                        uploads_t.c.public_id.in_(sorted(wanted)),
                        uploads_t.c.case_id == case_id,
                        uploads_t.c.owner_id == str(owner_id),
                        uploads_t.c.deleted_at.is_(None),
                    )
                ).all()
            found = {r.public_id: r for r in rows}
        errors: list[FieldError] = []
        for fld, place, refs in slots:
            resolved: list[dict[str, Any]] = []
            for n, ref_id in enumerate(refs):
                row = found.get(ref_id) if ref_id is not None else None
                if row is None or row.field_id != fld["id"]:
                    errors.append(_unknown_file(fld, f"{place.path}[{n}]", ref_id))
                else:
                    resolved.append(_ref(row))
            place.put(resolved)
        if errors:
            raise UnknownFileError(
                "Hay archivos que no se subieron a este expediente; súbalos primero.",
                "Some files were not uploaded to this case; upload them first.",
                field=errors[0].field,
                errors=errors,
            )
        return out

    def open_for(self, public_id: str, viewer: Any) -> tuple[Path, str, str] | None:
        """(path, display name, content type) if `viewer` (an Actor or an account with
        `.actor()`) may read the file: its owner, an official of a department that has or
        had a task in the file's case, or an administrator (every case's files). None
        otherwise, and for unknown or deleted files."""
        stored = self.stored_for(public_id, viewer)
        if stored is None:
            return None
        return stored.path, stored.name, stored.content_type

    @staticmethod
    def _applicant_of(conn: Connection, case_id: int | None, actor: Actor) -> bool:
        if case_id is None:
            return False
        applicant = conn.execute(
            select(cases_t.c.applicant_id).where(cases_t.c.id == case_id)
        ).scalar_one_or_none()
        return applicant is not None and str(applicant) == actor.id

    def stored_for(self, public_id: str, viewer: Any) -> StoredFile | None:
        actor: Actor | None = viewer.actor() if hasattr(viewer, "actor") else viewer
        if actor is None or not public_id or len(public_id) > 40:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(uploads_t).where(
                    uploads_t.c.public_id == public_id, uploads_t.c.deleted_at.is_(None)
                )
            ).one_or_none()
            if row is None:
                return None
            allowed = (
                row.owner_id == actor.id
                # administrators read every case (read-only), so every case's files
                or (row.case_id is not None and actor.kind == "admin")
                or (row.case_id is not None and official_handles_case(conn, actor, row.case_id))
                or (row.step_id == THREAD_STEP and self._applicant_of(conn, row.case_id, actor))
            )
        if not allowed:
            return None
        try:
            path = self._path(row.storage_path)
        except ValueError:
            return None
        if not path.is_file():
            return None
        return StoredFile(
            path, row.original_name, row.content_type, row.sha256, int(row.size), row.case_id
        )

    def in_case(self, public_id: str, case_id: int) -> StoredFile | None:
        """A live upload of this case, whoever uploaded it (the document issuer attaching an
        official's files); None for another case's, deleted or missing files."""
        if not public_id or len(public_id) > 40:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(uploads_t).where(
                    uploads_t.c.public_id == public_id,
                    uploads_t.c.case_id == case_id,
                    uploads_t.c.deleted_at.is_(None),
                )
            ).one_or_none()
        if row is None:
            return None
        path = self._path(row.storage_path)
        if not path.is_file():
            return None
        return StoredFile(
            path, row.original_name, row.content_type, row.sha256, int(row.size), row.case_id
        )

    def case_files(self, case_id: int) -> list[dict[str, Any]]:
        """Every live file of a case (refs plus `field_id`), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(uploads_t)
                .where(uploads_t.c.case_id == case_id, uploads_t.c.deleted_at.is_(None))
                .order_by(uploads_t.c.id)
            ).all()
        return [{**_ref(r), "field_id": r.field_id, "step_id": r.step_id} for r in rows]

    def file_info(self, public_id: str, *, owner_id: str, case_id: int) -> dict[str, Any] | None:
        """The ref (plus `step_id`, `field_id`) of one of the owner's live files of this case,
        or None (unknown, deleted, another person's or another case's)."""
        if not public_id or len(public_id) > 40:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(uploads_t).where(*_live_file_of(public_id, case_id, owner_id))
            ).one_or_none()
        if row is None:
            return None
        return {**_ref(row), "step_id": row.step_id, "field_id": row.field_id}

    # -- deleting -------------------------------------------------------------------------
    def delete(
        self, public_id: str, *, owner_id: str, case_id: int, in_use: Collection[str]
    ) -> bool:
        """Delete one of the owner's files of this case (bytes gone, row marked deleted).
        False when there is no such live file; FileInUseError when `in_use` (the ids the case's
        answers refer to) names it."""
        if public_id in in_use:
            raise FileInUseError(
                "El archivo forma parte de las respuestas enviadas; envíe el paso sin él "
                "antes de borrarlo.",
                "The file is part of the answers sent; submit the step without it before "
                "deleting it.",
                file=public_id,
            )
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(uploads_t.c.id, uploads_t.c.storage_path).where(
                    *_live_file_of(public_id, case_id, owner_id)
                )
            ).one_or_none()
            if row is None:
                return False
            conn.execute(update(uploads_t).where(uploads_t.c.id == row.id).values(deleted_at=now))
        with suppress(ValueError, OSError):  # the row says deleted: a stray file is never served
            self._path(row.storage_path).unlink(missing_ok=True)
        return True

    def purge_case(self, case_id: int, now: datetime | None = None) -> int:
        """Delete the bytes of every file of a case and mark the rows deleted; the count."""
        now = now or self.clock()
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(uploads_t.c.id, uploads_t.c.storage_path).where(
                    uploads_t.c.case_id == case_id, uploads_t.c.deleted_at.is_(None)
                )
            ).all()
            if rows:
                conn.execute(
                    update(uploads_t)
                    .where(uploads_t.c.id.in_([r.id for r in rows]))
                    .values(deleted_at=now)
                )
        for row in rows:
            try:
                self._path(row.storage_path).unlink(missing_ok=True)
            except (ValueError, OSError):
                continue
        return len(rows)

    def _path(self, storage_path: str) -> Path:
        root = self._root
        if root is None:  # resolved once: the directory does not move while we run
            root = self._root = self.directory.resolve()
        path = (root / storage_path).resolve()
        if not path.is_relative_to(root) or path == root:
            raise ValueError("storage path escapes the uploads directory")
        return path


_REF_KEYS = frozenset({"id", "name", "sha256", "size", "content_type"})


def referenced_ids(value: Any) -> set[str]:
    """Ids of every file ref ({id, name, sha256, size, content_type}) inside form data."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if set(item) == _REF_KEYS and isinstance(item.get("id"), str):
                found.add(item["id"])
            else:
                stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


@dataclass
class _Place:
    """Where one file field's value sits in step data (top level or a group's row)."""

    container: dict[str, Any]
    key: str
    path: str

    def put(self, refs: list[dict[str, Any]]) -> None:
        self.container[self.key] = refs


def _ref_ids(value: Any) -> list[str | None] | None:
    """The ids a file value names (None for an entry that names none); None when the value
    is not a list of references at all (left for validation)."""
    items = [value] if isinstance(value, Mapping | str) else value
    if not isinstance(items, list):
        return None
    ids: list[str | None] = []
    for item in items:
        ref_id = item.get("id") if isinstance(item, Mapping) else item
        ids.append(ref_id if isinstance(ref_id, str) and 0 < len(ref_id) <= 40 else None)
    return ids


def _file_slots(
    step: Mapping[str, Any], values: dict[str, Any]
) -> Iterable[tuple[Mapping[str, Any], _Place, list[str | None]]]:
    """Every file field with a value in `values`, its place and the ids it names; rows of
    groups are copied so the caller's data is never changed in place."""
    for fld in step.get("fields") or ():
        fid = fld["id"]
        if fid not in values or fld.get("readonly"):
            continue
        if fld.get("type") == "file":
            ids = _ref_ids(values[fid])
            if ids:
                yield fld, _Place(values, fid, fid), ids
        elif fld.get("type") == "group" and isinstance(values[fid], list):
            rows = [dict(r) if isinstance(r, Mapping) else r for r in values[fid]]
            values[fid] = rows
            for n, row in enumerate(rows):
                if not isinstance(row, dict):
                    continue
                for sub in fld.get("fields") or ():
                    if sub.get("type") == "file" and sub["id"] in row:
                        ids = _ref_ids(row[sub["id"]])
                        if ids:
                            path = f"{fid}[{n}].{sub['id']}"
                            yield sub, _Place(row, sub["id"], path), ids


def _unknown_file(fld: Mapping[str, Any], path: str, ref_id: str | None) -> FieldError:
    label = fld.get("label") or {}
    es = label.get("es") or fld["id"]
    en = label.get("en") or es
    shown = clean_filename(ref_id)[:40] if ref_id else "?"
    return FieldError(
        fld["id"],
        path,
        "unknown_file",
        f"{es}: el archivo «{shown}» no es uno que usted haya subido para este dato de este "
        "expediente; súbalo de nuevo.",
        f"{en}: the file “{shown}” is not one you uploaded for this field of this case; "
        "upload it again.",
    )


def stored_case_files(conn: Connection, case_id: int) -> dict[str, dict[str, Any]]:
    """Every live upload of a case by public id: its stored ref plus `field_id`."""
    rows = conn.execute(
        select(uploads_t).where(uploads_t.c.case_id == case_id, uploads_t.c.deleted_at.is_(None))
    ).all()
    return {r.public_id: {**_ref(r), "field_id": r.field_id} for r in rows}


def only_stored_files(
    steps: Iterable[Mapping[str, Any]],
    data: Mapping[str, Any],
    stored: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Case data with every file field's references replaced by the stored uploads'; a
    reference to no stored upload of that field is left out. What a receipt or an
    official's page lists is then only what was really received."""
    out = dict(data)
    for step in steps:
        for fld, place, ids in _file_slots(step, out):
            place.put(
                [
                    {k: v for k, v in stored[i].items() if k != "field_id"}
                    for i in ids
                    if i is not None and i in stored and stored[i]["field_id"] == fld["id"]
                ]
            )
    return out


def _ref(row: Any) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "name": row.original_name,
        "sha256": row.sha256,
        "size": int(row.size),
        "content_type": row.content_type,
    }


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


__all__ = [
    "DEFAULT_ACCEPT",
    "FileInUseError",
    "PendingUpload",
    "StoredFile",
    "UnknownFileError",
    "UploadRejectedError",
    "UploadStore",
    "check_upload",
    "clean_filename",
    "only_stored_files",
    "referenced_ids",
    "sniff",
    "stored_case_files",
]
