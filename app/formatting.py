"""Dates, money and localized texts in the reader's language: the one place every page,
template filter and CLI output of the web layer formats them.

- `reader_language()`: "es" or "en", the interface language of this request (Spanish
  outside one);
- `localized(text)`: a text liaisons write, `{"es": ..., "en": ...}`, in the reader's
  language (Spanish when there is no translation; a plain string as is); the `t` filter;
- `format_date(value)`: «5 de marzo de 2026» / «5 March 2026», moments as local dates;
- `format_moment(value)`: the same with the local time, «5 de marzo de 2026, 09:30»;
- `money(cents, currency)`: «$1,234.50» (pesos), «B/. 1,234.50» (balboas), the
  municipality's format (`workflow_engine.money`);
- `department_names()`: department key → its name in the reader's language;
- `answer_lines(field, value)`: an answer as the field type shows it back («Revise sus
  respuestas», the inbox, widgets);
- `template_state_label(state)`: a procedure's state in words (draft, live, live with
  unpublished changes, archived), for the administrators' and the configurator's lists.

`lang` may be passed explicitly (a page that already knows it); by default it is the
reader's. Other interface text is gettext in the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.templating import locale_name
from connectors.common import MONTHS_ES, money
from workflow_engine.persistence.models import Department, table
from workflow_engine.persistence.platform.catalogs import EngineCatalogs
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.base import showing_catalogs
from workflow_engine.templates.model import Field

__all__ = [
    "MONTHS_EN",
    "MONTHS_ES",
    "answer_lines",
    "date_bounds",
    "date_input_text",
    "department_names",
    "format_date",
    "format_moment",
    "localized",
    "money",
    "reader_language",
    "template_state_label",
]

departments_t = table(Department)

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def reader_language() -> str:
    """ "en" when the interface is in English, else "es"."""
    return "en" if locale_name().startswith("en") else "es"


def localized(text: Any, lang: str | None = None, default: str = "") -> str:
    """`text[lang]` of a {"es": ..., "en": ...} text, else its Spanish; a plain value as a
    string; `default` when there is nothing to show."""
    if isinstance(text, Mapping):
        return str(text.get(lang or reader_language()) or text.get("es") or default)
    return default if text is None or text == "" else str(text)


def _timezone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["tramita"].settings.timezone)


def format_date(value: date | datetime | str | None, lang: str | None = None) -> str:
    """«5 de marzo de 2026» / «5 March 2026»; moments as the municipality's local date; an
    ISO string is read first (anything else is shown as it is)."""
    if value is None or value == "":
        return ""
    parsed: date | datetime
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    else:
        parsed = value
    if isinstance(parsed, datetime):
        parsed = parsed.astimezone(_timezone()).date() if parsed.tzinfo else parsed.date()
    if (lang or reader_language()) == "en":
        return f"{parsed.day} {MONTHS_EN[parsed.month - 1]} {parsed.year}"
    return f"{parsed.day} de {MONTHS_ES[parsed.month - 1]} de {parsed.year}"


def date_input_text(value: Any) -> str:
    """A date as the citizen types it (day/month/year): a stored ISO date «2026-03-05» is
    shown «05/03/2026»; what was typed and not accepted is shown back as it was."""
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    text = str(value)
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y") if len(text) == 10 else text
    except ValueError:
        return text


def date_bounds(fld: Mapping[str, Any]) -> tuple[str, str]:
    """A date field's `min` and `max` («today»: the municipality's today) as day/month/year,
    empty when there is none: the same bounds the field type checks on the server."""
    today = datetime.now(_timezone()).date()
    out = []
    for key in ("min", "max"):
        raw = fld.get(key)
        if raw == "today":
            out.append(today.strftime("%d/%m/%Y"))
        elif isinstance(raw, str):
            out.append(date_input_text(raw))
        else:
            out.append("")
    return out[0], out[1]


def template_state_label(state: str) -> str:
    """A procedure template's state (`TemplateInfo.state`) in the reader's language."""
    return {
        "draft": _("Borrador (nunca publicado)"),
        "live": _("Publicado"),
        "live_with_draft": _("Publicado, con cambios sin publicar"),
        "archived": _("Archivado"),
    }.get(state, state)


def format_moment(value: datetime | str | None, lang: str | None = None) -> str:
    """«5 de marzo de 2026, 09:30», local time."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(_timezone())
    return f"{format_date(local.date(), lang)}, {local:%H:%M}"


def department_names(lang: str | None = None) -> dict[str, str]:
    """Every department's name in the reader's language (Spanish when it has no English)."""
    english = (lang or reader_language()) == "en"
    with current_app.extensions["tramita"].engine.connect() as conn:
        rows = conn.execute(
            select(departments_t.c.key, departments_t.c.name_es, departments_t.c.name_en)
        ).all()
    return {r.key: (r.name_en or r.name_es) if english else r.name_es for r in rows}


def answer_lines(fld: Field | Mapping[str, Any], value: Any) -> list[str]:
    """The value of one (non-group) field (of the model, or a field dict as the widgets
    hold it) as lines of text; [] when there is none."""
    if value is None or value == "" or value == [] or value == {}:
        return []
    kind, raw = (fld.kind, fld.raw) if isinstance(fld, Field) else (field_type(fld), fld)
    with showing_catalogs(EngineCatalogs(current_app.extensions["tramita"].engine)):
        return kind.display_lines(raw, value, reader_language())
