"""The REST connector: an existing collection system described by a JSON document.

`RestCollectionSystem` implements `CollectionSystem`; it is registered as "rest" and chosen
with COLLECTION_SYSTEM=rest, its document given by COLLECTION_REST_CONFIG (a path or JSON).
"""

from connectors.payments.rest.breaker import CircuitBreaker
from connectors.payments.rest.client import (
    CircuitOpenError,
    RestClient,
    RestRefusedError,
    RestUnavailableError,
    safe_url,
)
from connectors.payments.rest.config import CONFIG_ENV, RestConfig, RestConfigError
from connectors.payments.rest.system import RestCollectionSystem

__all__ = [
    "CONFIG_ENV",
    "CircuitBreaker",
    "CircuitOpenError",
    "RestClient",
    "RestCollectionSystem",
    "RestConfig",
    "RestConfigError",
    "RestRefusedError",
    "RestUnavailableError",
    "safe_url",
]
