"""Indexes for the treasury's revenue and taxpayer-base dashboards: payments by day paid,
payment orders by day issued, taxpayers and taxable objects by day registered, and an
object's obligations by period (the yearly forecast); covering indexes so that the revenue
dashboard reads a case's procedure and a paid obligation's concept from the index alone

Revision ID: 0019_money_indexes
Revises: 0018_case_resolution
Create Date: 2026-12-02 21:20:00.000000
"""

from alembic import op

revision = '0019_money_indexes'
down_revision = '0018_case_resolution'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_ledger_payments_paid', 'ledger_payments', ['paid_at']),
    ('ix_payment_orders_created', 'payment_orders', ['created_at']),
    ('ix_taxpayers_created', 'taxpayers', ['created_at']),
    ('ix_taxable_objects_registered', 'taxable_objects', ['registered_at']),
    ('ix_obligations_object', 'obligations', ['object_id', 'period']),
    ('ix_cases_id_procedure', 'cases', ['id', 'procedure_key']),
    (
        'ix_obligations_revenue',
        'obligations',
        ['id', 'case_id', 'reference', 'kind', 'period', 'concept'],
    ),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
