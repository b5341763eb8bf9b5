"""Case exports: the cases of one published version of a procedure as a CSV or XLSX file,
one column per field of that version after the case's own columns.

`CaseExports.request` records what was asked (and by whom: an audit entry); `build` (a
Celery task, app/tasks.py) reads the cases in batches, writes the file and counts its
progress (`rows_done` of `rows_total`); `download` hands the file to its requester only,
while it is kept (`KEEP_FOR`); `purge` deletes the files past that time. Who may see which
cases is `visibility.handled_by` (an official's departments) or every filed case (an
administrator: `departments` None). Reading the cases for an export and downloading it are
both written to the case access log, one row per case (`export:<id>`,
`export-download:<id>`); every change of state is an audit entry (`export.*`).

Values are the field types' own text (`FieldType.export_text`, the same lines the review
pages show; files as links); the XLSX writes numbers, amounts, dates and moments as such
(`FieldType.export_cell`); headers and labels come in the requester's language from the
web layer (`ExportSpec`), fixed when the export is asked.
"""

from __future__ import annotations

import csv
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import Engine, func, insert, literal, select, update

from workflow_engine.engine import Actor
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.cases.visibility import handled_by
from workflow_engine.persistence.models import (
    Case,
    CaseAccess,
    CaseExport,
    ProcedureTemplate,
    ProcedureVersion,
    table,
)
from workflow_engine.persistence.platform.catalogs import EngineCatalogs
from workflow_engine.persistence.platform.staff import record_audit
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates import model as template_model
from workflow_engine.templates.field_types.base import ExportCell, showing_catalogs

log = logging.getLogger(__name__)

cases_t = table(Case)
exports_t = table(CaseExport)
access_t = table(CaseAccess)
templates_t = table(ProcedureTemplate)
versions_t = table(ProcedureVersion)

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KEEP_FOR = timedelta(hours=24)
BATCH = 200
# The case's own columns, before the fields; their headers are `ExportSpec.headers`.
CASE_COLUMNS = (
    "folio",
    "status",
    "outcome",
    "created_at",
    "submitted_at",
    "closed_at",
    "updated_at",
    "applicant",
    "applicant_ref",
)
SYSTEM = SimpleNamespace(id="system", name="Tramita", email="")
# The case's own moments (local time), in the spreadsheet as in the CSV.
MOMENT = "yyyy-mm-dd hh:mm"
# A spreadsheet reads a CSV cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(EngineError):
    """An export that cannot be asked for (an unknown format or version)."""

    code = "bad_export"
    http_status = 400


@dataclass(frozen=True)
class ExportSpec:
    """What the web layer fixes when an export is asked, in the requester's language:
    the case columns' headers, the words for statuses and outcomes, the address of an
    uploaded file (`file_url` with «{id}») and the municipality's time zone."""

    headers: dict[str, str]
    statuses: dict[str, str]
    outcomes: dict[str, str]
    file_url: str
    timezone: str = "UTC"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportSpec:
        return cls(
            headers=dict(data.get("headers") or {}),
            statuses=dict(data.get("statuses") or {}),
            outcomes=dict(data.get("outcomes") or {}),
            file_url=str(data.get("file_url") or "{id}"),
            timezone=str(data.get("timezone") or "UTC"),
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True)
class ExportInfo:
    id: int
    procedure_key: str
    version_number: int
    format: str
    lang: str
    status: str
    rows_total: int | None
    rows_done: int
    requested_by_id: str
    requested_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    error: str
    size: int

    @property
    def filename(self) -> str:
        return f"{self.procedure_key}-v{self.version_number}-{self.id}.{self.format}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def finished(self) -> bool:
        return self.status in ("ready", "failed", "expired")


def _info(row: Any) -> ExportInfo:
    return ExportInfo(
        id=int(row.id),
        procedure_key=row.procedure_key,
        version_number=int(row.version_number),
        format=row.format,
        lang=row.lang,
        status=row.status,
        rows_total=row.rows_total,
        rows_done=int(row.rows_done or 0),
        requested_by_id=row.requested_by_id,
        requested_at=row.requested_at,
        finished_at=row.finished_at,
        expires_at=row.expires_at,
        error=row.error or "",
        size=int(row.size or 0),
    )


def export_columns(procedure: template_model.Procedure, spec: ExportSpec, lang: str) -> list[str]:
    """The header row: the case's columns, then one per (top-level) field of the version,
    labelled in `lang`."""
    return [spec.headers.get(c, c) for c in CASE_COLUMNS] + [
        f.title(lang) for f in procedure.fields()
    ]


class _Writer(Protocol):
    def row(self, cells: Sequence[ExportCell]) -> None: ...

    def close(self) -> None: ...


class _CsvWriter:
    """UTF-8 with a byte-order mark (spreadsheets then read the accents right); each cell's
    text."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("w", newline="", encoding="utf-8-sig")
        self.writer = csv.writer(self.file)

    def row(self, cells: Sequence[ExportCell]) -> None:
        self.writer.writerow(
            [f"'{c.text}" if c.text.startswith(FORMULA_START) else c.text for c in cells]
        )

    def close(self) -> None:
        self.file.close()


class _XlsxWriter:
    """Numbers, amounts (two decimals), dates and moments as what they are, so a column can
    be summed or sorted; everything else as text (never a formula or a link guessed from
    what citizens typed); rows streamed to disk (`constant_memory`)."""

    def __init__(self, path: Path) -> None:
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.sheet = self.book.add_worksheet("Expedientes")
        self.bold = self.book.add_format({"bold": True})
        self.formats: dict[str, Any] = {}
        self.n = 0

    def _format(self, pattern: str) -> Any:
        if pattern not in self.formats:
            self.formats[pattern] = self.book.add_format({"num_format": pattern})
        return self.formats[pattern]

    def row(self, cells: Sequence[ExportCell]) -> None:
        for col, cell in enumerate(cells):
            if self.n == 0:
                self.sheet.write_string(self.n, col, cell.text, self.bold)
            elif cell.kind in ("number", "money") and cell.value is not None:
                style = self._format(cell.pattern) if cell.pattern else None
                self.sheet.write_number(self.n, col, cell.value, style)
            elif cell.kind in ("date", "datetime") and cell.value is not None:
                self.sheet.write_datetime(self.n, col, cell.value, self._format(cell.pattern))
            elif cell.text:
                self.sheet.write_string(self.n, col, cell.text)
        if self.n == 0:
            self.sheet.freeze_panes(1, 1)
        self.n += 1

    def close(self) -> None:
        self.book.close()


WRITERS: dict[str, Callable[[Path], _Writer]] = {"csv": _CsvWriter, "xlsx": _XlsxWriter}


class CaseExports:
    """The exports of one process: asked, built, downloaded, purged."""

    def __init__(
        self,
        engine: Engine,
        directory: str | Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        keep_for: timedelta = KEEP_FOR,
        batch: int = BATCH,
    ) -> None:
        self.engine = engine
        self.directory = Path(directory)
        self.clock = clock
        self.keep_for = keep_for
        self.batch = batch

    # -- asking ---------------------------------------------------------------------------

    def request(
        self,
        *,
        key: str,
        version_number: int,
        fmt: str,
        lang: str,
        actor: Actor,
        departments: frozenset[str] | None,
        spec: ExportSpec,
        ip: str = "",
    ) -> ExportInfo:
        """Record an export to build (the caller then runs the build task)."""
        if fmt not in FORMATS:
            raise ExportError("Ese formato no existe.", "No such format.", format=fmt)
        now = self.clock()
        with self.engine.begin() as conn:
            if self._version(conn, key, version_number) is None:
                raise ExportError("Esa versión no existe.", "No such version.", key=key)
            export_id = conn.execute(
                insert(exports_t)
                .values(
                    procedure_key=key,
                    version_number=version_number,
                    format=fmt,
                    lang=lang,
                    departments=sorted(departments) if departments is not None else None,
                    spec=asdict(spec),
                    requested_by_id=actor.id,
                    requested_by_name=actor.name[:200],
                    requested_at=now,
                    status="queued",
                    rows_done=0,
                    storage_name="",
                    size=0,
                    error="",
                )
                .returning(exports_t.c.id)
            ).scalar_one()
            record_audit(
                conn,
                now,
                actor,
                ip,
                "export.requested",
                "case_export",
                export_id,
                {"procedure": key, "version": version_number, "format": fmt},
            )
        found = self.info(int(export_id))
        assert found is not None
        return found

    @staticmethod
    def _version(conn: Any, key: str, number: int) -> Any:
        return conn.execute(
            select(versions_t.c.id, versions_t.c.definition)
            .join(templates_t, templates_t.c.id == versions_t.c.template_id)
            .where(templates_t.c.key == key, versions_t.c.number == number)
        ).one_or_none()

    def info(self, export_id: int) -> ExportInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(exports_t).where(exports_t.c.id == export_id)).one_or_none()
        return _info(row) if row is not None else None

    def of_requester(self, actor_id: str, key: str, limit: int = 10) -> list[ExportInfo]:
        """The requester's latest exports of a procedure, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(exports_t)
                .where(exports_t.c.requested_by_id == actor_id, exports_t.c.procedure_key == key)
                .order_by(exports_t.c.id.desc())
                .limit(limit)
            ).all()
        return [_info(r) for r in rows]

    # -- building -------------------------------------------------------------------------

    def _selection(self, version_id: int, key: str, departments: list[str] | None) -> Any:
        query = select(cases_t).where(
            cases_t.c.procedure_key == key,
            cases_t.c.version_id == version_id,
            cases_t.c.submitted_at.is_not(None),
        )
        if departments is not None:
            query = query.where(handled_by(cases_t.c.id, departments))
        return query

    def build(self, export_id: int) -> str:
        """Build the file of a queued export; its final status. Run once more (a task
        delivered again), it does nothing to an export already finished."""
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(exports_t)
                .where(exports_t.c.id == export_id, exports_t.c.status.in_(("queued", "running")))
                .values(status="running", rows_done=0)
            ).rowcount
            row = conn.execute(select(exports_t).where(exports_t.c.id == export_id)).one_or_none()
        if row is None:
            return "missing"
        if not claimed:
            return str(row.status)
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{export_id}-{secrets.token_hex(8)}.{row.format}"
        path = self.directory / name
        try:
            self._write(row, path)
        except Exception as exc:
            log.exception("case export %s failed", export_id)
            path.unlink(missing_ok=True)
            self._finish(export_id, "failed", "export.failed", error=str(exc)[:500])
            return "failed"
        self._finish(
            export_id,
            "ready",
            "export.ready",
            storage_name=name,
            size=path.stat().st_size,
            expires_at=self.clock() + self.keep_for,
        )
        return "ready"

    def _write(self, row: Any, path: Path) -> None:
        spec = ExportSpec.from_json(row.spec or {})
        with self.engine.connect() as conn:
            version = self._version(conn, row.procedure_key, int(row.version_number))
            if version is None:
                raise ExportError("Esa versión no existe.", "No such version.")
            query = self._selection(int(version.id), row.procedure_key, row.departments)
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        procedure = template_model.of(version.definition)
        self._progress(int(row.id), 0, int(total))
        writer = WRITERS[row.format](path)
        done = 0
        last_id = 0
        try:
            writer.row([ExportCell(h) for h in export_columns(procedure, spec, row.lang)])
            with showing_catalogs(EngineCatalogs(self.engine)):
                while True:
                    with self.engine.connect() as conn:
                        batch = conn.execute(
                            query.where(cases_t.c.id > last_id)
                            .order_by(cases_t.c.id)
                            .limit(self.batch)
                        ).all()
                    if not batch:
                        break
                    for case in batch:
                        writer.row(self._cells(case, procedure, spec, row.lang))
                    last_id = int(batch[-1].id)
                    done += len(batch)
                    self._read(row, [int(c.id) for c in batch])
                    self._progress(int(row.id), done, max(done, int(total)))
        finally:
            writer.close()

    def _cells(
        self, case: Any, procedure: template_model.Procedure, spec: ExportSpec, lang: str
    ) -> list[ExportCell]:
        zone = ZoneInfo(spec.timezone)

        def moment(value: datetime | None) -> ExportCell:
            if value is None:
                return ExportCell("")
            local = value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
            return ExportCell(local.strftime("%Y-%m-%d %H:%M"), local, "datetime", MOMENT)

        data = (case.state or {}).get("data") or {}

        def file_url(public_id: str) -> str:
            return spec.file_url.replace("{id}", public_id)

        cells = [
            ExportCell(case.folio),
            ExportCell(
                spec.statuses.get(f"{case.status}:{case.outcome or ''}")
                or spec.statuses.get(case.status, case.status)
            ),
            ExportCell(spec.outcomes.get(case.outcome or "", case.outcome or "")),
            moment(case.created_at),
            moment(case.submitted_at),
            moment(case.closed_at),
            moment(case.updated_at),
            ExportCell(case.applicant_name or ""),
            ExportCell(case.applicant_ref or ""),
        ]
        for fld in procedure.fields():
            value = data.get(fld.id)
            empty = value is None or value == "" or value == [] or value == {}
            cells.append(
                ExportCell("") if empty else fld.kind.export_cell(fld.raw, value, lang, file_url)
            )
        return cells

    def _read(self, row: Any, case_ids: list[int]) -> None:
        """The requester read these cases (case access log, one row each)."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                insert(access_t),
                [
                    {
                        "case_id": case_id,
                        "user_id": row.requested_by_id,
                        "user_name": row.requested_by_name,
                        "what": f"export:{row.id}",
                        "ip": "",
                        "created_at": now,
                    }
                    for case_id in case_ids
                ],
            )

    def _progress(self, export_id: int, done: int, total: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(exports_t)
                .where(exports_t.c.id == export_id)
                .values(rows_done=done, rows_total=total)
            )

    def _finish(self, export_id: int, status: str, action: str, **values: Any) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                update(exports_t)
                .where(exports_t.c.id == export_id)
                .values(status=status, finished_at=now, **values)
            )
            details = {"error": values["error"]} if "error" in values else {}
            record_audit(conn, now, SYSTEM, "", action, "case_export", export_id, details)

    def abandon(self, export_id: int, reason: str) -> None:
        """A queued export whose build could not be started (the broker is down): failed."""
        self._finish(export_id, "failed", "export.failed", error=reason[:500])

    # -- downloading and purging ----------------------------------------------------------

    def download(self, export_id: int, actor: Actor, ip: str = "") -> Path | None:
        """The file, for its requester while it is kept; None otherwise. Each download is
        written to the audit log and, per case, to the case access log."""
        found = self.info(export_id)
        if found is None or found.requested_by_id != actor.id or found.status != "ready":
            return None
        if found.expires_at is None or found.expires_at <= self.clock():
            return None
        with self.engine.connect() as conn:
            name: str = conn.execute(
                select(exports_t.c.storage_name).where(exports_t.c.id == export_id)
            ).scalar_one()
        path = self.directory / name
        if not name or not path.is_file():
            return None
        now = self.clock()
        with self.engine.begin() as conn:
            read = select(
                access_t.c.case_id,
                literal(actor.id),
                literal(actor.name[:200]),
                literal(f"export-download:{export_id}"),
                literal(ip[:64]),
                literal(now, type_=access_t.c.created_at.type),
            ).where(access_t.c.user_id == actor.id, access_t.c.what == f"export:{export_id}")
            conn.execute(
                insert(access_t).from_select(
                    ["case_id", "user_id", "user_name", "what", "ip", "created_at"], read
                )
            )
            record_audit(conn, now, actor, ip, "export.downloaded", "case_export", export_id, {})
        return path

    def purge(self) -> int:
        """Delete the files kept past their time; how many."""
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(exports_t.c.id, exports_t.c.storage_name).where(
                    exports_t.c.status == "ready", exports_t.c.expires_at <= now
                )
            ).all()
        for row in rows:
            if row.storage_name:
                (self.directory / row.storage_name).unlink(missing_ok=True)
            with self.engine.begin() as conn:
                conn.execute(
                    update(exports_t)
                    .where(exports_t.c.id == row.id)
                    .values(status="expired", storage_name="")
                )
                record_audit(conn, now, SYSTEM, "", "export.expired", "case_export", row.id, {})
        return len(rows)
