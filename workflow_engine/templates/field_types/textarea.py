"""Long text: several lines kept as typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import Localized
from workflow_engine.templates.field_types.text import Text


class Textarea(Text):
    """Several lines of text."""

    name = "textarea"
    order = 20
    label: ClassVar[Localized] = {"es": "Texto largo", "en": "Long text"}
    description: ClassVar[Localized] = {
        "es": "Varias líneas de texto libre, como una descripción de la obra.",
        "en": "Several lines of free text, such as a description of the works.",
    }
    defaults: ClassVar[Mapping[str, Any]] = {"max_length": 10_000}
    default_max_length = 10_000
    sample = "Remodelación de fachada y cambio de piso."

    @classmethod
    def typed_text(cls, field: Mapping[str, Any], text: str) -> str:
        return text
