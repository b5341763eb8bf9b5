"""Human-readable answers for "Revise sus respuestas" and the inbox: each field type says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_babel import get_locale

from workflow_engine.persistence.platform.catalogs import EngineCatalogs
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.base import showing_catalogs


def lines(fld: Mapping[str, Any], value: Any) -> list[str]:
    """The value of one (non-group) field as lines of text; [] when there is none."""
    if value is None or value == "" or value == [] or value == {}:
        return []
    with showing_catalogs(EngineCatalogs(current_app.extensions["tramita"].engine)):
        return field_type(fld).display_lines(fld, value, str(get_locale() or "es"))
