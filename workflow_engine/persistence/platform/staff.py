"""Staff administration: departments, staff invitations, roles and deactivation.

Every change is made by an administrator passed explicitly (`ActingAdmin`), so the same code
runs from a web page, a CLI command or a test, and writes its `audit_log` row in the same
transaction as the change: there is no change without its record, nor a record of a change
that did not happen. The audit log is append-only in the database itself (migration 0003).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from workflow_engine.engine.errors import EngineError
from workflow_engine.mail import render_account_mail
from workflow_engine.persistence.cases.mailbox import EMAIL_KIND
from workflow_engine.persistence.cases.outbox import add_message
from workflow_engine.persistence.models import AuditLog, AuthToken, Department, User, table
from workflow_engine.persistence.platform.accounts import (
    DEMO_PASSWORD,
    email_problem,
    end_sessions,
    hash_password,
    normalize_email,
    password_problem,
    token_hash,
)
from workflow_engine.persistence.types import utcnow

users_t = table(User)
departments_t = table(Department)
tokens_t = table(AuthToken)
audit_t = table(AuditLog)

ROLES = ("official", "liaison", "admin", "citizen")
STAFF_ROLES = ("official", "liaison", "admin")
DEPARTMENT_ROLES = frozenset({"official", "liaison"})
KNOWN_TAGS = ("revisor", "inspector", "director", "cajero")
MAX_TAGS = 10
TAG_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
DEPARTMENT_KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STAFF_INVITATION = "staff_invitation"
INVITATION_TTL = timedelta(days=7)
STATUSES = ("active", "invited", "inactive")
# Verifies any argon2 hash (the parameters travel inside the hash).
_verifier = PasswordHasher()


# -- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, tied to a form field ('' for the whole form)."""

    field: str
    code: str
    message_es: str
    message_en: str

    @property
    def path(self) -> str:
        return self.field

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang == "en" else self.message_es


def _invalid_email() -> Problem:
    return Problem(
        "email",
        "invalid",
        "Escriba un correo electrónico válido, por ejemplo nombre@ejemplo.com.",
        "Write a valid e-mail address, for example name@example.com.",
    )


class StaffError(EngineError):
    """A staff change refused; nothing was written. `problems` lists every reason."""

    code = "invalid_staff_change"
    http_status = 422

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(first.message_es, first.message_en, errors=list(problems))
        self.problems = tuple(problems)


class StaffForbiddenError(StaffError):
    """The acting user is not an active administrator."""

    code = "forbidden"
    http_status = 403


class StaffNotFoundError(StaffError):
    code = "not_found"
    http_status = 404


def _problem(field: str, code: str, es: str, en: str) -> StaffError:
    return StaffError([Problem(field, code, es, en)])


# -- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActingAdmin:
    """Who makes a change, and from which address (for the audit log)."""

    user_id: int
    ip: str = ""


@dataclass(frozen=True)
class DepartmentInfo:
    key: str
    name_es: str
    name_en: str
    active_staff: int = 0

    def name(self, lang: str = "es") -> str:
        return (self.name_en or self.name_es) if lang == "en" else self.name_es


@dataclass(frozen=True)
class StaffUser:
    id: int
    email: str
    name: str
    role: str
    department_key: str | None
    role_tags: tuple[str, ...]
    is_active: bool
    status: str  # active, invited (no password yet), inactive
    created_at: datetime
    invited_at: datetime | None
    deactivated_at: datetime | None
    position: str = ""  # job title (cargo), printed under their name on what they sign


@dataclass(frozen=True)
class UserPage:
    users: list[StaffUser]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: datetime
    actor_id: str
    actor_name: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    ip: str


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None  # pass as `before` for the next (older) page


@dataclass(frozen=True)
class Invitation:
    user_id: int
    link: str  # in clear: only ever put in the e-mail (or shown in demo mode)
    outbox_id: int  # hand it to the dispatcher after this returns
    expires_at: datetime


@dataclass(frozen=True)
class FirstAdmin:
    """An administrator created from the command line, and its set-password link (None when
    the password was given)."""

    user: StaffUser
    link: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class _Operator:
    """Whoever ran a command on the server, as the audit log's actor."""

    id: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class InvitationCheck:
    """What an invitation link is worth: `ok`, `expired`, `used` or `unknown`."""

    status: str
    user: StaffUser | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _status(row: Any) -> str:
    if not row.is_active:
        return "inactive"
    return "invited" if not row.password_hash else "active"


def _user(row: Any) -> StaffUser:
    return StaffUser(
        id=row.id,
        email=row.email,
        name=row.name or "",
        role=row.role,
        department_key=row.department_key,
        role_tags=tuple(row.role_tags or ()),
        is_active=bool(row.is_active),
        status=_status(row),
        created_at=row.created_at,
        invited_at=row.invited_at,
        deactivated_at=row.deactivated_at,
        position=getattr(row, "position", "") or "",
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        created_at=row.created_at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        details=dict(row.details or {}),
        ip=row.ip,
    )


def clean_name(name: str) -> str:
    return " ".join(str(name or "").split())


def parse_tags(raw: Iterable[str]) -> list[str]:
    """Tags from checkboxes and a free 'other tags' text (commas or spaces), lower-cased,
    without repeats, in a stable order."""
    tags: list[str] = []
    for item in raw:
        for part in re.split(r"[,\s]+", str(item or "")):
            tag = part.strip().lower()
            if tag and tag not in tags:
                tags.append(tag)
    return sorted(tags)


def _name_problems(name: str, *, required: bool = False) -> list[Problem]:
    if required and not name:
        return [Problem("name", "required", "Escriba su nombre completo.", "Write your full name.")]
    if len(name) > 200:
        return [
            Problem(
                "name",
                "too_long",
                "El nombre es demasiado largo (máximo 200 caracteres).",
                "The name is too long (200 characters at most).",
            )
        ]
    return []


PASSWORD_MESSAGES = {
    "required": ("Escriba una contraseña.", "Write a password."),
    "too_short": (
        "La contraseña debe tener al menos 10 caracteres.",
        "The password must have at least 10 characters.",
    ),
    "too_long": ("La contraseña es demasiado larga.", "The password is too long."),
    "is_email": (
        "La contraseña no puede ser su correo electrónico.",
        "The password cannot be your e-mail address.",
    ),
    "common": (
        "Esa contraseña es muy común y fácil de adivinar; elija otra.",
        "That password is very common and easy to guess; choose another.",
    ),
}


def _password_problems(password: str, confirm: str, email: str) -> list[Problem]:
    code = password_problem(password, email)
    if code:
        es, en = PASSWORD_MESSAGES.get(code, ("Elija otra contraseña.", "Choose another password."))
        return [Problem("password", code, es, en)]
    if confirm != password:
        return [
            Problem(
                "password_confirm",
                "mismatch",
                "Las contraseñas no coinciden.",
                "The passwords do not match.",
            )
        ]
    return []


def invitation_email(
    *,
    language: str,
    name: str,
    role: str,
    department: str,
    municipality: str,
    link: str,
) -> tuple[str, str]:
    """Subject and text of the invitation (e-mail kind `staff_invitation`): no personal data
    beyond the invitee's name; the e-mail layout adds the municipality's signature."""
    context = {
        "name": name,
        "role": role,
        "department": department,
        "municipality": municipality,
        "link": link,
    }
    message = render_account_mail("staff_invitation", context, language)
    return message.subject, message.body


# -- the service ------------------------------------------------------------------------------


def record_audit(
    conn: Connection,
    at: datetime,
    actor: Any,
    by_ip: str,
    action: str,
    target_type: str,
    target_id: object,
    details: dict[str, Any],
) -> None:
    """Append one `audit_log` row in the caller's transaction (the change and its record
    commit together); `actor` has `id` and `name` (or `email`)."""
    conn.execute(
        insert(audit_t).values(
            created_at=at,
            actor_id=str(actor.id),
            actor_name=(actor.name or actor.email)[:200],
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
            ip=(by_ip or "")[:64],
        )
    )


class Staff:
    """Departments and staff accounts, changed only by active administrators."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # -- audit ------------------------------------------------------------------------------

    def _audit(
        self,
        conn: Connection,
        actor: Any,
        by_ip: str,
        action: str,
        target_type: str,
        target_id: object,
        details: dict[str, Any],
    ) -> None:
        record_audit(conn, self.clock(), actor, by_ip, action, target_type, target_id, details)

    def audit_entries(
        self,
        *,
        before: int | None = None,
        limit: int = 50,
        target_type: str | None = None,
        target_id: str | None = None,
    ) -> AuditPage:
        """Newest first, keyset-paginated by id (fast at any depth)."""
        query = select(audit_t).order_by(audit_t.c.id.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(audit_t.c.id < before)
        if target_type:
            query = query.where(audit_t.c.target_type == target_type)
        if target_id:
            query = query.where(audit_t.c.target_id == target_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        entries = [_entry(r) for r in rows[:limit]]
        return AuditPage(entries, entries[-1].id if len(rows) > limit else None)

    # -- who may act ------------------------------------------------------------------------

    def _admin(self, conn: Connection, by: ActingAdmin) -> Any:
        row = conn.execute(select(users_t).where(users_t.c.id == by.user_id)).one_or_none()
        if row is None or row.role != "admin" or not row.is_active:
            raise StaffForbiddenError(
                [
                    Problem(
                        "",
                        "forbidden",
                        "Sólo una persona administradora activa puede hacer este cambio.",
                        "Only an active administrator may make this change.",
                    )
                ]
            )
        return row

    def _target(self, conn: Connection, user_id: int) -> Any:
        row = conn.execute(select(users_t).where(users_t.c.id == user_id)).one_or_none()
        if row is None:
            raise StaffNotFoundError(
                [Problem("", "not_found", "No existe esa cuenta.", "There is no such account.")]
            )
        return row

    def _other_active_admins(self, conn: Connection, user_id: int) -> int:
        """Active administrators besides this user, locked on PostgreSQL so two admins
        cannot remove each other at the same moment (SQLite serializes writers anyway)."""
        ids = conn.execute(
            select(users_t.c.id)
            .where(users_t.c.role == "admin", users_t.c.is_active.is_(True))
            .with_for_update()
        ).scalars()
        return len([i for i in ids if i != user_id])

    # -- departments ------------------------------------------------------------------------

    def departments(self) -> list[DepartmentInfo]:
        """Every department with its number of active staff, by Spanish name."""
        counts = (
            select(users_t.c.department_key, func.count().label("n"))
            .where(users_t.c.is_active.is_(True), users_t.c.role.in_(DEPARTMENT_ROLES))
            .group_by(users_t.c.department_key)
            .subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(departments_t, counts.c.n)
                .outerjoin(counts, counts.c.department_key == departments_t.c.key)
                .order_by(departments_t.c.name_es)
            ).all()
        return [DepartmentInfo(r.key, r.name_es, r.name_en, int(r.n or 0)) for r in rows]

    def department(self, key: str) -> DepartmentInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(departments_t).where(departments_t.c.key == key)
            ).one_or_none()
        return DepartmentInfo(row.key, row.name_es, row.name_en) if row else None

    @staticmethod
    def _department_names(name_es: str, name_en: str) -> tuple[str, str, list[Problem]]:
        problems = []
        name_es, name_en = clean_name(name_es), clean_name(name_en)
        if not name_es:
            problems.append(
                Problem(
                    "name_es",
                    "required",
                    "Escriba el nombre de la dependencia en español.",
                    "Write the department's name in Spanish.",
                )
            )
        for field, value in (("name_es", name_es), ("name_en", name_en)):
            if len(value) > 200:
                problems.append(
                    Problem(
                        field,
                        "too_long",
                        "El nombre es demasiado largo (máximo 200 caracteres).",
                        "The name is too long (200 characters at most).",
                    )
                )
        return name_es, name_en or name_es, problems

    def create_department(
        self, by: ActingAdmin, *, key: str, name_es: str, name_en: str = ""
    ) -> DepartmentInfo:
        return self._create_department(
            key, name_es, name_en, lambda conn: (self._admin(conn, by), by.ip)
        )

    def add_department(
        self, *, key: str, name_es: str, name_en: str = "", operator: str
    ) -> DepartmentInfo:
        """`create_department` run on the server (`flask departments add`): no account
        acts, the operator is named in the audit log."""
        return self._create_department(
            key, name_es, name_en, lambda conn: (_Operator(id="cli", name=operator[:200]), "")
        )

    def _create_department(
        self,
        key: str,
        name_es: str,
        name_en: str,
        actor: Callable[[Connection], tuple[Any, str]],
    ) -> DepartmentInfo:
        key = str(key or "").strip().lower()
        name_es, name_en, problems = self._department_names(name_es, name_en)
        if not key:
            problems.insert(
                0,
                Problem(
                    "key",
                    "required",
                    "Escriba una clave para la dependencia, por ejemplo desarrollo-urbano.",
                    "Write a key for the department, for example desarrollo-urbano.",
                ),
            )
        elif len(key) > 64 or not DEPARTMENT_KEY_RE.match(key):
            problems.insert(
                0,
                Problem(
                    "key",
                    "invalid",
                    "La clave sólo puede tener letras minúsculas sin acentos, números y "
                    "guiones, por ejemplo desarrollo-urbano (máximo 64 caracteres).",
                    "The key may only have lower-case letters without accents, digits and "
                    "hyphens, for example desarrollo-urbano (64 characters at most).",
                ),
            )
        if problems:
            raise StaffError(problems)
        duplicate = _problem(
            "key",
            "taken",
            "Ya existe una dependencia con esa clave.",
            "A department with that key already exists.",
        )
        try:
            with self.engine.begin() as conn:
                admin, ip = actor(conn)
                found = conn.execute(
                    select(departments_t.c.id).where(departments_t.c.key == key)
                ).scalar()
                if found is not None:
                    raise duplicate
                conn.execute(
                    insert(departments_t).values(
                        key=key, name_es=name_es, name_en=name_en, created_at=self.clock()
                    )
                )
                self._audit(
                    conn,
                    admin,
                    ip,
                    "department.created",
                    "department",
                    key,
                    {"name_es": name_es, "name_en": name_en},
                )
        except IntegrityError as exc:  # created by someone else a moment ago
            raise duplicate from exc
        return DepartmentInfo(key, name_es, name_en)

    def rename_department(
        self, by: ActingAdmin, key: str, *, name_es: str, name_en: str = ""
    ) -> bool:
        """Change the names (the key is referenced by templates and tasks, so it stays).
        Returns False when nothing changed (and records nothing)."""
        name_es, name_en, problems = self._department_names(name_es, name_en)
        if problems:
            raise StaffError(problems)
        with self.engine.begin() as conn:
            admin = self._admin(conn, by)
            row = conn.execute(
                select(departments_t).where(departments_t.c.key == key)
            ).one_or_none()
            if row is None:
                raise StaffNotFoundError(
                    [
                        Problem(
                            "",
                            "not_found",
                            "No existe esa dependencia.",
                            "There is no such department.",
                        )
                    ]
                )
            if (row.name_es, row.name_en) == (name_es, name_en):
                return False
            conn.execute(
                update(departments_t)
                .where(departments_t.c.id == row.id)
                .values(name_es=name_es, name_en=name_en)
            )
            self._audit(
                conn,
                admin,
                by.ip,
                "department.renamed",
                "department",
                key,
                {
                    "before": {"name_es": row.name_es, "name_en": row.name_en},
                    "after": {"name_es": name_es, "name_en": name_en},
                },
            )
        return True

    # -- users: reading ---------------------------------------------------------------------

    def user(self, user_id: int) -> StaffUser | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_t).where(users_t.c.id == user_id)).one_or_none()
        return _user(row) if row else None

    def users(
        self,
        *,
        q: str = "",
        role: str = "staff",
        department: str = "",
        status: str = "",
        page: int = 1,
        per_page: int = 50,
    ) -> UserPage:
        """Accounts by e-mail; `role` is one of ROLES, `staff` (default) or `all`; `status`
        one of STATUSES or '' for any."""
        where: list[Any] = []
        if role == "staff":
            where.append(users_t.c.role.in_(STAFF_ROLES))
        elif role in ROLES:
            where.append(users_t.c.role == role)
        if department:
            where.append(users_t.c.department_key == department)
        if status == "inactive":
            where.append(users_t.c.is_active.is_(False))
        elif status == "invited":
            where += [users_t.c.is_active.is_(True), users_t.c.password_hash == ""]
        elif status == "active":
            where += [users_t.c.is_active.is_(True), users_t.c.password_hash != ""]
        text = clean_name(q).lower()[:200]
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            where.append(
                or_(
                    func.lower(users_t.c.email).like(pattern, escape="\\"),
                    func.lower(users_t.c.name).like(pattern, escape="\\"),
                )
            )
        with self.engine.connect() as conn:
            total = int(
                conn.execute(select(func.count()).select_from(users_t).where(*where)).scalar_one()
            )
            pages = max(1, math.ceil(total / per_page))
            page = min(max(1, page), pages)
            rows = conn.execute(
                select(users_t)
                .where(*where)
                .order_by(users_t.c.email)
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
        return UserPage([_user(r) for r in rows], total, page, pages)

    # -- users: validation ------------------------------------------------------------------

    def _assignment(
        self,
        conn: Connection,
        role: str,
        department_key: str | None,
        role_tags: Iterable[str],
        *,
        roles: Sequence[str] = ROLES,
    ) -> tuple[str, str | None, list[str], list[Problem]]:
        """Clean (role, department, tags): a department only for liaisons and officials
        (required for them), tags only for officials (at least one)."""
        problems: list[Problem] = []
        department = (department_key or "").strip() or None
        tags = parse_tags(role_tags)
        if role not in roles:
            problems.append(
                Problem(
                    "role", "invalid", "Elija un rol de la lista.", "Choose a role from the list."
                )
            )
            return role, department, tags, problems
        if role not in DEPARTMENT_ROLES:
            return role, None, [], problems
        if department is None:
            problems.append(
                Problem(
                    "department",
                    "required",
                    "Elija la dependencia: los enlaces y funcionarios pertenecen a una.",
                    "Choose the department: liaisons and officials belong to one.",
                )
            )
        elif (
            conn.execute(
                select(departments_t.c.id).where(departments_t.c.key == department)
            ).scalar()
            is None
        ):
            problems.append(
                Problem(
                    "department",
                    "unknown",
                    "Esa dependencia no existe. Elija una de la lista.",
                    "That department does not exist. Choose one from the list.",
                )
            )
        if role != "official":
            return role, department, [], problems
        bad = [t for t in tags if not TAG_RE.match(t)]
        if bad:
            problems.append(
                Problem(
                    "role_tags",
                    "invalid",
                    f"La etiqueta «{bad[0][:40]}» no es válida: use de 2 a 32 letras minúsculas "
                    "sin acentos ni espacios, por ejemplo revisor.",
                    f"The tag “{bad[0][:40]}” is not valid: use 2 to 32 lower-case letters "
                    "without accents or spaces, for example revisor.",
                )
            )
        elif not tags:
            problems.append(
                Problem(
                    "role_tags",
                    "required",
                    "Elija al menos un rol del funcionario, por ejemplo revisor.",
                    "Choose at least one role for the official, for example revisor.",
                )
            )
        elif len(tags) > MAX_TAGS:
            problems.append(
                Problem(
                    "role_tags",
                    "too_many",
                    f"Son demasiadas etiquetas (máximo {MAX_TAGS}).",
                    f"Too many tags ({MAX_TAGS} at most).",
                )
            )
        return role, department, tags, problems

    # -- users: invitations -----------------------------------------------------------------

    def _issue_invitation(
        self,
        conn: Connection,
        user: Any,
        *,
        link_for: Callable[[str], str],
        municipality: str,
        language: str,
    ) -> Invitation:
        """Void the user's earlier invitation links, make a new one, queue its e-mail."""
        now = self.clock()
        token, token_id, expires_at = self._invitation_token(conn, int(user.id))
        department = ""
        if user.department_key:
            names = conn.execute(
                select(departments_t.c.name_es, departments_t.c.name_en).where(
                    departments_t.c.key == user.department_key
                )
            ).one_or_none()
            if names is not None:
                department = names.name_es
                if language == "en":
                    department = names.name_en or names.name_es
        link = link_for(token)
        subject, text = invitation_email(
            language=language,
            name=user.name or "",
            role=user.role,
            department=department,
            municipality=municipality,
            link=link,
        )
        outbox_id = add_message(
            conn,
            case_id=None,
            kind=EMAIL_KIND,
            key=f"staff:invitation:{token_id}",
            payload={
                "to": user.email,
                "subject": subject,
                "text": text,
                "html": None,
                "lang": language,
            },
            at=now,
        )
        return Invitation(int(user.id), link, outbox_id, expires_at)

    def _invitation_token(self, conn: Connection, user_id: int) -> tuple[str, int, datetime]:
        """Void the user's earlier invitation links and store a new one (only its hash):
        (token in clear, row id, expiry)."""
        now = self.clock()
        conn.execute(
            update(tokens_t)
            .where(
                tokens_t.c.user_id == user_id,
                tokens_t.c.purpose == STAFF_INVITATION,
                tokens_t.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        token = secrets.token_urlsafe(32)
        expires_at = now + INVITATION_TTL
        token_id = conn.execute(
            insert(tokens_t)
            .values(
                user_id=user_id,
                purpose=STAFF_INVITATION,
                token_hash=token_hash(token),
                expires_at=expires_at,
                created_at=now,
            )
            .returning(tokens_t.c.id)
        ).scalar_one()
        return token, int(token_id), expires_at

    def create_admin(
        self,
        *,
        email: str,
        name: str,
        operator: str,
        password: str | None = None,
        link_for: Callable[[str], str],
    ) -> FirstAdmin:
        """An administrator made from the server's command line, where there is no
        administrator yet to invite one. With `password` (checked like the web's) the account
        is ready; without it, the result carries a single-use invitation link (valid
        INVITATION_TTL) where the person chooses one. `operator` names who ran it in the
        audit log. Refused (StaffError) if the address already has an account."""
        name = clean_name(name)
        problems: list[Problem] = []
        if email_problem(str(email or "")):
            problems.append(_invalid_email())
        else:
            email = normalize_email(email)
        problems += _name_problems(name, required=True)
        if password is not None and not problems:
            problems += _password_problems(password, password, email)
        new_hash = hash_password(password) if password is not None and not problems else ""
        with self.engine.begin() as conn:
            if not problems and (
                conn.execute(select(users_t.c.id).where(users_t.c.email == email)).scalar()
                is not None
            ):
                problems.append(self._account_exists())
            if problems:
                raise StaffError(problems)
            now = self.clock()
            try:
                user_id = conn.execute(
                    insert(users_t)
                    .values(
                        email=email,
                        name=name,
                        password_hash=new_hash,
                        role="admin",
                        role_tags=[],
                        is_active=True,
                        created_at=now,
                        invited_at=None if new_hash else now,
                        email_verified_at=now if new_hash else None,
                        language="es",
                    )
                    .returning(users_t.c.id)
                ).scalar_one()
            except IntegrityError as exc:  # the same address created a moment ago
                raise StaffError([self._account_exists()]) from exc
            link = expires_at = None
            if not new_hash:
                token, _token_id, expires_at = self._invitation_token(conn, int(user_id))
                link = link_for(token)
            self._audit(
                conn,
                _Operator(id="cli", name=operator[:200]),
                "",
                "user.admin_created",
                "user",
                user_id,
                {"email": email, "name": name, "role": "admin", "password_set": bool(new_hash)},
            )
            user = conn.execute(select(users_t).where(users_t.c.id == user_id)).one()
        return FirstAdmin(_user(user), link, expires_at)

    @staticmethod
    def _account_exists() -> Problem:
        return Problem(
            "email",
            "taken",
            "Ya existe una cuenta con ese correo; no se creó nada. Si debe ser "
            "administradora, cambie su rol en /admin/usuarios.",
            "An account with that e-mail address already exists; nothing was created. If it "
            "must be an administrator, change its role at /admin/usuarios.",
        )

    def invite(
        self,
        by: ActingAdmin,
        *,
        email: str,
        name: str = "",
        role: str,
        department_key: str | None = None,
        role_tags: Iterable[str] = (),
        link_for: Callable[[str], str],
        municipality: str,
        language: str = "es",
    ) -> Invitation:
        """A new staff account without a password, and an e-mail with a single-use link
        (valid INVITATION_TTL) where the person chooses one."""
        language = "en" if language == "en" else "es"
        name = clean_name(name)
        problem = email_problem(str(email or ""))
        with self.engine.begin() as conn:
            admin = self._admin(conn, by)
            problems: list[Problem] = []
            if problem == "required":
                problems.append(
                    Problem(
                        "email",
                        "required",
                        "Escriba el correo electrónico de la persona.",
                        "Write the person's e-mail address.",
                    )
                )
            elif problem:
                problems.append(_invalid_email())
            else:
                email = normalize_email(email)
                taken = conn.execute(select(users_t.c.id).where(users_t.c.email == email)).scalar()
                if taken is not None:
                    problems.append(self._email_taken())
            problems += _name_problems(name)
            role, department, tags, more = self._assignment(
                conn, role, department_key, role_tags, roles=STAFF_ROLES
            )
            problems += more
            if problems:
                raise StaffError(problems)
            now = self.clock()
            try:
                user_id = conn.execute(
                    insert(users_t)
                    .values(
                        email=email,
                        name=name,
                        password_hash="",
                        role=role,
                        department_key=department,
                        role_tags=tags,
                        is_active=True,
                        created_at=now,
                        invited_at=now,
                        language=language,
                    )
                    .returning(users_t.c.id)
                ).scalar_one()
            except IntegrityError as exc:  # the same address invited a moment ago
                raise StaffError([self._email_taken()]) from exc
            user = conn.execute(select(users_t).where(users_t.c.id == user_id)).one()
            invitation = self._issue_invitation(
                conn, user, link_for=link_for, municipality=municipality, language=language
            )
            self._audit(
                conn,
                admin,
                by.ip,
                "user.invited",
                "user",
                user_id,
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "department": department,
                    "role_tags": tags,
                },
            )
        return invitation

    @staticmethod
    def _email_taken() -> Problem:
        return Problem(
            "email",
            "taken",
            "Ya existe una cuenta con ese correo. Búsquela en la lista de usuarios para "
            "cambiar su rol.",
            "An account with that e-mail address already exists. Find it in the list of "
            "users to change its role.",
        )

    def resend_invitation(
        self,
        by: ActingAdmin,
        user_id: int,
        *,
        link_for: Callable[[str], str],
        municipality: str,
    ) -> Invitation:
        """A new link for an invitation not yet accepted; the earlier links stop working."""
        with self.engine.begin() as conn:
            admin = self._admin(conn, by)
            user = self._target(conn, user_id)
            if _status(user) != "invited":
                raise _problem(
                    "",
                    "not_invited",
                    "Esta cuenta no tiene una invitación pendiente.",
                    "This account has no pending invitation.",
                )
            invitation = self._issue_invitation(
                conn,
                user,
                link_for=link_for,
                municipality=municipality,
                language=user.language or "es",
            )
            self._audit(
                conn, admin, by.ip, "user.invitation_resent", "user", user_id, {"email": user.email}
            )
        return invitation

    def check_invitation(self, token: str) -> InvitationCheck:
        """What this invitation link is worth now, without using it. A link of an account
        deactivated since counts as unknown."""
        with self.engine.connect() as conn:
            return self._check_invitation(conn, token)

    def _check_invitation(self, conn: Connection, token: str) -> InvitationCheck:
        if not token or len(token) > 200:
            return InvitationCheck("unknown")
        row = conn.execute(
            select(tokens_t).where(
                tokens_t.c.token_hash == token_hash(token), tokens_t.c.purpose == STAFF_INVITATION
            )
        ).one_or_none()
        if row is None:
            return InvitationCheck("unknown")
        user = conn.execute(select(users_t).where(users_t.c.id == row.user_id)).one_or_none()
        if user is None or not user.is_active:
            return InvitationCheck("unknown")
        if row.used_at is not None:
            return InvitationCheck("used", _user(user))
        if row.expires_at <= self.clock():
            return InvitationCheck("expired", _user(user))
        return InvitationCheck("ok", _user(user))

    def accept_invitation(
        self, token: str, *, name: str, password: str, password_confirm: str, ip: str = ""
    ) -> InvitationCheck:
        """Use the link once: the account gets its name and password and its address
        counts as confirmed. Raises StaffError for a missing name or a weak password."""
        found = self.check_invitation(token)
        if not found.ok or found.user is None:
            return found
        name = clean_name(name)
        problems = _name_problems(name, required=True)
        problems += _password_problems(password, password_confirm, found.user.email)
        if problems:
            raise StaffError(problems)
        new_hash = hash_password(password)
        with self.engine.begin() as conn:
            found = self._check_invitation(conn, token)
            if not found.ok or found.user is None:
                return found
            now = self.clock()
            used = conn.execute(
                update(tokens_t)
                .where(
                    tokens_t.c.token_hash == token_hash(token),
                    tokens_t.c.used_at.is_(None),
                    tokens_t.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if used.rowcount != 1:  # a concurrent request used it a moment ago
                return InvitationCheck("used", found.user)
            conn.execute(
                update(users_t)
                .where(users_t.c.id == found.user.id)
                .values(
                    name=name,
                    password_hash=new_hash,
                    email_verified_at=func.coalesce(users_t.c.email_verified_at, now),
                )
            )
            end_sessions(conn, found.user.id)  # a password set: no older session survives
            user = conn.execute(select(users_t).where(users_t.c.id == found.user.id)).one()
            self._audit(conn, user, ip, "user.invitation_accepted", "user", user.id, {"name": name})
        return InvitationCheck("ok", _user(user))

    # -- users: changes ---------------------------------------------------------------------

    def update_user(
        self,
        by: ActingAdmin,
        user_id: int,
        *,
        name: str,
        role: str,
        department_key: str | None,
        role_tags: Iterable[str],
        position: str | None = None,
    ) -> dict[str, list[Any]]:
        """Change name, role, department and tags (and the job title, when given). Returns
        the changes as {field: [before, after]} ({} when nothing changed; nothing is recorded
        then)."""
        name = clean_name(name)
        with self.engine.begin() as conn:
            admin = self._admin(conn, by)
            user = self._target(conn, user_id)
            role, department, tags, problems = self._assignment(
                conn, role, department_key, role_tags
            )
            problems += _name_problems(name)
            if (
                not problems
                and user.role == "admin"
                and role != "admin"
                and user.is_active
                and self._other_active_admins(conn, user.id) == 0
            ):
                problems.append(
                    Problem(
                        "role",
                        "last_admin",
                        "Es la única persona administradora activa: nombre antes a otra para "
                        "no perder el acceso a la administración.",
                        "This is the only active administrator: appoint another one first so "
                        "that nobody loses access to the administration.",
                    )
                )
            if problems:
                raise StaffError(problems)
            before = {
                "name": user.name or "",
                "role": user.role,
                "department": user.department_key,
                "role_tags": sorted(user.role_tags or []),
            }
            after = {"name": name, "role": role, "department": department, "role_tags": tags}
            if position is not None:
                before["position"] = user.position or ""
                after["position"] = " ".join(position.split())[:200]
            changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            if not changes:
                return {}
            conn.execute(
                update(users_t)
                .where(users_t.c.id == user_id)
                .values(
                    name=name,
                    role=role,
                    department_key=department,
                    role_tags=tags,
                    **({"position": after["position"]} if position is not None else {}),
                )
            )
            self._audit(
                conn,
                admin,
                by.ip,
                "user.updated",
                "user",
                user_id,
                {"email": user.email, "changes": changes},
            )
        return changes

    def deactivate(self, by: ActingAdmin, user_id: int) -> bool:
        """The account can no longer log in, its sessions and API keys stop working and its
        e-mailed links are void. Returns False if it was inactive already."""
        with self.engine.begin() as conn:
            admin = self._admin(conn, by)
            user = self._target(conn, user_id)
            if not user.is_active:
                return False
            if user.id == admin.id:
                raise _problem(
                    "",
                    "self",
                    "No puede desactivar su propia cuenta; pídalo a otra persona administradora.",
                    "You cannot deactivate your own account; ask another administrator.",
                )
            if user.role == "admin" and self._other_active_admins(conn, user.id) == 0:
                raise _problem(
                    "",
                    "last_admin",
                    "Es la única persona administradora activa y no se puede desactivar.",
                    "This is the only active administrator and cannot be deactivated.",
                )
            now = self.clock()
            conn.execute(
                update(users_t)
                .where(users_t.c.id == user_id)
                .values(is_active=False, deactivated_at=now)
            )
            end_sessions(conn, user_id)
            conn.execute(
                update(tokens_t)
                .where(tokens_t.c.user_id == user_id, tokens_t.c.used_at.is_(None))
                .values(used_at=now)
            )
            self._audit(
                conn, admin, by.ip, "user.deactivated", "user", user_id, {"email": user.email}
            )
        return True

    def reactivate(self, by: ActingAdmin, user_id: int) -> bool:
        """The account may log in again (old sessions stay void). Returns False if it was
        active already."""
        with self.engine.begin() as conn:
            admin = self._admin(conn, by)
            user = self._target(conn, user_id)
            if user.is_active:
                return False
            conn.execute(
                update(users_t)
                .where(users_t.c.id == user_id)
                .values(is_active=True, deactivated_at=None)
            )
            self._audit(
                conn, admin, by.ip, "user.reactivated", "user", user_id, {"email": user.email}
            )
        return True

    # -- login ------------------------------------------------------------------------------

    def deactivated_credentials(self, email: str, password: str, *, demo_mode: bool) -> bool:
        """True only when the password is right for a deactivated account, so the login page
        can say why it refuses without telling strangers which addresses exist. Always
        spends one password hash, so timing tells nothing either."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_t.c.password_hash, users_t.c.is_active).where(
                    users_t.c.email == normalize_email(email)
                )
            ).one_or_none()
        if row is None or row.is_active or not row.password_hash:
            hash_password(password or "x")
            return False
        if password == DEMO_PASSWORD and not demo_mode:
            hash_password(password)
            return False
        try:
            return bool(_verifier.verify(row.password_hash, password))
        except (VerificationError, InvalidHashError):
            return False
