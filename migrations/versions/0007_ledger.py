"""Built-in municipal ledger: taxpayers, taxable objects, obligations, payments, payment events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 05:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
APPEND_ONLY = ("ledger_payments", "payment_events")


def upgrade() -> None:
    op.create_table('taxpayers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('tax_id', sa.String(length=20), nullable=True),
    sa.Column('curp', sa.String(length=18), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_taxpayers_user', 'taxpayers', ['user_id'], unique=False)
    op.create_index('ix_taxpayers_tax_id', 'taxpayers', ['tax_id'], unique=False)
    op.create_table('taxable_objects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taxpayer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('attributes', JSON, nullable=False),
    sa.Column('recurring', JSON, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source_case_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['taxpayer_id'], ['taxpayers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key')
    )
    op.create_index('ix_taxable_objects_taxpayer', 'taxable_objects', ['taxpayer_id'], unique=False)
    op.create_table('obligations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('taxpayer_id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('concept', sa.String(length=300), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['object_id'], ['taxable_objects.id'], ),
    sa.ForeignKeyConstraint(['taxpayer_id'], ['taxpayers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_index('ix_obligations_taxpayer', 'obligations', ['taxpayer_id', 'due_on'], unique=False)
    op.create_index('ix_obligations_overdue', 'obligations', ['status', 'due_on'], unique=False)
    op.create_index('ix_obligations_reference', 'obligations', ['reference'], unique=False)
    op.create_table('ledger_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taxpayer_id', sa.Integer(), nullable=True),
    sa.Column('obligation_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], ),
    sa.ForeignKeyConstraint(['taxpayer_id'], ['taxpayers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'external_id')
    )
    op.create_index('ix_ledger_payments_taxpayer', 'ledger_payments', ['taxpayer_id', 'paid_at'], unique=False)
    op.create_table('payment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_payment_events_reference', 'payment_events', ['reference', 'id'], unique=False)
    # Money received and what payment sources said are evidence: append-only in the database.
    for name in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"""
                CREATE FUNCTION {name}_append_only() RETURNS trigger AS $$
                BEGIN
                  RAISE EXCEPTION '{name} is append-only';
                END;
                $$ LANGUAGE plpgsql;
                """
            )
            op.execute(
                f"CREATE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {name} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()"
            )
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {name}_no_{verb.lower()} BEFORE {verb} ON {name} "
                    f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_no_change ON {name}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_append_only()")
    op.drop_index('ix_payment_events_reference', table_name='payment_events')
    op.drop_table('payment_events')
    op.drop_index('ix_ledger_payments_taxpayer', table_name='ledger_payments')
    op.drop_table('ledger_payments')
    op.drop_index('ix_obligations_reference', table_name='obligations')
    op.drop_index('ix_obligations_overdue', table_name='obligations')
    op.drop_index('ix_obligations_taxpayer', table_name='obligations')
    op.drop_table('obligations')
    op.drop_index('ix_taxable_objects_taxpayer', table_name='taxable_objects')
    op.drop_table('taxable_objects')
    op.drop_index('ix_taxpayers_tax_id', table_name='taxpayers')
    op.drop_index('ix_taxpayers_user', table_name='taxpayers')
    op.drop_table('taxpayers')
