"""Inbox: applicant on cases, case copies on tasks, partial indexes per inbox ordering

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00

Why: each inbox page (workflow_engine/persistence/cases/inbox.py) must be one range scan of an
index over the *open* tasks, in the page's order, whatever the number of cases. So tasks
carry copies of the case columns the inbox shows and filters on, and there is one partial
btree index per (scope, ordering). Name search uses a trigram GIN index on PostgreSQL when
the pg_trgm extension can be created; without it search still works, only slower.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
UNCLAIMED = sa.text("status = 'open' AND assignee_id IS NULL")

# name, columns, predicate
BTREE_INDEXES = (
    ("ix_tasks_open_mine_due", ["assignee_id", "due_on", "id"], OPEN),
    ("ix_tasks_open_mine_age", ["assignee_id", "opened_at", "id"], OPEN),
    ("ix_tasks_open_dept_due", ["department", "due_on", "id"], OPEN),
    ("ix_tasks_open_dept_age", ["department", "opened_at", "id"], OPEN),
    ("ix_tasks_unclaimed_due", ["department", "due_on", "id"], UNCLAIMED),
    ("ix_tasks_unclaimed_age", ["department", "opened_at", "id"], UNCLAIMED),
    ("ix_tasks_pool_due", ["department", "role", "due_on", "id"], UNCLAIMED),
    ("ix_tasks_pool_age", ["department", "role", "opened_at", "id"], UNCLAIMED),
    ("ix_tasks_open_ref", ["applicant_ref"], OPEN),
)


def _search_text(name: str) -> str:
    """Same as workflow_engine.persistence.cases.inbox.search_text (frozen copy for the migration)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return (" " + " ".join(words)) if words else ""


def _extension(bind: sa.engine.Connection, name: str) -> bool:
    """CREATE EXTENSION (pg_trgm and btree_gin are trusted since PostgreSQL 13, so the
    database owner may create them) inside a savepoint, so a refusal is not fatal."""
    try:
        with bind.begin_nested():
            bind.execute(sa.text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
        return True
    except sa.exc.DBAPIError:
        return False


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.add_column(
        "cases",
        sa.Column("applicant_name", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column("cases", sa.Column("applicant_ref", sa.String(length=32), nullable=True))
    op.add_column(
        "tasks", sa.Column("procedure_key", sa.String(length=64), server_default="", nullable=False)
    )
    op.add_column(
        "tasks", sa.Column("folio", sa.String(length=32), server_default="", nullable=False)
    )
    op.add_column("tasks", sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "tasks",
        sa.Column("applicant_name", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column("tasks", sa.Column("applicant_ref", sa.String(length=32), nullable=True))
    op.add_column(
        "tasks",
        sa.Column("applicant_search", sa.String(length=220), server_default="", nullable=False),
    )

    # Backfill: applicant from users, then the case copies onto tasks.
    bind.execute(
        sa.text(
            "UPDATE cases SET "
            "applicant_name = COALESCE((SELECT u.name FROM users u "
            "  WHERE CAST(u.id AS VARCHAR(64)) = cases.applicant_id), ''), "
            "applicant_ref = (SELECT NULLIF(UPPER(REPLACE(u.curp, ' ', '')), '') FROM users u "
            "  WHERE CAST(u.id AS VARCHAR(64)) = cases.applicant_id)"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE tasks SET "
            "folio = (SELECT c.folio FROM cases c WHERE c.id = tasks.case_id), "
            "procedure_key = (SELECT c.procedure_key FROM cases c WHERE c.id = tasks.case_id), "
            "submitted_at = (SELECT c.submitted_at FROM cases c WHERE c.id = tasks.case_id), "
            "applicant_name = (SELECT c.applicant_name FROM cases c WHERE c.id = tasks.case_id), "
            "applicant_ref = (SELECT c.applicant_ref FROM cases c WHERE c.id = tasks.case_id)"
        )
    )
    names = (
        bind.execute(
            sa.text("SELECT DISTINCT applicant_name FROM tasks WHERE applicant_name <> ''")
        )
        .scalars()
        .all()
    )
    for name in names:
        bind.execute(
            sa.text("UPDATE tasks SET applicant_search = :s WHERE applicant_name = :n"),
            {"s": _search_text(name), "n": name},
        )

    for name, columns, where in BTREE_INDEXES:
        op.create_index(name, "tasks", columns, postgresql_where=where, sqlite_where=where)
    if pg:
        op.create_index(
            "ix_tasks_open_folio",
            "tasks",
            ["folio"],
            postgresql_where=OPEN,
            postgresql_ops={"folio": "varchar_pattern_ops"},
        )
        if _extension(bind, "pg_trgm"):
            # With btree_gin the department is part of the index, so a common name in a
            # big municipality only reads the rows of the official's own department.
            leading = "department, " if _extension(bind, "btree_gin") else ""
            op.execute(
                "CREATE INDEX ix_tasks_open_name ON tasks USING gin "
                f"({leading}applicant_search gin_trgm_ops) WHERE status = 'open'"
            )
    else:
        op.create_index("ix_tasks_open_folio", "tasks", ["folio"], sqlite_where=OPEN)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tasks_open_name")
    op.drop_index("ix_tasks_open_folio", table_name="tasks")
    for name, _columns, _where in reversed(BTREE_INDEXES):
        op.drop_index(name, table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        for column in (
            "applicant_search",
            "applicant_ref",
            "applicant_name",
            "submitted_at",
            "folio",
            "procedure_key",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("applicant_ref")
        batch.drop_column("applicant_name")
