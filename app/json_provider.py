"""Flask's JSON in and out, kept to standard JSON (see workflow_engine/strict_json.py)."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from workflow_engine import strict_json


class StrictJSONProvider(DefaultJSONProvider):
    """Responses never carry NaN/Infinity; `request.get_json()` refuses them."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs["allow_nan"] = False
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_json.loads(s)
