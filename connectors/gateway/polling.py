"""Lost webhooks: ask the gateway about checkouts still open after a while, and record what
it says exactly as if its webhook had arrived (same idempotency keys, so a late webhook
afterwards is a harmless duplicate)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from connectors.gateway import checkouts
from connectors.gateway.client import GatewayClient, GatewayRejectedError, GatewayUnavailableError
from connectors.gateway.events import EventError, event_from_mapping
from connectors.gateway.webhooks import WebhookProcessor
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    asked: int = 0
    still_open: int = 0
    closed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "asked": self.asked,
            "still_open": self.still_open,
            "closed": self.closed,
            "outcomes": dict(self.outcomes),
            "errors": self.errors,
        }


class GatewayDownError(Exception):
    """The gateway did not answer: stop asking for now (the next run tries again)."""


def ask(
    client: GatewayClient,
    processor: WebhookProcessor,
    checkout: checkouts.Checkout,
    report: PollReport,
    now: datetime,
    *,
    timeout_s: float | None = None,
) -> None:
    """Ask the gateway about one checkout and record a final answer exactly as its webhook
    would have been recorded (WebhookProcessor -> PaymentRecorder). Raises GatewayDownError."""
    name = client.config.name
    try:
        answer = client.checkout_status(checkout.checkout_id, timeout_s=timeout_s)
    except GatewayUnavailableError as exc:
        log.warning("gateway %s status poll stopped: %s", name, exc)
        report.errors += 1
        raise GatewayDownError(str(exc)) from None
    except GatewayRejectedError as exc:
        log.warning("gateway %s does not know checkout #%s: %s", name, checkout.id, exc)
        report.errors += 1
        return
    report.asked += 1
    if answer.status == checkouts.OPEN:
        report.still_open += 1
        return
    doc = {
        "id": f"poll:{checkout.checkout_id}:{answer.status}"[:128],
        "type": f"payment.{answer.status}",
        "data": {
            "checkout_id": checkout.checkout_id,
            **{k: v for k, v in answer.raw.items() if k != "id"},
        },
        "created": int(now.timestamp()),
    }
    try:
        event = event_from_mapping(doc)
    except EventError as exc:
        log.warning("gateway %s status answer unusable: %s", name, exc)
        report.errors += 1
        return
    outcome = processor.apply(event)
    key = f"{event.kind}:{outcome.status}"
    report.outcomes[key] = report.outcomes.get(key, 0) + 1


def poll_pending(
    engine: Engine,
    client: GatewayClient,
    processor: WebhookProcessor,
    *,
    now: datetime | None = None,
    page: int = 100,
) -> PollReport:
    """Ask about every checkout open longer than GATEWAY_PENDING_SECONDS, oldest first,
    `page` at a time; stop at the first sign the gateway is down (the next run tries
    again)."""
    now = now or utcnow()
    config = client.config
    report = PollReport(closed=checkouts.close_settled(engine, config.name))
    older_than = timedelta(seconds=config.pending_seconds)
    after: tuple[datetime, int] | None = None
    while True:
        due = checkouts.due_for_poll(engine, config.name, now, older_than, page, after=after)
        if not due:
            break
        asked: list[int] = []
        try:
            for checkout in due:
                asked.append(checkout.id)
                ask(client, processor, checkout, report, now)
        except GatewayDownError:
            asked.pop()
            checkouts.mark_polled(engine, asked, now)
            break
        checkouts.mark_polled(engine, asked, now)
        after = (due[-1].created_at, due[-1].id)
    return report


def ask_if_late(
    engine: Engine,
    client: GatewayClient,
    processor: WebhookProcessor,
    checkout: checkouts.Checkout,
    *,
    now: datetime | None = None,
) -> bool:
    """The return page's check: ask the gateway about this open checkout unless someone
    asked within GATEWAY's `return_check_s` (a citizen's page polls every 2 s); True if it
    asked. A gateway that does not answer in `return_timeout_s` leaves it to the webhook
    and the scheduled poll."""
    now = now or utcnow()
    config = client.config
    if checkout.status != checkouts.OPEN:
        return False
    if not checkouts.claim_poll(engine, checkout.id, now, timedelta(seconds=config.return_check_s)):
        return False
    with contextlib.suppress(GatewayDownError):
        ask(client, processor, checkout, PollReport(), now, timeout_s=config.return_timeout_s)
    return True
