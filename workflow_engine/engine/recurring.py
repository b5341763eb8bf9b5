"""When an object's yearly charge starts (`ledger.register.recurring`), decided at registration.

`starts` says from which year the charge runs: `this_year` (the year of registration),
`next_year`, or `prorated` (this year's charge for the months left, the registration month
included). `case_covers_first_period` says the case's own payment already included the
first period: the charges then start one year later. A charge for the year of registration
is never due before `FIRST_CHARGE_GRACE_DAYS` days after it, so nobody is overdue the day
they register. The ledger's yearly job (`ledger generate-charges`) reads the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FIRST_CHARGE_GRACE_DAYS = 30


def due_date(year: int, month: int, day: int) -> date:
    """The due day of `year`'s charge; a day the month lacks (31 April) becomes its last."""
    for d in (day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, 28)


def recurring_schedule(
    spec: Mapping[str, Any], amount_cents: int, registered_on: date
) -> dict[str, Any]:
    """`from_year` (the first year charged) and, when that is the year of registration,
    `first_charge` (its year, amount and due date)."""
    starts = str(spec.get("starts", "this_year"))
    year = registered_on.year
    from_year = year + 1 if starts == "next_year" else year
    if spec.get("case_covers_first_period"):
        from_year += 1
    out: dict[str, Any] = {"from_year": from_year}
    if from_year == year:
        cents = amount_cents
        if starts == "prorated":
            months = 13 - registered_on.month
            cents = int((Decimal(amount_cents) * months / 12).quantize(Decimal(1), ROUND_HALF_UP))
        usual = due_date(year, int(spec.get("due_month", 3)), int(spec.get("due_day", 31)))
        due = max(usual, registered_on + timedelta(days=FIRST_CHARGE_GRACE_DAYS))
        out["first_charge"] = {"year": year, "amount_cents": cents, "due_on": due.isoformat()}
    return out
