"""The resolution rules every report shares: nearest-rank percentile, the tally's median and
compliance, what counts as resolved."""

from __future__ import annotations

from datetime import UTC, datetime

from workflow_engine.persistence.cases.resolution import Tally, is_resolved, percentile


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([5, 1, 3], 90) == 5.0
    assert percentile(list(range(1, 11)), 90) == 9.0
    assert percentile([7], 90) == 7.0


def test_a_tally_of_resolved_cases() -> None:
    tally = Tally()
    assert tally.median_days() is None and tally.compliance_pct() is None
    for days, limit in ((1, 1), (3, 1), (5, None), (8, 10)):
        tally.resolve(days, limit)
    assert tally.resolved == 4 and tally.median_days() == 4.0 and tally.p90_days() == 8.0
    assert tally.with_deadline == 3 and tally.compliance_pct() == 66.7


def test_a_withdrawal_is_no_resolution() -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    assert is_resolved("approved", moment) and is_resolved("rejected", moment)
    assert not is_resolved("cancelled", moment) and not is_resolved(None, None)
