"""Template revisions: every save of a draft is a row; publications record who, why and
which version a roll back restored

Revision ID: 0012_template_revisions
Revises: 0011_user_sessions
Create Date: 2026-11-24 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0012_template_revisions'
down_revision = '0011_user_sessions'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('procedure_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('base_number', sa.Integer(), nullable=True),
    sa.Column('document', JSON, nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by_id', sa.String(length=64), nullable=False),
    sa.Column('saved_by_name', sa.String(length=200), nullable=False),
    sa.Column('problems', JSON, nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('warning_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['procedure_templates.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('template_id', 'number')
    )
    op.add_column('procedure_templates', sa.Column('draft_revision', sa.Integer(), server_default='0', nullable=False))
    op.add_column('procedure_versions', sa.Column('published_by_id', sa.String(length=64), server_default='', nullable=False))
    op.add_column('procedure_versions', sa.Column('note', sa.Text(), server_default='', nullable=False))
    op.add_column('procedure_versions', sa.Column('restored_from', sa.Integer(), nullable=True))
    # Every existing draft becomes its template's first revision (drafts were only saved
    # when valid, so it has no problems).
    op.execute(
        "INSERT INTO procedure_revisions (template_id, number, base_number, document, checksum, "
        "saved_at, saved_by_id, saved_by_name, problems, error_count, warning_count) "
        "SELECT id, 1, NULL, draft, draft_checksum, draft_updated_at, 'migration', "
        "'migración 0012', '[]', 0, 0 FROM procedure_templates"
    )
    op.execute("UPDATE procedure_templates SET draft_revision = 1")


def downgrade() -> None:
    op.drop_column('procedure_versions', 'restored_from')
    op.drop_column('procedure_versions', 'note')
    op.drop_column('procedure_versions', 'published_by_id')
    op.drop_column('procedure_templates', 'draft_revision')
    op.drop_table('procedure_revisions')
