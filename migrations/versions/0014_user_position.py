"""An official's job title (cargo), printed under their name when they sign as whoever decided

Revision ID: 0014_user_position
Revises: 0013_catalogs
Create Date: 2026-12-02 12:40:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0014_user_position'
down_revision = '0013_catalogs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('position', sa.String(length=200), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('position')
