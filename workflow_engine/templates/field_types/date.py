"""A calendar date (ISO ``AAAA-MM-DD``), bounds fixed or relative to today."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    DATE_PATTERN,
    DocumentFormats,
    Env,
    ExportCell,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    OptionProblem,
    min_max,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_BOUND = {"type": "string", "pattern": "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$"}


def typed_date(text: str) -> datetime.date:
    """A day as a person types it: DD/MM/AAAA (the order of a Spanish page, whatever the
    browser's locale) or AAAA-MM-DD; ValueError for anything else or a day that does not
    exist. Date fields and the date filters of staff pages read dates with it."""
    text = text.strip()
    if _ISO_DATE.match(text):
        return datetime.date.fromisoformat(text)
    if match := _DMY_DATE.match(text):
        d, m, y = (int(g) for g in match.groups())
        return datetime.date(y, m, d)
    raise ValueError(text)


def _bound(raw: Any, env: Env) -> datetime.date | None:
    if raw is None:
        return None
    if raw == "today":
        return env.today
    return datetime.date.fromisoformat(str(raw))


class Date(FieldType):
    """A day, such as a date of birth or the start of works."""

    name = "date"
    order = 50
    label: ClassVar[Localized] = {"es": "Fecha", "en": "Date"}
    description: ClassVar[Localized] = {
        "es": "Un día del calendario, como la fecha de inicio de la obra.",
        "en": "A calendar day, such as the date works start.",
    }
    value_kind = "date"
    value_kind_label: ClassVar[Localized] = {"es": "fecha AAAA-MM-DD", "en": "date YYYY-MM-DD"}
    options: ClassVar[Mapping[str, Option]] = {
        "min": Option(_BOUND, {"es": "Mínimo", "en": "Minimum"}),
        "max": Option(_BOUND, {"es": "Máximo", "en": "Maximum"}),
    }
    sample = "2026-03-05"

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        out: list[OptionProblem] = []
        dates: dict[str, datetime.date | None] = {}
        for key in ("min", "max"):
            raw = field.get(key)
            dates[key] = None
            if raw is None or raw == "today":
                continue
            try:
                dates[key] = datetime.date.fromisoformat(raw)
            except ValueError:
                out.append(
                    (
                        "invalid_date",
                        f".{key}",
                        f'La fecha "{raw}" no existe. Escríbala como AAAA-MM-DD o use "today".',
                        f'The date "{raw}" does not exist. Write it as YYYY-MM-DD or use "today".',
                    )
                )
        low, high = dates["min"], dates["max"]
        if low is not None and high is not None and low > high:
            out.append(min_max("min", "max"))
        return out

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        bad = InvalidValueError(
            "invalid_date",
            "escriba una fecha válida (AAAA-MM-DD o DD/MM/AAAA).",
            "enter a valid date (YYYY-MM-DD or DD/MM/YYYY).",
        )
        if isinstance(value, datetime.datetime):
            raise bad
        if isinstance(value, datetime.date):
            day = value
        elif isinstance(value, str):
            try:
                day = typed_date(value)
            except ValueError:
                raise bad from None
        else:
            raise bad
        low = _bound(field.get("min"), env)
        high = _bound(field.get("max"), env)
        if low is not None and day < low:
            raise InvalidValueError(
                "too_small",
                f"la fecha no puede ser anterior al {low:%d/%m/%Y}.",
                f"the date cannot be before {low.isoformat()}.",
            )
        if high is not None and day > high:
            raise InvalidValueError(
                "too_large",
                f"la fecha no puede ser posterior al {high:%d/%m/%Y}.",
                f"the date cannot be after {high.isoformat()}.",
            )
        return day.isoformat()

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "":
            return []
        try:
            return [datetime.date.fromisoformat(str(value)).strftime("%d/%m/%Y")]
        except ValueError:
            return [str(value)]

    @classmethod
    def export_cell(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> ExportCell:
        """A day as a spreadsheet date (text if it is none)."""
        text = cls.export_text(field, value, lang, file_url)
        try:
            day = datetime.date.fromisoformat(str(value))
        except ValueError:
            return ExportCell(text)
        return ExportCell(text, day, "date", DATE_PATTERN)

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        if isinstance(value, str):
            return fmt.shown(value, fmt.long_date(value))
        return value
