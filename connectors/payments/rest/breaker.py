"""A circuit breaker: stop calling a system that keeps failing, try again after a pause.

While the collection system is down every payment order waits in the outbox anyway; the
breaker keeps the workers from spending their time (and the system's recovery) on requests
that will time out. Closed -> after `failure_threshold` consecutive failures: open (calls fail
at once) -> after `cooldown_seconds`: half-open (one trial request) -> success closes it,
failure opens it again for another cool-down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        cooldown_seconds: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self.clock() - self._opened_at >= self.cooldown_seconds:
            return HALF_OPEN
        return OPEN

    def allow(self) -> bool:
        """May a request be sent now? In half-open state only one trial at a time."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failure_threshold:
                self._opened_at = self.clock()
            self._trial_running = False

    def retry_after(self) -> float:
        """Seconds until a trial request will be allowed (0 when closed)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown_seconds - (self.clock() - self._opened_at))
