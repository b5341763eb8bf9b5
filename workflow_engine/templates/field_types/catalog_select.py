"""One entry of a reusable catalog the municipality manages (SCIAN lines, colonias).

Catalogs hold thousands of entries, so the template names the catalog instead of listing
options; entries are loaded with ``flask --app wsgi catalogs import NAME FILE.csv``. The
value is the entry's code; the applicant types the code or picks a suggestion
(``code · label``: with JavaScript as they type; without it, the error after typing part of a
name lists the closest entries). The label is looked up to display the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    DocumentFormats,
    Env,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    catalogs_for_display,
    text_of,
)

SEPARATOR = " · "


def _label(field: Mapping[str, Any], code: Any) -> str | None:
    lookup = catalogs_for_display()
    return lookup.label(str(field.get("catalog")), str(code)) if lookup is not None else None


class CatalogSelect(FieldType):
    """One entry of a named catalog, chosen with type-ahead."""

    name = "catalog_select"
    order = 220
    label: ClassVar[Localized] = {"es": "Elegir de un catálogo", "en": "Choose from a catalog"}
    description: ClassVar[Localized] = {
        "es": "Una entrada de un catálogo del municipio con miles de opciones, como los giros "
        "SCIAN o las colonias; se busca escribiendo.",
        "en": "An entry of one of the municipality's catalogs with thousands of options, such "
        "as SCIAN business lines or neighbourhoods; found by typing.",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "catalog": Option(
            {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
            {"es": "Catálogo", "en": "Catalog"},
        )
    }
    required_options: ClassVar[tuple[str, ...]] = ("catalog",)
    defaults: ClassVar[Mapping[str, Any]] = {"catalog": "scian"}
    default_max_length = 400
    sample = "311811"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        text = " ".join(text_of(value).split())
        code = text.split(SEPARATOR, 1)[0].strip()
        if len(code) <= 100 and (
            env.catalogs is None  # a check without the catalogs at hand: the code as typed
            or env.catalogs.label(field["catalog"], code) is not None
        ):
            return code
        search = getattr(env.catalogs, "search", None)  # suggestions for whoever has no JS
        found = search(field["catalog"], text, 5) if search is not None and len(text) >= 2 else []
        if found:
            listed = "; ".join(f"{e.code}{SEPARATOR}{e.label}" for e in found)
            raise InvalidValueError(
                "invalid_choice",
                f"escriba la clave de una opción del catálogo. Coinciden: {listed}.",
                f"enter the code of an option of the catalog. Matching: {listed}.",
            )
        raise InvalidValueError(
            "invalid_choice",
            "no encontramos esa opción en el catálogo; escriba parte del nombre y elija una de "
            "las sugerencias, o escriba su clave.",
            "that option is not in the catalog; type part of its name and pick one of the "
            "suggestions, or type its code.",
        )

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "":
            return []
        return [f"{value}{SEPARATOR}{label}" if (label := _label(field, value)) else str(value)]

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        if not isinstance(value, str):
            return value
        return fmt.shown(value, _label(field, value) or value)
