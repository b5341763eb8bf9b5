"""The gateway's webhook events, parsed strictly (only after the signature was verified).

{"id": "evt_...", "type": "payment.succeeded", "created": 1767225600,
 "data": {"checkout_id": "cs_...", "payment_id": "pay_...", "reference": "CHO...",
          "amount_cents": 35000, "currency": "MXN", "paid_at": "2026-01-01T12:00:00Z",
          "reason": ""}}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workflow_engine import strict_json

SUCCEEDED = "succeeded"
FAILED = "failed"
EXPIRED = "expired"
REFUNDED = "refunded"
KINDS = (SUCCEEDED, FAILED, EXPIRED, REFUNDED)
EVENT_TYPES = {f"payment.{kind}": kind for kind in KINDS}

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9 -]{1,40}$")
MAX_AMOUNT_CENTS = 10**12


class EventError(ValueError):
    """A signed event we cannot use: `reason` is `malformed` or `unknown_type`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class GatewayEvent:
    """One thing the gateway tells us about one checkout."""

    event_id: str
    kind: str  # succeeded | failed | expired | refunded
    checkout_id: str
    payment_id: str
    reference: str
    amount_cents: int
    currency: str
    occurred_at: datetime
    reason: str = ""

    @property
    def external_id(self) -> str:
        """Idempotency key for the payment log: the gateway's payment id for money received
        (a webhook and a status poll about the same payment agree), the payment or checkout
        id plus the kind for the rest."""
        if self.kind == SUCCEEDED:
            return self.payment_id
        return f"{self.payment_id or self.checkout_id}:{self.kind}"[:128]


def _text(data: dict[str, Any], key: str, pattern: re.Pattern[str], required: bool = True) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or (value and not pattern.match(value)):
        raise EventError("malformed", f"{key} is not valid")
    if required and not value:
        raise EventError("malformed", f"{key} is missing")
    return value


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise EventError("malformed", "a time is not valid")
    if isinstance(value, int):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise EventError("malformed", "a time is out of range") from None
    if isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError("malformed", "a time is not ISO 8601") from None
        if moment.tzinfo is None:
            raise EventError("malformed", "a time has no time zone")
        return moment.astimezone(UTC)
    raise EventError("malformed", "a time is not valid")


def event_from_mapping(doc: Any) -> GatewayEvent:
    """Build an event from the decoded JSON (also used for a status poll's answer)."""
    if not isinstance(doc, dict):
        raise EventError("malformed", "the event is not an object")
    kind = EVENT_TYPES.get(str(doc.get("type")))
    if kind is None:
        raise EventError("unknown_type", str(doc.get("type"))[:40])
    data = doc.get("data")
    if not isinstance(data, dict):
        raise EventError("malformed", "data is missing")
    amount = data.get("amount_cents")
    whole = isinstance(amount, int) and not isinstance(amount, bool)
    if not whole or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT_CENTS:
        raise EventError("malformed", "amount_cents must be a whole number of cents")
    currency = data.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise EventError("malformed", "currency must be a three-letter code")
    occurred = _moment(data.get("paid_at")) or _moment(doc.get("created"))
    if occurred is None:
        raise EventError("malformed", "the event has no time")
    reason = data.get("reason") or ""
    if not isinstance(reason, str):
        raise EventError("malformed", "reason is not text")
    payment_id = _text(data, "payment_id", _ID, required=kind in (SUCCEEDED, REFUNDED))
    return GatewayEvent(
        event_id=_text(doc, "id", _ID),
        kind=kind,
        checkout_id=_text(data, "checkout_id", _ID, required=False),
        payment_id=payment_id,
        reference=_text(data, "reference", _REFERENCE),
        amount_cents=amount,
        currency=currency,
        occurred_at=occurred,
        # Gateways put card-issuer wording here; keep a short code-like part only.
        reason=re.sub(r"[^a-z0-9_]", "", reason.lower())[:40],
    )


def parse_event(body: bytes) -> GatewayEvent:
    """Decode a verified webhook body; EventError when it is not an event we understand."""
    try:
        doc = strict_json.loads(body)
    except strict_json.InvalidJSONError:
        raise EventError("malformed", "the body is not JSON") from None
    return event_from_mapping(doc)
