"""The officials' inbox: open approval tasks by view, filter, search and keyset pages.

Why it is shaped like this:

* Department isolation is by construction. Every query is built from "branches", and each
  branch pins `tasks.department` to one of the viewer's departments (the "mine" branch to
  the whole set). No departments, no branches, no rows.
* It stays flat at a million cases. Each branch is one range scan of one partial btree index
  on the open tasks (migration 0004), in the page's order, cut by a keyset predicate and a
  LIMIT; the branches are merged with UNION ALL and the page is joined to `cases` only for
  its own rows. The columns a page shows or filters on (folio, procedure, applicant,
  submission time) are copied onto `tasks` by the hot path, so nothing else is joined.
* `status = 'open'` and friends are SQL literals, not parameters, so PostgreSQL can match
  the partial indexes even with a generic (prepared) plan.
* The cursor is opaque: URL-safe base64 of the sort, the last row's sort key and id, with a
  checksum. Anything that does not decode exactly is an `InvalidCursorError` (a ValueError).
  The cursor carries no authority: scope filters apply to every page whatever it says.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)

from workflow_engine.folio import normalize_folio
from workflow_engine.persistence.models import Case, Task, table
from workflow_engine.search import search_text

tasks_t = table(Task)
cases_t = table(Case)

OPEN_VIEWS = ("mine", "unclaimed", "department", "overdue")
VIEWS = (*OPEN_VIEWS, "decided")  # decided: resolved tasks (history), not counted
DECIDED_STATUSES = ("approved", "rejected", "returned")
# Sorts by a column of the table, ascending or (`_desc`) descending, then by task id. No
# index delivers these orders: each branch's rows are sorted (fine for a department's open
# tasks; the deadline and age sorts are the ones that stay flat at a million cases).
COLUMN_SORTS = ("folio", "folio_desc", "applicant", "applicant_desc", "state", "state_desc")
SORTS = ("deadline", "age", "newest", *COLUMN_SORTS)
DEADLINE_STATES = ("on_time", "due_soon", "overdue", "none")
MAX_LIMIT = 200

_OPEN: ColumnElement[str] = literal_column("'open'")
_REF = re.compile(r"^[A-Z0-9&Ñ]{10,18}$")
_FOLIO_PART = re.compile(r"^[A-Z0-9-]+$")


# Counts in the inbox stop here: past it, the views say "1000+" (counting on costs time).
COUNT_CAP = 1000


def deadline_state(due_on: date | None, today: date, due_soon_until: date) -> str:
    """A deadline seen on `today`: overdue (before today), due_soon (up to `due_soon_until`),
    on_time, or none (no deadline). The inbox, the case page and the dashboards say it alike."""
    if due_on is None:
        return "none"
    if due_on < today:
        return "overdue"
    if due_on <= due_soon_until:
        return "due_soon"
    return "on_time"


class InboxQueryError(ValueError):
    """A view, sort, filter or limit the inbox does not know (the web layer answers 400)."""


class InvalidCursorError(InboxQueryError):
    """A pagination cursor that was not produced by this inbox (or was altered)."""


def _inline(value: str) -> Any:
    """A search value written into the SQL text at execution time (SQLAlchemy still caches
    the compiled statement). A LIKE pattern given as a parameter would let PostgreSQL reuse
    a generic plan of a prepared statement, which cannot use the folio or trigram index."""
    return bindparam(None, value, literal_execute=True)


def normalize_ref(ref: str | None) -> str | None:
    """CURP/RFC as stored: upper case, no spaces; None when blank."""
    if ref is None:
        return None
    cleaned = re.sub(r"\s+", "", ref).upper()
    return cleaned or None


def case_search(
    q: str, folio: Any, applicant_ref: Any, applicant_search: Any
) -> ColumnElement[bool] | None:
    """What a search box asks of cases (the inbox's tasks, the administrators' list): digits
    mean a folio (prefix) or a CURP/RFC (exact); otherwise the applicant's name by word
    prefixes, accents and case ignored (`search_text`). None when there is nothing to find."""
    text = (q or "").strip()[:100]
    if not text:
        return None
    if any(ch.isdigit() for ch in text):
        folio_text = normalize_folio(text)
        options: list[ColumnElement[bool]] = []
        if _FOLIO_PART.match(folio_text):
            options.append(folio.like(_inline(folio_text + "%")))
        ref = normalize_ref(text)
        if ref and _REF.match(ref):
            options.append(applicant_ref == _inline(ref))
        return or_(*options) if options else literal(False)
    words = search_text(text).split()
    if not words:
        return literal(False)
    return and_(*(applicant_search.like(_inline(f"% {w}%")) for w in words[:6]))


@dataclass(frozen=True)
class StaffViewer:
    user_id: str  # str(users.id)
    departments: frozenset[str]
    roles: frozenset[str]  # role tags: revisor, inspector, director, cajero...

    @property
    def is_director(self) -> bool:
        return "director" in self.roles


@dataclass(frozen=True)
class InboxFilter:
    view: str = "mine"  # mine | unclaimed | department | overdue
    procedure_key: str | None = None
    department: str | None = None  # narrow to one of the viewer's departments
    received_from: date | None = None  # case submitted_at (local date) range
    received_to: date | None = None
    deadline: str | None = None  # on_time | due_soon | overdue | none
    q: str = ""  # folio (prefix), applicant name (word prefixes), CURP/RFC (exact)
    sort: str = "deadline"  # deadline | age | newest | one of COLUMN_SORTS


@dataclass(frozen=True)
class InboxRow:
    task_id: int
    task_key: str
    case_id: int
    folio: str
    procedure_key: str
    step_id: str
    department: str
    role: str
    status: str
    assignee_id: str | None
    due_on: date | None
    opened_at: datetime
    escalated: bool
    applicant_name: str
    applicant_ref: str
    case_status: str
    submitted_at: datetime | None
    deadline_state: str  # on_time | due_soon | overdue | none
    # The procedure's maximum response time over the whole case (its `response_deadline`).
    response_due: date | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: tuple[InboxRow, ...]
    next_cursor: str | None  # opaque keyset cursor (URL-safe), None on the last page


# -- cursor ------------------------------------------------------------------------------


def _checksum(body: bytes) -> str:
    return hashlib.sha256(b"tramita-inbox-cursor:" + body).hexdigest()[:12]


def encode_cursor(sort: str, key: date | datetime | str | None, task_id: int) -> str:
    value = key if key is None or isinstance(key, str) else key.isoformat()
    body = json.dumps([sort, value, task_id], separators=(",", ":")).encode()
    raw = body + b"." + _checksum(body).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class _Position:
    key: date | datetime | str | None
    task_id: int


def decode_cursor(cursor: str, sort: str) -> _Position:
    """The position after which the next page starts; InvalidCursorError otherwise."""
    bad = InvalidCursorError("cursor no válido / invalid cursor")
    if not isinstance(cursor, str) or len(cursor) > 300:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body, _, check = raw.rpartition(b".")
        if not body or check.decode() != _checksum(body):
            raise bad
        tag, value, task_id = json.loads(body)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise bad from None
    if tag != sort or type(task_id) is not int or task_id < 0:
        raise bad
    if value is None:
        if sort != "deadline":
            raise bad
        return _Position(None, task_id)
    if not isinstance(value, str):
        raise bad
    if sort in COLUMN_SORTS:
        return _Position(value, task_id)
    try:
        if sort == "deadline":
            return _Position(date.fromisoformat(value), task_id)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad from None
    if moment.tzinfo is None:
        raise bad
    return _Position(moment, task_id)


# -- the inbox ---------------------------------------------------------------------------


class Inbox:
    """Read-only queries over open tasks for one official at a time."""

    def __init__(
        self,
        engine: Engine,
        today: Callable[[], date],
        due_soon_until: Callable[[date], date],
        *,
        timezone: str = "America/Mexico_City",
    ) -> None:
        self.engine = engine
        self.today = today
        self.due_soon_until = due_soon_until
        self.tz = ZoneInfo(timezone)

    # -- scope -----------------------------------------------------------------------------
    def _branches(
        self, viewer: StaffViewer, view: str, departments: frozenset[str], today: date
    ) -> list[list[ColumnElement[bool]]]:
        """Conditions per branch; each branch fits one partial index (see migration 0004)."""
        t = tasks_t.c
        depts = sorted(departments)
        if not depts:
            return []
        mine: list[ColumnElement[bool]] = [
            t.status == _OPEN,
            t.assignee_id == viewer.user_id,
            t.department.in_(depts),
        ]
        if viewer.is_director:
            pool = [[t.status == _OPEN, t.assignee_id.is_(None), t.department == d] for d in depts]
        else:
            pool = [
                [t.status == _OPEN, t.assignee_id.is_(None), t.department == d, t.role == r]
                for d in depts
                for r in sorted(viewer.roles)
            ]
        if view == "mine":
            return [mine]
        if view == "unclaimed":
            return pool
        whole = [[t.status == _OPEN, t.department == d] for d in depts]
        if view == "department":
            return whole
        if view == "overdue":
            scope = whole if viewer.is_director else [mine, *pool]
            return [[*branch, t.due_on < today] for branch in scope]
        if view == "decided":
            # The department's resolved tasks for a director; one's own decisions otherwise.
            decided = [t.status.in_([_inline(s) for s in DECIDED_STATUSES])]
            if viewer.is_director:
                return [[*decided, t.department == d] for d in depts]
            return [[*decided, t.department.in_(depts), t.decided_by == viewer.user_id]]
        raise InboxQueryError(f"vista desconocida / unknown view: {view!r}")

    def _departments(self, viewer: StaffViewer, flt: InboxFilter) -> frozenset[str]:
        if flt.department is None or flt.department == "":
            return viewer.departments
        return viewer.departments & {flt.department}

    # -- filters ---------------------------------------------------------------------------
    def _filters(self, flt: InboxFilter, today: date) -> list[ColumnElement[bool]]:
        t = tasks_t.c
        where: list[ColumnElement[bool]] = []
        if flt.procedure_key:
            where.append(t.procedure_key == flt.procedure_key)
        if flt.received_from is not None:
            start = datetime.combine(flt.received_from, time.min, self.tz).astimezone(UTC)
            where.append(t.submitted_at >= start)
        if flt.received_to is not None:
            end = datetime.combine(flt.received_to + timedelta(days=1), time.min, self.tz)
            where.append(t.submitted_at < end.astimezone(UTC))
        if flt.deadline:
            soon = self.due_soon_until(today)
            if flt.deadline == "overdue":
                where.append(t.due_on < today)
            elif flt.deadline == "due_soon":
                where.append(and_(t.due_on >= today, t.due_on <= soon))
            elif flt.deadline == "on_time":
                where.append(t.due_on > soon)
            elif flt.deadline == "none":
                where.append(t.due_on.is_(None))
            else:
                raise InboxQueryError(f"plazo desconocido / unknown deadline: {flt.deadline!r}")
        search = self._search(flt.q)
        if search is not None:
            where.append(search)
        return where

    def _search(self, q: str) -> ColumnElement[bool] | None:
        t = tasks_t.c
        return case_search(q, t.folio, t.applicant_ref, t.applicant_search)

    # -- ordering --------------------------------------------------------------------------
    @staticmethod
    def _sort_key(sort: str, view: str) -> ColumnElement[Any] | None:
        """What a column sort orders by (None for the other sorts): the folio; the
        applicant's name as search compares it (accents and case ignored, the same order on
        every database); the state the column shows, the case's status (a decided task's
        decision in the decided view)."""
        t = tasks_t.c
        column = sort.removesuffix("_desc") if sort in COLUMN_SORTS else None
        if column == "folio":
            return t.folio
        if column == "applicant":
            return t.applicant_search
        if column == "state":
            if view == "decided":
                return t.status
            return select(cases_t.c.status).where(cases_t.c.id == t.case_id).scalar_subquery()
        return None

    @staticmethod
    def _segments(
        sort: str,
        position: _Position | None,
        dated: bool = True,
        undated: bool = True,
        sort_key: ColumnElement[Any] | None = None,
    ) -> list[tuple[list[ColumnElement[bool]], list[tuple[str, bool]]]]:
        """(keyset conditions, [(column, descending)]) per segment, read in turn.

        The deadline sort reads dated tasks first, then undated ones (nulls last) as a
        second segment, so each segment is a plain index range scan. Both are ordered by
        (due_on, id) so PostgreSQL sees the (…, due_on, id) index delivers that order; a
        segment the view or filter rules out (overdue has a due date) is left out, lest
        the planner look for rows that cannot exist."""
        t = tasks_t.c
        if sort == "deadline":
            order = [("due_on", False), ("id", False)]
            undated_where: list[ColumnElement[bool]] = [t.due_on.is_(None)]
            if position is not None and position.key is None:
                undated_where.append(t.id > position.task_id)
                return [(undated_where, order)] if undated else []
            dated_where: list[ColumnElement[bool]] = [t.due_on.is_not(None)]
            if position is not None:
                dated_where.append(tuple_(t.due_on, t.id) > tuple_(position.key, position.task_id))
            chosen = [(dated_where, order)] if dated else []
            return chosen + ([(undated_where, order)] if undated else [])
        if sort in ("age", "newest"):
            desc = sort == "newest"
            where: list[ColumnElement[bool]] = []
            if position is not None:
                key = tuple_(t.opened_at, t.id)
                after = tuple_(position.key, position.task_id)
                where.append(key < after if desc else key > after)
            return [(where, [("opened_at", desc), ("id", desc)])]
        if sort in COLUMN_SORTS and sort_key is not None:
            desc = sort.endswith("_desc")
            where = []
            if position is not None:
                # (key, id) after the cursor's, spelled out: a row value holding a subquery
                # is not portable
                if desc:
                    later = or_(
                        sort_key < position.key,
                        and_(sort_key == position.key, t.id < position.task_id),
                    )
                else:
                    later = or_(
                        sort_key > position.key,
                        and_(sort_key == position.key, t.id > position.task_id),
                    )
                where.append(later)
            return [(where, [("sort_key", desc), ("id", desc)])]
        raise InboxQueryError(f"orden desconocido / unknown sort: {sort!r}")

    @staticmethod
    def _order(
        source: Any, spec: Sequence[tuple[str, bool]], extra: dict[str, Any] | None = None
    ) -> list[Any]:
        """ORDER BY terms: columns of `source`, or the labelled expressions in `extra`."""
        terms = [(extra or {}).get(name, None) for name, _desc in spec]
        columns = [
            t if t is not None else source.c[n] for t, (n, _d) in zip(terms, spec, strict=True)
        ]
        return [c.desc() if d else c.asc() for c, (_n, d) in zip(columns, spec, strict=True)]

    # -- pages -----------------------------------------------------------------------------
    def page(
        self,
        viewer: StaffViewer,
        flt: InboxFilter,
        cursor: str | None = None,
        limit: int = 25,
    ) -> InboxPage:
        """One page of the view, in the filter's order, after the cursor's row."""
        if flt.view not in VIEWS:
            raise InboxQueryError(f"vista desconocida / unknown view: {flt.view!r}")
        if flt.sort not in SORTS:
            raise InboxQueryError(f"orden desconocido / unknown sort: {flt.sort!r}")
        limit = max(1, min(int(limit), MAX_LIMIT))
        position = decode_cursor(cursor, flt.sort) if cursor else None
        today = self.today()
        branches = self._branches(viewer, flt.view, self._departments(viewer, flt), today)
        filters = self._filters(flt, today)
        if not branches:
            return InboxPage((), None)
        has_due = flt.view == "overdue" or flt.deadline in ("overdue", "due_soon", "on_time")
        sort_key = self._sort_key(flt.sort, flt.view)
        segments = self._segments(
            flt.sort, position, dated=flt.deadline != "none", undated=not has_due, sort_key=sort_key
        )
        if not segments:
            return InboxPage((), None)
        stmt = self._page_query(branches, filters, segments, limit + 1, sort_key)
        with self.engine.connect() as conn:
            found = conn.execute(stmt).all()
        more = len(found) > limit
        rows = [self._row(r, today) for r in found[:limit]]
        next_cursor = None
        if more and rows:
            last = rows[-1]
            key: date | datetime | str | None
            if sort_key is not None:
                key = str(found[limit - 1].sort_key or "")
            else:
                key = last.due_on if flt.sort == "deadline" else last.opened_at
            next_cursor = encode_cursor(flt.sort, key, last.task_id)
        return InboxPage(tuple(rows), next_cursor)

    def _page_query(
        self,
        branches: Sequence[Sequence[ColumnElement[bool]]],
        filters: Sequence[ColumnElement[bool]],
        segments: Sequence[tuple[list[ColumnElement[bool]], list[tuple[str, bool]]]],
        limit: int,
        sort_key: ColumnElement[Any] | None = None,
    ) -> Select[Any]:
        """One statement: per segment and branch an ordered, limited index scan; merged
        with UNION ALL, cut to the page, then joined to `cases` for those rows only."""
        t = tasks_t.c
        columns = [
            t.id,
            t.task_key,
            t.case_id,
            t.folio,
            t.procedure_key,
            t.step_id,
            t.department,
            t.role,
            t.status,
            t.assignee_id,
            t.due_on,
            t.opened_at,
            t.escalated,
            t.applicant_name,
            t.applicant_ref,
            t.submitted_at,
        ]
        extra: dict[str, Any] = {}
        if sort_key is not None:
            extra["sort_key"] = sort_key.label("sort_key")
            columns.append(extra["sort_key"])
        parts = [
            select(*columns, literal_column(str(number)).label("seg"))
            .where(*branch, *filters, *where)
            .order_by(*self._order(tasks_t, order, extra))
            .limit(limit)
            .subquery()
            for number, (where, order) in enumerate(segments)
            for branch in branches
        ]
        merged = parts[0] if len(parts) == 1 else union_all(*map(select, parts)).subquery()
        order = [("seg", False), *segments[0][1]]
        top = select(merged).order_by(*self._order(merged, order)).limit(limit).subquery()
        return (
            select(
                top,
                cases_t.c.status.label("case_status"),
                cases_t.c.state["response_due"].as_string().label("response_due"),
            )
            .join(cases_t, cases_t.c.id == top.c.case_id)
            .order_by(*self._order(top, order))
        )

    def _row(self, r: Any, today: date) -> InboxRow:
        return InboxRow(
            task_id=int(r.id),
            task_key=str(r.task_key),
            case_id=int(r.case_id),
            folio=str(r.folio),
            procedure_key=str(r.procedure_key),
            step_id=str(r.step_id),
            department=str(r.department),
            role=str(r.role),
            status=str(r.status),
            assignee_id=r.assignee_id,
            due_on=r.due_on,
            opened_at=r.opened_at,
            escalated=bool(r.escalated),
            applicant_name=str(r.applicant_name or ""),
            applicant_ref=str(r.applicant_ref or ""),
            case_status=str(r.case_status),
            submitted_at=r.submitted_at,
            deadline_state=self.deadline_state(r.due_on, today),
            response_due=date.fromisoformat(r.response_due) if r.response_due else None,
        )

    def deadline_state(self, due_on: date | None, today: date | None = None) -> str:
        """on_time, due_soon (up to due_soon_until(today)), overdue (before today) or none."""
        today = self.today() if today is None else today
        return deadline_state(due_on, today, self.due_soon_until(today))

    # -- counts ----------------------------------------------------------------------------
    def counts(self, viewer: StaffViewer, cap: int = COUNT_CAP) -> dict[str, int]:
        """Open tasks per view, each at most `cap`, in one query (the inbox asks for one more
        than COUNT_CAP to know when to say "1000+")."""
        cap = max(1, int(cap))
        today = self.today()
        result = {view: 0 for view in OPEN_VIEWS}
        columns = []
        for view in OPEN_VIEWS:
            branches = self._branches(viewer, view, viewer.departments, today)
            if not branches:
                continue
            parts = [
                select(tasks_t.c.id).where(*branch).limit(cap).subquery() for branch in branches
            ]
            merged = (
                parts[0] if len(parts) == 1 else union_all(*(select(p) for p in parts)).subquery()
            )
            capped = select(merged.c.id).limit(cap).subquery()
            columns.append(select(func.count()).select_from(capped).scalar_subquery().label(view))
        if not columns:
            return result
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns)).one()
        for name, value in row._mapping.items():
            result[str(name)] = min(int(value), cap)
        return result


__all__ = [
    "COUNT_CAP",
    "Inbox",
    "InboxFilter",
    "InboxPage",
    "InboxQueryError",
    "InboxRow",
    "InvalidCursorError",
    "StaffViewer",
    "case_search",
    "deadline_state",
    "normalize_ref",
    "search_text",
]
