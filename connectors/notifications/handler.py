"""The `notify` effect: one in-app notification per recipient, and an e-mail when SMTP is set.

Recipients (`to` in the payload):
- `applicant`: the user whose id is the case's `applicant_id`;
- `user:<id>`: that person while active (a task's assignee); if deactivated, the task's
  department as below;
- `department:<key>` (or `department` with the key in the payload): the department's active
  officials; with a `role` (the payload's, else the task's) those tagged with that role or
  `director`, if any. A notice about a task someone claimed goes to that person alone;
- `director:<key>`: the department's active officials tagged `director`; if it has none,
  its officials.
Deactivated users get nothing. When nobody matches, one row addressed to `department:<key>`
keeps the notice visible. Rows are addressed `user:<id>` (what the in-app list filters on) or
`department:<key>`. Each row, and its e-mail, is in its recipient's language (`users.language`).

Idempotent: each row's key is the message key plus the recipient, so a retry writes no
second row, and only rows without `sent_at` are e-mailed again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connectors.common import CaseRecord, case_id_of
from connectors.common import cases_t as cases_table
from connectors.common import versions_t as versions_table
from connectors.notifications.mailer import SmtpMailer, build_email
from connectors.notifications.messages import Message, compose
from connectors.settings import ConnectorSettings
from workflow_engine.engine.commands import Command
from workflow_engine.persistence.cases.outbox import OutboxItem, PermanentError
from workflow_engine.persistence.models import Notification, Task, User, table
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)
notifications_t = table(Notification)
users_t = table(User)
tasks_t = table(Task)
# Notices that only matter while their task waits for a decision.
TASK_DEADLINE_NOTICES = frozenset({"deadline_reminder", "task_escalated"})
_UNREAD: Any = object()
_DEFINITIONS_MAX = 256


@dataclass(frozen=True)
class Recipient:
    address: str  # "user:<id>" or "department:<key>"
    email: str | None = None
    name: str = ""
    language: str = "es"


def _user_recipient(row: Any) -> Recipient:
    return Recipient(
        f"user:{row.id}",
        row.email if row.is_active else None,
        row.name or "",
        row.language or "es",
    )


# The statements below are built once: a submitted case sends three or four notices, each
# reading the case, its task and the recipients, and building and hashing a fresh SELECT
# cost about as much CPU as running it (docs/performance.md, 2026-12-03 third session).
# Recipients need these columns of a user, not the whole row (hash, address, ...).
_RECIPIENT_COLUMNS = (
    users_t.c.id,
    users_t.c.email,
    users_t.c.name,
    users_t.c.language,
    users_t.c.is_active,
    users_t.c.role_tags,
)
_TASK_COLUMNS = (
    tasks_t.c.department,
    tasks_t.c.role,
    tasks_t.c.status,
    tasks_t.c.assignee_id,
    tasks_t.c.due_on,
)
# The case and, when the message names one, its task (unique per case) in one round trip.
_CASE_AND_TASK = (
    select(
        cases_table.c.id,
        cases_table.c.folio,
        cases_table.c.procedure_key,
        cases_table.c.applicant_id,
        cases_table.c.state,
        cases_table.c.submitted_at,
        cases_table.c.version_id,
        tasks_t.c.id.label("task_row_id"),
        *(c.label(f"task_{c.name}") for c in _TASK_COLUMNS),
    )
    .select_from(
        cases_table.outerjoin(
            tasks_t,
            (tasks_t.c.case_id == cases_table.c.id) & (tasks_t.c.task_key == bindparam("task")),
        )
    )
    .where(cases_table.c.id == bindparam("case_id"))
)
_DEFINITION = select(versions_table.c.definition).where(
    versions_table.c.id == bindparam("version_id")
)
_TASK = select(*_TASK_COLUMNS).where(
    tasks_t.c.case_id == bindparam("case_id"), tasks_t.c.task_key == bindparam("task")
)
_USER = select(*_RECIPIENT_COLUMNS).where(users_t.c.id == bindparam("user_id"))
_ACTIVE_USER = _USER.where(users_t.c.is_active.is_(True))
_ACTIVE_OFFICIAL = _ACTIVE_USER.where(
    users_t.c.role == "official", users_t.c.department_key == bindparam("department")
)
_DEPARTMENT_OFFICIALS = select(*_RECIPIENT_COLUMNS).where(
    users_t.c.department_key == bindparam("department"),
    users_t.c.role == "official",
    users_t.c.is_active.is_(True),
)


@dataclass(frozen=True)
class TaskRow:
    """The columns of a task a notice needs (who decides it, by when, is it still open)."""

    department: str
    role: str
    status: str
    assignee_id: str | None
    due_on: Any


def _department_officials(conn: Connection, key: str) -> list[Any]:
    return list(conn.execute(_DEPARTMENT_OFFICIALS, {"department": key}).all())


def _load_case(
    conn: Connection, case_id: int, definitions: dict[int, Mapping[str, Any]], task: Any = None
) -> tuple[CaseRecord, TaskRow | None]:
    """`connectors.common.load_case` without re-decoding the (immutable) published
    definition for every message: `definitions` keeps them per version id (one cache per
    Notifier, i.e. per database). With the task the message names (`task`), read in the same
    statement; None when it names none or the case has no such task."""
    row = conn.execute(
        _CASE_AND_TASK, {"case_id": case_id, "task": str(task) if task else None}
    ).one_or_none()
    if row is None:
        raise PermanentError(f"case {case_id} does not exist")
    version_id = int(row.version_id)
    definition = definitions.get(version_id)
    if definition is None:
        doc = conn.execute(_DEFINITION, {"version_id": version_id}).scalar_one()
        if len(definitions) >= _DEFINITIONS_MAX:
            definitions.clear()
        definition = definitions[version_id] = dict(doc or {})
    case = CaseRecord(
        id=int(row.id),
        folio=str(row.folio),
        procedure_key=str(row.procedure_key),
        applicant_id=str(row.applicant_id),
        state=dict(row.state or {}),
        definition=definition,
        submitted_at=row.submitted_at,
    )
    found = None
    if task and row.task_row_id is not None:
        found = TaskRow(
            row.task_department,
            row.task_role,
            row.task_status,
            row.task_assignee_id,
            row.task_due_on,
        )
    return case, found


def _task_row(conn: Connection, case: CaseRecord | None, task: Any) -> Any:
    if case is None or not task:
        return None
    return conn.execute(_TASK, {"case_id": case.id, "task": str(task)}).first()


def _active_user(conn: Connection, user_id: Any) -> Any:
    if not str(user_id or "").isdigit():
        return None
    return conn.execute(_ACTIVE_USER, {"user_id": int(str(user_id))}).first()


def _active_official(conn: Connection, user_id: Any, department: str) -> Any:
    if not str(user_id or "").isdigit():
        return None
    return conn.execute(
        _ACTIVE_OFFICIAL, {"user_id": int(str(user_id)), "department": department}
    ).first()


def resolve_recipients(
    conn: Connection,
    to: str,
    case: CaseRecord | None,
    department: str | None = None,
    role: str | None = None,
    payload: Mapping[str, Any] | None = None,
    *,
    task_row: Any = _UNREAD,
) -> list[Recipient]:
    """Who receives a notification addressed to `to` (see the module docstring).
    `task_row`: the payload's task as the caller already read it (saves a query)."""
    payload = payload or {}
    kind, _, key = to.partition(":")
    if kind == "applicant":
        applicant = case.applicant_id if case else ""
        if applicant.isdigit():
            row = conn.execute(_USER, {"user_id": int(applicant)}).first()
            if row is not None:
                return [_user_recipient(row)]
        return [Recipient(f"user:{applicant}")]
    task = _task_row(conn, case, payload.get("task")) if task_row is _UNREAD else task_row
    if kind == "user":
        # One official (a task's assignee); deactivated since, their department hears it.
        person = _active_user(conn, key)
        if person is not None:
            return [_user_recipient(person)]
        if task is None:
            log.warning("notification addressed to %r: nobody to send it to", to)
            return []
        kind, key = "department", str(task.department)
        payload = {k: v for k, v in payload.items() if k != "assignee"}
    key = key or department or (str(case.definition.get("department") or "") if case else "")
    if kind not in ("department", "director") or not key:
        log.warning("notification addressed to %r: nobody to send it to", to)
        return []
    if kind == "department":
        # Whoever claimed the task hears about it; the rest of the department does not.
        assignee = payload.get("assignee") or (task.assignee_id if task is not None else None)
        claimed = _active_official(conn, assignee, key)
        if claimed is not None:
            return [_user_recipient(claimed)]
    officials = _department_officials(conn, key)
    if kind == "director":
        directors = [u for u in officials if "director" in (u.role_tags or ())]
        chosen = directors or officials
    else:
        # Those who can act on a task of this role first (the engine lets them decide).
        role = role or (task.role if task is not None else None)
        able = [u for u in officials if role and {role, "director"} & set(u.role_tags or ())]
        chosen = able or officials
    if not chosen:
        return [Recipient(f"department:{key}")]
    return [_user_recipient(u) for u in sorted(chosen, key=lambda u: u.id)]


def is_moot(template: str, task: Any) -> bool:
    """A reminder or escalation about a task decided since then tells nobody anything."""
    return template in TASK_DEADLINE_NOTICES and task is not None and task.status != "open"


class Notifier:
    """Writes the in-app notifications of a `notify` message and e-mails them."""

    def __init__(
        self,
        engine: Engine,
        settings: ConnectorSettings,
        *,
        mailer: SmtpMailer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.mailer = mailer or (SmtpMailer(settings) if settings.smtp_host else None)
        self.clock = clock
        # Published versions never change: their decoded definitions, per version id.
        self.definitions: dict[int, Mapping[str, Any]] = {}

    def __call__(self, item: OutboxItem) -> Sequence[Command] | None:
        payload = item.payload
        template = str(payload.get("template") or "")
        to = str(payload.get("to") or "applicant")
        case_id = case_id_of(item)
        audience = "applicant" if to == "applicant" else "staff"
        # One transaction: read the case, its task and the recipients, write every row.
        with self.engine.begin() as conn:
            case, task = _load_case(conn, case_id, self.definitions, payload.get("task"))
            if is_moot(template, task):
                return None
            if task is not None and task.due_on and not payload.get("due_on"):
                payload = {**payload, "due_on": task.due_on.isoformat()}
            recipients = resolve_recipients(
                conn,
                to,
                case,
                payload.get("department"),
                payload.get("role"),
                payload,
                task_row=task,
            )
            link = self.link(audience, case.folio)
            messages: dict[str, Message] = {}
            planned: list[tuple[str, Message]] = []
            values = []
            for recipient in recipients:
                lang = recipient.language
                if lang not in messages:
                    messages[lang] = compose(template, payload, case, audience, lang)
                key, row = self.row(item, case, template, messages[lang], recipient, link)
                planned.append((key, messages[lang]))
                values.append(row)
            self.record(conn, values)
            if self.mailer is None:
                return None
            keys = [key for key, _message in planned]
            rows = {
                r.idempotency_key: r
                for r in conn.execute(
                    select(notifications_t).where(notifications_t.c.idempotency_key.in_(keys))
                )
            }
        self.send([(rows[key], message) for key, message in planned if key in rows], link)
        return None

    def link(self, audience: str, folio: str) -> str:
        path = self.settings.case_path if audience == "applicant" else self.settings.inbox_path
        return self.settings.url(path.format(folio=folio))

    def row(
        self,
        item: OutboxItem,
        case: CaseRecord,
        template: str,
        message: Message,
        recipient: Recipient,
        link: str,
    ) -> tuple[str, dict[str, Any]]:
        """The notification row for this recipient, and its key (message key + recipient)."""
        key = f"{item.key}>{recipient.address}"
        body = message.body
        if message.private:
            body += f"\n\n{message.private}"
        body += f"\n\n{link}"
        return key, {
            "idempotency_key": key,
            "case_id": case.id,
            "recipient": recipient.address,
            "template": template,
            "subject": message.subject[:300],
            "body": body,
            "email": recipient.email,
            "created_at": self.clock(),
        }

    @staticmethod
    def record(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write the rows not written yet, in one statement: a retry of the message (or a
        concurrent delivery of it) meets the unique key and writes nothing."""
        if not rows:
            return
        # PostgreSQL and SQLite (3.24+) spell it the same; the project runs on these two.
        insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert_(notifications_t)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["idempotency_key"]), list(rows))

    def send(self, deliveries: Sequence[tuple[Any, Message]], link: str) -> None:
        """E-mail the rows that have an address and were not sent yet; mark them sent."""
        pending = [(r, m) for r, m in deliveries if r.email and r.sent_at is None]
        if not pending or self.mailer is None:
            return
        with self.mailer.session() as smtp:
            for row, message in pending:
                email = build_email(
                    self.settings,
                    to=row.email,
                    subject=message.subject,
                    text=message.body,
                    link=link,
                    idempotency_key=row.idempotency_key,
                    at=self.clock(),
                    lang=message.lang,
                    action=message.action,
                    note=message.hint if message.private else None,
                )
                try:
                    smtp.send_message(email)
                except smtplib.SMTPRecipientsRefused:
                    # A bad address does not get better by retrying; the in-app row stays.
                    log.warning("notification %s: recipient refused", row.id)
                    continue
                with self.engine.begin() as conn:
                    conn.execute(
                        update(notifications_t)
                        .where(notifications_t.c.id == row.id, notifications_t.c.sent_at.is_(None))
                        .values(sent_at=self.clock())
                    )
