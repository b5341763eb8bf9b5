"""The field types of the template format: one module per type, found by ``REGISTRY``.

Adding a type is adding a module here that defines one ``FieldType`` subclass (plus its
widget partial ``app/citizen/templates/wizard/fields/<name>.html`` and its translations); the
schema, the catalog for the editor, the engine, the wizard and documents all ask the registry.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from workflow_engine.templates.field_types._choices import option_label
from workflow_engine.templates.field_types.base import Env, FieldType, InvalidValueError, localized


def _discover() -> dict[str, type[FieldType]]:
    found: list[type[FieldType]] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_") or module.name == "base":
            continue
        mod = importlib.import_module(f"{__name__}.{module.name}")
        for value in vars(mod).values():
            if (
                isinstance(value, type)
                and issubclass(value, FieldType)
                and value.__module__ == mod.__name__
                and "name" in vars(value)
            ):
                found.append(value)
    found.sort(key=lambda cls: (cls.order, cls.name))
    return {cls.name: cls for cls in found}


REGISTRY: dict[str, type[FieldType]] = _discover()
"""Field type name → its class, in the order the catalogs list them."""


def field_type(field: Mapping[str, Any] | str) -> type[FieldType]:
    """The class of ``field`` (a field dict or a type name); plain text for an unknown one."""
    name = field if isinstance(field, str) else str(field.get("type"))
    return REGISTRY.get(name) or REGISTRY["text"]


TAX_IDS = ("rfc", "ruc_pa")
PERSONAL_IDS = ("curp", "cedula_pa")


def identity_name(
    value: Any, lang: str = "es", *, first: tuple[str, ...] = TAX_IDS, default: str = ""
) -> str:
    """What a stored identity number is called («RFC», «RUC», «CURP», «Cédula»): the name of
    the first identity type that accepts it, the types in `first` tried before the others (a
    Panamanian person's RUC is also their cédula); `default` when none does."""
    types = [cls for cls in REGISTRY.values() if cls.identity is not None]
    types.sort(key=lambda cls: first.index(cls.name) if cls.name in first else len(first))
    env = Env(today=datetime.date.today())
    for cls in types:
        try:
            cls.clean_value({"id": "identity", "type": cls.name}, str(value or ""), env)
        except InvalidValueError:
            continue
        return localized(cls.identity, lang)
    return default


__all__ = ["REGISTRY", "FieldType", "field_type", "identity_name", "option_label"]
