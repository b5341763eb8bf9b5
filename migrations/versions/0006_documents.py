"""Issued documents: what was printed (title, holder), who revoked it, how many signatures

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('title', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('holder', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('signatures', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('revoked_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('revoked_by')
        batch.drop_column('signatures')
        batch.drop_column('holder')
        batch.drop_column('title')
