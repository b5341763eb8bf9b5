"""Business-day calendar: legal deadlines in Mexico count business days, not calendar days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKEND = frozenset({5, 6})  # Saturday, Sunday


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def mexican_statutory_holidays(year: int) -> dict[date, str]:
    """Days of mandatory rest of the Ley Federal del Trabajo, art. 74, for one year."""
    days = {
        date(year, 1, 1): "Año Nuevo",
        _nth_weekday(year, 2, 0, 1): "Día de la Constitución",
        _nth_weekday(year, 3, 0, 3): "Natalicio de Benito Juárez",
        date(year, 5, 1): "Día del Trabajo",
        date(year, 9, 16): "Día de la Independencia",
        _nth_weekday(year, 11, 0, 3): "Día de la Revolución",
        date(year, 12, 25): "Navidad",
    }
    if (year - 2024) % 6 == 0:
        days[date(year, 10, 1)] = "Transmisión del Poder Ejecutivo Federal"
    return days


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekends plus a configurable set of holidays."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = WEEKEND

    @classmethod
    def with_holidays(cls, holidays: Iterable[date]) -> BusinessCalendar:
        return cls(holidays=frozenset(holidays))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_business_days(self, start: date, days: int) -> date:
        """The date `days` business days after `start` (the start day itself does not count)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def subtract_business_days(self, end: date, days: int) -> date:
        """The date `days` business days before `end`."""
        current = end
        remaining = days
        while remaining > 0:
            current -= timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after `start` up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count
