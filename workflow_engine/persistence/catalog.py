"""Procedure templates: an editable draft, immutable numbered versions, archive.

State of a template: `draft` (never published), `live` (published, draft equals the latest
version), `live_with_draft` (published, draft has unpublished changes), `archived`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.hashing import checksum
from workflow_engine.persistence.models import ProcedureTemplate, ProcedureVersion, table
from workflow_engine.persistence.service import NotFoundError
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.validation import Problem, errors, validate_template

templates_t = table(ProcedureTemplate)
versions_t = table(ProcedureVersion)


class TemplateInvalidError(EngineError):
    """The template has errors; `problems` lists them with their JSON paths."""

    code = "template_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"La plantilla tiene {len(problems)} error(es).",
            f"The template has {len(problems)} error(s).",
            problems=[p.as_dict() for p in problems],
        )
        self.problems = problems


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    department: str
    state: str
    latest_version: int | None
    title: dict[str, str]


@dataclass(frozen=True)
class VersionInfo:
    id: int
    key: str
    number: int
    checksum: str
    published_at: datetime
    definition: dict[str, Any]


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


class Catalog:
    """Import, publish, archive and export procedure templates."""

    def __init__(self, engine: Engine, known_departments: Iterable[str] | None = None) -> None:
        self.engine = engine
        self.known_departments = set(known_departments) if known_departments else None

    def validate(self, doc: Any) -> list[Problem]:
        return validate_template(doc, known_departments=self.known_departments, with_warnings=True)

    def save_draft(self, doc: Any) -> TemplateInfo:
        """Create the template or replace its draft (validated first)."""
        problems = errors(self.validate(doc))  # warnings do not block
        if problems:
            raise TemplateInvalidError(problems)
        now = utcnow()
        digest = checksum(doc)
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(templates_t.c.id).where(templates_t.c.key == doc["key"])
            ).scalar()
            if existing is None:
                conn.execute(
                    insert(templates_t).values(
                        key=doc["key"],
                        department_key=doc["department"],
                        draft=doc,
                        draft_checksum=digest,
                        draft_updated_at=now,
                        created_at=now,
                    )
                )
            else:
                conn.execute(
                    update(templates_t)
                    .where(templates_t.c.id == existing)
                    .values(
                        draft=doc,
                        draft_checksum=digest,
                        draft_updated_at=now,
                        department_key=doc["department"],
                    )
                )
        return self.info(doc["key"])

    def publish(self, key: str, published_by: str = "") -> VersionInfo:
        """Freeze the draft as the next version; publishing an unchanged draft is a no-op."""
        with self.engine.begin() as conn:
            tpl = conn.execute(select(templates_t).where(templates_t.c.key == key)).one_or_none()
            if tpl is None:
                raise NotFoundError("No existe esa plantilla.", "No such template.", key=key)
            problems = errors(self.validate(tpl.draft))  # warnings do not block
            if problems:
                raise TemplateInvalidError(problems)
            latest = conn.execute(
                select(versions_t)
                .where(versions_t.c.template_id == tpl.id)
                .order_by(versions_t.c.number.desc())
                .limit(1)
            ).one_or_none()
            if latest is not None and latest.checksum == tpl.draft_checksum:
                if tpl.archived_at is not None:
                    conn.execute(
                        update(templates_t)
                        .where(templates_t.c.id == tpl.id)
                        .values(archived_at=None)
                    )
                return VersionInfo(
                    latest.id,
                    key,
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
                    definition=tpl.draft,
                    checksum=tpl.draft_checksum,
                    published_at=now,
                    published_by=published_by,
                )
                .returning(versions_t.c.id)
            ).scalar_one()
            conn.execute(
                update(templates_t).where(templates_t.c.id == tpl.id).values(archived_at=None)
            )
            return VersionInfo(version_id, key, number, tpl.draft_checksum, now, tpl.draft)

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
            dict(tpl.draft.get("title", {})),
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
            latest = (
                select(versions_t.c.template_id, func.max(versions_t.c.number).label("n"))
                .group_by(versions_t.c.template_id)
                .subquery()
            )
            rows = conn.execute(
                select(
                    versions_t.c.id,
                    versions_t.c.number,
                    versions_t.c.checksum,
                    versions_t.c.published_at,
                    templates_t.c.key,
                )
                .join(
                    latest,
                    (latest.c.template_id == versions_t.c.template_id)
                    & (latest.c.n == versions_t.c.number),
                )
                .join(templates_t, templates_t.c.id == versions_t.c.template_id)
                .where(templates_t.c.archived_at.is_(None))
                .order_by(templates_t.c.key)
            ).all()
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
