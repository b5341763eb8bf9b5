"""A municipality's existing collection system, reached through its REST API.

The remote system issues the payment reference; a copy of the order is kept in
`payment_orders` (connector = the configuration's name), because that table is where a bank
file, a gateway webhook or the cashier find the order a payment belongs to. The copy also
makes `create_order` idempotent on our side: once an order exists for an idempotency key, a
repeated effect returns it without calling the system again. Before that, the same
idempotency key is sent in a header, so a retry after a lost answer does not create a second
order in a system that honours it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from connectors.common import load_case, local_today
from connectors.payments.base import (
    CANCELLED,
    ORDER_STATUSES,
    PENDING,
    CollectionSystem,
    PaymentOrderError,
    PaymentOrderInfo,
    PaymentOrderRequest,
)
from connectors.payments.builtin import insert_order, order_info
from connectors.payments.rest.client import (
    RestClient,
    RestRefusedError,
    RestUnavailableError,
)
from connectors.payments.rest.config import Operation, RestConfig
from connectors.payments.rest.templates import TemplateRenderError, render_body, render_path
from workflow_engine.persistence.cases.outbox import PermanentError
from workflow_engine.persistence.models import PaymentOrder, table
from workflow_engine.persistence.types import utcnow

if TYPE_CHECKING:
    from connectors.settings import ConnectorSettings

orders_t = table(PaymentOrder)
MAX_REFERENCE = 40


def clean_reference(reference: str) -> str:
    return reference.replace(" ", "").replace("-", "").upper()


class RestCollectionSystem(CollectionSystem):
    name = "rest"

    def __init__(
        self,
        engine: Engine,
        config: RestConfig,
        *,
        client: RestClient | None = None,
        environ: Mapping[str, str] | None = None,
        municipality_code: str = "CHO",
        municipality_name: str = "",
        timezone: str = "America/Mexico_City",
    ) -> None:
        self.engine = engine
        self.config = config
        self.name = config.name
        self.client = client or RestClient(config, environ=environ)
        self.municipality = {"code": municipality_code, "name": municipality_name}
        self.timezone = timezone

    @classmethod
    def from_settings(cls, engine: Engine, settings: ConnectorSettings) -> RestCollectionSystem:
        """Configured by COLLECTION_REST_CONFIG (a JSON file path or the JSON itself)."""
        return cls(
            engine,
            RestConfig.from_env(),
            municipality_code=settings.municipality_code,
            municipality_name=settings.municipality_name,
            timezone=settings.timezone,
        )

    # -- the interface --------------------------------------------------------------------------
    def create_order(self, request: PaymentOrderRequest) -> PaymentOrderInfo:
        existing = self._mirrored(request.idempotency_key)
        if existing is not None:
            return existing
        operation = self.config.operations["create_order"]
        context = self._order_context(request)
        answer = self._call(operation, context, idempotency_key=request.idempotency_key)
        if answer.status >= 400:
            raise RestRefusedError(
                f"the collection system refused the order ({answer.status})", answer.status
            )
        fields = self._read(operation, answer.data)
        reference = clean_reference(str(fields.get("reference") or ""))
        if not reference.isalnum() or len(reference) > MAX_REFERENCE:
            raise RestUnavailableError("the collection system's answer has no usable reference")
        amount = fields.get("amount_cents")
        if amount is not None and _int(amount) != request.amount_cents:
            raise PermanentError(
                f"the collection system issued {amount} cents, not {request.amount_cents}"
            )
        currency = fields.get("currency")
        if currency is not None and str(currency).upper() != request.currency:
            raise PermanentError(f"the collection system issued the order in {currency}")
        status = self._status(operation, fields.get("status")) or PENDING
        expires_on = _date(fields.get("expires_on")) or (
            local_today(self.timezone) + timedelta(days=request.expires_days)
        )
        return self._mirror(request, reference, status, expires_on)

    def query_status(self, reference: str) -> str | None:
        operation = self.config.operations["query_status"]
        answer = self._call(operation, self._reference_context(reference))
        if answer.status in operation.not_found_status:
            return None
        if answer.status >= 400:
            raise RestRefusedError(
                f"the collection system refused the status query ({answer.status})",
                answer.status,
            )
        status = self._status(operation, self._read(operation, answer.data).get("status"))
        if status is None:
            raise RestUnavailableError("the collection system's answer has no order status")
        return status

    def cancel(self, reference: str) -> None:
        operation = self.config.operations["cancel"]
        answer = self._call(operation, self._reference_context(reference))
        if answer.status in operation.not_found_status:
            raise PaymentOrderError(f"unknown payment reference {reference!r}")
        if answer.status == 409:
            raise PaymentOrderError(f"order {reference!r} can no longer be cancelled")
        if answer.status >= 400:
            raise RestRefusedError(
                f"the collection system refused to cancel ({answer.status})", answer.status
            )
        with self.engine.begin() as conn:
            conn.execute(
                update(orders_t)
                .where(
                    orders_t.c.reference == clean_reference(reference),
                    orders_t.c.status == PENDING,
                )
                .values(status=CANCELLED)
            )

    # -- helpers --------------------------------------------------------------------------------
    def _call(
        self,
        operation: Operation,
        context: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Any:
        try:
            path = render_path(operation.path, context)
            body = render_body(operation.body, context) if operation.body is not None else None
        except TemplateRenderError as exc:
            raise PermanentError(f"{operation.name}: {exc}") from None
        return self.client.call(
            operation.method,
            path,
            body=body,
            expect_json=bool(operation.response),
            idempotency_key=idempotency_key,
        )

    def _read(self, operation: Operation, data: Any) -> dict[str, Any]:
        found = {}
        for key, expression in operation.response.items():
            value = expression.search(data)
            if value is not None:
                found[key] = value
        return found

    def _status(self, operation: Operation, raw: Any) -> str | None:
        if raw is None:
            return None
        mapped = operation.status_map.get(str(raw), str(raw).lower())
        if mapped not in ORDER_STATUSES:
            raise PermanentError(
                f"{operation.name}: status {raw!r} is not in status_map "
                f"(map it to one of {', '.join(ORDER_STATUSES)})"
            )
        return mapped

    def _order_context(self, request: PaymentOrderRequest) -> dict[str, Any]:
        with self.engine.connect() as conn:
            case = load_case(conn, request.case_id)
        amount = Decimal(request.amount_cents) / 100
        order = {
            "idempotency_key": request.idempotency_key,
            "case_id": request.case_id,
            "folio": request.folio or case.folio,
            "step_id": request.step_id,
            "attempt": request.attempt,
            "amount_cents": request.amount_cents,
            "amount": amount.quantize(Decimal("0.01")),
            "currency": request.currency,
            "expires_days": request.expires_days,
            "expires_on": local_today(self.timezone) + timedelta(days=request.expires_days),
            "lines": [dict(line) for line in request.lines],
            "concept": dict(request.concept),
        }
        return {
            **order,
            "order": order,
            "case": {
                "id": case.id,
                "folio": case.folio,
                "procedure": case.procedure_key,
                "title": case.procedure_title,
                "data": dict(case.state.get("data") or {}),
            },
            "municipality": self.municipality,
        }

    def _reference_context(self, reference: str) -> dict[str, Any]:
        return {"reference": reference, "municipality": self.municipality}

    def _mirrored(self, idempotency_key: str) -> PaymentOrderInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(orders_t).where(orders_t.c.idempotency_key == idempotency_key)
            ).one_or_none()
        return order_info(row) if row is not None else None

    def _mirror(
        self, request: PaymentOrderRequest, reference: str, status: str, expires_on: date
    ) -> PaymentOrderInfo:
        try:
            with self.engine.begin() as conn:
                insert_order(conn, request, reference, self.name, status, expires_on, utcnow())
        except IntegrityError:
            existing = self._mirrored(request.idempotency_key)
            if existing is not None:  # another worker stored it first
                return existing
            raise PermanentError(
                f"the collection system gave reference {reference} to two different orders"
            ) from None
        found = self._mirrored(request.idempotency_key)
        assert found is not None
        return found


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)
    try:
        if len(text) > 10:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        return date.fromisoformat(text)
    except ValueError:
        return None
