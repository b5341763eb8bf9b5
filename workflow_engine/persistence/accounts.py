"""Accounts: users, departments and API keys. Passwords are argon2 hashes; API keys are
stored as SHA-256 only, so a database leak reveals neither."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from workflow_engine.engine import Actor
from workflow_engine.persistence.models import ApiKey, Department, User, table
from workflow_engine.persistence.types import utcnow

DEMO_PASSWORD = "demo12345"
users_t = table(User)
keys_t = table(ApiKey)
departments_t = table(Department)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    role: str
    department_key: str | None
    role_tags: tuple[str, ...]
    is_active: bool

    def actor(self) -> Actor:
        kind: Any = {"official": "official", "admin": "admin"}.get(self.role, "citizen")
        return Actor(
            id=str(self.id),
            kind=kind,
            departments=frozenset([self.department_key] if self.department_key else []),
            roles=frozenset(self.role_tags),
            name=self.name,
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
    )


class Accounts:
    def __init__(self, engine: Engine, *, demo_mode: bool = False) -> None:
        self.engine = engine
        self.demo_mode = demo_mode

    def get(self, user_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_t).where(users_t.c.id == user_id)).one_or_none()
        return _account(row) if row else None

    def by_email(self, email: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_t).where(users_t.c.email == email.strip().lower())
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
    ) -> Account:
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
                    created_at=utcnow(),
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

    def departments(self) -> dict[str, tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(departments_t)).all()
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
