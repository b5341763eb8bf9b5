"""One option out of a few, all shown at once."""

from __future__ import annotations

from typing import ClassVar

from workflow_engine.templates.field_types._choices import Choice
from workflow_engine.templates.field_types.base import Localized


class Radio(Choice):
    """One option out of a few radio buttons."""

    name = "radio"
    order = 70
    label: ClassVar[Localized] = {"es": "Opción única", "en": "Single choice"}
    description: ClassVar[Localized] = {
        "es": "Elegir una sola opción entre pocas, todas a la vista.",
        "en": "Choose a single option among a few, all in view.",
    }
