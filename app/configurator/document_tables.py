"""The tables of a document step, edited on the document's page: each table a plain form
(its title in Spanish and English, the list it prints one row per item — the fees paid or a
repeating group's rows — and up to eight columns, each a header in both languages, a value
chosen from the placeholders (the current row's sub-fields or any answer) or typed as free
text with placeholders («{{ row.porcentaje }} %»), and its alignment: left, right, center).
Columns are added (the last, empty row), removed, moved up; tables added, removed and moved. Saved
through `apply_edit` with the pure operations of `workflow_engine.templates.document_parts`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import Doc, apply_edit
from app.formatting import localized, reader_language
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.templates import document_parts, editing

__all__ = [
    "ALIGNS",
    "MAX_COLUMNS",
    "column_slots",
    "column_text",
    "row_sources",
    "save_table",
    "table_value_options",
]

MAX_COLUMNS = 8
LANGS = ("es", "en")


def row_sources(doc: Doc) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(rows, its wording, [(row placeholder, what it prints)]) a table may print one row
    per item of: the fee lines, or each repeating group's rows."""
    lang = reader_language()
    out = [
        (
            "fees.lines",
            _("Los cargos pagados"),
            [("{{ row.label }}", _("Concepto")), ("{{ row.amount }}", _("Importe"))],
        )
    ]
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping):
            continue
        for fld in step.get("fields") or ():
            if not isinstance(fld, Mapping) or fld.get("type") != "group":
                continue
            fid = str(fld.get("id"))
            subs = [
                (f"{{{{ row.{sub['id']} }}}}", localized(sub.get("label"), lang, sub["id"]))
                for sub in fld.get("fields") or ()
                if isinstance(sub, Mapping) and isinstance(sub.get("id"), str)
            ]
            label = _("Las filas de «%(group)s»", group=localized(fld.get("label"), lang, fid))
            out.append((f"data.{fid}", label, subs))
    return out


def column_slots(
    table: Mapping[str, Any], prefix: str, form: Mapping[str, str]
) -> list[Mapping[str, Any]]:
    """The column rows a table's form shows: its columns, then empty ones to add (two for
    a new table, else one), and as many as were posted when the form comes back."""
    columns = [c if isinstance(c, Mapping) else {} for c in table.get("columns") or ()]
    wanted = len(columns) + (1 if table else 2)
    for i in range(MAX_COLUMNS):
        if any(form.get(f"{prefix}-col-{i}-{part}") for part in ("label_es", "value", "text")):
            wanted = max(wanted, i + 1)
    return [*columns, *([{}] * (wanted - len(columns)))][:MAX_COLUMNS]


def table_value_options(
    doc: Doc, placeholders: list[tuple[str, str]]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The column values to pick from, in groups: each list's row sub-fields, then every
    placeholder of the document."""
    groups = [
        (_("De cada fila: %(rows)s", rows=label), subs) for _rows, label, subs in row_sources(doc)
    ]
    return [*groups, (_("Datos del trámite"), placeholders)]


def _posted_text(name: str, limit: int = 200) -> dict[str, str] | None:
    values = {lang: request.form.get(f"{name}_{lang}", "").strip()[:limit] for lang in LANGS}
    if not values["es"]:
        return None
    return {lang: text for lang, text in values.items() if text}


ALIGNS = ("left", "right", "center")
"""How a column lines up in the PDF; left (the default) is not stored."""
MAX_VALUE = 500


def column_text(column: Mapping[str, Any], options: set[str]) -> str:
    """A column's free text as its input shows it: its value when the list of data to pick
    from does not offer it (typed text such as «{{ row.porcentaje }} %»), else empty."""
    value = str(column.get("value") or "")
    return "" if value in options else value


def _posted_columns(
    prefix: str, current: list[Any], allowed: set[str], errors: dict[str, str]
) -> list[dict[str, Any]]:
    """The columns posted: each a header, a value (the typed free text wins over the datum
    picked from the list) and its alignment."""
    columns = []
    for i in range(MAX_COLUMNS + 1):
        name = f"{prefix}-col-{i}"
        label = _posted_text(f"{name}-label")
        text = request.form.get(f"{name}-text", "").strip()
        value = text or request.form.get(f"{name}-value", "").strip()
        if request.form.get(f"{name}-remove") or (label is None and not value):
            continue
        old = current[i] if i < len(current) and isinstance(current[i], Mapping) else {}
        if label is None:
            errors[f"{name}-label_es"] = _("Escriba el encabezado de la columna en español.")
            continue
        if len(text) > MAX_VALUE:
            errors[f"{name}-text"] = _(
                "El texto de la columna es muy largo (máximo %(num)s caracteres).", num=MAX_VALUE
            )
            continue
        if not text and value not in allowed and value != old.get("value"):
            errors[f"{name}-value"] = _("Elija el dato que muestra la columna.")
            continue
        column: dict[str, Any] = {**old, "label": label, "value": value}
        align = request.form.get(f"{name}-align", "")
        column.pop("align", None)
        if align in ALIGNS[1:]:
            column["align"] = align
        columns.append(column)
    return columns


def _target(document: Mapping[str, Any]) -> int | None:
    """The table the form is about: its index, or None for a new one; 404 otherwise."""
    posted = request.form.get("table", "")
    if posted == "new":
        return None
    count = len(document.get("tables") or ())
    if not posted.isdecimal() or int(posted) >= count:
        abort(404)
    return int(posted)


def save_table(
    info: TemplateInfo,
    doc: Doc,
    step: dict[str, Any],
    placeholders: list[tuple[str, str]],
    page: Callable[..., ResponseReturnValue],
) -> ResponseReturnValue:
    """One table's form posted: saved, removed or moved; with mistakes, the page again
    (`page(form=…, errors=…, status=422)`) with them next to the inputs."""
    step_id = str(step["id"])
    document = dict(step.get("document") or {})
    n = _target(document)
    action = request.form.get("action", "save")
    back = redirect(url_for("configurator.step", key=info.key, step_id=step_id, _anchor="tablas"))
    if n is not None and action in ("remove", "up", "down"):
        if action == "remove":
            changed = document_parts.without_table(document, n)
            said = _("Se quitó la tabla.")
        else:
            changed = document_parts.moved_table(document, n, -1 if action == "up" else 1)
            said = _("Se movió la tabla.")
        if apply_edit(info.key, lambda d: editing.set_step(d, step_id, {"document": changed})):
            flash(said)
        return back
    if action != "save" and not action.startswith("column-up:"):
        abort(400)
    prefix = f"t-{'new' if n is None else n}"
    current = dict(document["tables"][n]) if n is not None else {}
    errors: dict[str, str] = {}
    sources = row_sources(doc)
    rows = request.form.get(f"{prefix}-rows", "")
    if rows not in {r for r, _label, _subs in sources} and rows != current.get("rows"):
        errors[f"{prefix}-rows"] = _("Elija de qué lista sale una fila por elemento.")
    allowed = {p for _rows, _label, subs in sources for p, _x in subs}
    allowed |= {p for p, _label in placeholders}
    columns = _posted_columns(prefix, list(current.get("columns") or ()), allowed, errors)
    if not columns and not errors:
        errors[f"{prefix}-col-0-label_es"] = _("Agregue al menos una columna.")
    if errors:
        return page(form=dict(request.form.items()), errors=errors, status=422)
    if action.startswith("column-up:"):
        i = action.partition(":")[2]
        k = int(i) if i.isdecimal() else 0
        if 0 < k < len(columns):
            columns.insert(k - 1, columns.pop(k))
    table: dict[str, Any] = {
        **current,
        "id": current.get("id") or document_parts.new_table_id(document, rows),
        "rows": rows,
        "columns": columns[:MAX_COLUMNS],
    }
    title = _posted_text(f"{prefix}-title")
    if title is None:
        table.pop("title", None)
    else:
        table["title"] = title
    changed = document_parts.with_table(document, n, table)
    if apply_edit(info.key, lambda d: editing.set_step(d, step_id, {"document": changed})):
        flash(_("Se guardó la tabla."))
    return back
