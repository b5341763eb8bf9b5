"""Typed SQLAlchemy models. Every change here comes with an Alembic migration."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workflow_engine.persistence.types import JSONType, UTCDateTime, utcnow
from workflow_engine.search import search_text


def _searchable(column: str, length: int) -> Any:
    """A column default: the inserted row's `column` as search compares it (`search_text`)."""

    def default(context: Any) -> str:
        return search_text(str(context.get_current_parameters().get(column) or ""))[:length]

    return default


class Base(DeclarativeBase):
    pass


class Department(Base):
    """A dependencia of the municipality; approvals are routed to departments."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_es: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """Anyone who logs in: citizen, official, liaison or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(20))  # admin, liaison, official, citizen
    department_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    curp: Mapped[str | None] = mapped_column(String(32), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    language: Mapped[str] = mapped_column(String(5), default="es", server_default="es")
    # Staff administration (migration 0003): an invited account has no password until the
    # invitation is accepted; deactivating ends its sessions (user_sessions).
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # An official's job title (cargo): printed under their name on what they sign.
    position: Mapped[str] = mapped_column(String(200), default="", server_default="")


class UserSession(Base):
    """A browser session that is logged in: the signed cookie carries a random id whose
    SHA-256 is this row. Logging out deletes the row, so a copied cookie is worthless;
    a password change or a deactivation deletes the account's other rows."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(Base):
    """Append-only record of administrative changes (departments, users, roles): who did
    what to whom, when and from where. The database refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")


class AuthToken(Base):
    """A single-use, expiring token sent by e-mail (verify the address, reset the password).
    Only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # verify_email, reset_password, staff_invitation
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginAttempt(Base):
    """Recent login attempts, for rate limiting by account and by address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email", "email", "created_at"),
        Index("ix_login_attempts_ip", "ip", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Upload(Base):
    """A file a citizen uploaded for a form field: stored under a random name, with its
    sha256 and the content type sniffed from its bytes."""

    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_case", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    step_id: Mapped[str] = mapped_column(String(64), default="")
    field_id: Mapped[str] = mapped_column(String(64), default="")
    original_name: Mapped[str] = mapped_column(String(255))
    storage_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiKey(Base):
    """A key for a system integration; only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Holiday(Base):
    """A non-business day besides weekends (configurable per municipality)."""

    __tablename__ = "holidays"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class CatalogEntry(Base):
    """One entry of a reusable catalog the municipality manages (SCIAN lines, colonias)."""

    __tablename__ = "catalog_entries"
    catalog: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))
    search: Mapped[str] = mapped_column(String(400))  # label and code, lower case, no accents
    __table_args__ = (Index("ix_catalog_entries_search", "catalog", "search"),)


class ProcedureTemplate(Base):
    """A procedure with its editable draft; published versions are frozen separately.
    `draft` is a copy of the latest revision's document (`draft_revision`), written in the
    same statement that claims the next revision number, so a stale save cannot overwrite."""

    __tablename__ = "procedure_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    department_key: Mapped[str] = mapped_column(String(64))
    draft: Mapped[dict[str, Any]] = mapped_column(JSONType)
    draft_checksum: Mapped[str] = mapped_column(String(64))
    draft_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    draft_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcedureVersion(Base):
    """An immutable, numbered, checksummed published version of a template."""

    __tablename__ = "procedure_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("procedure_templates.id"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    checksum: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(100), default="")  # the actor's name
    # Migration 0012: the actor's account id ("cli" for the server's operator), why it was
    # published, and the version whose document a roll back published again.
    published_by_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ProcedureRevision(Base):
    """One save of a template's draft, kept forever: who, when, on top of which revision,
    and the validator's problems at that moment (a draft may be saved with errors)."""

    __tablename__ = "procedure_revisions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("procedure_templates.id"))
    number: Mapped[int] = mapped_column(Integer)
    base_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    checksum: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by_id: Mapped[str] = mapped_column(String(64))
    saved_by_name: Mapped[str] = mapped_column(String(200), default="")
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)


class PublicationRequest(Base):
    """A liaison's request to publish one revision of a draft while the four-eyes rule is on
    (migration 0016): an administrator or the department's director approves it (the version
    it published is kept) or rejects it with a reason. `status`: pending, approved, rejected,
    superseded (a newer request of the same procedure replaced it)."""

    __tablename__ = "publication_requests"
    __table_args__ = (Index("ix_publication_requests_status", "status", "template_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("procedure_templates.id"))
    revision_number: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[str] = mapped_column(String(64))
    requested_by_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_by_name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Case(Base):
    """An expediente. `state` is the engine's state; other columns are copies for queries."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_applicant", "applicant_id", "updated_at"),
        # The fiscal account: cases whose applicant carries a taxpayer's RFC/CURP (0021).
        Index("ix_cases_applicant_ref", "applicant_ref"),
        Index("ix_cases_status", "status"),
        # the revenue dashboard's case → procedure lookups, read from the index alone
        Index("ix_cases_id_procedure", "id", "procedure_key"),
        # The dashboards (migration 0018): one procedure's cases started in a range (funnel).
        Index("ix_cases_procedure_created", "procedure_key", "created_at"),
        # The backlog: filed cases still open.
        Index(
            "ix_cases_open_filed",
            "submitted_at",
            "procedure_key",
            sqlite_where=column("closed_at").is_(None),
            postgresql_where=column("closed_at").is_(None),
        ),
        # Cases in review by the last day of their maximum response time (ficta ahead).
        Index("ix_cases_response_due", "status", "response_due", "procedure_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(32), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    procedure_key: Mapped[str] = mapped_column(String(64))
    applicant_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    position: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    draft_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The applicant as the inbox shows and searches it (copied from users at start).
    applicant_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    applicant_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)  # CURP/RFC
    # Migration 0017: the applicant's name as search compares it (the administrators' list).
    applicant_search: Mapped[str] = mapped_column(
        String(220), default=_searchable("applicant_name", 220), server_default=""
    )
    # Migration 0018, copies written with the case row whenever an event is applied
    # (hotpath.HotPath.write): the state's `response_due`; once resolved, the business days
    # from filing to resolution and whether that was within the version's maximum response
    # time (None without one): rules in workflow_engine.persistence.cases.resolution.
    response_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    resolution_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    met_deadline: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The funnel stages its events reached, each after a space (dashboards.funnel_marks).
    funnel_marks: Mapped[str] = mapped_column(Text, default="", server_default="")


class CaseEvent(Base):
    """Append-only history; each row carries the hash of the previous one (per case)."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CaseDayCount(Base):
    """The dashboards' daily pre-aggregate (migration 0018), kept current by the write of the
    case row as events are applied: per local day and procedure, how many cases were
    `started`, `submitted`, closed `approved` / `rejected` / `cancelled` (`value` 0), resolved
    in `value` business days (`resolved`), and of those with a maximum, met it or not
    (`met`, `value` 1 or 0). Rules: dashboards.day_counts."""

    __tablename__ = "case_day_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    procedure_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class PaymentDayTotal(Base):
    """The treasury's daily pre-aggregate of money received (migration 0020), written in the
    same transaction as each ledger payment: per local day (the municipality's TIMEZONE),
    channel, currency, procedure ("" without a case) and concept, how many payments and how
    many centavos. Rules: connectors.ledger.totals."""

    __tablename__ = "payment_day_totals"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    procedure_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    concept: Mapped[str] = mapped_column(String(300), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    cents: Mapped[int] = mapped_column(BigInteger, default=0)


class Task(Base):
    """An approval task, copied from the engine state so inboxes can query it."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("case_id", "task_key"),
        Index("ix_tasks_inbox", "department", "status", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    task_key: Mapped[str] = mapped_column(String(160))
    step_id: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Copies of case columns so each inbox page is one flat index scan on tasks
    # (workflow_engine/persistence/cases/inbox.py; indexes in migration 0004).
    procedure_key: Mapped[str] = mapped_column(String(64), default="", server_default="")
    folio: Mapped[str] = mapped_column(String(32), default="", server_default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    applicant_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    applicant_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    applicant_search: Mapped[str] = mapped_column(String(220), default="", server_default="")


class Timer(Base):
    """An armed timer of a case; a scheduled job fires the due ones."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("case_id", "timer_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    timer_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    fires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxMessage(Base):
    """An effect to run after commit, retried with back-off, dead-lettered after N failures."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Document(Base):
    """A document issued for a case (licence, permit, certificate), stored with its sha256."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    step_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(String(500))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the document printed, so the public verification page shows the same (0006).
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signatures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PaymentOrder(Base):
    """A payment order (orden de pago) with its unique payment reference."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        # The revenue dashboard's orders figure reads the period's orders from this index
        # alone (migration 0020): issued per procedure and currency, paid, pending, expired.
        Index(
            "ix_payment_orders_revenue",
            "created_at",
            "procedure_key",
            "currency",
            "status",
            "expires_on",
            "amount_cents",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # A copy of the case's procedure key, written with the order (migration 0020).
    procedure_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    connector: Mapped[str] = mapped_column(String(64), default="builtin")
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Notification(Base):
    """A message to a person or a department (in-app list; email sent from the outbox)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    recipient: Mapped[str] = mapped_column(String(120))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseAccess(Base):
    """One look at a case (or one of its files) by staff: who saw whose data, and when."""

    __tablename__ = "case_access_log"
    __table_args__ = (
        Index("ix_case_access_case", "case_id", "id"),
        Index("ix_case_access_user", "user_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    user_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    what: Mapped[str] = mapped_column(String(120))  # "case", "file:<public id>", "document:<id>"
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseExport(Base):
    """One export of a procedure version's cases as a CSV or XLSX file (migration 0017): who
    asked, in which language, which departments' cases it may hold (None: every case, an
    administrator's), how far the build went, and the file while it is kept. `status`:
    queued, running, ready, failed, expired. `spec` holds the column headers and labels in
    the requester's language, fixed when asked."""

    __tablename__ = "case_exports"
    __table_args__ = (
        Index("ix_case_exports_requester", "requested_by_id", "id"),
        Index("ix_case_exports_status", "status", "expires_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_key: Mapped[str] = mapped_column(String(64))
    version_number: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(8))
    departments: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    requested_by_id: Mapped[str] = mapped_column(String(64))
    requested_by_name: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    storage_name: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# -- the built-in municipal ledger (issue 5) -------------------------------------------------


IDENTIFIER_LENGTH = 64  # taxpayers' identity columns (migration 0010_identity_columns)


class Taxpayer(Base):
    """A contribuyente: a person (física) or a company (moral), optionally linked to an account."""

    __tablename__ = "taxpayers"
    __table_args__ = (
        Index("ix_taxpayers_user", "user_id"),
        Index("ix_taxpayers_tax_id", "tax_id"),
        Index("ix_taxpayers_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # fisica | moral
    name: Mapped[str] = mapped_column(String(300))
    # RFC 13, CURP 18, Panamanian RUC with DV up to 29 (workflow_engine.templates.fields).
    tax_id: Mapped[str | None] = mapped_column(String(IDENTIFIER_LENGTH), nullable=True)
    curp: Mapped[str | None] = mapped_column(String(IDENTIFIER_LENGTH), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Migration 0017: the name as search compares it (no accents, lower case).
    search: Mapped[str] = mapped_column(
        String(400), default=_searchable("name", 400), server_default=""
    )


class TaxableObject(Base):
    """Something that owes municipal charges: a business, vehicle, billboard, construction,
    market stall or cemetery plot, registered by a procedure."""

    __tablename__ = "taxable_objects"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_taxable_objects_taxpayer", "taxpayer_id"),
        Index("ix_taxable_objects_registered", "registered_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    taxpayer_id: Mapped[int] = mapped_column(ForeignKey("taxpayers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(100))  # licence number, plate, stall number...
    description: Mapped[str] = mapped_column(String(300), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recurring: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Obligation(Base):
    """A charge a taxpayer owes: a one-off fee of a procedure or a yearly recurring charge."""

    __tablename__ = "obligations"
    __table_args__ = (
        Index("ix_obligations_taxpayer", "taxpayer_id", "due_on"),
        Index("ix_obligations_overdue", "status", "due_on"),
        Index("ix_obligations_reference", "reference"),
        Index("ix_obligations_object", "object_id", "period"),
        # what the revenue dashboard reads of a paid obligation, from the index alone
        Index("ix_obligations_revenue", "id", "case_id", "reference", "kind", "period", "concept"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    taxpayer_id: Mapped[int] = mapped_column(ForeignKey("taxpayers.id"))
    object_id: Mapped[int | None] = mapped_column(ForeignKey("taxable_objects.id"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # one_off | recurring
    concept: Mapped[str] = mapped_column(String(300))
    period: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "2027"
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    due_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | paid | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LedgerPayment(Base):
    """Money received (append-only). One row per (source, external id): a replay is a no-op."""

    __tablename__ = "ledger_payments"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_ledger_payments_taxpayer", "taxpayer_id", "paid_at"),
        Index("ix_ledger_payments_paid", "paid_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    taxpayer_id: Mapped[int | None] = mapped_column(ForeignKey("taxpayers.id"), nullable=True)
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("obligations.id"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    reference: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentEvent(Base):
    """Everything a payment source told us, accepted or refused (append-only audit trail)."""

    __tablename__ = "payment_events"
    __table_args__ = (Index("ix_payment_events_reference", "reference", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16))  # succeeded | failed | expired | refunded
    status: Mapped[str] = mapped_column(String(16))  # recorded | duplicate | refused | noted
    reason: Mapped[str] = mapped_column(String(64), default="")
    reference: Mapped[str] = mapped_column(String(40), default="")
    amount_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MunicipalSetting(Base):
    """A setting an administrator chose for this municipality (never a secret)."""

    __tablename__ = "municipal_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


def table(model: type[Base]) -> Table:
    """The Core table of a model, typed for insert()/update()/delete()."""
    return cast(Table, model.__table__)
