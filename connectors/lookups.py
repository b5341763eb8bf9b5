"""The `connector.call` effect: run a named lookup operation and hand its result to the engine.

The operations are found by name in a `Registry`; the demo ones are in `demo_lookups`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from connectors.operations import InvalidInputError, UnknownConnectorError
from connectors.registry import Registry
from workflow_engine.engine.commands import Actor, Command, ConnectorCompleted
from workflow_engine.persistence.cases.outbox import Handler, OutboxItem, PermanentError
from workflow_engine.persistence.types import utcnow


def make_connector_handler(registry: Registry) -> Handler:
    def handle(item: OutboxItem) -> Sequence[Command]:
        payload = item.payload
        try:
            step_id = str(payload["step_id"])
            attempt = int(payload["attempt"])
            name = str(payload["connector"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(f"malformed connector.call payload: {exc!r}") from None
        try:
            operation = registry.operation(name)
        except UnknownConnectorError as exc:
            raise PermanentError(str(exc)) from None
        raw_input = payload.get("input") or {}
        if not isinstance(raw_input, Mapping):
            raise PermanentError(f"connector {name!r}: input must be an object")
        try:
            result = operation(dict(raw_input))
        except InvalidInputError as exc:
            raise PermanentError(f"connector {name!r}: {exc}") from None
        if not isinstance(result, dict):
            raise PermanentError(f"connector {name!r} returned {type(result).__name__}")
        try:
            result = json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"connector {name!r} returned non-JSON data: {exc}") from None
        return [
            ConnectorCompleted(
                at=utcnow(), actor=Actor.system(), step_id=step_id, attempt=attempt, result=result
            )
        ]

    return handle
