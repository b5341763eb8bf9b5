"""Identity columns wide enough for every supported identifier (a Panamanian RUC with its DV
is up to 29 characters; 64 leaves room for the next country's)

Revision ID: 0010_identity_columns
Revises: 0009
Create Date: 2026-11-23 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0010_identity_columns'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = (('tax_id', 20), ('curp', 18))


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths: only PostgreSQL needs the change.
    if op.get_bind().dialect.name == 'sqlite':
        return
    for column, old in COLUMNS:
        op.alter_column(
            'taxpayers', column, type_=sa.String(length=64), existing_type=sa.String(length=old)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for column, old in COLUMNS:
        op.alter_column(
            'taxpayers', column, type_=sa.String(length=old), existing_type=sa.String(length=64)
        )
