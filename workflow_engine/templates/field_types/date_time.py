"""A date and a time of day (``AAAA-MM-DDTHH:MM``, the municipality's local time)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
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

_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::00)?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}),? +(\d{1,2}):(\d{2})$")
_BOUND = {"type": "string", "pattern": "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})$"}


def _parse(text: str) -> datetime.datetime | None:
    """A naive date and time from ISO or DD/MM/AAAA HH:MM text; None when it is neither."""
    try:
        if match := _ISO.match(text):
            day = datetime.date.fromisoformat(match[1])
            return datetime.datetime.combine(day, datetime.time(int(match[2]), int(match[3])))
        if match := _DMY.match(text):
            d, m, y, hh, mm = (int(g) for g in match.groups())
            return datetime.datetime(y, m, d, hh, mm)
    except ValueError:
        return None
    return None


def _bound(raw: Any, env: Env, end: bool) -> datetime.datetime | None:
    """A bound of the template: ``today`` is the whole of today (from 00:00 or to 23:59)."""
    if raw is None:
        return None
    if raw == "today":
        return datetime.datetime.combine(env.today, datetime.time.max if end else datetime.time())
    return _parse(str(raw))


class DateTime(FieldType):
    """A moment, such as the start of an event or an inspection appointment."""

    name = "datetime"
    order = 200
    label: ClassVar[Localized] = {"es": "Fecha y hora", "en": "Date and time"}
    description: ClassVar[Localized] = {
        "es": "Un día y una hora, como el inicio de un evento o la cita de una inspección.",
        "en": "A day and a time, such as the start of an event or an inspection appointment.",
    }
    value_kind = "datetime"
    value_kind_label: ClassVar[Localized] = {
        "es": "fecha y hora AAAA-MM-DDTHH:MM (hora local)",
        "en": "date and time YYYY-MM-DDTHH:MM (local time)",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "min": Option(_BOUND, {"es": "Mínimo", "en": "Minimum"}),
        "max": Option(_BOUND, {"es": "Máximo", "en": "Maximum"}),
    }
    sample = "2026-03-05T10:30"

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        out: list[OptionProblem] = []
        moments: dict[str, datetime.datetime | None] = {}
        for key in ("min", "max"):
            raw = field.get(key)
            moments[key] = None if raw in (None, "today") else _parse(str(raw))
            if raw not in (None, "today") and moments[key] is None:
                out.append(
                    (
                        "invalid_date",
                        f".{key}",
                        f'La fecha y hora "{raw}" no existe. Escríbala como AAAA-MM-DDTHH:MM o '
                        'use "today".',
                        f'The date and time "{raw}" does not exist. Write it as YYYY-MM-DDTHH:MM '
                        'or use "today".',
                    )
                )
        low, high = moments["min"], moments["max"]
        if low is not None and high is not None and low > high:
            out.append(min_max("min", "max"))
        return out

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        moment = _parse(value.strip()) if isinstance(value, str) else None
        if moment is None:
            raise InvalidValueError(
                "invalid_datetime",
                "escriba una fecha y hora válidas (AAAA-MM-DD HH:MM o DD/MM/AAAA HH:MM, "
                "hora de 00:00 a 23:59).",
                "enter a valid date and time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM, "
                "time from 00:00 to 23:59).",
            )
        low = _bound(field.get("min"), env, end=False)
        high = _bound(field.get("max"), env, end=True)
        if low is not None and moment < low:
            raise InvalidValueError(
                "too_small",
                f"la fecha y hora no pueden ser anteriores al {low:%d/%m/%Y %H:%M}.",
                f"the date and time cannot be before {low:%Y-%m-%d %H:%M}.",
            )
        if high is not None and moment > high:
            raise InvalidValueError(
                "too_large",
                f"la fecha y hora no pueden ser posteriores al {high:%d/%m/%Y %H:%M}.",
                f"the date and time cannot be after {high:%Y-%m-%d %H:%M}.",
            )
        return moment.strftime("%Y-%m-%dT%H:%M")

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "":
            return []
        moment = _parse(str(value))
        if moment is None:
            return [str(value)]
        return [moment.strftime("%Y-%m-%d %H:%M" if lang.startswith("en") else "%d/%m/%Y %H:%M")]

    @classmethod
    def export_cell(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> ExportCell:
        """A moment as a spreadsheet date and time, written as the review page shows it."""
        text = cls.export_text(field, value, lang, file_url)
        moment = _parse(str(value))
        if moment is None:
            return ExportCell(text)
        pattern = "yyyy-mm-dd hh:mm" if lang.startswith("en") else "dd/mm/yyyy hh:mm"
        return ExportCell(text, moment, "datetime", pattern)

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        moment = _parse(value) if isinstance(value, str) else None
        if moment is None:
            return value
        return fmt.shown(value, f"{fmt.long_date(moment.date())}, {moment:%H:%M} h")
