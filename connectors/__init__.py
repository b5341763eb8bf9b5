"""Effect handlers run by the outbox processor: payments, documents, lookups, notifications.

`build_handlers(engine, settings)` gives the mapping the `OutboxProcessor` needs
(effect kind -> handler). Handlers are idempotent by the message key and answer with
engine commands issued by the system. Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from connectors.documents import DocumentIssuer, Signer
from connectors.ledger.handler import make_ledger_handler
from connectors.lookups import make_connector_handler
from connectors.notifications import Notifier
from connectors.notifications.account_mail import AccountMailer
from connectors.payments import (
    BuiltinCollectionSystem,
    CollectionSystem,
    PaymentOrderInfo,
    confirm_payment_command,
    find_order,
    make_payment_handler,
    settle_payment,
)
from connectors.payments.recording import make_apply_handler
from connectors.registry import Registry, default_registry
from connectors.settings import ConnectorSettings
from workflow_engine.persistence.cases.outbox import Handler

EFFECT_KINDS = (
    "notify",
    "payment.create_order",
    "document.issue",
    "connector.call",
    "ledger.register",
)
# Queued by the payment recorder for payments recorded in bulk (bank files).
RECORDER_EFFECT_KINDS = ("payment.apply",)
# Effects queued by the web layer, not by the engine.
APP_EFFECT_KINDS = ("email",)


def _expiry_days(engine: Engine, settings: ConnectorSettings) -> Callable[[], int]:
    """The administrator's choice (admin UI) when there is one, else the configured default."""
    from workflow_engine.persistence.platform.municipal_settings import MunicipalSettings

    store = MunicipalSettings(engine)

    def days() -> int:
        chosen = store.get("payments.order_expiry_days")
        return int(chosen) if chosen else settings.payment_expiry_days_default

    return days


def build_handlers(
    engine: Engine,
    settings: ConnectorSettings,
    *,
    registry: Registry | None = None,
    collection_system: CollectionSystem | None = None,
    sign: Signer | None = None,
) -> dict[str, Handler]:
    """The handler of every effect kind the engine emits.

    `registry` defaults to the built-in connectors; `collection_system` defaults to the one
    named by `settings.collection_system`; `sign` is the document signer (default: PAdES
    with the configured certificate, or the DEMO one; `connectors.documents.unsigned` in
    tests that do not care).
    """
    registry = registry or default_registry()
    system = collection_system or registry.collection_system(
        settings.collection_system, engine, settings
    )
    return {
        "notify": Notifier(engine, settings),
        "payment.create_order": make_payment_handler(
            system, _expiry_days(engine, settings), engine=engine
        ),
        "document.issue": DocumentIssuer(engine, settings, sign=sign),
        "connector.call": make_connector_handler(registry),
        "ledger.register": make_ledger_handler(engine),
        "payment.apply": make_apply_handler(),
        "email": AccountMailer(settings),
    }


__all__ = [
    "APP_EFFECT_KINDS",
    "EFFECT_KINDS",
    "AccountMailer",
    "BuiltinCollectionSystem",
    "CollectionSystem",
    "ConnectorSettings",
    "PaymentOrderInfo",
    "Registry",
    "build_handlers",
    "confirm_payment_command",
    "default_registry",
    "find_order",
    "settle_payment",
]
