"""Payment gateway connector: hosted checkout, signed webhooks, lost-webhook polling.

    config = GatewayConfig.from_env()                  # None when GATEWAY_URL is unset
    client = GatewayClient(config)
    checkout = start_checkout(engine, client, order, description=..., return_url=...,
                              notify_url=...)          # redirect the citizen to checkout.url
    WebhookProcessor(config, recorder, engine).handle(raw_body, headers)
    poll_pending(engine, client, processor)            # scheduled: webhooks that never came

No Flask here: app/citizen/payments.py translates HTTP, sandbox_gateway/ plays the gateway.
"""

from connectors.gateway.checkouts import Checkout, GatewayCheckout, start_checkout
from connectors.gateway.client import (
    CheckoutSession,
    CheckoutStatus,
    GatewayClient,
    GatewayRejectedError,
    GatewayUnavailableError,
)
from connectors.gateway.config import GatewayConfig, GatewayConfigError
from connectors.gateway.events import EventError, GatewayEvent, parse_event
from connectors.gateway.polling import PollReport, poll_pending
from connectors.gateway.runtime import Gateway, build_gateway, poll_gateway
from connectors.gateway.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    signature,
    signed_headers,
    verify,
)
from connectors.gateway.webhooks import MAX_BODY, WebhookOutcome, WebhookProcessor

__all__ = [
    "MAX_BODY",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Checkout",
    "CheckoutSession",
    "CheckoutStatus",
    "EventError",
    "Gateway",
    "GatewayCheckout",
    "GatewayClient",
    "GatewayConfig",
    "GatewayConfigError",
    "GatewayEvent",
    "GatewayRejectedError",
    "GatewayUnavailableError",
    "PollReport",
    "SignatureError",
    "WebhookOutcome",
    "WebhookProcessor",
    "build_gateway",
    "parse_event",
    "poll_gateway",
    "poll_pending",
    "signature",
    "signed_headers",
    "start_checkout",
    "verify",
]
