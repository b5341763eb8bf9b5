"""What a lookup operation is, and the errors naming or calling one can raise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Operation = Callable[[Mapping[str, Any]], dict[str, Any]]
"""A lookup: JSON-able input -> JSON-able result. Raise `InvalidInputError` for bad input."""


class UnknownConnectorError(LookupError):
    """No collection system or operation is registered under that name."""


class InvalidInputError(ValueError):
    """The input given to a lookup operation cannot be used (retrying will not help)."""
