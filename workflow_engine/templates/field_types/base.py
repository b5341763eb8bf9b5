"""What every field type shares: errors, cleaning plumbing and the ``FieldType`` base class.

A field type is one class in one module of this package (see ``__init__``); the template
validator, the engine, the wizard, check answers, the inbox and documents ask it instead of
testing ``field["type"]``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any, ClassVar, Protocol, overload

from workflow_engine.plural import counted

DEFAULT_TEXT_BOUND = 500
"""The longest text a field holds while it is typed when its type sets no other bound."""
DEFAULT_MAX_ITEMS = 100  # rows of a group, ticks of a list, when the template sets no limit

EMPTY: Any = object()
"""No value: what a cleaner returns for an empty answer or a refused one."""
ABSENT: Any = object()
"""Nothing of this field came with a posted form."""

Localized = dict[str, str]


@dataclass(frozen=True)
class ExportCell:
    """One cell of a case export. `text` is what the CSV holds (the field's export text);
    a spreadsheet writes `value` as its `kind` (text, number, money, date or datetime) with
    the number format `pattern` (Excel's codes), so a column of amounts can be summed."""

    text: str
    value: Any = None
    kind: str = "text"
    pattern: str = ""


MONEY_PATTERN = "#,##0.00"
DATE_PATTERN = "dd/mm/yyyy"


@dataclass(frozen=True)
class FieldError:
    """One reason why a submitted value is refused, for the citizen who typed it."""

    field: str
    path: str
    code: str
    message_es: str
    message_en: str

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("es" or "en"; anything else gets Spanish)."""
        return self.message_en if lang.lower().startswith("en") else self.message_es


class InvalidValueError(Exception):
    """Raised by a cleaner: the value cannot be accepted (``suffix`` extends the path)."""

    def __init__(self, code: str, es: str, en: str, suffix: str = "") -> None:
        super().__init__(code, es, en, suffix)
        self.code = code
        self.es = es
        self.en = en
        self.suffix = suffix


class CatalogLookup(Protocol):
    """Entries of the municipality's reusable catalogs (``catalog_select``)."""

    def label(self, catalog: str, code: str) -> str | None:
        """The label of ``code`` in ``catalog``; None when there is no such entry."""
        ...


_DISPLAY_CATALOGS: ContextVar[CatalogLookup | None] = ContextVar("catalogs", default=None)


@contextmanager
def showing_catalogs(lookup: CatalogLookup | None) -> Iterator[None]:
    """Within the block, values are shown with catalog labels read from ``lookup``."""
    token = _DISPLAY_CATALOGS.set(lookup)
    try:
        yield
    finally:
        _DISPLAY_CATALOGS.reset(token)


def catalogs_for_display() -> CatalogLookup | None:
    """The lookup of the enclosing :func:`showing_catalogs` block; None outside one."""
    return _DISPLAY_CATALOGS.get()


@dataclass(frozen=True)
class Env:
    """What cleaning may need besides the value: today, the fee tables, the catalogs."""

    today: datetime.date
    tables: Mapping[str, Mapping[str, Any]] = dc_field(default_factory=dict)
    catalogs: CatalogLookup | None = None


class DocumentFormats(Protocol):
    """How a document prints dates, amounts and addresses (``connectors.documents.body``)."""

    def shown(self, value: str, label: str) -> Any: ...

    def long_date(self, value: Any) -> str: ...

    def money(self, value: Any) -> str: ...

    def address(self, value: Mapping[str, Any]) -> str: ...


class FormData(Protocol):
    """The posted form, as werkzeug's MultiDict offers it."""

    @overload
    def get(self, key: str) -> Any: ...

    @overload
    def get(self, key: str, default: Any) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...

    def __contains__(self, key: object) -> bool: ...


def localized(text: Any, lang: str) -> str:
    """``text[lang]``, else Spanish; a plain string as is."""
    if isinstance(text, Mapping):
        return str(text.get("en" if lang.startswith("en") else "es") or text.get("es") or "")
    return "" if text is None else str(text)


def labels(field: Mapping[str, Any]) -> tuple[str, str]:
    """The field's label in Spanish and English (its id when it has none)."""
    label = field.get("label") or {}
    es = label.get("es") or field["id"]
    return es, label.get("en") or es


def error(
    field: Mapping[str, Any], path: str, names: tuple[str, str], exc: InvalidValueError
) -> FieldError:
    return FieldError(
        field["id"], path + exc.suffix, exc.code, f"{names[0]}: {exc.es}", f"{names[1]}: {exc.en}"
    )


def required(field: Mapping[str, Any], path: str, names: tuple[str, str]) -> FieldError:
    return FieldError(
        field["id"],
        path,
        "required",
        f"{names[0]}: este dato es obligatorio.",
        f"{names[1]}: this is required.",
    )


def unknown(key: str, path: str) -> FieldError:
    return FieldError(
        key,
        path,
        "unknown_field",
        f"«{key}» no es un dato de este paso del trámite; no se puede recibir.",
        f"“{key}” is not part of this step of the procedure; it cannot be accepted.",
    )


def is_empty(value: Any) -> bool:
    if value is EMPTY or value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def text_of(value: Any) -> str:
    """Submitted text, stripped; InvalidValueError when the value is no text at all."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidValueError("invalid_type", "escriba un texto.", "enter some text.")
    return str(value).strip()


def bad_shape() -> InvalidValueError:
    return InvalidValueError(
        "invalid_type",
        "el valor no tiene la forma que este dato admite.",
        "the value does not have the shape this field takes.",
    )


def too_long(high: int, length: int) -> InvalidValueError:
    return InvalidValueError(
        "too_long",
        f"escriba como máximo {high} caracteres (lleva {length}).",
        f"enter at most {high} characters (you entered {length}).",
    )


def too_many(high: int) -> InvalidValueError:
    return InvalidValueError(
        "too_many_items",
        f"se admiten como máximo {counted(high, 'elemento', 'elementos')}.",
        f"at most {counted(high, 'item is', 'items are')} allowed.",
    )


def not_a_number() -> InvalidValueError:
    return InvalidValueError("not_a_number", "escriba un número.", "enter a number.")


OptionProblem = tuple[str, str, str, str]
"""(code, path suffix such as ``.min``, message es, message en) of a template's field options."""


def min_max(low: str, high: str) -> OptionProblem:
    return (
        "min_above_max",
        f".{low}",
        f"«{low}» es mayor que «{high}»: ningún valor podría cumplir ambos. Corrija uno.",
        f"“{low}” is greater than “{high}”: no value could satisfy both. Fix one of them.",
    )


@dataclass(frozen=True)
class Option:
    """An option the editor offers for a field type: its JSON Schema and its label."""

    schema: Mapping[str, Any]
    label: Localized


class FieldType:
    """One kind of field: schema, checks, cleaning, display, documents, widget, editor data.

    Subclasses set the class attributes and override what differs; the module that defines
    one is all a new field type needs (plus its widget partial and translations).
    """

    name: ClassVar[str]
    order: ClassVar[int] = 1000  # position in the generated catalogs
    label: ClassVar[Localized]
    description: ClassVar[Localized]
    # What a number of this type is called where it is shown (RFC, CURP, RUC, Cédula):
    # identity numbers only; statements and pages label a stored number by the type it fits.
    identity: ClassVar[Localized | None] = None
    value_kind: ClassVar[str] = "string"
    value_kind_label: ClassVar[Localized] = {"es": "texto", "en": "string"}
    options: ClassVar[Mapping[str, Option]] = {}
    required_options: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[Mapping[str, Any]] = {}
    allowed_in_group: ClassVar[bool] = True
    sample: ClassVar[Any] = None
    default_max_length: ClassVar[int] = DEFAULT_TEXT_BOUND
    takes_files: ClassVar[bool] = False
    is_group: ClassVar[bool] = False

    # -- template ------------------------------------------------------------------------

    @classmethod
    def sample_for(cls, field: Mapping[str, Any]) -> Any:
        """A value this very field accepts (a preview before any example exists)."""
        return cls.sample

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        """What is wrong with ``field``'s options beyond the schema (``min`` above ``max``)."""
        return []

    # -- submitted values ----------------------------------------------------------------

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        """The canonical value of a non-empty answer, or InvalidValueError."""
        return text_of(value)

    @classmethod
    def clean(
        cls, field: Mapping[str, Any], raw: Any, path: str, env: Env, names: tuple[str, str]
    ) -> tuple[Any, list[FieldError]]:
        """(cleaned value or EMPTY, errors); ``required`` is checked by the caller."""
        if is_empty(raw):
            return EMPTY, []
        try:
            return cls.clean_value(field, raw, env), []
        except InvalidValueError as exc:
            return EMPTY, [error(field, path, names, exc)]

    @classmethod
    def max_length(cls, field: Mapping[str, Any]) -> int:
        """The longest text the field holds: its ``max_length``, else the type's default."""
        explicit = field.get("max_length")
        if isinstance(explicit, int) and not isinstance(explicit, bool) and explicit > 0:
            return explicit
        return cls.default_max_length

    @classmethod
    def max_items(cls, field: Mapping[str, Any]) -> int:
        limit = field.get("max_items")
        return int(limit) if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_ITEMS

    @classmethod
    def typed_text(cls, field: Mapping[str, Any], text: str) -> str:
        """Text as the field keeps it while typed (a one-line text collapses its spaces)."""
        return text

    @classmethod
    def draft_errors(
        cls, field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
    ) -> list[FieldError]:
        """Why ``value`` cannot be kept in a draft: sizes and shapes no form produces."""
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        if len(items) > cls.max_items(field):
            return [error(field, path, names, too_many(cls.max_items(field)))]
        high = cls.max_length(field)
        for item in items:
            if isinstance(item, float) and not math.isfinite(item):
                return [error(field, path, names, not_a_number())]
            if item is not None and not isinstance(item, str | int | float | bool):
                return [error(field, path, names, bad_shape())]
            if isinstance(item, str):
                length = len(cls.typed_text(field, item.strip()))
                if length > high:
                    return [error(field, path, names, too_long(high, length))]
        return []

    # -- display -------------------------------------------------------------------------

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        """The value as lines of text for check answers and the inbox; [] when none."""
        if value is None or value == "" or value == [] or value == {}:
            return []
        return [str(value)]

    @classmethod
    def export_text(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> str:
        """The value as one spreadsheet cell of a case export: its display lines, one per
        line ("" when none); `file_url` turns an upload's public id into its address."""
        return "\n".join(cls.display_lines(field, value, lang))

    @classmethod
    def export_cell(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> ExportCell:
        """The value as a typed spreadsheet cell (text unless the type says otherwise)."""
        return ExportCell(cls.export_text(field, value, lang, file_url))

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        """The value as a document prints it (``fmt.shown`` keeps the raw one comparable)."""
        return value

    # -- wizard --------------------------------------------------------------------------

    @classmethod
    def widget(cls) -> str:
        """The Jinja partial that draws the field in the wizard."""
        return f"wizard/fields/{cls.name}.html"

    @classmethod
    def form_names(cls, name: str) -> set[str]:
        """The names of the inputs the widget posts for the field at ``name``."""
        return {name}

    @classmethod
    def first_input(cls, name: str) -> str:
        """The input name an error about the whole field links to."""
        return name

    @classmethod
    def from_form(cls, form: FormData, name: str) -> Any:
        """The raw answer posted by the widget (ABSENT when nothing came)."""
        if name not in form:
            return ABSENT
        values = form.getlist(name)
        if len(values) > 1:  # one value expected: let the engine say what is wrong with a list
            return values
        return values[0]

    # -- editor --------------------------------------------------------------------------

    @classmethod
    def example_field(cls, field_id: str) -> dict[str, Any]:
        """A minimal field of this type that the template validator accepts (for the editor)."""
        return {"id": field_id, "type": cls.name, "label": dict(cls.label), **cls.defaults}

    @classmethod
    def catalog_entry(cls) -> dict[str, Any]:
        """The type's entry in ``form_schemas/field_types.json``."""
        return {
            "label": dict(cls.label),
            "description": dict(cls.description),
            "value": cls.value_kind,
            "options": list(cls.options),
            "required_options": list(cls.required_options),
            "defaults": dict(cls.defaults),
            "allowed_in_group": cls.allowed_in_group,
            "sample": cls.sample,
        }


Cleaner = Callable[[Mapping[str, Any], Any, Env], Any]


MIN_LENGTH = Option(
    {"type": "integer", "minimum": 0}, {"es": "Longitud mínima", "en": "Minimum length"}
)
MAX_LENGTH = Option(
    {"type": "integer", "minimum": 1}, {"es": "Longitud máxima", "en": "Maximum length"}
)
PATTERN = Option(
    {"type": "string", "minLength": 1}, {"es": "Expresión regular", "en": "Regular expression"}
)
MIN_ITEMS = Option(
    {"type": "integer", "minimum": 0}, {"es": "Mínimo de elementos", "en": "Minimum items"}
)
MAX_ITEMS = Option(
    {"type": "integer", "minimum": 1}, {"es": "Máximo de elementos", "en": "Maximum items"}
)


def items_problems(field: Mapping[str, Any]) -> list[OptionProblem]:
    """``min_items`` above ``max_items``."""
    if "min_items" in field and "max_items" in field and field["min_items"] > field["max_items"]:
        return [min_max("min_items", "max_items")]
    return []


class PartsInput:
    """Mixin for a field answered in several inputs named ``<field>.<part>`` (an address, a
    point): which inputs it posts, where an error links, and how they are read back."""

    parts: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def form_names(cls, name: str) -> set[str]:
        return {f"{name}.{part}" for part in cls.parts}

    @classmethod
    def first_input(cls, name: str) -> str:
        return f"{name}.{cls.parts[0]}"

    @classmethod
    def from_form(cls, form: FormData, name: str) -> Any:
        answers = {p: str(form.get(f"{name}.{p}", "")).strip() for p in cls.parts}
        answers = {p: v for p, v in answers.items() if v}
        return answers if answers else ABSENT
