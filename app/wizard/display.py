"""Human-readable answers for "Revise sus respuestas": option labels, Sí/No, addresses, files."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from app.catalog import localized


def _option_label(fld: Mapping[str, Any], value: Any) -> str:
    for option in fld.get("options") or []:
        if option.get("value") == value:
            return localized(option.get("label"))
    return str(value)


def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"${amount:,.2f}"


def _date(value: Any) -> str:
    try:
        return datetime.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def lines(fld: Mapping[str, Any], value: Any) -> list[str]:
    """The value of one (non-group) field as lines of text; [] when there is none."""
    if value is None or value == "" or value == [] or value == {}:
        return []
    kind = fld["type"]
    if kind in ("select", "radio"):
        return [_option_label(fld, value)]
    if kind == "checkboxes":
        return [_option_label(fld, v) for v in value] if isinstance(value, list) else [str(value)]
    if kind == "yesno":
        if isinstance(value, str):
            value = value.strip().lower() in ("si", "sí", "yes", "true", "1")
        return [_("Sí") if value else _("No")]
    if kind == "address" and isinstance(value, Mapping):
        street = " ".join(str(value[p]) for p in ("street", "number") if value.get(p))
        if value.get("interior"):
            street += f", {_('int.')} {value['interior']}"
        rest = [
            str(value[p]) for p in ("neighbourhood", "postcode", "municipality") if value.get(p)
        ]
        return [", ".join([s for s in [street, *rest] if s])]
    if kind == "file":
        refs = value if isinstance(value, list) else [value]
        return [str(r.get("name", "")) for r in refs if isinstance(r, Mapping)]
    if kind == "money":
        return [_money(value)]
    if kind == "date":
        return [_date(value)]
    return [str(value)]
