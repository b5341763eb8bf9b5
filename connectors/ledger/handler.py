"""The `ledger.register` effect: an approved case registers its taxable object."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from connectors.common import case_id_of
from connectors.ledger.book import LedgerError, holder_for_registration, register_object
from workflow_engine.engine.commands import Command
from workflow_engine.persistence.cases.outbox import Handler, OutboxItem, PermanentError


def make_ledger_handler(engine: Engine) -> Handler:
    """Upsert the object by (kind, key): running the effect twice registers it once."""

    def handle(item: OutboxItem) -> Sequence[Command]:
        payload = item.payload
        case_id = case_id_of(item)
        try:
            with engine.begin() as conn:
                taxpayer_id = holder_for_registration(
                    conn,
                    case_id,
                    tax_id=payload.get("rfc"),
                    curp=payload.get("curp"),
                    name=payload.get("name"),
                )
                register_object(
                    conn,
                    taxpayer_id=taxpayer_id,
                    kind=str(payload["kind"]),
                    key=str(payload["key"]),
                    description=str(payload.get("description") or ""),
                    attributes=payload.get("attributes") or {},
                    recurring=payload.get("recurring"),
                    source_case_id=case_id,
                )
        except (KeyError, LedgerError) as exc:
            raise PermanentError(f"cannot register the taxable object: {exc}") from None
        return []

    return handle
