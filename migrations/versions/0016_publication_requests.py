"""Publication requests: the four-eyes rule (a liaison's publication waits for an
administrator's or the department director's approval)

Revision ID: 0016_publication_requests
Revises: 0015_search_columns
Create Date: 2026-12-02 16:45:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0016_publication_requests'
down_revision = '0015_search_columns'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('publication_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.String(length=64), nullable=False),
    sa.Column('requested_by_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.String(length=64), nullable=True),
    sa.Column('decided_by_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['template_id'], ['procedure_templates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_publication_requests_status', 'publication_requests',
                    ['status', 'template_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_publication_requests_status', table_name='publication_requests')
    op.drop_table('publication_requests')
