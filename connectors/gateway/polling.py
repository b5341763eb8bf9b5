"""Lost webhooks: ask the gateway about checkouts still open after a while, and record what
it says exactly as if its webhook had arrived (same idempotency keys, so a late webhook
afterwards is a harmless duplicate)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from connectors.gateway import checkouts
from connectors.gateway.client import GatewayClient, GatewayRejected, GatewayUnavailable
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


def poll_pending(
    engine: Engine,
    client: GatewayClient,
    processor: WebhookProcessor,
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> PollReport:
    """Ask about each checkout open longer than GATEWAY_PENDING_MINUTES (oldest first, at
    most `limit`); stop at the first sign the gateway is down (the next run tries again)."""
    now = now or utcnow()
    config = client.config
    report = PollReport(closed=checkouts.close_settled(engine, config.name))
    due = checkouts.due_for_poll(
        engine, config.name, now, timedelta(minutes=config.pending_minutes), limit
    )
    asked: list[int] = []
    for checkout in due:
        try:
            answer = client.checkout_status(checkout.checkout_id)
        except GatewayUnavailable as exc:
            log.warning("gateway %s status poll stopped: %s", config.name, exc)
            report.errors += 1
            break
        except GatewayRejected as exc:
            log.warning("gateway %s does not know checkout #%s: %s", config.name, checkout.id, exc)
            report.errors += 1
            asked.append(checkout.id)
            continue
        asked.append(checkout.id)
        report.asked += 1
        if answer.status == checkouts.OPEN:
            report.still_open += 1
            continue
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
            log.warning("gateway %s status answer unusable: %s", config.name, exc)
            report.errors += 1
            continue
        outcome = processor.apply(event)
        key = f"{event.kind}:{outcome.status}"
        report.outcomes[key] = report.outcomes.get(key, 0) + 1
    checkouts.mark_polled(engine, asked, now)
    return report
