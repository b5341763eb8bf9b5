"""Statistics shared by the benchmark scripts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of the values, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def timed(call: Callable[[], Any], reps: int, warmup: int) -> list[float]:
    """Seconds each of `reps` calls took, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    spans = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        spans.append(time.perf_counter() - start)
    return spans


def ms_stats(samples: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """p50, p99 and max of durations in seconds, as milliseconds; and how many there were."""

    def ms(q: float) -> float | None:
        value = percentile(samples, q)
        return None if value is None else round(value * 1000.0, digits)

    return {"p50_ms": ms(50), "p99_ms": ms(99), "max_ms": ms(100), "count": len(samples)}


def speed_probe_ms(reps: int = 5) -> float:
    """CPU milliseconds of a fixed pure-Python workload (dicts, string formatting, JSON), the
    best of `reps`: how fast this machine runs Python right now. On the shared 2-core machine
    the same code's CPU per request moves by up to 2x within minutes (docs/performance.md);
    runs are comparable only at a similar probe."""

    def work() -> int:
        table: dict[int, str] = {}
        for i in range(100_000):
            table[i % 1000] = f"{i}-{i * 3}"
        return len(json.dumps(table))

    best = float("inf")
    for _ in range(reps):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return round(best * 1000.0, 2)
