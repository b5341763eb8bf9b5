"""Who may still work a department's tasks, read from the accounts (the engine's
`OfficialLookup`: a resubmitted case goes back to the official who returned it)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from workflow_engine.persistence.models import User, table

users_t = table(User)


class OfficialDirectory:
    """Reads accounts through the command's connection; read only."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def can_work(self, user_id: str, department: str, role: str) -> bool:
        if not user_id.isdigit():
            return False
        row = self.conn.execute(
            select(
                users_t.c.role, users_t.c.department_key, users_t.c.is_active, users_t.c.role_tags
            ).where(users_t.c.id == int(user_id))
        ).first()
        if row is None or not row.is_active or row.role != "official":
            return False
        tags = set(row.role_tags or ())
        return row.department_key == department and (role in tags or "director" in tags)
