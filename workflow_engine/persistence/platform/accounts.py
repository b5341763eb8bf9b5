"""Accounts: users, departments, API keys, e-mail tokens, sessions and login throttling.

Passwords are argon2 hashes; API keys, e-mailed tokens and session ids are stored as SHA-256
only, so a database leak reveals none of them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.mx import curp as mx_curp

from workflow_engine.engine import Actor
from workflow_engine.persistence.db import driver_row
from workflow_engine.persistence.models import (
    ApiKey,
    AuthToken,
    Department,
    LoginAttempt,
    User,
    UserSession,
    table,
)
from workflow_engine.persistence.types import utcnow

DEMO_PASSWORD = "demo12345"
users_t = table(User)
keys_t = table(ApiKey)
departments_t = table(Department)
tokens_t = table(AuthToken)
attempts_t = table(LoginAttempt)
sessions_t = table(UserSession)
# Built once: the logged-in user is read on every web request.
_GET_USER = select(users_t).where(users_t.c.id == bindparam("id"))
_DEPARTMENTS = select(departments_t)
# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): strong, and about
# 8x cheaper per login than argon2-cffi's default profile (see docs/performance.md). Hashes
# made with other parameters are upgraded on the next successful login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

STAFF_ROLES = frozenset({"official", "liaison", "admin"})
VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
VERIFY_TTL = timedelta(hours=48)
RESET_TTL = timedelta(hours=1)
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
# The most common passwords of at least ten characters (leaked-password lists); a tiny list
# that stops the worst choices without a network lookup.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "12345678910",
        "123456789a",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "asdfghjkl1",
        "password12",
        "password123",
        "password1234",
        "contraseña",
        "contrasena",
        "contraseña1",
        "contrasena1",
        "contraseña123",
        "contrasena123",
        "iloveyou12",
        "teamo12345",
        "aaaaaaaaaa",
        "abcdefghij",
        "abc1234567",
        "qwerty1234",
        "qwerty12345",
        "mexico1234",
        "mexico12345",
        "chocotlan1",
        "demo123456",
        "tramita123",
        "bienvenido",
        "bienvenido1",
        "administrador",
        "passw0rd123",
    }
)
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES_PER_EMAIL = 5
# Failures from one address (many accounts) slow its logins down instead of refusing them:
# a town hall or a cyber café shares one address, and a right password must still work.
LOGIN_SLOW_AFTER_FAILURES_PER_IP = 20
LOGIN_FIRST_DELAY_S = 0.5
LOGIN_MAX_DELAY_S = 8.0
# A logged-in session lasts at most this long (Flask's own limit for a signed cookie).
SESSION_LIFETIME = timedelta(days=31)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    role: str
    department_key: str | None
    role_tags: tuple[str, ...]
    is_active: bool
    email_verified_at: datetime | None = None
    language: str = "es"
    position: str = ""  # an official's job title (cargo)
    # what `Accounts.profile` gives, when the account was read with its whole row (the
    # session's): the wizard prefills a new step from it without reading the user again
    profile: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def is_verified(self) -> bool:
        """Citizens must confirm their e-mail address; staff accounts are created by an
        administrator and count as verified."""
        return self.email_verified_at is not None or self.role in STAFF_ROLES

    def actor(self) -> Actor:
        kind: Any = {"official": "official", "admin": "admin"}.get(self.role, "citizen")
        return Actor(
            id=str(self.id),
            kind=kind,
            departments=frozenset([self.department_key] if self.department_key else []),
            roles=frozenset(self.role_tags),
            name=self.name,
            position=self.position,
        )


def _account(row: Any) -> Account:
    return Account(
        row.id,
        row.email,
        row.name,
        row.role,
        row.department_key,
        tuple(row.role_tags or ()),
        bool(row.is_active),
        row.email_verified_at,
        row.language or "es",
        getattr(row, "position", "") or "",
        _profile(row) if hasattr(row, "address") else None,
    )


def _profile(row: Any) -> dict[str, Any]:
    """The citizen's data the wizard can prefill, from a whole row of the users table."""
    address = dict(row.address or {})
    return {
        "name": row.name or "",
        "email": row.email,
        "curp": row.curp or "",
        "phone": row.phone or "",
        "address": {part: str(address.get(part) or "") for part in PROFILE_ADDRESS_FIELDS},
    }


def hash_password(password: str) -> str:
    """The argon2id hash stored for a password (for code that writes users itself)."""
    return _hasher.hash(password)


# Raw driver SQL, measured: the logged-in user is read on every request; on PostgreSQL through
# psycopg's cursor (`db.driver_row`) instead of SQLAlchemy's statement machinery. Benchmark:
# bench/wizard_cpu.py (docs/performance.md, "CPU per request", item 4).
_PG_GET_USER = "SELECT * FROM users WHERE id = %s"
_PG_SESSION_USER = (
    "SELECT u.* FROM user_sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = %s AND s.created_at > %s"
)
_SESSION_USER = (
    select(users_t)
    .join(sessions_t, sessions_t.c.user_id == users_t.c.id)
    .where(
        sessions_t.c.token_hash == bindparam("token_hash"),
        sessions_t.c.created_at > bindparam("since"),
    )
)


def end_sessions(conn: Connection, user_id: int, *, keep: str | None = None) -> int:
    """Log the account out everywhere (but the session `keep`, if given), in the caller's
    transaction: a password change or a deactivation. Returns how many sessions ended."""
    query = delete(sessions_t).where(sessions_t.c.user_id == user_id)
    if keep:
        query = query.where(sessions_t.c.token_hash != token_hash(keep))
    return int(conn.execute(query).rowcount or 0)


class EmailTakenError(Exception):
    """An account with this e-mail address exists already."""


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTCODE_RE = re.compile(r"^\d{5}$")
PROFILE_ADDRESS_FIELDS = ("street", "number", "neighbourhood", "postcode", "municipality")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """`required`, `invalid` or None for an e-mail address typed in a form."""
    email = email.strip()
    if not email:
        return "required"
    if len(email) > 254 or not EMAIL_RE.match(email):
        return "invalid"
    return None


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password is refused (`required`, `too_short`, `too_long`, `is_email`,
    `common`), or None if it is acceptable."""
    if not password:
        return "required"
    if len(password) < PASSWORD_MIN_LENGTH:
        return "too_short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long"
    lowered = password.strip().lower()
    email = normalize_email(email)
    if email and lowered in (email, email.partition("@")[0]):
        return "is_email"
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "common"
    return None


def normalize_phone(phone: str) -> str:
    """Digits only, keeping a leading +; raises ValueError if it cannot be a phone number
    (10 digits in Mexico, up to 15 with a country code)."""
    raw = phone.strip()
    if re.search(r"[^\d\s+().-]", raw):
        raise ValueError(phone)
    digits = re.sub(r"\D", "", raw)
    if not 10 <= len(digits) <= 15:
        raise ValueError(phone)
    return ("+" if raw.startswith("+") else "") + digits


def validate_profile(
    form: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean the profile form. Returns (values, errors) where errors maps a form field name
    (`name`, `curp`, `phone`, `address.postcode`...) to an error code (`required`,
    `invalid`, `too_long`)."""
    errors: dict[str, str] = {}
    name = " ".join(str(form.get("name", "")).split())
    if not name:
        errors["name"] = "required"
    elif len(name) > 200:
        errors["name"] = "too_long"
    curp_value: str | None = None
    raw_curp = str(form.get("curp", "")).strip()
    if raw_curp:
        try:
            curp_value = str(mx_curp.validate(raw_curp)).upper()
        except StdnumValidationError:
            errors["curp"] = "invalid"
    phone: str | None = None
    raw_phone = str(form.get("phone", "")).strip()
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone)
        except ValueError:
            errors["phone"] = "invalid"
    address: dict[str, str] = {}
    for part in PROFILE_ADDRESS_FIELDS:
        value = " ".join(str(form.get(f"address.{part}", "")).split())
        if len(value) > 200:
            errors[f"address.{part}"] = "too_long"
        address[part] = value
    if address["postcode"] and not POSTCODE_RE.match(address["postcode"]):
        errors["address.postcode"] = "invalid"
    values: dict[str, Any] = {
        "name": name,
        "curp": curp_value,
        "phone": phone,
        "address": address if any(address.values()) else None,
    }
    return values, errors


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenCheck:
    """What an e-mailed token is worth: `ok`, `expired`, `used` or `unknown`."""

    status: str
    user_id: int | None = None
    token_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class LoginGate:
    """A login attempt's turn: `attempt_id` when it may check the password, else `wait`
    seconds until the e-mail address may be tried again."""

    attempt_id: int | None
    wait: float | None = None


def login_delay(failures_from_address: int) -> float:
    """Seconds a login waits after this many recent failures from its address."""
    excess = failures_from_address - LOGIN_SLOW_AFTER_FAILURES_PER_IP
    if excess < 0:
        return 0.0
    return float(min(LOGIN_MAX_DELAY_S, LOGIN_FIRST_DELAY_S * 2**excess))


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # in clear: only ever put in the e-mail
    expires_at: datetime


class Accounts:
    def __init__(
        self,
        engine: Engine,
        *,
        demo_mode: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.demo_mode = demo_mode
        self.clock = clock

    def _reading(self, conn: Connection | None) -> AbstractContextManager[Connection]:
        """The caller's connection (a web request shares one for its reads), or a new one."""
        return nullcontext(conn) if conn is not None else self.engine.connect()

    def get(self, user_id: int, conn: Connection | None = None) -> Account | None:
        if conn is not None and conn.dialect.name == "postgresql":
            row = driver_row(conn, _PG_GET_USER, (user_id,))  # no ORM on hot paths
        else:
            with self._reading(conn) as c:
                row = c.execute(_GET_USER, {"id": user_id}).one_or_none()
        return _account(row) if row else None

    # -- sessions (server-side registry) ----------------------------------------------------

    def open_session(self, user_id: int) -> str:
        """A new logged-in session: returns its random id (for the signed cookie; only its
        SHA-256 is stored). The account's sessions past their lifetime are dropped."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                delete(sessions_t).where(
                    sessions_t.c.user_id == user_id,
                    sessions_t.c.created_at <= now - SESSION_LIFETIME,
                )
            )
            conn.execute(
                insert(sessions_t).values(
                    user_id=user_id, token_hash=token_hash(token), created_at=now
                )
            )
        return token

    def session_account(self, token: str, conn: Connection | None = None) -> Account | None:
        """The account logged in with this session id, or None once it was logged out,
        ended by a password change or deactivation, or is older than SESSION_LIFETIME."""
        if not token or len(token) > 100:
            return None
        params = {"token_hash": token_hash(token), "since": self.clock() - SESSION_LIFETIME}
        if conn is not None and conn.dialect.name == "postgresql":
            # Every web request reads this: straight through the driver, no ORM.
            row = driver_row(conn, _PG_SESSION_USER, (params["token_hash"], params["since"]))
        else:
            with self._reading(conn) as c:
                row = c.execute(_SESSION_USER, params).one_or_none()
        return _account(row) if row else None

    def end_session(self, token: str) -> None:
        """Logout: this session id stops working, wherever a copy of the cookie is."""
        if not token:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(sessions_t).where(sessions_t.c.token_hash == token_hash(token)))

    def session_count(self, user_id: int) -> int:
        """How many sessions of the account are open (the registry's view)."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(sessions_t)
                .where(
                    sessions_t.c.user_id == user_id,
                    sessions_t.c.created_at > self.clock() - SESSION_LIFETIME,
                )
            ).scalar_one()
        return int(count)

    def by_email(self, email: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_t).where(users_t.c.email == normalize_email(email))
            ).one_or_none()
        return _account(row) if row else None

    def create(
        self,
        email: str,
        password: str,
        *,
        role: str,
        name: str = "",
        department_key: str | None = None,
        role_tags: list[str] | None = None,
        verified: bool = False,
        language: str = "es",
    ) -> Account:
        """A new account; raises `EmailTakenError` if the address is already registered."""
        try:
            return self._create(
                email,
                password,
                role=role,
                name=name,
                department_key=department_key,
                role_tags=role_tags,
                verified=verified,
                language=language,
            )
        except IntegrityError as exc:
            raise EmailTakenError(email) from exc

    def _create(
        self,
        email: str,
        password: str,
        *,
        role: str,
        name: str,
        department_key: str | None,
        role_tags: list[str] | None,
        verified: bool,
        language: str,
    ) -> Account:
        now = utcnow()
        with self.engine.begin() as conn:
            user_id = conn.execute(
                insert(users_t)
                .values(
                    email=email.strip().lower(),
                    name=name,
                    password_hash=_hasher.hash(password),
                    role=role,
                    department_key=department_key,
                    role_tags=role_tags or [],
                    is_active=True,
                    created_at=now,
                    email_verified_at=now if verified else None,
                    language=language,
                )
                .returning(users_t.c.id)
            ).scalar_one()
        account = self.get(int(user_id))
        assert account is not None
        return account

    def authenticate(self, email: str, password: str) -> Account | None:
        """The active account for these credentials, or None. The demo password is refused
        outside demo mode, so a forgotten demo account cannot open a production system."""
        if password == DEMO_PASSWORD and not self.demo_mode:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_t).where(users_t.c.email == email.strip().lower())
            ).one_or_none()
        if row is None or not row.is_active:
            _hasher.hash(password)  # same cost whether or not the email exists
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            with self.engine.begin() as conn:
                conn.execute(
                    update(users_t)
                    .where(users_t.c.id == row.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return _account(row)

    def ensure_department(self, key: str, name_es: str, name_en: str = "") -> None:
        with self.engine.begin() as conn:
            found = conn.execute(
                select(departments_t.c.id).where(departments_t.c.key == key)
            ).scalar()
            if found is None:
                conn.execute(
                    insert(departments_t).values(
                        key=key, name_es=name_es, name_en=name_en or name_es, created_at=utcnow()
                    )
                )
            else:
                conn.execute(
                    update(departments_t)
                    .where(departments_t.c.id == found)
                    .values(name_es=name_es, name_en=name_en or name_es)
                )

    def departments(self, conn: Connection | None = None) -> dict[str, tuple[str, str]]:
        with self._reading(conn) as c:
            rows = c.execute(_DEPARTMENTS).all()
        return {r.key: (r.name_es, r.name_en) for r in rows}

    def create_api_key(self, user_id: int, name: str) -> str:
        """A new key, returned once in clear ("tk_" + 40 random characters)."""
        key = "tk_" + secrets.token_urlsafe(30)
        with self.engine.begin() as conn:
            conn.execute(
                insert(keys_t).values(
                    name=name,
                    prefix=key[:8],
                    key_hash=hashlib.sha256(key.encode()).hexdigest(),
                    user_id=user_id,
                    created_at=utcnow(),
                )
            )
        return key

    def account_for_api_key(self, key: str) -> Account | None:
        digest = hashlib.sha256(key.encode()).hexdigest()
        with self.engine.connect() as conn:
            user_id = conn.execute(
                select(keys_t.c.user_id).where(
                    keys_t.c.key_hash == digest, keys_t.c.revoked_at.is_(None)
                )
            ).scalar()
        if user_id is None:
            return None
        account = self.get(int(user_id))
        return account if account and account.is_active else None

    def dummy_hash(self, password: str) -> None:
        """Spend the time of a password hash, so an answer does not reveal whether an
        address is registered."""
        _hasher.hash(password or "x")

    def set_password(self, user_id: int, password: str, *, keep_session: str | None = None) -> int:
        """Change the password and end every other session of the account (all but
        `keep_session`, the one that asked). Returns how many sessions ended."""
        new_hash = _hasher.hash(password)
        with self.engine.begin() as conn:
            conn.execute(
                update(users_t).where(users_t.c.id == user_id).values(password_hash=new_hash)
            )
            return end_sessions(conn, user_id, keep=keep_session)

    # -- e-mailed tokens (verify the address, reset the password) ---------------------------

    def issue_token(self, user_id: int, purpose: str, ttl: timedelta) -> IssuedToken:
        """A new random single-use token; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            token_id = conn.execute(
                insert(tokens_t)
                .values(
                    user_id=user_id,
                    purpose=purpose,
                    token_hash=token_hash(token),
                    expires_at=now + ttl,
                    created_at=now,
                )
                .returning(tokens_t.c.id)
            ).scalar_one()
        return IssuedToken(int(token_id), token, now + ttl)

    def tokens_issued_since(self, user_id: int, purpose: str, since: datetime) -> int:
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(tokens_t)
                .where(
                    tokens_t.c.user_id == user_id,
                    tokens_t.c.purpose == purpose,
                    tokens_t.c.created_at >= since,
                )
            ).scalar_one()
        return int(count)

    def may_send_token(
        self, user_id: int, purpose: str, *, per_minute: int = 1, per_hour: int = 5
    ) -> bool:
        """Rate limit for e-mailed links, so nobody can flood an inbox."""
        now = self.clock()
        if self.tokens_issued_since(user_id, purpose, now - timedelta(minutes=1)) >= per_minute:
            return False
        return self.tokens_issued_since(user_id, purpose, now - timedelta(hours=1)) < per_hour

    def check_token(self, token: str, purpose: str) -> TokenCheck:
        """What this token is worth now, without using it."""
        with self.engine.connect() as conn:
            return self._check(conn, token, purpose)

    def _check(self, conn: Connection, token: str, purpose: str) -> TokenCheck:
        if not token or len(token) > 200:
            return TokenCheck("unknown")
        row = conn.execute(
            select(tokens_t).where(
                tokens_t.c.token_hash == token_hash(token), tokens_t.c.purpose == purpose
            )
        ).one_or_none()
        if row is None:
            return TokenCheck("unknown")
        if row.used_at is not None:
            return TokenCheck("used", row.user_id, row.id)
        if row.expires_at <= self.clock():
            return TokenCheck("expired", row.user_id, row.id)
        return TokenCheck("ok", row.user_id, row.id)

    def _use(self, conn: Connection, token: str, purpose: str) -> TokenCheck:
        """Mark the token used, once: of two concurrent uses exactly one gets `ok`."""
        found = self._check(conn, token, purpose)
        if not found.ok:
            return found
        now = self.clock()
        used = conn.execute(
            update(tokens_t)
            .where(
                tokens_t.c.id == found.token_id,
                tokens_t.c.used_at.is_(None),
                tokens_t.c.expires_at > now,
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:
            return TokenCheck("used", found.user_id, found.token_id)
        return found

    def verify_email(self, token: str) -> TokenCheck:
        """Use a verification token: the account's address counts as confirmed."""
        with self.engine.begin() as conn:
            result = self._use(conn, token, VERIFY_EMAIL)
            if result.ok:
                conn.execute(
                    update(users_t)
                    .where(users_t.c.id == result.user_id, users_t.c.email_verified_at.is_(None))
                    .values(email_verified_at=self.clock())
                )
        return result

    def reset_password(self, token: str, password: str) -> TokenCheck:
        """Use a reset token: set the new password, end every session of the account, void
        the user's other reset links and confirm the address (the link reached its inbox)."""
        new_hash = _hasher.hash(password)
        with self.engine.begin() as conn:
            result = self._use(conn, token, RESET_PASSWORD)
            if result.ok:
                now = self.clock()
                conn.execute(
                    update(users_t)
                    .where(users_t.c.id == result.user_id)
                    .values(password_hash=new_hash)
                )
                assert result.user_id is not None
                end_sessions(conn, result.user_id)
                conn.execute(
                    update(users_t)
                    .where(users_t.c.id == result.user_id, users_t.c.email_verified_at.is_(None))
                    .values(email_verified_at=now)
                )
                conn.execute(
                    update(tokens_t)
                    .where(
                        tokens_t.c.user_id == result.user_id,
                        tokens_t.c.purpose == RESET_PASSWORD,
                        tokens_t.c.used_at.is_(None),
                    )
                    .values(used_at=now)
                )
        return result

    # -- login throttling ---------------------------------------------------------------------

    def address_delay(self, ip: str) -> float:
        """Seconds to hold a login from this address before checking it: 0 until
        LOGIN_SLOW_AFTER_FAILURES_PER_IP failures within LOGIN_WINDOW, then doubling with each
        further failure up to LOGIN_MAX_DELAY_S. Never a refusal: the right password of
        someone sharing the address still logs in."""
        since = self.clock() - LOGIN_WINDOW
        cap = LOGIN_SLOW_AFTER_FAILURES_PER_IP + 8
        with self.engine.connect() as conn:
            failures = len(
                conn.execute(
                    select(attempts_t.c.id)
                    .where(
                        attempts_t.c.ip == ip[:64],
                        attempts_t.c.success.is_(False),
                        attempts_t.c.created_at > since,
                    )
                    .limit(cap)
                ).all()
            )
        return login_delay(failures)

    def reserve_login_attempt(self, email: str, ip: str) -> LoginGate:
        """Count this address's recent failures and, below the limit, record this attempt as
        one before the password is checked, atomically: of any number of parallel attempts
        at most LOGIN_MAX_FAILURES_PER_EMAIL get through. `finish_login_attempt` turns a
        right password into a success. Refused attempts are not recorded, so the lock ends
        with the window."""
        now = self.clock()
        email = normalize_email(email)[:254]
        with self.engine.begin() as conn:
            # SQLite: every transaction here is BEGIN IMMEDIATE (one writer at a time).
            # PostgreSQL: a transaction lock per address serialises its count-and-insert.
            if conn.dialect.name == "postgresql":
                key = "login:" + email
                conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
            wait = self._email_wait(conn, email, now)
            if wait is not None:
                return LoginGate(None, wait)
            attempt_id = conn.execute(
                insert(attempts_t)
                .values(email=email, ip=ip[:64], success=False, created_at=now)
                .returning(attempts_t.c.id)
            ).scalar_one()
            # Old rows are useless; drop this address's, cheaply (indexed).
            conn.execute(
                delete(attempts_t).where(
                    attempts_t.c.email == email,
                    attempts_t.c.created_at < now - timedelta(days=1),
                )
            )
        return LoginGate(int(attempt_id), None)

    def finish_login_attempt(self, gate: LoginGate, *, success: bool) -> None:
        """A reserved attempt whose password was right stops counting as a failure."""
        if success and gate.attempt_id is not None:
            with self.engine.begin() as conn:
                conn.execute(
                    update(attempts_t)
                    .where(attempts_t.c.id == gate.attempt_id)
                    .values(success=True)
                )

    def _email_wait(self, conn: Connection, email: str, now: datetime) -> float | None:
        """Seconds until this e-mail address may be tried again (LOGIN_MAX_FAILURES_PER_EMAIL
        failures since its last success within LOGIN_WINDOW), or None."""
        since = now - LOGIN_WINDOW
        last_success = conn.execute(
            select(func.max(attempts_t.c.created_at)).where(
                attempts_t.c.email == email,
                attempts_t.c.success.is_(True),
                attempts_t.c.created_at >= since,
            )
        ).scalar()
        failures = list(
            conn.execute(
                select(attempts_t.c.created_at)
                .where(
                    attempts_t.c.email == email,
                    attempts_t.c.success.is_(False),
                    attempts_t.c.created_at > max(since, last_success or since),
                )
                .order_by(attempts_t.c.created_at.desc())
                .limit(LOGIN_MAX_FAILURES_PER_EMAIL)
            ).scalars()
        )
        if len(failures) < LOGIN_MAX_FAILURES_PER_EMAIL:
            return None
        oldest: datetime = failures[LOGIN_MAX_FAILURES_PER_EMAIL - 1]
        return max(1.0, (oldest + LOGIN_WINDOW - now).total_seconds())

    # -- profile ------------------------------------------------------------------------------

    def profile(self, user_id: int, conn: Connection | None = None) -> dict[str, Any]:
        """The citizen's data the wizard can prefill: name, email, curp, phone, address."""
        if conn is not None and conn.dialect.name == "postgresql":
            row = driver_row(conn, _PG_GET_USER, (user_id,))  # each new wizard step reads it
        else:
            with self._reading(conn) as c:
                row = c.execute(_GET_USER, {"id": user_id}).one_or_none()
        if row is None:
            raise KeyError(user_id)
        return _profile(row)

    def update_profile(self, user_id: int, values: Mapping[str, Any]) -> None:
        """Store values cleaned by `validate_profile`."""
        with self.engine.begin() as conn:
            conn.execute(
                update(users_t)
                .where(users_t.c.id == user_id)
                .values(
                    name=values["name"],
                    curp=values.get("curp"),
                    phone=values.get("phone"),
                    address=values.get("address"),
                )
            )

    def set_language(self, user_id: int, language: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(users_t).where(users_t.c.id == user_id).values(language=language[:5])
            )
