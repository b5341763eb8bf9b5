"""Gateway webhooks: verify the raw body, parse it, and hand the money to PaymentRecorder.

The recorder does the money part (one transaction: order paid, ledger payment, case
advanced; a replay is a duplicate). This module only decides whether the gateway really
said it, and what it said. Refusals are logged with the gateway's name, the reason and the
body's size: no secret, no card data, no personal data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, select

from connectors.gateway import checkouts
from connectors.gateway.config import GatewayConfig
from connectors.gateway.events import (
    EXPIRED,
    FAILED,
    REFUNDED,
    SUCCEEDED,
    EventError,
    GatewayEvent,
    parse_event,
)
from connectors.gateway.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify,
)
from connectors.payments.recording import PaymentReceived, PaymentRecorder
from workflow_engine.persistence.models import PaymentEvent, table

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
events_t = table(PaymentEvent)


@dataclass(frozen=True)
class WebhookOutcome:
    """What happened to one delivery; `http_status` is what the gateway is answered (2xx
    means "do not send it again")."""

    http_status: int
    status: str  # recorded | duplicate | refused | noted | ignored | rejected
    reason: str = ""
    case_id: int | None = None


class RequestHeaders(Protocol):
    """The delivery's headers read by name: werkzeug's `Headers` (case-insensitive) or a dict."""

    def get(self, key: str, /) -> str | None: ...


class WebhookProcessor:
    """Verifies and applies one gateway's events. Safe to share between threads."""

    def __init__(
        self,
        config: GatewayConfig,
        recorder: PaymentRecorder,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.engine = engine
        self.clock = clock

    # -- the HTTP delivery ---------------------------------------------------------------
    def handle(self, body: bytes, headers: RequestHeaders) -> WebhookOutcome:
        """One delivery: `body` exactly as received, `headers` case-insensitive."""
        if len(body) > MAX_BODY:
            return self._rejected(413, "too_large", body)
        try:
            verify(
                self.config.webhook_secret,
                body,
                headers.get(TIMESTAMP_HEADER),
                headers.get(SIGNATURE_HEADER),
                now=self.clock(),
                tolerance_s=self.config.tolerance_s,
            )
        except SignatureError as exc:
            return self._rejected(400 if exc.reason == "stale_timestamp" else 401, exc.reason, body)
        try:
            event = parse_event(body)
        except EventError as exc:
            if exc.reason == "unknown_type":
                # A signed event of a kind we do not use (e.g. checkout.created): acknowledged
                # so that the gateway stops sending it.
                log.info("gateway %s webhook ignored: %s", self.config.name, exc)
                return WebhookOutcome(200, "ignored", exc.reason)
            return self._rejected(400, exc.reason, body)
        return self.apply(event)

    def _rejected(self, http_status: int, reason: str, body: bytes) -> WebhookOutcome:
        log.warning(
            "gateway %s webhook refused: %s (%d bytes)", self.config.name, reason, len(body)
        )
        return WebhookOutcome(http_status, "rejected", reason)

    # -- what the event means -------------------------------------------------------------
    def apply(self, event: GatewayEvent) -> WebhookOutcome:
        """Apply a verified event (a webhook's, or a status poll's answer)."""
        source = self.config.source
        if event.kind == SUCCEEDED:
            result = self.recorder.record(
                PaymentReceived(
                    reference=event.reference,
                    amount_cents=event.amount_cents,
                    currency=event.currency,
                    source=source,
                    external_id=event.external_id,
                    paid_at=event.occurred_at,
                )
            )
            return WebhookOutcome(200, result.status, result.reason, result.case_id)
        if event.kind in (FAILED, EXPIRED, REFUNDED):
            return self._failure(event)
        return WebhookOutcome(200, "ignored", "unknown_type")  # pragma: no cover

    def _already_told(self, event: GatewayEvent) -> bool:
        """A failure about a checkout we did not open: seen before in the payment log?"""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(events_t.c.id)
                .where(
                    events_t.c.source == self.config.source,
                    events_t.c.external_id == event.external_id,
                    events_t.c.kind == event.kind,
                    events_t.c.status.in_(("recorded", "noted")),
                )
                .limit(1)
            ).first()
        return found is not None

    def _failure(self, event: GatewayEvent) -> WebhookOutcome:
        """failed / expired / refunded. The recorder tells the case; the checkout row makes
        sure a replayed event tells it once."""
        known = (
            checkouts.find(self.engine, self.config.name, event.checkout_id)
            if event.checkout_id
            else None
        )
        claimed = False
        if known is None and self._already_told(event):
            return WebhookOutcome(200, "duplicate")
        if known is not None:
            # A paid checkout keeps its row as it was (the order says it is paid: one write
            # less per payment); a refund may follow any state but a refund.
            before = (
                tuple(s for s in checkouts.STATUSES if s != REFUNDED)
                if event.kind == REFUNDED
                else (checkouts.OPEN,)
            )
            claimed = checkouts.transition(
                self.engine, self.config.name, event.checkout_id, before, event.kind
            )
            if not claimed:
                return WebhookOutcome(200, "duplicate", "", known.case_id)
        try:
            result = self.recorder.record_failure(
                event.reference,
                self.config.source,
                event.external_id,
                event.kind,
                event.reason,
            )
        except Exception:
            if claimed and known is not None:  # let the gateway's retry try again
                checkouts.transition(
                    self.engine, self.config.name, event.checkout_id, (event.kind,), known.status
                )
            raise
        return WebhookOutcome(200, result.status, result.reason, result.case_id)
