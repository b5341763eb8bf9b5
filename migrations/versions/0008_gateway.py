"""Payment gateway: hosted checkout sessions opened for payment orders

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gateway_checkouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=32), nullable=False),
    sa.Column('checkout_id', sa.String(length=128), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('gateway', 'checkout_id', name='uq_gateway_checkouts_id')
    )
    op.create_index('ix_gateway_checkouts_reference', 'gateway_checkouts', ['reference', 'id'], unique=False)
    op.create_index('ix_gateway_checkouts_status', 'gateway_checkouts', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_gateway_checkouts_status', table_name='gateway_checkouts')
    op.drop_index('ix_gateway_checkouts_reference', table_name='gateway_checkouts')
    op.drop_table('gateway_checkouts')
