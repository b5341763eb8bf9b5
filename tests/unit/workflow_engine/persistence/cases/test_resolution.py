"""The resolution rules every report shares: nearest-rank percentile, the tally's median and
compliance, what counts as resolved."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from workflow_engine.persistence.cases.resolution import (
    Tally,
    histogram_summary,
    is_resolved,
    percentile,
)


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([5, 1, 3], 90) == 5.0
    assert percentile(list(range(1, 11)), 90) == 9.0
    assert percentile([7], 90) == 7.0


def test_a_tally_of_resolved_cases() -> None:
    tally = Tally()
    empty = tally.summary()
    assert empty.median_days is None and empty.compliance_pct() is None
    for days, limit in ((1, 1), (3, 1), (5, None), (8, 10)):
        tally.resolve(days, None if limit is None else days <= limit)
    summary = tally.summary()
    assert summary.resolved == 4 and summary.median_days == 4.0 and summary.p90_days == 8.0
    assert summary.with_deadline == 3 and summary.compliance_pct() == 66.7


@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from([None, True, False])), max_size=40))
def test_the_daily_histogram_gives_the_same_figures_as_the_cases(
    cases: list[tuple[int, bool | None]],
) -> None:
    """The dashboards read pre-aggregated histograms; the figures must be those of the list."""
    tally = Tally()
    for days, met in cases:
        tally.resolve(days, met)
    on_time = sum(1 for _, met in cases if met is True)
    late = sum(1 for _, met in cases if met is False)
    assert histogram_summary(Counter(d for d, _ in cases), on_time, late) == tally.summary()


def test_a_withdrawal_is_no_resolution() -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    assert is_resolved("approved", moment) and is_resolved("rejected", moment)
    assert not is_resolved("cancelled", moment) and not is_resolved(None, None)
