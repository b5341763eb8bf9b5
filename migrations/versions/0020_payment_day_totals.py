"""The treasury's daily pre-aggregate of money received (payment_day_totals), filled from
the ledger payments; payment orders keep a copy of their case's procedure key and a covering
index, so the revenue dashboard reads neither every payment nor a million cases

Revision ID: 0020_payment_day_totals
Revises: 0019_money_indexes
Create Date: 2026-12-03 02:40:00.000000
"""

import os
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0020_payment_day_totals'
down_revision = '0019_money_indexes'
branch_labels = None
depends_on = None

# Frozen copies, as of this revision, of the rules in connectors.ledger.totals: a migration
# must fill rows the same way whatever the application code becomes later.
DEMO_TIMEZONES = {'la-chorrera': 'America/Panama'}
CHANNELS = ('gateway', 'bank', 'counter')
DAYS_PER_QUERY = 31
ORDERS_INDEX = ['created_at', 'procedure_key', 'currency', 'status', 'expires_on', 'amount_cents']


def _timezone() -> ZoneInfo:
    """The municipality's time zone as app.config reads it (TIMEZONE, else the demo
    municipality's)."""
    name = os.environ.get('TIMEZONE') or DEMO_TIMEZONES.get(
        os.environ.get('DEMO_MUNICIPALITY', ''), 'America/Mexico_City'
    )
    return ZoneInfo(name)


def _concept(concept, kind, period, of_case: bool) -> str:
    if of_case and concept is not None:
        return concept.rsplit(' · ', 1)[0]
    text = concept or ''
    if kind == 'recurring' and period and text.endswith(f' {period}'):
        return text[: -len(period) - 1]
    return text


def _moment(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _fill_day_totals(bind) -> None:
    zone = _timezone()
    sqlite = bind.dialect.name == 'sqlite'
    payments = sa.table(
        'ledger_payments',
        sa.column('obligation_id'),
        sa.column('case_id'),
        sa.column('amount_cents'),
        sa.column('currency'),
        sa.column('source'),
        sa.column('paid_at', sa.DateTime()),
    )
    obligations = sa.table(
        'obligations',
        sa.column('id'),
        sa.column('case_id'),
        sa.column('concept'),
        sa.column('kind'),
        sa.column('period'),
    )
    cases = sa.table('cases', sa.column('id'), sa.column('procedure_key'))
    totals_t = sa.table(
        'payment_day_totals',
        sa.column('day', sa.Date()),
        sa.column('channel'),
        sa.column('currency'),
        sa.column('procedure_key'),
        sa.column('concept'),
        sa.column('n'),
        sa.column('cents'),
    )
    p, ob, cs = payments.c, obligations.c, cases.c
    low, high = bind.execute(sa.select(sa.func.min(p.paid_at), sa.func.max(p.paid_at))).one()
    if low is None:
        return
    first = _moment(low).astimezone(zone).date()
    last = _moment(high).astimezone(zone).date()
    bounds = []
    day = first
    while day <= last + timedelta(days=1):
        start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        bounds.append((day, start.replace(tzinfo=None) if sqlite else start))
        day += timedelta(days=1)
    channel = sa.case(*((p.source.like(f'{c}:%'), c) for c in CHANNELS), else_='other')
    case_id = sa.func.coalesce(p.case_id, ob.case_id)
    for start in range(0, len(bounds) - 1, DAYS_PER_QUERY):
        days = bounds[start : start + DAYS_PER_QUERY + 1]
        each = (
            sa.select(
                sa.case(*((p.paid_at < at, d.isoformat()) for (d, _), (_, at) in pairwise(days)))
                .label('day'),
                channel.label('channel'),
                p.currency,
                p.amount_cents,
                cs.procedure_key,
                ob.concept,
                ob.kind,
                ob.period,
            )
            .select_from(payments)
            .outerjoin(obligations, ob.id == p.obligation_id)
            .outerjoin(cases, cs.id == case_id)
            .where(p.paid_at >= days[0][1], p.paid_at < days[-1][1])
            .subquery()
        )
        keys = (
            each.c.day,
            each.c.channel,
            each.c.currency,
            each.c.procedure_key,
            each.c.concept,
            each.c.kind,
            each.c.period,
        )
        query = sa.select(
            *keys, sa.func.count().label('n'), sa.func.sum(each.c.amount_cents).label('cents')
        ).group_by(*keys)
        totals = defaultdict(lambda: [0, 0])
        for r in bind.execute(query):
            of_case = r.procedure_key is not None
            key = (
                date.fromisoformat(str(r.day)[:10]),
                r.channel,
                r.currency.upper(),
                r.procedure_key or '',
                _concept(r.concept, r.kind, r.period, of_case)[:300],
            )
            totals[key][0] += int(r.n)
            totals[key][1] += int(r.cents)
        items = [
            {
                'day': k[0],
                'channel': k[1],
                'currency': k[2],
                'procedure_key': k[3],
                'concept': k[4],
                'n': v[0],
                'cents': v[1],
            }
            for k, v in sorted(totals.items())
        ]
        for index in range(0, len(items), 5000):
            bind.execute(totals_t.insert(), items[index : index + 5000])


def upgrade() -> None:
    with op.batch_alter_table('payment_orders') as batch:
        batch.add_column(sa.Column('procedure_key', sa.String(length=64), nullable=True))
    op.execute(
        'UPDATE payment_orders SET procedure_key = '
        '(SELECT cases.procedure_key FROM cases WHERE cases.id = payment_orders.case_id)'
    )
    op.drop_index('ix_payment_orders_created', table_name='payment_orders')
    op.create_index('ix_payment_orders_revenue', 'payment_orders', ORDERS_INDEX)
    op.create_table(
        'payment_day_totals',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('procedure_key', sa.String(length=64), nullable=False),
        sa.Column('concept', sa.String(length=300), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('cents', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'channel', 'currency', 'procedure_key', 'concept'),
    )
    _fill_day_totals(op.get_bind())


def downgrade() -> None:
    op.drop_table('payment_day_totals')
    op.drop_index('ix_payment_orders_revenue', table_name='payment_orders')
    op.create_index('ix_payment_orders_created', 'payment_orders', ['created_at'])
    with op.batch_alter_table('payment_orders') as batch:
        batch.drop_column('procedure_key')
