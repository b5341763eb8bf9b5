"""Names for connectors: collection systems (payment orders) and lookup operations.

A template names a lookup operation in its `connector` step (`"catastro.consultar_predio"`);
the settings name the collection system (`"builtin"`). Both are resolved here, so a
municipality can plug in its own without touching the handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.operations import InvalidInputError, Operation, UnknownConnectorError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from connectors.payments.base import CollectionSystem
    from connectors.settings import ConnectorSettings


CollectionSystemFactory = Callable[["Engine", "ConnectorSettings"], "CollectionSystem"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class Registry:
    """Holds the connectors by name. `default_registry` has the built-in ones."""

    def __init__(self) -> None:
        self._collection_systems: dict[str, CollectionSystemFactory] = {}
        self._operations: dict[str, Operation] = {}

    # -- collection systems ------------------------------------------------------------
    def register_collection_system(self, name: str, factory: CollectionSystemFactory) -> None:
        self._collection_systems[_checked(name)] = factory

    def collection_system(
        self, name: str, engine: Engine, settings: ConnectorSettings
    ) -> CollectionSystem:
        """A collection system built for this database and these settings."""
        try:
            factory = self._collection_systems[name]
        except KeyError:
            raise UnknownConnectorError(f"no collection system named {name!r}") from None
        return factory(engine, settings)

    def collection_systems(self) -> list[str]:
        return sorted(self._collection_systems)

    # -- lookup operations -------------------------------------------------------------
    def register_operation(self, name: str, operation: Operation) -> None:
        self._operations[_checked(name)] = operation

    def operation(self, name: str) -> Operation:
        try:
            return self._operations[name]
        except KeyError:
            raise UnknownConnectorError(f"no connector operation named {name!r}") from None

    def operations(self) -> list[str]:
        return sorted(self._operations)

    def copy(self) -> Registry:
        """An independent registry with the same entries (tests add doubles to a copy)."""
        other = Registry()
        other._collection_systems = dict(self._collection_systems)
        other._operations = dict(self._operations)
        return other


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"connector names are lowercase dotted identifiers, not {name!r}")
    return name


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, with the built-in connectors registered on first use."""
    global _default
    if _default is None:
        from connectors.demo_lookups import DEMO_OPERATIONS
        from connectors.payments.builtin import BuiltinCollectionSystem

        registry = Registry()
        registry.register_collection_system("builtin", BuiltinCollectionSystem.from_settings)
        registry.register_collection_system("rest", _rest_collection_system)
        for name, operation in DEMO_OPERATIONS.items():
            registry.register_operation(name, operation)
        _default = registry
    return _default


def _rest_collection_system(engine: Engine, settings: ConnectorSettings) -> CollectionSystem:
    """Imported only when chosen: the REST connector needs its JSON configuration."""
    from connectors.payments.rest import RestCollectionSystem

    return RestCollectionSystem.from_settings(engine, settings)


def register_collection_system(name: str, factory: CollectionSystemFactory) -> None:
    default_registry().register_collection_system(name, factory)


def get_collection_system(
    name: str, engine: Engine, settings: ConnectorSettings
) -> CollectionSystem:
    return default_registry().collection_system(name, engine, settings)


def register_operation(name: str, operation: Operation | None = None) -> Any:
    """Register a lookup operation; usable as a decorator: `@register_operation("x.y")`."""
    if operation is not None:
        default_registry().register_operation(name, operation)
        return operation

    def decorator(func: Operation) -> Operation:
        default_registry().register_operation(name, func)
        return func

    return decorator


def get_operation(name: str) -> Operation:
    return default_registry().operation(name)


__all__ = [
    "CollectionSystemFactory",
    "InvalidInputError",
    "Operation",
    "Registry",
    "UnknownConnectorError",
    "default_registry",
    "get_collection_system",
    "get_operation",
    "register_collection_system",
    "register_operation",
]
