"""Reusable catalogs (SCIAN lines, colonias) for the catalog_select field type

Revision ID: 0013_catalogs
Revises: 0012_template_revisions
Create Date: 2026-12-02 09:30:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0013_catalogs'
down_revision = '0012_template_revisions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_entries',
    sa.Column('catalog', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('search', sa.String(length=400), nullable=False),
    sa.PrimaryKeyConstraint('catalog', 'code')
    )
    op.create_index('ix_catalog_entries_search', 'catalog_entries', ['catalog', 'search'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_catalog_entries_search', table_name='catalog_entries')
    op.drop_table('catalog_entries')
