"""The municipal register page («Padrón municipal», /configurador/<key>/padron): what an
approved case records in the built-in municipal ledger (`ledger.register` of the template):
the kind of object, and where each of its values comes from — a value picker per value:
one of the procedure's fields, the case folio, or «depends on a condition» (if <condition>
then field A else field B, the condition built with conditions.py on its own page,
`?condicion=<value>`). A value the picker cannot show is shown read-only (JSON Logic) and
kept. Then its attributes (rows name → field) and the optional recurring charge (concept,
an amount built from the payment step's factors, currency, due date). «Este trámite no
registra nada» removes the whole block.

Every change is one revision through `apply_edit` (`editing.set_ledger`), undone like any
other from «Cambios recientes»."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.configurator.common import (
    Doc,
    apply_edit,
    blueprint,
    catalog,
    editable,
    render_editor,
    whole_number,
)
from app.configurator.conditions import KEEP, builder_for, condition_fields, posted_builder
from app.configurator.identifiers import ID
from app.configurator.payment_step import (
    factor_choices,
    factor_slot_values,
    formula_text,
    posted_factors,
)
from app.configurator.transitions import condition_summary
from app.formatting import reader_language
from app.i18n import N_
from connectors.ledger.book import object_kind_name
from form_schemas import load_meta_schema
from workflow_engine.templates import editing, model
from workflow_engine.templates.fee_formulas import FormulaError, factors_of, to_amount
from workflow_engine.templates.preview import readable

__all__ = ["ledger"]

FOLIO = "$case.folio"
VALUES: tuple[tuple[str, str], ...] = (
    ("key", N_("Clave del registro")),
    ("description", N_("Descripción")),
    ("rfc", N_("RFC del titular")),
    ("curp", N_("CURP del titular")),
    ("name", N_("Nombre del titular")),
)
VALUE_HINTS = {
    "key": N_(
        "Lo que identifica el registro: el folio del expediente, la placa, el número de licencia…"
    ),
    "name": N_("Cuando el titular no es la persona solicitante (la razón social de una empresa)."),
}
MAX_ATTRIBUTES = 40


def kinds() -> list[tuple[str, str]]:
    """(code, name in the reader's language) of the kinds the template schema allows."""
    register = load_meta_schema()["properties"]["ledger"]["properties"]["register"]
    lang = reader_language()
    return [(k, object_kind_name(k, lang)) for k in register["properties"]["kind"]["enum"]]


def _register(doc: Doc) -> dict[str, Any] | None:
    ledger = doc.get("ledger")
    register = ledger.get("register") if isinstance(ledger, Mapping) else None
    return dict(register) if isinstance(register, Mapping) else None


def _fields(doc: Doc) -> list[tuple[str, str]]:
    """(id, label) of the answers a value may take: every field of the forms (the typed
    model's), but groups and files."""
    lang = reader_language()
    return [
        (f.id, f.title(lang))
        for f in model.of(readable(doc)).fields()
        if not f.is_group and not f.takes_files
    ]


def _var(expr: Any) -> str | None:
    if isinstance(expr, Mapping) and list(expr) == ["var"] and isinstance(expr["var"], str):
        return str(expr["var"])
    return None


def picked(expr: Any, known: set[str]) -> dict[str, Any]:
    """What the picker shows for a stored value: its source (none, field, folio, if or
    advanced) and its parts."""
    if expr is None:
        return {"source": "none"}
    name = _var(expr)
    if name == FOLIO:
        return {"source": "folio"}
    if name in known:
        return {"source": "field", "field": name}
    args = expr.get("if") if isinstance(expr, Mapping) and list(expr) == ["if"] else None
    if isinstance(args, list) and len(args) == 3:
        then, other = _var(args[1]), _var(args[2])
        if then in known and other in known:
            return {"source": "if", "rule": args[0], "then": then, "else": other}
    return {"source": "advanced", "text": json.dumps(expr, ensure_ascii=False, indent=2)}


def _url(key: str, anchor: str = "", **args: Any) -> str:
    return url_for("configurator.ledger", key=key, _anchor=anchor or None, **args)


# -- reading the post ------------------------------------------------------------------------


def _posted_value(
    name: str, stored: Any, known: set[str], errors: dict[str, str]
) -> tuple[Any, bool]:
    """The value posted by the picker `name`, and whether its condition is still to be
    given (a new «depends on a condition»)."""
    source = request.form.get(f"{name}-source", "none")
    if source == "none":
        return None, False
    if source == "folio":
        return {"var": FOLIO}, False
    if source == "advanced":
        return stored, False
    if source == "field":
        field = request.form.get(f"{name}-field", "")
        if field not in known:
            errors[name] = _("Elija el campo de donde sale este dato.")
            return stored, False
        return {"var": field}, False
    if source == "if":
        then = request.form.get(f"{name}-then", "")
        other = request.form.get(f"{name}-else", "")
        if then not in known or other not in known:
            errors[name] = _("Elija el campo que se usa si se cumple la condición y el que no.")
            return stored, False
        before = picked(stored, known)
        rule = before["rule"] if before["source"] == "if" else True
        return {"if": [rule, {"var": then}, {"var": other}]}, rule is True
    abort(400)


def _posted_attributes(
    stored: Mapping[str, Any], known: set[str], errors: dict[str, str]
) -> dict[str, Any]:
    try:
        count = min(int(request.form.get("attr_count", "0")), MAX_ATTRIBUTES + 1)
    except ValueError:
        abort(400)
    removed = request.form.get("remove_attr", "")
    out: dict[str, Any] = {}
    for n in range(count):
        name = request.form.get(f"attr-{n}-name", "").strip()[:63]
        original = request.form.get(f"attr-{n}-was", "")
        field = request.form.get(f"attr-{n}-field", "")
        if not name or removed == str(n):
            continue
        if not ID.fullmatch(name):
            errors["attributes"] = _(
                "«%(name)s» no sirve como nombre de dato: use letras minúsculas sin acentos, "
                "dígitos y guion bajo, empezando con una letra.",
                name=name,
            )
        elif name in out:
            errors["attributes"] = _("El dato «%(name)s» está repetido.", name=name)
        elif field == "" and original in stored:  # a value the picker cannot show: kept
            out[name] = stored[original]
        elif field not in known:
            errors["attributes"] = _("Elija el campo del dato «%(name)s».", name=name)
        else:
            out[name] = {"var": field}
    return out


def _posted_recurring(stored: Any, errors: dict[str, str]) -> dict[str, Any] | None:
    if not request.form.get("recurring"):
        return None
    old = dict(stored) if isinstance(stored, Mapping) else {}
    concept = " ".join(request.form.get("concept", "").split())[:200]
    if not concept:
        errors["concept"] = _("Escriba el concepto del cobro periódico.")
    amount: Any = old.get("amount")
    if not (request.form.get("amount_kept") == "1" and amount is not None):
        try:
            amount = to_amount(posted_factors())
        except FormulaError as error:
            errors["amount"] = error.message(reader_language())
    currency = request.form.get("currency", "").strip().upper()[:3]
    if currency and not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
        errors["currency"] = _("La moneda se escribe con tres letras, por ejemplo MXN.")
    out = {
        **old,
        "concept": concept,
        "amount": amount,
        "currency": currency or None,
        "due_month": whole_number("due_month", 1, 12, errors),
        "due_day": whole_number("due_day", 1, 31, errors),
    }
    return {k: v for k, v in out.items() if v is not None}


def _save(info_key: str, doc: Doc, register: dict[str, Any] | None) -> ResponseReturnValue:
    known = {fid for fid, _label in _fields(doc)}
    errors: dict[str, str] = {}
    stored = register or {}
    kind = request.form.get("kind", "")
    if kind not in {k for k, _n in kinds()}:
        errors["kind"] = _("Elija qué se registra.")
    new: dict[str, Any] = {"kind": kind}
    pending = []
    for name, _label in VALUES:
        value, needs_rule = _posted_value(name, stored.get(name), known, errors)
        if value is not None:
            new[name] = value
        if needs_rule:
            pending.append(name)
    if "key" not in new and "key" not in errors:
        errors["key"] = _("Elija qué identifica el registro (por ejemplo, el folio).")
    stored_attributes = stored.get("attributes")
    attributes = _posted_attributes(
        stored_attributes if isinstance(stored_attributes, Mapping) else {}, known, errors
    )
    if attributes:
        new["attributes"] = attributes
    recurring = _posted_recurring(stored.get("recurring"), errors)
    if recurring is not None:
        new["recurring"] = recurring
    if errors:
        return _page(info_key, doc, errors=errors, status=422)
    if apply_edit(info_key, lambda d: editing.set_ledger(d, new)) is None:
        return redirect(_url(info_key))
    if request.form.get("remove_attr"):
        flash(_("Se quitó el dato del registro."))
    else:
        flash(_("Se guardó el registro en el padrón."))
    if pending:
        flash(_("Indique la condición de la que depende el dato."))
        return redirect(_url(info_key, condicion=pending[0]))
    return redirect(_url(info_key))


# -- the page ---------------------------------------------------------------------------------


def _page(
    key: str, doc: Doc, *, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    register = _register(doc)
    fields = _fields(doc)
    known = {fid for fid, _label in fields}
    labels = dict(fields)
    cond_fields = condition_fields(doc, "")
    values = []
    for name, label in VALUES:
        shown = picked((register or {}).get(name), known)
        if shown["source"] == "if":
            shown["when"] = (
                _("(sin condición todavía)")
                if shown["rule"] is True
                else condition_summary(shown["rule"], cond_fields)
            )
        values.append(
            {"name": name, "label": _(label), "hint": _(VALUE_HINTS.get(name, "")), **shown}
        )
    stored_attributes = (register or {}).get("attributes")
    attributes = [
        {
            "name": str(name),
            "field": _var(expr) if _var(expr) in known else "",
            "text": "" if _var(expr) in known else json.dumps(expr, ensure_ascii=False),
        }
        for name, expr in (
            stored_attributes.items() if isinstance(stored_attributes, Mapping) else ()
        )
    ]
    recurring = (register or {}).get("recurring")
    recurring = dict(recurring) if isinstance(recurring, Mapping) else None
    amount = (recurring or {}).get("amount")
    factors = factors_of(amount) if recurring else []
    return render_editor(
        "configurator/ledger.html",
        key,
        "configurator.ledger",
        doc=doc,
        register=register,
        kinds=kinds(),
        values=values,
        fields=fields,
        labels=labels,
        attributes=attributes,
        recurring=recurring,
        slots=factor_slot_values(factors or []),
        choices=factor_choices(doc, "", factors or []),
        amount_builder=factors is not None,
        amount_text=formula_text(doc, amount) if recurring else "",
        errors=errors or {},
        form=request.form if errors else {},
        status=status,
    )


def _condition(key: str, doc: Doc, name: str) -> ResponseReturnValue:
    """The condition of the conditional value `name`, with the condition builder; the
    register's page when `name` is not a conditional value (any more)."""
    register = _register(doc)
    known = {fid for fid, _label in _fields(doc)}
    shown = picked((register or {}).get(name), known)
    if shown["source"] != "if":  # no such conditional value (an undo may have removed it)
        return redirect(_url(key))
    rule = None if shown["rule"] is True else shown["rule"]
    fields = condition_fields(doc, "")
    builder = builder_for(rule, fields)
    status = 200
    if request.method == "POST":
        builder, save = posted_builder(request.form, fields, rule)
        if save is not KEEP:
            then, other = {"var": shown["then"]}, {"var": shown["else"]}
            value = then if save is None else {"if": [save, then, other]}
            changed = {**(register or {}), name: value}
            if apply_edit(key, lambda d: editing.set_ledger(d, changed)) is None:
                return redirect(_url(key, condicion=name))
            flash(
                _("Se guardó la condición.")
                if save is not None
                else _("Se quitó la condición: el dato sale siempre del primer campo.")
            )
            return redirect(_url(key, f"dato-{name}"))
        status = 422 if builder.errors else 200
    return render_editor(
        "configurator/ledger_condition.html",
        key,
        "configurator.ledger",
        doc=doc,
        status=status,
        value_label=_(dict(VALUES)[name]),
        value_name=name,
        builder=builder,
        condition_action=_url(key, condicion=name),
        condition_extra={},
        condition_legend=_("Usar el primer campo cuando se cumplan"),
        condition_clear_label=_("Quitar la condición"),
    )


@blueprint.route("/<key>/padron", methods=["GET", "POST"])
def ledger(key: str) -> ResponseReturnValue | Response:
    """What an approved case records in the municipal register (GET and POST)."""
    info = editable(key)
    doc = catalog().draft(info.key)
    element = request.args.get("condicion", "")
    if element:
        return _condition(info.key, doc, element)
    if request.method == "GET":
        return _page(info.key, doc)
    action = request.form.get("action", "")
    if action == "save":
        return _save(info.key, doc, _register(doc))
    if action == "remove":
        if _register(doc) is not None and apply_edit(
            info.key, lambda d: editing.set_ledger(d, None)
        ):
            flash(_("Este trámite ya no registra nada en el padrón."))
        return redirect(_url(info.key))
    abort(400)
