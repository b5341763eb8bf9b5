"""Payment orders: the collection-system interface, the built-in one and the effect handler."""

from connectors.payments.base import (
    CANCELLED,
    EXPIRED,
    PAID,
    PENDING,
    CollectionSystem,
    PaymentOrderError,
    PaymentOrderInfo,
    PaymentOrderRequest,
)
from connectors.payments.builtin import (
    BuiltinCollectionSystem,
    find_order,
    is_valid_reference,
    new_reference,
)
from connectors.payments.handler import (
    confirm_payment_command,
    make_payment_handler,
    request_from_item,
    settle_payment,
)

__all__ = [
    "CANCELLED",
    "EXPIRED",
    "PAID",
    "PENDING",
    "BuiltinCollectionSystem",
    "CollectionSystem",
    "PaymentOrderError",
    "PaymentOrderInfo",
    "PaymentOrderRequest",
    "confirm_payment_command",
    "find_order",
    "is_valid_reference",
    "make_payment_handler",
    "new_reference",
    "request_from_item",
    "settle_payment",
]
