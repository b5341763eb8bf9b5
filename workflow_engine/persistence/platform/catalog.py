"""Procedure templates: a draft kept as numbered revisions, immutable numbered versions,
archive.

State of a template: `draft` (never published), `live` (published, draft equals the latest
version), `live_with_draft` (published, draft has unpublished changes), `archived`.

Every save of a draft is a revision row (who, when, on top of which revision, and its
problems: a draft may be saved with errors); a save on a stale base is refused with who saved
last, never overwrites. Publishing needs zero errors, names the acting account and a note, and
writes the audit log; a roll back publishes an old version's document as a new version.
Liaisons touch only their department's procedures, administrators all of them, and the
server's operator (command line, demo seed) everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow_engine.engine.errors import ConflictError, EngineError, ForbiddenError
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.hashing import checksum
from workflow_engine.persistence.models import (
    Case,
    Department,
    ProcedureRevision,
    ProcedureTemplate,
    ProcedureVersion,
    PublicationRequest,
    User,
    table,
)
from workflow_engine.persistence.platform.staff import record_audit
from workflow_engine.persistence.types import utcnow
from workflow_engine.plural import counted
from workflow_engine.templates.validation import Problem, validate_template
from workflow_engine.templates.validation import errors as blocking

templates_t = table(ProcedureTemplate)
versions_t = table(ProcedureVersion)
revisions_t = table(ProcedureRevision)
users_t = table(User)
departments_t = table(Department)
cases_t = table(Case)
requests_t = table(PublicationRequest)

OPERATOR_ID = "cli"
"""The audit log's and the revisions' actor id for the server's operator."""
MAX_NOTE = 2000
DIRECTOR_TAG = "director"
"""The role tag of a department's director: approves its publications (four-eyes rule)."""
CLOSED_STATUS = "closed"  # workflow_engine.engine.state.CLOSED
# The schema's patterns for the two values a draft is stored under.
_KEY_RE = re.compile(r"^[a-z][a-z0-9-]{2,63}$")
_DEPARTMENT_RE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


class TemplateInvalidError(EngineError):
    """The template has errors; `problems` lists them with their JSON paths."""

    code = "template_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"La plantilla tiene {counted(len(problems), 'error', 'errores')}.",
            f"The template has {counted(len(problems), 'error', 'errors')}.",
            problems=[p.as_dict() for p in problems],
        )
        self.problems = problems


class TemplateForbiddenError(ForbiddenError):
    """The acting account may not edit or publish this procedure."""

    def __init__(self) -> None:
        super().__init__(
            "Sólo el enlace de la dependencia del trámite o una persona administradora "
            "puede modificarlo o publicarlo.",
            "Only a liaison of the procedure's department or an administrator may change "
            "or publish it.",
        )


class RevisionConflictError(ConflictError):
    """The draft was saved by someone else after the revision the save started from."""

    code = "revision_conflict"

    def __init__(self, key: str, number: int, saved_by: str, saved_at: datetime) -> None:
        when = saved_at.strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(
            f"{saved_by} guardó el borrador el {when} (revisión {number}) después de que "
            "usted lo abriera; no se sobrescribió. Abra la revisión más reciente y vuelva "
            "a aplicar sus cambios.",
            f"{saved_by} saved the draft on {when} (revision {number}) after you opened "
            "it; nothing was overwritten. Open the latest revision and apply your changes "
            "again.",
            key=key,
            revision=number,
            saved_by=saved_by,
            saved_at=saved_at.isoformat(),
        )


class NoteRequiredError(EngineError):
    """A person publishes or rolls back only saying why."""

    code = "note_required"

    def __init__(self) -> None:
        super().__init__(
            "Escriba una nota que diga por qué se publica.",
            "Write a note saying why it is published.",
        )


class ReasonRequiredError(EngineError):
    """A publication request is rejected only saying why."""

    code = "reason_required"

    def __init__(self) -> None:
        super().__init__(
            "Escriba el motivo del rechazo: la persona que lo pidió lo leerá.",
            "Write why it is rejected: the person who asked will read it.",
        )


class RequestDecidedError(ConflictError):
    """The publication request was already decided (or replaced by a newer one)."""

    code = "request_decided"

    def __init__(self) -> None:
        super().__init__(
            "Esta solicitud de publicación ya no está pendiente.",
            "This publication request is no longer pending.",
        )


class OwnRequestError(ForbiddenError):
    """Four eyes: nobody approves their own publication request."""

    def __init__(self) -> None:
        super().__init__(
            "Nadie puede aprobar su propia solicitud de publicación.",
            "Nobody may approve their own publication request.",
        )


class NothingToUndoError(EngineError):
    """The draft has no earlier revision to go back to."""

    code = "nothing_to_undo"

    def __init__(self) -> None:
        super().__init__(
            "No hay un cambio anterior que deshacer.",
            "There is no earlier change to undo.",
        )


@dataclass(frozen=True)
class Editor:
    """Who saves or publishes a template, passed explicitly: an account (its role and
    department decide what it may touch) or, with `account_id=None`, the server's operator
    (command line, demo seed), who may touch every procedure."""

    account_id: int | None
    operator_name: str = ""
    ip: str = ""

    @classmethod
    def operator(cls, name: str = "servidor") -> Editor:
        return cls(None, name)


@dataclass(frozen=True)
class _Who:
    """An `Editor` resolved against the accounts (also the audit log's actor)."""

    id: str
    name: str
    role: str  # admin, liaison, operator
    department: str | None = None
    email: str = ""


@dataclass(frozen=True)
class RevisionInfo:
    """One save of a draft. `base_number`: for an ordinary save, the revision it was saved
    on top of (always `number - 1`); for an undo (`Catalog.undo`), the revision whose
    document it restored (always less than `number - 1`), see `restored`."""

    key: str
    number: int
    base_number: int | None
    checksum: str
    saved_at: datetime
    saved_by_id: str
    saved_by_name: str
    error_count: int
    warning_count: int
    problems: list[dict[str, Any]]

    @property
    def restored(self) -> int | None:
        """The revision an undo put back (None for an ordinary save)."""
        return _restored(self.number, self.base_number)


@dataclass(frozen=True)
class UndoInfo:
    """An undo: the new revision, and the save whose change it took away."""

    revision: RevisionInfo
    undone: RevisionInfo


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    department: str
    state: str
    latest_version: int | None
    title: dict[str, str]
    draft_revision: int = 0  # pass as `base` to `save_revision`


@dataclass(frozen=True)
class VersionInfo:
    id: int
    key: str
    number: int
    checksum: str
    published_at: datetime
    definition: dict[str, Any]


@dataclass(frozen=True)
class PublicationInfo:
    key: str
    number: int
    published_at: datetime
    published_by: str
    note: str
    restored_from: int | None


@dataclass(frozen=True)
class InFlight:
    """The cases of one version that are not finished: filed ones and citizens' drafts."""

    filed: int = 0
    drafts: int = 0

    @property
    def total(self) -> int:
        return self.filed + self.drafts


@dataclass(frozen=True)
class PublicationRequestInfo:
    id: int
    key: str
    department: str
    revision_number: int
    checksum: str
    note: str
    requested_at: datetime
    requested_by_id: str
    requested_by_name: str
    status: str  # pending, approved, rejected, superseded
    decided_at: datetime | None
    decided_by_name: str
    reason: str
    version_number: int | None


# A definition is identified by its sha256 (the version's checksum), so it can be decoded once
# per process and shared, whatever database or version number it came from.
_DEFINITIONS: dict[str, dict[str, Any]] = {}

_LATEST_VERSION = (
    select(
        versions_t.c.id,
        versions_t.c.number,
        versions_t.c.checksum,
        versions_t.c.published_at,
        templates_t.c.archived_at,
    )
    .join(templates_t, templates_t.c.id == versions_t.c.template_id)
    .where(templates_t.c.key == bindparam("key"))
    .order_by(versions_t.c.number.desc())
    .limit(1)
)

# The latest published version of every non-archived template (`Catalog.live`, the catalog's
# every page view): built once, a statement's construction costs more than its cached SQL.
_LATEST_NUMBERS = (
    select(versions_t.c.template_id, func.max(versions_t.c.number).label("n"))
    .group_by(versions_t.c.template_id)
    .subquery()
)
_LIVE = (
    select(
        versions_t.c.id,
        versions_t.c.number,
        versions_t.c.checksum,
        versions_t.c.published_at,
        templates_t.c.key,
    )
    .join(
        _LATEST_NUMBERS,
        (_LATEST_NUMBERS.c.template_id == versions_t.c.template_id)
        & (_LATEST_NUMBERS.c.n == versions_t.c.number),
    )
    .join(templates_t, templates_t.c.id == versions_t.c.template_id)
    .where(templates_t.c.archived_at.is_(None))
    .order_by(templates_t.c.key)
)


class Catalog:
    """Import, publish, archive and export procedure templates."""

    def __init__(self, engine: Engine, known_departments: Iterable[str] | None = None) -> None:
        self.engine = engine
        self.known_departments = set(known_departments) if known_departments else None

    def validate(self, doc: Any, conn: Connection | None = None) -> list[Problem]:
        """Every problem of `doc`; a department key the municipality does not have is an
        error (see `departments`). `conn`: the caller's transaction, if any."""
        known = self.departments(conn)
        return validate_template(doc, known_departments=known, with_warnings=True)

    def departments(self, conn: Connection | None = None) -> set[str] | None:
        """The department keys templates may name: the ones given to the constructor, else
        the municipality's (`departments add`); None, nothing checked, while it has none
        yet (a fresh database before its set-up)."""
        if self.known_departments is not None:
            return self.known_departments
        with self._reading(conn) as c:
            keys = set(c.execute(select(departments_t.c.key)).scalars())
        return keys or None

    # -- who may act ------------------------------------------------------------------------

    @staticmethod
    def _who(conn: Connection, by: Editor) -> _Who:
        if by.account_id is None:
            return _Who(OPERATOR_ID, by.operator_name or "servidor", "operator")
        row = conn.execute(
            select(
                users_t.c.name,
                users_t.c.email,
                users_t.c.role,
                users_t.c.department_key,
                users_t.c.is_active,
            ).where(users_t.c.id == by.account_id)
        ).one_or_none()
        if row is None or not row.is_active or row.role not in ("admin", "liaison"):
            raise TemplateForbiddenError()
        return _Who(str(by.account_id), row.name or row.email, row.role, row.department_key)

    @staticmethod
    def _allow(who: _Who, department: str) -> None:
        if who.role == "liaison" and who.department != department:
            raise TemplateForbiddenError()

    # -- drafts -----------------------------------------------------------------------------

    def save_draft(self, doc: Any, by: Editor | None = None) -> TemplateInfo:
        """Import a document that must be publishable (seeds, tests): refused with
        TemplateInvalidError when it has errors, else saved as a new revision on top of the
        latest one (by the server's operator unless `by` says otherwise)."""
        problems = self.validate(doc)
        errors = blocking(problems)
        if errors:
            raise TemplateInvalidError(errors)
        self._save(doc, problems, by or Editor.operator(), None)
        return self.info(doc["key"])

    def save_revision(self, doc: Any, *, by: Editor, base: int | None) -> RevisionInfo:
        """Save the draft as a new revision, with its problems (errors do not stop a save).

        `base` is the revision the editor started from (`TemplateInfo.draft_revision`, 0 for
        a new procedure); if someone saved since, RevisionConflictError names who and when
        and nothing is written. `base=None` saves on top of whatever is latest (an import).
        A document without a valid `key` and `department` cannot be stored
        (TemplateInvalidError)."""
        return self._save(doc, self.validate(doc), by, base)

    def _save(
        self,
        doc: Any,
        problems: Sequence[Any],
        by: Editor,
        base: int | None,
        restores: int | None = None,
    ) -> RevisionInfo:
        key, department = self._identity(doc, problems)
        records = [p.as_dict() for p in problems]
        errors = sum(1 for r in records if r["severity"] == "error")
        digest = checksum(doc)
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                who = self._who(conn, by)
                self._allow(who, department)
                tpl = conn.execute(
                    select(
                        templates_t.c.id,
                        templates_t.c.department_key,
                        templates_t.c.draft_revision,
                        templates_t.c.draft_checksum,
                    ).where(templates_t.c.key == key)
                ).one_or_none()
                if tpl is None:
                    if base:
                        raise NotFoundError(
                            "No existe esa plantilla.", "No such template.", key=key
                        )
                    number, base_number = 1, None
                    template_id = conn.execute(
                        insert(templates_t)
                        .values(
                            key=key,
                            department_key=department,
                            draft=doc,
                            draft_checksum=digest,
                            draft_updated_at=now,
                            draft_revision=number,
                            created_at=now,
                        )
                        .returning(templates_t.c.id)
                    ).scalar_one()
                else:
                    self._allow(who, tpl.department_key)
                    template_id = tpl.id
                    if base is not None and base != tpl.draft_revision:
                        raise self._conflict(conn, key, template_id)
                    base_number = tpl.draft_revision
                    if digest == tpl.draft_checksum and tpl.draft_revision:
                        return self._revision(conn, key, template_id, tpl.draft_revision)
                    number = base_number + 1
                    claimed = conn.execute(
                        update(templates_t)
                        .where(
                            templates_t.c.id == template_id,
                            templates_t.c.draft_revision == base_number,
                        )
                        .values(
                            draft=doc,
                            draft_checksum=digest,
                            draft_updated_at=now,
                            draft_revision=number,
                            department_key=department,
                        )
                    )
                    if claimed.rowcount != 1:  # another save took this number first
                        raise self._conflict(conn, key, template_id)
                if restores is not None:
                    base_number = restores  # an undo says which revision it put back
                conn.execute(
                    insert(revisions_t).values(
                        template_id=template_id,
                        number=number,
                        base_number=base_number,
                        document=doc,
                        checksum=digest,
                        saved_at=now,
                        saved_by_id=who.id,
                        saved_by_name=who.name[:200],
                        problems=records,
                        error_count=errors,
                        warning_count=len(records) - errors,
                    )
                )
        except IntegrityError:  # the same procedure created by another save a moment ago
            with self.engine.connect() as conn:
                template_id = conn.execute(
                    select(templates_t.c.id).where(templates_t.c.key == key)
                ).scalar_one()
                raise self._conflict(conn, key, template_id) from None
        return RevisionInfo(
            key,
            number,
            base_number,
            digest,
            now,
            who.id,
            who.name,
            errors,
            len(records) - errors,
            records,
        )

    @staticmethod
    def _identity(doc: Any, problems: Sequence[Any]) -> tuple[str, str]:
        """The key and department a draft is stored under; without them it cannot be."""
        key = doc.get("key") if isinstance(doc, dict) else None
        department = doc.get("department") if isinstance(doc, dict) else None
        if (
            isinstance(key, str)
            and _KEY_RE.match(key)
            and isinstance(department, str)
            and _DEPARTMENT_RE.match(department)
        ):
            return key, department
        blocking = [
            p
            for p in problems
            if p.path in ("$", "$.key", "$.department") or p.path.startswith(("$.key", "$.dep"))
        ]
        raise TemplateInvalidError(
            blocking
            or [
                Problem(
                    "missing_identity",
                    "error",
                    "",
                    "$",
                    "El borrador necesita una clave y una dependencia válidas para guardarse.",
                    "A draft needs a valid key and department to be saved.",
                )
            ]
        )

    @staticmethod
    def _conflict(conn: Connection, key: str, template_id: int) -> RevisionConflictError:
        last = conn.execute(
            select(revisions_t.c.number, revisions_t.c.saved_by_name, revisions_t.c.saved_at)
            .where(revisions_t.c.template_id == template_id)
            .order_by(revisions_t.c.number.desc())
            .limit(1)
        ).one()
        return RevisionConflictError(key, last.number, last.saved_by_name, last.saved_at)

    @staticmethod
    def _revision(conn: Connection, key: str, template_id: int, number: int) -> RevisionInfo:
        row = conn.execute(
            select(revisions_t).where(
                revisions_t.c.template_id == template_id, revisions_t.c.number == number
            )
        ).one()
        return _revision_info(key, row)

    def revisions(self, key: str, limit: int | None = None) -> list[RevisionInfo]:
        """The saved revisions of the draft, newest first (the first is the draft); the
        `limit` latest ones when given. Their documents are not read."""
        columns = [c for c in revisions_t.c if c.name != "document"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*columns)
                .join(templates_t, templates_t.c.id == revisions_t.c.template_id)
                .where(templates_t.c.key == key)
                .order_by(revisions_t.c.number.desc())
                .limit(limit)
            ).all()
        if not rows:
            raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
        return [_revision_info(key, r) for r in rows]

    def latest_revisions(self, keys: Iterable[str] | None = None) -> dict[str, RevisionInfo]:
        """The draft's latest revision of every template (of `keys` only, when given), by key,
        in one query: who saved it last, when, and its problem counts (lists of
        procedures)."""
        latest = (
            select(revisions_t.c.template_id, func.max(revisions_t.c.number).label("n"))
            .group_by(revisions_t.c.template_id)
            .subquery()
        )
        query = (
            select(
                *(c for c in revisions_t.c if c.name != "document"),
                templates_t.c.key.label("template_key"),
            )
            .join(
                latest,
                (latest.c.template_id == revisions_t.c.template_id)
                & (latest.c.n == revisions_t.c.number),
            )
            .join(templates_t, templates_t.c.id == revisions_t.c.template_id)
        )
        if keys is not None:
            query = query.where(templates_t.c.key.in_(list(keys)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r.template_key: _revision_info(r.template_key, r) for r in rows}

    def undo(self, key: str, by: Editor, base: int) -> UndoInfo:
        """Take away the latest change of the draft: the document of the revision before it
        is saved again as a new revision (history is never rewritten). Undoing again goes
        further back: after an undo that put back revision M, the next one puts back M - 1
        (revisions that equal the current draft are passed over).

        `base` is the revision the editor saw; if someone saved since, RevisionConflictError
        and nothing is written. NothingToUndoError when there is no earlier revision."""
        with self.engine.connect() as conn:
            tpl = conn.execute(
                select(templates_t.c.id, templates_t.c.draft_revision).where(
                    templates_t.c.key == key
                )
            ).one_or_none()
            if tpl is None:
                raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
            if base != tpl.draft_revision:
                raise self._conflict(conn, key, tpl.id)
            rows = conn.execute(
                select(
                    revisions_t.c.number,
                    revisions_t.c.base_number,
                    revisions_t.c.checksum,
                )
                .where(revisions_t.c.template_id == tpl.id)
                .order_by(revisions_t.c.number.desc())
            ).all()
            by_number = {r.number: r for r in rows}
            latest = by_number[tpl.draft_revision]
            restored = _restored(latest.number, latest.base_number)
            target = (restored if restored is not None else latest.number) - 1
            while target in by_number and by_number[target].checksum == latest.checksum:
                target -= 1
            if target not in by_number:
                raise NothingToUndoError()
            document = conn.execute(
                select(revisions_t.c.document).where(
                    revisions_t.c.template_id == tpl.id, revisions_t.c.number == target
                )
            ).scalar_one()
            undone = self._revision(conn, key, tpl.id, target + 1)
        doc = dict(document)
        saved = self._save(doc, self.validate(doc), by, base, restores=target)
        return UndoInfo(saved, undone)

    def publications(self, key: str) -> list[PublicationInfo]:
        """Every published version of a template, newest first: who, when, why (without the
        definitions, for lists)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    versions_t.c.number,
                    versions_t.c.published_at,
                    versions_t.c.published_by,
                    versions_t.c.note,
                    versions_t.c.restored_from,
                )
                .join(templates_t, templates_t.c.id == versions_t.c.template_id)
                .where(templates_t.c.key == key)
                .order_by(versions_t.c.number.desc())
            ).all()
        return [PublicationInfo(key, *r) for r in rows]

    # -- publication ------------------------------------------------------------------------

    def publish(
        self, key: str, by: Editor | None = None, note: str = "", *, revision: int | None = None
    ) -> VersionInfo:
        """Freeze the draft as the next version (it must have no errors); publishing an
        unchanged draft is a no-op. Writes the audit log. `revision`: the draft revision the
        publisher reviewed; if someone saved since, RevisionConflictError and nothing is
        published."""
        by = by or Editor.operator()
        with self.engine.begin() as conn:
            who, tpl = self._publisher(conn, key, by)
            if revision is not None and revision != tpl.draft_revision:
                raise self._conflict(conn, key, tpl.id)
            return self._freeze(conn, who, by, tpl, tpl.draft, tpl.draft_checksum, note, None)

    def rollback(self, key: str, number: int, by: Editor, note: str) -> VersionInfo:
        """Publish version `number`'s document again, as a new version; cases keep theirs.
        The draft is left as it is."""
        with self.engine.begin() as conn:
            who, tpl = self._publisher(conn, key, by)
            old = conn.execute(
                select(versions_t.c.definition, versions_t.c.checksum).where(
                    versions_t.c.template_id == tpl.id, versions_t.c.number == number
                )
            ).one_or_none()
            if old is None:
                raise NotFoundError(
                    "Esa versión no está publicada.", "That version is not published.", key=key
                )
            return self._freeze(conn, who, by, tpl, old.definition, old.checksum, note, number)

    def _publisher(self, conn: Connection, key: str, by: Editor) -> tuple[_Who, Any]:
        who = self._who(conn, by)
        tpl = conn.execute(select(templates_t).where(templates_t.c.key == key)).one_or_none()
        if tpl is None:
            raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
        self._allow(who, tpl.department_key)
        return who, tpl

    def _freeze(
        self,
        conn: Connection,
        who: _Who,
        by: Editor,
        tpl: Any,
        doc: dict[str, Any],
        digest: str,
        note: str,
        restored_from: int | None,
        extra: dict[str, Any] | None = None,
    ) -> VersionInfo:
        """Publish `doc` as the next version (no-op when it is the latest one); `extra`: what
        the audit row says besides the version (a four-eyes approval: the request)."""
        note = (note or "").strip()[:MAX_NOTE]
        if not note and who.role != "operator":
            raise NoteRequiredError()
        errors = blocking(self.validate(doc, conn))
        if errors:
            raise TemplateInvalidError(errors)
        latest = conn.execute(
            select(versions_t)
            .where(versions_t.c.template_id == tpl.id)
            .order_by(versions_t.c.number.desc())
            .limit(1)
        ).one_or_none()
        if latest is not None and latest.checksum == digest:
            if tpl.archived_at is not None:
                conn.execute(
                    update(templates_t).where(templates_t.c.id == tpl.id).values(archived_at=None)
                )
            return VersionInfo(
                latest.id,
                tpl.key,
                latest.number,
                latest.checksum,
                latest.published_at,
                latest.definition,
            )
        number = (latest.number if latest is not None else 0) + 1
        now = utcnow()
        version_id = conn.execute(
            insert(versions_t)
            .values(
                template_id=tpl.id,
                number=number,
                definition=doc,
                checksum=digest,
                published_at=now,
                published_by=who.name[:100],
                published_by_id=who.id,
                note=note,
                restored_from=restored_from,
            )
            .returning(versions_t.c.id)
        ).scalar_one()
        conn.execute(update(templates_t).where(templates_t.c.id == tpl.id).values(archived_at=None))
        details: dict[str, Any] = {"version": number, "sha256": digest, "note": note}
        if restored_from is not None:
            details["restored_from"] = restored_from
        else:
            details["draft_revision"] = tpl.draft_revision
        details.update(extra or {})
        action = "template.published" if restored_from is None else "template.rolled_back"
        record_audit(conn, now, who, by.ip, action, "procedure", tpl.key, details)
        return VersionInfo(version_id, tpl.key, number, digest, now, doc)

    def archive(self, key: str) -> TemplateInfo:
        """Withdraw from the catalog; running cases continue on their version."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(templates_t).where(templates_t.c.key == key).values(archived_at=utcnow())
            )
            if done.rowcount != 1:
                raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
        return self.info(key)

    def info(self, key: str) -> TemplateInfo:
        with self.engine.connect() as conn:
            tpl = conn.execute(select(templates_t).where(templates_t.c.key == key)).one_or_none()
            if tpl is None:
                raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
            latest = conn.execute(
                select(versions_t.c.number, versions_t.c.checksum)
                .where(versions_t.c.template_id == tpl.id)
                .order_by(versions_t.c.number.desc())
                .limit(1)
            ).one_or_none()
        if tpl.archived_at is not None:
            state = "archived"
        elif latest is None:
            state = "draft"
        elif latest.checksum == tpl.draft_checksum:
            state = "live"
        else:
            state = "live_with_draft"
        return TemplateInfo(
            key,
            tpl.department_key,
            state,
            latest.number if latest else None,
            _title(tpl.draft),
            tpl.draft_revision,
        )

    def all(self) -> list[TemplateInfo]:
        with self.engine.connect() as conn:
            keys = conn.execute(select(templates_t.c.key).order_by(templates_t.c.key)).scalars()
            all_keys = list(keys)
        return [self.info(k) for k in all_keys]

    def version(self, key: str, number: int | None = None) -> VersionInfo:
        """A published version (the latest when number is None)."""
        with self.engine.connect() as conn:
            query = (
                select(versions_t)
                .join(templates_t, templates_t.c.id == versions_t.c.template_id)
                .where(templates_t.c.key == key)
            )
            if number is None:
                query = query.order_by(versions_t.c.number.desc()).limit(1)
            else:
                query = query.where(versions_t.c.number == number)
            row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundError(
                "Esa versión no está publicada.", "That version is not published.", key=key
            )
        return VersionInfo(row.id, key, row.number, row.checksum, row.published_at, row.definition)

    def draft(self, key: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            doc = conn.execute(
                select(templates_t.c.draft).where(templates_t.c.key == key)
            ).scalar_one_or_none()
        if doc is None:
            raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
        return dict(doc)

    def _reading(self, conn: Connection | None) -> AbstractContextManager[Connection]:
        """The caller's connection (a web request shares one for its reads), or a new one."""
        return nullcontext(conn) if conn is not None else self.engine.connect()

    def live_version(self, key: str, conn: Connection | None = None) -> VersionInfo:
        """The latest published version of a template that is not archived (what the catalog
        shows), in one query; NotFoundError otherwise. The definition is decoded once per
        process (see `live`)."""
        with self._reading(conn) as c:
            row = c.execute(_LATEST_VERSION, {"key": key}).one_or_none()
            if row is None or row.archived_at is not None:
                raise NotFoundError(
                    "Esa versión no está publicada.", "That version is not published.", key=key
                )
            definition = _DEFINITIONS.get(row.checksum)
            if definition is None:
                definition = c.execute(
                    select(versions_t.c.definition).where(versions_t.c.id == row.id)
                ).scalar_one()
                _DEFINITIONS[row.checksum] = definition
        return VersionInfo(row.id, key, row.number, row.checksum, row.published_at, definition)

    def live(self, conn: Connection | None = None) -> list[VersionInfo]:
        """The latest published version of every non-archived template. Published versions
        never change, so their definitions are decoded once per process and kept."""
        with self._reading(conn) as conn:
            rows = conn.execute(_LIVE).all()
            missing = [r.id for r in rows if r.checksum not in _DEFINITIONS]
            if missing:
                found = conn.execute(
                    select(versions_t.c.checksum, versions_t.c.definition).where(
                        versions_t.c.id.in_(missing)
                    )
                )
                for digest, definition in found:
                    _DEFINITIONS[digest] = definition
        return [
            VersionInfo(r.id, r.key, r.number, r.checksum, r.published_at, _DEFINITIONS[r.checksum])
            for r in rows
        ]

    # -- cases in flight --------------------------------------------------------------------

    def cases_in_flight(self, key: str) -> dict[int, InFlight]:
        """The unfinished cases of each published version (by number): they stay on it
        whatever is published later. Versions without any are left out."""
        filed: dict[int, int] = {}
        drafts: dict[int, int] = {}
        is_draft = cases_t.c.status.in_(("draft", "ready_to_submit"))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(versions_t.c.number, is_draft.label("is_draft"), func.count())
                .select_from(cases_t)
                .join(versions_t, versions_t.c.id == cases_t.c.version_id)
                .join(templates_t, templates_t.c.id == versions_t.c.template_id)
                .where(templates_t.c.key == key, cases_t.c.status != CLOSED_STATUS)
                .group_by(versions_t.c.number, is_draft)
            ).all()
        for number, draft, count in rows:
            (drafts if draft else filed)[number] = int(count)
        return {n: InFlight(filed.get(n, 0), drafts.get(n, 0)) for n in sorted({*filed, *drafts})}

    def revision_document(self, key: str, number: int) -> tuple[dict[str, Any], str]:
        """The document and checksum of revision `number` of the draft."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(revisions_t.c.document, revisions_t.c.checksum)
                .join(templates_t, templates_t.c.id == revisions_t.c.template_id)
                .where(templates_t.c.key == key, revisions_t.c.number == number)
            ).one_or_none()
        if row is None:
            raise NotFoundError("No existe esa revisión.", "No such revision.", key=key)
        return dict(row.document), row.checksum

    # -- four-eyes rule: publication requests -----------------------------------------------

    def request_publication(
        self, key: str, by: Editor, note: str, *, revision: int | None = None
    ) -> PublicationRequestInfo:
        """Ask for the draft as it is now (its revision and checksum) to be published; it
        must have no errors and a note. A pending request of the same procedure is replaced
        (superseded). Writes the audit log. `revision`: as for `publish`."""
        note = (note or "").strip()[:MAX_NOTE]
        with self.engine.begin() as conn:
            who, tpl = self._publisher(conn, key, by)
            if revision is not None and revision != tpl.draft_revision:
                raise self._conflict(conn, key, tpl.id)
            if not note:
                raise NoteRequiredError()
            errors = blocking(self.validate(tpl.draft, conn))
            if errors:
                raise TemplateInvalidError(errors)
            now = utcnow()
            conn.execute(
                update(requests_t)
                .where(requests_t.c.template_id == tpl.id, requests_t.c.status == "pending")
                .values(status="superseded", decided_at=now)
            )
            request_id = conn.execute(
                insert(requests_t)
                .values(
                    template_id=tpl.id,
                    revision_number=tpl.draft_revision,
                    checksum=tpl.draft_checksum,
                    note=note,
                    requested_at=now,
                    requested_by_id=who.id,
                    requested_by_name=who.name[:200],
                    status="pending",
                    decided_by_name="",
                    reason="",
                )
                .returning(requests_t.c.id)
            ).scalar_one()
            details = {"request": request_id, "draft_revision": tpl.draft_revision, "note": note}
            record_audit(
                conn, now, who, by.ip, "template.publication_requested", "procedure", key, details
            )
        return self.publication_request(request_id)

    def publication_requests(
        self, *, departments: Iterable[str] | None = None, key: str | None = None
    ) -> list[PublicationRequestInfo]:
        """Pending requests, oldest first: of `departments` (None: all) or of one procedure."""
        query = _REQUESTS.where(requests_t.c.status == "pending").order_by(requests_t.c.id)
        if departments is not None:
            query = query.where(templates_t.c.department_key.in_(list(departments)))
        if key is not None:
            query = query.where(templates_t.c.key == key)
        with self.engine.connect() as conn:
            return [_request_info(r) for r in conn.execute(query)]

    def decided_requests(self, key: str) -> list[PublicationRequestInfo]:
        """The approved and rejected requests of a procedure, newest first."""
        query = _REQUESTS.where(
            templates_t.c.key == key, requests_t.c.status.in_(("approved", "rejected"))
        ).order_by(requests_t.c.id.desc())
        with self.engine.connect() as conn:
            return [_request_info(r) for r in conn.execute(query)]

    def publication_request(self, request_id: int) -> PublicationRequestInfo:
        with self.engine.connect() as conn:
            row = conn.execute(_REQUESTS.where(requests_t.c.id == request_id)).one_or_none()
        if row is None:
            raise NotFoundError("No existe esa solicitud.", "No such request.")
        return _request_info(row)

    def decide_publication(
        self, request_id: int, by: Editor, *, approve: bool, reason: str = ""
    ) -> PublicationRequestInfo:
        """An administrator or the department's director approves (the requested revision is
        published exactly as it was asked for, whatever the draft became since) or rejects
        (with a reason) a pending request; never their own. Writes the audit log."""
        reason = (reason or "").strip()[:MAX_NOTE]
        with self.engine.begin() as conn:
            req = conn.execute(
                select(requests_t, templates_t.c.key, templates_t.c.department_key)
                .join(templates_t, templates_t.c.id == requests_t.c.template_id)
                .where(requests_t.c.id == request_id)
            ).one_or_none()
            if req is None:
                raise NotFoundError("No existe esa solicitud.", "No such request.")
            who = self._approver(conn, by, req.department_key)
            if who.id == req.requested_by_id:
                raise OwnRequestError()
            if not approve and not reason:
                raise ReasonRequiredError()
            now = utcnow()
            claimed = conn.execute(
                update(requests_t)
                .where(requests_t.c.id == request_id, requests_t.c.status == "pending")
                .values(
                    status="approved" if approve else "rejected",
                    decided_at=now,
                    decided_by_id=who.id,
                    decided_by_name=who.name[:200],
                    reason=reason,
                )
            )
            if claimed.rowcount != 1:
                raise RequestDecidedError()
            details: dict[str, Any] = {
                "request": request_id,
                "requested_by": req.requested_by_name,
                "draft_revision": req.revision_number,
            }
            if approve:
                version = self._publish_requested(conn, who, by, req, details)
                conn.execute(
                    update(requests_t)
                    .where(requests_t.c.id == request_id)
                    .values(version_number=version.number)
                )
            else:
                details["reason"] = reason
                record_audit(
                    conn,
                    now,
                    who,
                    by.ip,
                    "template.publication_rejected",
                    "procedure",
                    req.key,
                    details,
                )
        return self.publication_request(request_id)

    def _publish_requested(
        self, conn: Connection, who: _Who, by: Editor, req: Any, details: dict[str, Any]
    ) -> VersionInfo:
        tpl = conn.execute(select(templates_t).where(templates_t.c.id == req.template_id)).one()
        doc = conn.execute(
            select(revisions_t.c.document).where(
                revisions_t.c.template_id == req.template_id,
                revisions_t.c.number == req.revision_number,
                revisions_t.c.checksum == req.checksum,
            )
        ).scalar_one()
        return self._freeze(conn, who, by, tpl, doc, req.checksum, req.note, None, details)

    @staticmethod
    def _approver(conn: Connection, by: Editor, department: str) -> _Who:
        """An active administrator, or an active official of `department` tagged director."""
        row = conn.execute(
            select(
                users_t.c.name,
                users_t.c.email,
                users_t.c.role,
                users_t.c.department_key,
                users_t.c.role_tags,
                users_t.c.is_active,
            ).where(users_t.c.id == by.account_id)
        ).one_or_none()
        if row is None or not row.is_active:
            raise TemplateForbiddenError()
        director = (
            row.role == "official"
            and row.department_key == department
            and DIRECTOR_TAG in (row.role_tags or [])
        )
        if row.role != "admin" and not director:
            raise TemplateForbiddenError()
        role = "admin" if row.role == "admin" else "director"
        return _Who(str(by.account_id), row.name or row.email, role, row.department_key)


def _title(draft: Any) -> dict[str, str]:
    """The draft's title, or none when a draft saved with errors has no usable one."""
    title = draft.get("title") if isinstance(draft, dict) else None
    return {k: v for k, v in title.items() if isinstance(v, str)} if isinstance(title, dict) else {}


def _restored(number: int, base_number: int | None) -> int | None:
    return None if base_number is None or base_number == number - 1 else base_number


def _revision_info(key: str, row: Any) -> RevisionInfo:
    return RevisionInfo(
        key,
        row.number,
        row.base_number,
        row.checksum,
        row.saved_at,
        row.saved_by_id,
        row.saved_by_name,
        row.error_count,
        row.warning_count,
        list(row.problems or []),
    )


_REQUESTS = select(requests_t, templates_t.c.key, templates_t.c.department_key).join(
    templates_t, templates_t.c.id == requests_t.c.template_id
)


def _request_info(row: Any) -> PublicationRequestInfo:
    return PublicationRequestInfo(
        row.id,
        row.key,
        row.department_key,
        row.revision_number,
        row.checksum,
        row.note,
        row.requested_at,
        row.requested_by_id,
        row.requested_by_name,
        row.status,
        row.decided_at,
        row.decided_by_name,
        row.reason,
        row.version_number,
    )
