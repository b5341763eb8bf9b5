"""One process's gateway: its config, HTTP client, recorder and webhook processor, wired
once (by the web app and by the Celery task alike)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from connectors.gateway.checkouts import Checkout
from connectors.gateway.client import GatewayClient
from connectors.gateway.config import GatewayConfig
from connectors.gateway.polling import PollReport, ask_if_late, poll_pending
from connectors.gateway.webhooks import WebhookProcessor
from connectors.payments.recording import PaymentRecorder
from workflow_engine.persistence.cases.service import CaseService


@dataclass(frozen=True)
class Gateway:
    config: GatewayConfig
    engine: Engine
    client: GatewayClient
    recorder: PaymentRecorder
    processor: WebhookProcessor
    timezone: str

    def poll(self, page: int = 100) -> PollReport:
        """Ask about every checkout whose webhook never came (the scheduled job)."""
        return poll_pending(self.engine, self.client, self.processor, page=page)

    def ask_if_late(self, checkout: Checkout) -> bool:
        """The return page's own question, for a citizen whose webhook is late."""
        return ask_if_late(self.engine, self.client, self.processor, checkout)


def build_gateway(
    config: GatewayConfig,
    engine: Engine,
    cases: CaseService,
    *,
    timezone: str = "America/Mexico_City",
) -> Gateway:
    recorder = PaymentRecorder(engine, cases, timezone=timezone)
    return Gateway(
        config=config,
        engine=engine,
        client=GatewayClient(config),
        recorder=recorder,
        processor=WebhookProcessor(config, recorder, engine),
        timezone=timezone,
    )


def poll_gateway(
    config: GatewayConfig | None,
    engine: Engine,
    cases: CaseService,
    *,
    timezone: str,
    page: int = 100,
) -> dict[str, object]:
    """Ask the gateway about every checkout still open after GATEWAY_PENDING_SECONDS
    (webhooks that never arrived) and record what it says: the scheduled job. Nothing to do
    without a gateway."""
    if config is None:
        return {"gateway": None}
    gateway = build_gateway(config, engine, cases, timezone=timezone)
    return {"gateway": config.name, **gateway.poll(page).as_dict()}
