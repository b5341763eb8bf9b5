"""Cases keep what the dashboards and the transparency page aggregate: the last day of the
maximum response time, once resolved the business days it took and whether that was in
time, and the funnel stages their events reached; the dashboards' daily pre-aggregate
(case_day_counts); indexes for the dashboards' counts

Revision ID: 0018_case_resolution
Revises: 0017_case_exports
Create Date: 2026-12-02 20:30:00.000000
"""

import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0018_case_resolution'
down_revision = '0017_case_exports'
branch_labels = None
depends_on = None

# Frozen copies, as of this revision, of the rules in
# workflow_engine.persistence.cases.resolution and workflow_engine.calendar: a migration must
# fill rows the same way whatever the application code becomes later.
NOT_RESOLVED = ('cancelled',)
DEMO_TIMEZONES = {'la-chorrera': 'America/Panama'}
BATCH = 20000


def _timezone() -> ZoneInfo:
    """The municipality's time zone as app.config reads it (TIMEZONE, else the demo
    municipality's)."""
    name = os.environ.get('TIMEZONE') or DEMO_TIMEZONES.get(
        os.environ.get('DEMO_MUNICIPALITY', ''), 'America/Mexico_City'
    )
    return ZoneInfo(name)


def _moment(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _business_days(start: date, end: date, holidays: frozenset) -> int:
    """Business days after `start` up to and including `end` (weekends and holidays off)."""
    if end < start:
        return -_business_days(end, start, holidays)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            count += 1
    return count


def _max_response_days(definition):
    if isinstance(definition, str):
        import json

        definition = json.loads(definition)
    catalog = (definition or {}).get('catalog') or {}
    days = catalog.get('max_response_days') if isinstance(catalog, dict) else None
    return days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else None


def _fill(bind) -> None:
    tz = _timezone()
    holidays = frozenset(
        d if isinstance(d, date) else date.fromisoformat(str(d))
        for d in bind.execute(sa.text('SELECT day FROM holidays')).scalars()
    )
    limits = {
        int(r.id): _max_response_days(r.definition)
        for r in bind.execute(sa.text('SELECT id, definition FROM procedure_versions'))
    }
    spans: dict = {}
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                'SELECT id, version_id, submitted_at, closed_at FROM cases '
                'WHERE id > :after AND submitted_at IS NOT NULL AND closed_at IS NOT NULL '
                "AND (outcome IS NULL OR outcome <> 'cancelled') ORDER BY id LIMIT :n"
            ),
            {'after': after, 'n': BATCH},
        ).all()
        if not rows:
            return
        after = rows[-1].id
        same = defaultdict(list)
        for r in rows:
            span = (
                _moment(r.submitted_at).astimezone(tz).date(),
                _moment(r.closed_at).astimezone(tz).date(),
            )
            days = spans.get(span)
            if days is None:
                days = spans[span] = _business_days(span[0], span[1], holidays)
            limit = limits.get(r.version_id)
            same[(days, None if limit is None else days <= limit)].append(r.id)
        for (days, met), ids in same.items():
            for index in range(0, len(ids), 5000):
                bind.execute(
                    sa.text(
                        'UPDATE cases SET resolution_days = :days, met_deadline = :met '
                        'WHERE id IN :ids'
                    ).bindparams(sa.bindparam('ids', expanding=True)),
                    {'days': days, 'met': met, 'ids': ids[index : index + 5000]},
                )


PAID_EVENTS = ('payment.confirmed', 'payment.waived')
APPROVED_EVENTS = (*PAID_EVENTS, 'payment.order_created', 'document.requested', 'document.issued')


def _marks(events) -> str:
    """dashboards.funnel_marks as of this revision."""
    marks = []
    for kind, data in events:
        if kind == 'step.submitted':
            step = (data or {}).get('step')
            if step:
                marks.append(f'step:{step}')
        if kind in APPROVED_EVENTS:
            marks.append('approved')
        if kind in PAID_EVENTS:
            marks.append('paid')
        if kind == 'document.issued':
            marks.append('issued')
    return ''.join(f' {m}' for m in dict.fromkeys(marks))


def _fill_marks(bind) -> None:
    import json

    kinds = ('step.submitted', *APPROVED_EVENTS)
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                'SELECT case_id, type, data FROM case_events '
                'WHERE case_id IN (SELECT id FROM cases WHERE id > :after ORDER BY id LIMIT :n) '
                'AND type IN :kinds ORDER BY case_id, seq'
            ).bindparams(sa.bindparam('kinds', expanding=True)),
            {'after': after, 'n': 5000, 'kinds': list(kinds)},
        ).all()
        last = bind.execute(
            sa.text('SELECT max(id) FROM (SELECT id FROM cases WHERE id > :after ORDER BY id '
                    'LIMIT :n) AS batch'),
            {'after': after, 'n': 5000},
        ).scalar()
        if last is None:
            return
        after = last
        events = defaultdict(list)
        for case_id, kind, data in rows:
            events[case_id].append((kind, json.loads(data) if isinstance(data, str) else data))
        same = defaultdict(list)
        for case_id, found in events.items():
            marks = _marks(found)
            if marks:
                same[marks].append(case_id)
        for marks, ids in same.items():
            bind.execute(
                sa.text('UPDATE cases SET funnel_marks = :marks WHERE id IN :ids').bindparams(
                    sa.bindparam('ids', expanding=True)
                ),
                {'marks': marks, 'ids': ids},
            )


OUTCOMES = ('approved', 'rejected', 'cancelled')


def _fill_day_counts(bind) -> None:
    """dashboards.day_counts as of this revision, over every case (all new, no old state)."""
    tz = _timezone()
    counts: dict = defaultdict(int)
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                'SELECT id, procedure_key, created_at, submitted_at, closed_at, outcome, '
                'resolution_days, met_deadline FROM cases WHERE id > :after ORDER BY id '
                'LIMIT :n'
            ),
            {'after': after, 'n': BATCH},
        ).all()
        if not rows:
            break
        after = rows[-1].id
        for r in rows:
            key = r.procedure_key
            counts[(_moment(r.created_at).astimezone(tz).date(), key, 'started', 0)] += 1
            if r.submitted_at is not None:
                day = _moment(r.submitted_at).astimezone(tz).date()
                counts[(day, key, 'submitted', 0)] += 1
            if r.closed_at is not None:
                day = _moment(r.closed_at).astimezone(tz).date()
                if r.outcome in OUTCOMES:
                    counts[(day, key, r.outcome, 0)] += 1
                if r.resolution_days is not None:
                    counts[(day, key, 'resolved', r.resolution_days)] += 1
                if r.met_deadline is not None:
                    counts[(day, key, 'met', int(bool(r.met_deadline)))] += 1
    table = sa.table(
        'case_day_counts',
        sa.column('day', sa.Date()),
        sa.column('procedure_key'),
        sa.column('measure'),
        sa.column('value'),
        sa.column('n'),
    )
    items = [
        {'day': k[0], 'procedure_key': k[1], 'measure': k[2], 'value': k[3], 'n': n}
        for k, n in counts.items()
    ]
    for index in range(0, len(items), 5000):
        bind.execute(table.insert(), items[index : index + 5000])


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('response_due', sa.Date(), nullable=True))
        batch.add_column(sa.Column('resolution_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('met_deadline', sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column('funnel_marks', sa.Text(), nullable=False, server_default='')
        )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            "UPDATE cases SET response_due = CAST(state ->> 'response_due' AS date) "
            "WHERE state ->> 'response_due' IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE cases SET response_due = json_extract(state, '$.response_due') "
            "WHERE json_extract(state, '$.response_due') IS NOT NULL"
        )
    _fill(bind)
    _fill_marks(bind)
    op.create_table(
        'case_day_counts',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('procedure_key', sa.String(length=64), nullable=False),
        sa.Column('measure', sa.String(length=16), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'procedure_key', 'measure', 'value'),
    )
    _fill_day_counts(bind)
    op.create_index('ix_cases_procedure_created', 'cases', ['procedure_key', 'created_at'])
    op.create_index(
        'ix_cases_open_filed',
        'cases',
        ['submitted_at', 'procedure_key'],
        sqlite_where=sa.text('closed_at IS NULL'),
        postgresql_where=sa.text('closed_at IS NULL'),
    )
    op.create_index('ix_cases_response_due', 'cases', ['status', 'response_due', 'procedure_key'])


def downgrade() -> None:
    op.drop_table('case_day_counts')
    for name in (
        'ix_cases_response_due',
        'ix_cases_open_filed',
        'ix_cases_procedure_created',
    ):
        op.drop_index(name, table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('funnel_marks')
        batch.drop_column('met_deadline')
        batch.drop_column('resolution_days')
        batch.drop_column('response_due')
