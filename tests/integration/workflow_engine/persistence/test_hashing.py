"""Password hashes: argon2id with OWASP parameters; older hashes are upgraded at login."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select, update

from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import User, table
from workflow_engine.persistence.platform.accounts import Accounts


def test_old_hashes_are_upgraded_on_login(
    sqlite_url: str, production_password_hashes: None
) -> None:
    engine = make_engine(sqlite_url)
    accounts = Accounts(engine)
    account = accounts.create("ana@example.mx", "una clave muy larga", role="citizen")
    users = table(User)
    legacy = PasswordHasher().hash("una clave muy larga")  # argon2-cffi's default profile
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == account.id).values(password_hash=legacy))
    assert accounts.authenticate("ana@example.mx", "otra clave") is None
    assert accounts.authenticate("ana@example.mx", "una clave muy larga") is not None
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored != legacy
    assert "m=19456,t=2,p=1" in stored
    assert accounts.authenticate("ana@example.mx", "una clave muy larga") is not None
    engine.dispose()
