"""Server-side session registry: logout and password changes end sessions for real

Revision ID: 0011_user_sessions
Revises: 0010_identity_columns
Create Date: 2026-11-23 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0011_user_sessions'
down_revision = '0010_identity_columns'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_user_sessions_user', 'user_sessions', ['user_id'], unique=False)
    # One mechanism: the registry replaces the per-account epoch (sessions signed before
    # this migration carry no registry id and simply ask for a new login).
    op.drop_column('users', 'session_epoch')


def downgrade() -> None:
    op.add_column('users', sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
    op.drop_index('ix_user_sessions_user', table_name='user_sessions')
    op.drop_table('user_sessions')
