"""Taxpayers' and applicants' names as search compares them (no accents, lower case), as
the inbox does: the treasury's taxpayer search and the administrators' case list

Revision ID: 0015_search_columns
Revises: 0014_user_position
Create Date: 2026-12-02 13:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

import re
import unicodedata


def search_text(name: str) -> str:
    """A frozen copy of workflow_engine.search.search_text as of this revision: a migration
    must fill rows the same way whatever the application code becomes later."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return (" " + " ".join(words)) if words else ""

revision = '0015_search_columns'
down_revision = '0014_user_position'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('taxpayers') as batch:
        batch.add_column(
            sa.Column('search', sa.String(length=400), nullable=False, server_default='')
        )
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, name FROM taxpayers')).all()
    for row in rows:
        bind.execute(
            sa.text('UPDATE taxpayers SET search = :s WHERE id = :id'),
            {'s': search_text(row.name or '')[:400], 'id': row.id},
        )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(
            sa.Column('applicant_search', sa.String(length=220), nullable=False, server_default='')
        )
    names = bind.execute(
        sa.text("SELECT DISTINCT applicant_name FROM cases WHERE applicant_name <> ''")
    ).scalars().all()
    for name in names:
        bind.execute(
            sa.text('UPDATE cases SET applicant_search = :s WHERE applicant_name = :n'),
            {'s': search_text(name)[:220], 'n': name},
        )
    if bind.dialect.name == 'postgresql':
        try:
            with bind.begin_nested():
                bind.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
            trigram = True
        except sa.exc.DBAPIError:
            trigram = False
        if trigram:
            op.execute(
                'CREATE INDEX ix_taxpayers_search ON taxpayers USING gin (search gin_trgm_ops)'
            )


def downgrade() -> None:
    op.execute('DROP INDEX IF EXISTS ix_taxpayers_search')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('applicant_search')
    with op.batch_alter_table('taxpayers') as batch:
        batch.drop_column('search')
