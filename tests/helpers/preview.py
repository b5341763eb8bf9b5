"""Template previews in tests: the demo lookup and the check that a preview is unsigned."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from connectors.registry import UnknownConnectorError, default_registry


def demo_lookup(name: str, given: Any) -> Any:
    try:
        return default_registry().operation(name)(dict(given))
    except UnknownConnectorError:
        return None


def assert_unsigned(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    fields = reader.get_fields() or {}
    assert not [f for f in fields.values() if f.get("/FT") == "/Sig"]
    assert b"/Sig" not in pdf and b"/ByteRange" not in pdf
