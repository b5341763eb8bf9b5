"""Staff access log: every view of a case or one of its files by staff (append-only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('what', sa.String(length=120), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_access_case', 'case_access_log', ['case_id', 'id'], unique=False)
    op.create_index('ix_case_access_user', 'case_access_log', ['user_id', 'id'], unique=False)
    # Who saw what is evidence: nobody may rewrite it (same pattern as case_events in 0001).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION case_access_log_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'case_access_log is append-only';
            END;
            $$ LANGUAGE plpgsql;
            """
        )
        op.execute(
            "CREATE TRIGGER case_access_log_no_change BEFORE UPDATE OR DELETE ON case_access_log "
            "FOR EACH ROW EXECUTE FUNCTION case_access_log_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER case_access_log_no_update BEFORE UPDATE ON case_access_log "
            "BEGIN SELECT RAISE(ABORT, 'case_access_log is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER case_access_log_no_delete BEFORE DELETE ON case_access_log "
            "BEGIN SELECT RAISE(ABORT, 'case_access_log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_access_log_no_change ON case_access_log")
        op.execute("DROP FUNCTION IF EXISTS case_access_log_append_only()")
    op.drop_index('ix_case_access_user', table_name='case_access_log')
    op.drop_index('ix_case_access_case', table_name='case_access_log')
    op.drop_table('case_access_log')
