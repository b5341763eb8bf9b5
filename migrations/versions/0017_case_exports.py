"""Case exports: a procedure version's cases as CSV or XLSX, built in the background, kept
for a limited time for their requester

Revision ID: 0017_case_exports
Revises: 0016_publication_requests
Create Date: 2026-12-02 20:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = '0017_case_exports'
down_revision = '0016_publication_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_key', sa.String(length=64), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('departments', JSON, nullable=True),
    sa.Column('spec', JSON, nullable=False),
    sa.Column('requested_by_id', sa.String(length=64), nullable=False),
    sa.Column('requested_by_name', sa.String(length=200), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_exports_requester', 'case_exports',
                    ['requested_by_id', 'id'], unique=False)
    op.create_index('ix_case_exports_status', 'case_exports',
                    ['status', 'expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_exports_status', table_name='case_exports')
    op.drop_index('ix_case_exports_requester', table_name='case_exports')
    op.drop_table('case_exports')
