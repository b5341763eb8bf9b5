"""A drop-down list of the template's options."""

from __future__ import annotations

from typing import ClassVar

from workflow_engine.templates.field_types._choices import Choice
from workflow_engine.templates.field_types.base import Localized


class Select(Choice):
    """One option from a drop-down list (type-ahead when the list is long)."""

    name = "select"
    order = 60
    label: ClassVar[Localized] = {"es": "Lista desplegable", "en": "Drop-down list"}
    description: ClassVar[Localized] = {
        "es": "Elegir una opción de una lista, útil cuando son muchas.",
        "en": "Choose one option from a list, useful when there are many.",
    }
