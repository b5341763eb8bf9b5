"""The information page: names, summary, keywords and the catalog fields the law asks for
(homoclave, modality, legal basis, who may apply, requirements, maximum response time, ficta,
validity, cost, offices, contact).

One form; every input's name is its id, the one `sections.information_anchor` gives for a
problem at that place, so the validator's problems are shown beside their input. Repeating
lists (legal basis, requirements, offices) have a row of inputs per item, added and removed
with buttons that save the form (no script needed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import (
    apply_edit,
    blueprint,
    catalog,
    draft_problems,
    editable,
    render_editor,
    replace_with,
)
from app.formatting import department_names, localized, reader_language
from workflow_engine.templates import creation, sections
from workflow_engine.templates.validation import Problem

Doc = dict[str, Any]
Values = dict[str, str]
LISTS = sections.INFORMATION_LISTS
MAX_ROWS = 200
MAX_TEXT = 5000
LANGS = ("es", "en")
# Texts in both languages, at the top of the document and in its catalog.
TOP_TEXTS = ("title", "summary")
CATALOG_TEXTS = ("modality", "who_may_apply", "validity", "cost")
CONTACT = ("phone", "email", "url")
OFFICE_PLAIN = ("address", "phone", "email")
_ROW = re.compile(r"^(legal_basis|requirements|offices)-(\d{1,3})-")


# -- document -> inputs --------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    return str(value)


def _put_texts(values: Values, prefix: str, text: Any) -> None:
    for lang in LANGS:
        values[f"{prefix}-{lang}"] = _text(text.get(lang)) if isinstance(text, Mapping) else ""


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def values_of(doc: Mapping[str, Any]) -> Values:
    """The information page's inputs filled from `doc`."""
    values: Values = {}
    for name in TOP_TEXTS:
        _put_texts(values, name, doc.get(name))
    values["keywords"] = "\n".join(_text(k) for k in _items(doc.get("keywords")))
    cat = _dict(doc.get("catalog"))
    for name in CATALOG_TEXTS:
        _put_texts(values, name, cat.get(name))
    for name in ("homoclave", "max_response_days", "ficta"):
        values[name] = _text(cat.get(name))
    values["response_deadline"] = _text(_dict(doc.get("response_deadline")).get("on_lapse"))
    for i, basis in enumerate(_items(cat.get("legal_basis"))):
        _put_texts(values, f"legal_basis-{i}", basis)
    for i, item in enumerate(_items(cat.get("requirements"))):
        req = _dict(item)
        for name in ("id", "original_copy", "field"):
            values[f"requirements-{i}-{name}"] = _text(req.get(name))
        _put_texts(values, f"requirements-{i}-name", req.get("name"))
        _put_texts(values, f"requirements-{i}-description", req.get("description"))
    for i, item in enumerate(_items(cat.get("offices"))):
        office = _dict(item)
        _put_texts(values, f"offices-{i}-name", office.get("name"))
        _put_texts(values, f"offices-{i}-hours", office.get("hours"))
        for name in OFFICE_PLAIN:
            values[f"offices-{i}-{name}"] = _text(office.get(name))
    contact = _dict(cat.get("contact"))
    for name in CONTACT:
        values[f"contact-{name}"] = _text(contact.get(name))
    return values


def rows_of(values: Mapping[str, str]) -> dict[str, list[int]]:
    """The row numbers of each repeating list present in `values`."""
    rows: dict[str, set[int]] = {name: set() for name in LISTS}
    for name in values:
        found = _ROW.match(name)
        if found and int(found.group(2)) < MAX_ROWS:
            rows[found.group(1)].add(int(found.group(2)))
    return {name: sorted(found) for name, found in rows.items()}


# -- inputs -> document --------------------------------------------------------------------


def _texts(values: Mapping[str, str], prefix: str) -> dict[str, str] | None:
    """A {es, en} text from its two inputs; None when both are empty."""
    text = {lang: values.get(f"{prefix}-{lang}", "").strip() for lang in LANGS}
    found = {lang: value for lang, value in text.items() if value}
    return found or None


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == "" or value == [] or value == {}:
        target.pop(key, None)
    else:
        target[key] = value


def _days(raw: str) -> int | str:
    """A whole number of days, or what was typed (the validator says what is wrong)."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 6 else raw


def _requirements(values: Mapping[str, str], rows: list[int]) -> list[dict[str, Any]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for i in rows:
        prefix = f"requirements-{i}"
        req: dict[str, Any] = {"id": values.get(f"{prefix}-id", "").strip()}
        _set(req, "name", _texts(values, f"{prefix}-name"))
        _set(req, "description", _texts(values, f"{prefix}-description"))
        _set(req, "original_copy", values.get(f"{prefix}-original_copy", "").strip())
        _set(req, "field", values.get(f"{prefix}-field", "").strip())
        if len(req) > 1 or req["id"]:
            found.append((localized(req.get("name"), "es"), req))
    taken = {req["id"] for _name, req in found if req["id"]}
    for name, req in found:
        if not req["id"]:
            req["id"] = creation.id_from_name(name or "requisito", taken)
            taken.add(req["id"])
    return [req for _name, req in found]


def _offices(values: Mapping[str, str], rows: list[int]) -> list[dict[str, Any]]:
    out = []
    for i in rows:
        prefix = f"offices-{i}"
        office: dict[str, Any] = {}
        _set(office, "name", _texts(values, f"{prefix}-name"))
        _set(office, "address", values.get(f"{prefix}-address", "").strip())
        _set(office, "hours", _texts(values, f"{prefix}-hours"))
        _set(office, "phone", values.get(f"{prefix}-phone", "").strip())
        _set(office, "email", values.get(f"{prefix}-email", "").strip())
        if office:
            out.append(office)
    return out


def with_information(doc: Mapping[str, Any], values: Mapping[str, str]) -> Doc:
    """`doc` with the information of the page's inputs `values` (empty inputs remove what
    they held; everything else of the document is kept)."""
    new = dict(doc)
    rows = rows_of(values)
    for name in TOP_TEXTS:
        _set(new, name, _texts(values, name))
    words = re.split(r"[\n,;]", values.get("keywords", ""))
    _set(new, "keywords", list(dict.fromkeys(w.strip()[:60] for w in words if w.strip())))
    on_lapse = values.get("response_deadline", "").strip()
    _set(new, "response_deadline", {"on_lapse": on_lapse} if on_lapse else None)
    old = doc.get("catalog")
    cat: dict[str, Any] = dict(old) if isinstance(old, Mapping) else {}
    _set(cat, "homoclave", values.get("homoclave", "").strip().upper())
    for name in CATALOG_TEXTS:
        _set(cat, name, _texts(values, name))
    bases = [_texts(values, f"legal_basis-{i}") for i in rows["legal_basis"]]
    _set(cat, "legal_basis", [b for b in bases if b])
    cat["requirements"] = _requirements(values, rows["requirements"])
    _set(cat, "max_response_days", _days(values.get("max_response_days", "")))
    _set(cat, "ficta", values.get("ficta", "").strip())
    _set(cat, "offices", _offices(values, rows["offices"]))
    contact = {n: values.get(f"contact-{n}", "").strip() for n in CONTACT}
    _set(cat, "contact", {n: v for n, v in contact.items() if v})
    new["catalog"] = cat
    return new


def _posted() -> Values:
    return {k: v[:MAX_TEXT] for k, v in request.form.items() if k not in ("csrf_token",)}


def _without_row(values: Values, row: str) -> Values:
    """`values` without the inputs of `row` (``requirements-2``)."""
    return {k: v for k, v in values.items() if not k.startswith(f"{row}-")}


# -- the page ------------------------------------------------------------------------------


def file_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The file fields of the form steps (where a requirement is handed in), as (id, label)."""
    lang = reader_language()
    found = []
    for step in _items(doc.get("steps")):
        for item in _items(_dict(step).get("fields")):
            fld = _dict(item)
            inner = (
                [_dict(f) for f in _items(fld.get("fields"))]
                if fld.get("type") == "group"
                else [fld]
            )
            for f in inner:
                if f.get("type") == "file" and isinstance(f.get("id"), str):
                    found.append(
                        (f["id"], f"{localized(f.get('label'), lang, f['id'])} ({f['id']})")
                    )
    return found


def input_label(anchor: str) -> str:
    """What the information page calls the input `anchor` (for the error summary)."""
    fixed = {
        "title-es": _("Nombre del trámite"),
        "summary-es": _("Resumen"),
        "keywords": _("Palabras clave"),
        "homoclave": _("Homoclave"),
        "modality-es": _("Modalidad"),
        "who_may_apply-es": _("Quién puede solicitarlo"),
        "legal_basis": _("Fundamento legal"),
        "requirements": _("Requisitos"),
        "max_response_days": _("Plazo máximo de respuesta"),
        "ficta": _("Si no se responde en el plazo"),
        "response_deadline": _("Al vencer el plazo máximo"),
        "validity-es": _("Vigencia"),
        "cost-es": _("Costo"),
        "offices": _("Oficinas"),
        "contact-phone": _("Teléfono de contacto"),
        "contact-email": _("Correo de contacto"),
        "contact-url": _("Página web"),
        "key": _("Clave"),
        "department": _("Dependencia"),
    }
    base = re.sub(r"-en$", "-es", anchor)
    if base in fixed:
        return fixed[base] + (" (" + _("inglés") + ")" if anchor.endswith("-en") else "")
    found = _ROW.match(anchor + "-")
    if found:
        n = int(found.group(2)) + 1
        return {
            "legal_basis": _("Fundamento legal %(n)s", n=n),
            "requirements": _("Requisito %(n)s", n=n),
            "offices": _("Oficina %(n)s", n=n),
        }[found.group(1)]
    return _("Información del trámite")


def plain_message(problem: Problem, lang: str) -> str:
    """A problem of the information as the liaison reads it beside its input (a missing
    value: «Falta este dato.», not the name of a property of the format)."""
    if problem.code == "missing_property":
        return _("Falta este dato.")
    return problem.message(lang)


def field_messages(
    doc: Mapping[str, Any], problems: list[Problem]
) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    """The information's problems: errors and warnings by input id, and the error summary
    (input id, «label: message»)."""
    lang = reader_language()
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    summary = []
    for problem in problems:
        where = sections.locate(doc, problem)
        if where.section != sections.INFORMATION:
            continue
        anchor = where.anchor or "informacion"
        message = plain_message(problem, lang)
        target = errors if problem.is_error else warnings
        target[anchor] = f"{target[anchor]} {message}" if anchor in target else message
        if problem.is_error:
            row = _ROW.match(anchor + "-")
            label = input_label(anchor if row is None else f"{row.group(1)}-{row.group(2)}")
            summary.append((anchor, f"{label}: {message}"))
    return errors, warnings, summary


def _page(
    key: str,
    doc: Doc,
    values: Values,
    *,
    extra_row: str = "",
    status: int = 200,
) -> ResponseReturnValue:
    info = editable(key)
    problems = draft_problems(doc)
    errors, warnings, summary = field_messages(doc, problems)
    rows = rows_of(values)
    if extra_row in rows:
        rows[extra_row].append(max(rows[extra_row], default=-1) + 1)
    if not rows["requirements"]:  # every procedure asks for something: a row to start with
        rows["requirements"].append(0)
    return render_editor(
        "configurator/information.html",
        info.key,
        "configurator.information",
        doc=doc,
        problems=problems,
        status=status,
        values=values,
        rows=rows,
        field_errors=errors,
        field_warnings=warnings,
        summary=summary,
        file_fields=file_fields(doc),
        department=department_names().get(info.department, info.department),
    )


@blueprint.route("/<key>/informacion", methods=["GET", "POST"])
def information(key: str) -> ResponseReturnValue:
    info = editable(key)
    if request.method == "GET":
        doc = catalog().draft(info.key)
        extra = request.args.get("agregar", "")
        return _page(info.key, doc, values_of(doc), extra_row=extra if extra in LISTS else "")
    values = _posted()
    add = request.form.get("agregar", "")
    remove = request.form.get("quitar", "")
    if add and add not in LISTS:
        abort(400)
    removed = _ROW.match(remove + "-") if remove else None
    if remove:
        if removed is None:
            abort(400)
        values = _without_row(values, remove)
    new_doc = with_information(catalog().draft(info.key), values)
    if apply_edit(info.key, replace_with(new_doc)) is None:
        # Not saved (someone else saved in between): what was typed stays on the page.
        return _page(info.key, new_doc, values_of(new_doc), extra_row=add, status=409)
    if add:
        n = len(_items(_dict(new_doc.get("catalog")).get(add)))
        anchor = f"{add}-{n}-es" if add == "legal_basis" else f"{add}-{n}-name-es"
        return redirect(url_for(".information", key=info.key, agregar=add) + f"#{anchor}")
    if removed is not None:
        flash(_("Se quitó la fila y se guardó la información."))
        return redirect(url_for(".information", key=info.key) + f"#{removed.group(1)}")
    flash(_("Se guardó la información del trámite."))
    return redirect(url_for(".information", key=info.key))
