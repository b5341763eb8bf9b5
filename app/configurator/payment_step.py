"""The payment step's page: its fee lines (label, amount built from factors, condition), the
fee tables they look up, the payment's settings (concept, days to pay, rounding, what happens
when the applicant does not pay) and a worked example.

An amount is built from up to four factors multiplied (`workflow_engine.templates.
fee_formulas`): a fixed amount, a constant (the UMA), a numeric answer, a fee table looked up
by an answer; one the factors cannot show is edited as JSON Logic, checked on save. The
worked example is the engine's own computation on the template's example data (a dry run,
`app.trial`): the page never does fee arithmetic itself."""

from __future__ import annotations

import json
import re
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
    replace_with,
    services,
    step_editor,
    whole_number,
)
from app.configurator.conditions import KEEP, Builder, builder_for, condition_fields, posted_builder
from app.configurator.identifiers import chosen_id
from app.configurator.steps import taken_ids
from app.configurator.transitions import handle_transitions, transitions_context
from app.formatting import localized, money, reader_language
from app.trial import run_trial
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates import editing
from workflow_engine.templates.condition_rows import NUMBER, kind_of, parse_advanced
from workflow_engine.templates.fee_formulas import (
    MAX_FACTORS,
    Factor,
    FormulaError,
    factors_of,
    parse_number,
    to_amount,
)
from workflow_engine.templates.option_lists import slug, unique_id
from workflow_engine.templates.step_types import PaymentStep

__all__ = [
    "factor_choices",
    "factor_slot_values",
    "fee_constants",
    "fee_line",
    "fee_table",
    "formula_text",
    "payment_step",
    "posted_factors",
    "worked_example",
]

EXAMPLE_DECISIONS = ["approve"] * 8
MAX_TABLE_ROWS = 200


# -- reading the draft ------------------------------------------------------------------------


def _lines(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        line
        for line in step.get("fee_lines") or ()
        if isinstance(line, dict) and isinstance(line.get("id"), str)
    ]


def _tables(doc: Doc) -> dict[str, dict[str, Any]]:
    tables = doc.get("fee_tables")
    if not isinstance(tables, Mapping):
        return {}
    return {k: dict(v) for k, v in tables.items() if isinstance(v, Mapping)}


def _constants(doc: Doc) -> dict[str, str]:
    """Each constant and its value as shown (the latest year's for a by-year constant)."""
    out: dict[str, str] = {}
    constants = doc.get("constants")
    for name, value in constants.items() if isinstance(constants, Mapping) else ():
        if isinstance(value, Mapping) and isinstance(value.get("by_year"), Mapping):
            years = sorted(value["by_year"])
            if years:
                last = years[-1]
                out[name] = f"{value['by_year'][last]} ({last})"
        else:
            out[name] = str(value)
    return out


def _fields(doc: Doc, step_id: str) -> dict[str, dict[str, Any]]:
    """The answers the fee lines may read (every field of the forms), by id."""
    out: dict[str, dict[str, Any]] = {}
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping):
            continue
        for fld in step.get("fields") or ():
            if (
                isinstance(fld, Mapping)
                and isinstance(fld.get("id"), str)
                and fld.get("type") != "group"
            ):
                out[fld["id"]] = dict(fld)
    return out


def factor_choices(doc: Doc, step_id: str, used: list[Factor]) -> list[tuple[str, str, str]]:
    """(group, value, label) of every factor a slot offers: a fixed amount, each constant,
    each numeric field, each fee table by each field whose options are its keys (and the
    factors the line already uses, whatever they are)."""
    lang = reader_language()
    fields = _fields(doc, step_id)
    choices = [("", "number", _("Cantidad fija"))]
    for name, shown in _constants(doc).items():
        choices.append((_("Constantes"), f"const:{name}", f"{name} = {shown}"))
    for fid, fld in fields.items():
        if kind_of(fld) == NUMBER:
            choices.append(
                (_("Respuestas numéricas"), f"field:{fid}", localized(fld.get("label"), lang, fid))
            )
    for table, rows in _tables(doc).items():
        for fid, fld in fields.items():
            values = {
                str(o.get("value")) for o in fld.get("options") or () if isinstance(o, Mapping)
            }
            if values & set(rows):
                label = _(
                    "Tarifa «%(table)s» según «%(field)s»",
                    table=table,
                    field=localized(fld.get("label"), lang, fid),
                )
                choices.append((_("Tarifas"), f"table:{table}:{fid}", label))
    known = {value for _group, value, _label in choices}
    for factor in used:
        value = _encode(factor)
        if value not in known and factor.kind != "number":
            choices.append((_("En uso"), value, _describe_factor(doc, factor)))
            known.add(value)
    return choices


def _encode(factor: Factor) -> str:
    if factor.kind == "number":
        return "number"
    if factor.kind == "table":
        return f"table:{factor.name}:{factor.key}"
    return f"{factor.kind}:{factor.name}"


def factor_slot_values(factors: list[Factor]) -> list[tuple[str, str]]:
    """(chosen value, fixed amount) of each factor slot a form shows."""
    filled = [(_encode(f), f.name if f.kind == "number" else "") for f in factors]
    return [*filled, *[("", "")] * MAX_FACTORS][:MAX_FACTORS]


def _decode(value: str, number: str) -> Factor | None:
    kind, _sep, rest = value.partition(":")
    if kind == "number":
        return Factor("number", number)
    if kind in ("const", "field") and rest:
        return Factor(kind, rest)
    if kind == "table":
        table, _sep, key = rest.partition(":")
        if table and key:
            return Factor("table", table, key)
    return None


def _describe_factor(doc: Doc, factor: Factor) -> str:
    lang = reader_language()
    fields = _fields(doc, "")
    if factor.kind == "number":
        return factor.name
    if factor.kind == "const":
        return _("la constante «%(name)s»", name=factor.name)
    if factor.kind == "field":
        return _(
            "la respuesta «%(field)s»",
            field=localized(fields.get(factor.name, {}).get("label"), lang, factor.name),
        )
    return _(
        "la tarifa «%(table)s» según «%(field)s»",
        table=factor.name,
        field=localized(fields.get(factor.key, {}).get("label"), lang, factor.key),
    )


def formula_text(doc: Doc, amount: Any) -> str:
    """An amount in words («650.00 × la respuesta «Superficie»»), or its JSON Logic."""
    factors = factors_of(amount)
    if factors is None:
        return json.dumps(amount, ensure_ascii=False)
    return " × ".join(_describe_factor(doc, f) for f in factors)


# -- the worked example -----------------------------------------------------------------------


def worked_example(doc: Doc, step_id: str) -> dict[str, Any]:
    """The fees of `step_id` for the template's example data (else samples), computed by the
    engine in a dry run that approves every review: lines, total, or why there are none."""
    lang = reader_language()
    trial = run_trial(services(), doc, None, EXAMPLE_DECISIONS, at=utcnow())
    fee = next((f for f in trial.simulation.fees if f.step_id == step_id), None)
    if fee is None:
        if trial.stopped:
            reason = trial.stopped[1] if lang == "en" else trial.stopped[0]
        else:
            reason = _(
                "Con los datos de ejemplo y aprobando cada revisión, el trámite no llega a "
                "este paso."
            )
        return {"lines": [], "total": None, "reason": reason}
    return {
        "lines": [
            (
                localized(line.get("label"), lang, str(line.get("id"))),
                money(int(line["amount_cents"]), fee.currency),
            )
            for line in fee.lines
        ],
        "total": money(fee.total_cents, fee.currency),
        "waived": fee.waived,
        "reason": None,
    }


# -- the step page ----------------------------------------------------------------------------


def _back(info: TemplateInfo, step_id: str, anchor: str = "") -> Response:
    return redirect(
        url_for("configurator.step", key=info.key, step_id=step_id, _anchor=anchor or None)
    )


def _texts(prefix: str) -> dict[str, str] | None:
    es = request.form.get(f"{prefix}_es", "").strip()[:500]
    en = request.form.get(f"{prefix}_en", "").strip()[:500]
    if not es:
        return None
    return {"es": es, "en": en} if en else {"es": es}


def posted_factors() -> list[Factor]:
    """The factors posted in the slots f-0… (FormulaError for a bad fixed amount)."""
    factors = []
    for n in range(MAX_FACTORS):
        value = request.form.get(f"f-{n}", "")
        if not value:
            continue
        number = request.form.get(f"f-{n}-number", "")
        factor = _decode(value, number)
        if factor is None:
            continue
        if factor.kind == "number":
            factor = Factor("number", parse_number(number))
        factors.append(factor)
    return factors


def _set_lines(key: str, step_id: str, lines: list[dict[str, Any]]) -> editing.EditResult | None:
    return _save_step(key, step_id, {"fee_lines": lines})


def _save_step(key: str, step_id: str, changes: dict[str, Any]) -> editing.EditResult | None:
    return apply_edit(key, lambda d: editing.set_step(d, step_id, changes))


def _add_line(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    step_id = str(step["id"])
    label = _texts("label")
    errors: dict[str, str] = {}
    if label is None:
        errors["label_es"] = _("Escriba el concepto de la línea en español.")
    try:
        amount = to_amount(posted_factors())
    except FormulaError as error:
        errors["amount"] = error.message(reader_language())
    if errors:
        return _page(info, doc, step, errors=errors, status=422)
    lines = _lines(step)
    taken = taken_ids(doc) | {line["id"] for line in lines}
    assert label is not None
    line_id = chosen_id("line_id", taken, unique_id(slug(label["es"], fallback="cobro"), taken))
    if line_id is None:
        return _back(info, step_id, "agregar-linea")
    new = {
        "id": line_id,
        "label": label,
        "amount": amount,
    }
    if _set_lines(info.key, step_id, [*lines, new]) is not None:
        flash(_("Se agregó la línea «%(label)s».", label=localized(label)))
    return _back(info, step_id, "lineas")


def _line_action(info: TemplateInfo, step: dict[str, Any], action: str) -> ResponseReturnValue:
    step_id = str(step["id"])
    lines = _lines(step)
    ids = [line["id"] for line in lines]
    line_id = request.form.get("line", "")
    if line_id not in ids:
        abort(404)
    at = ids.index(line_id)
    if action == "move_line":
        to = at + (-1 if request.form.get("direction") == "up" else 1)
        if 0 <= to < len(lines):
            lines.insert(to, lines.pop(at))
            _set_lines(info.key, step_id, lines)
        return _back(info, step_id, f"linea-{line_id}")
    removed = lines.pop(at)
    if not lines:
        flash(_("Un pago necesita al menos una línea de cobro."), "error")
        return _back(info, step_id, "lineas")
    if _set_lines(info.key, step_id, lines) is not None:
        flash(
            _(
                "Se quitó la línea «%(label)s».",
                label=localized(removed.get("label"), reader_language(), line_id),
            )
        )
    return _back(info, step_id, "lineas")


def _settings(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    step_id = str(step["id"])
    errors: dict[str, str] = {}
    concept = _texts("concept")
    if concept is None:
        errors["concept_es"] = _("Escriba el concepto del pago en español.")
    changes: dict[str, Any] = {
        "concept": concept,
        "expires_days": whole_number("expires_days", 1, 365, errors),
        "deadline_days": whole_number("deadline_days", 1, 365, errors),
        "round_total": "unit" if request.form.get("round_total") else None,
    }
    lapse_to = request.form.get("lapse_to", "")
    steps = {str(s.get("id")) for s in doc.get("steps") or () if isinstance(s, Mapping)}
    if lapse_to and lapse_to not in steps:
        abort(400)
    changes["lapse_to"] = lapse_to or None
    if changes["lapse_to"] and changes["deadline_days"] is None:
        errors["deadline_days"] = _(
            "Indique los días para pagar si el trámite sigue a otro paso cuando no se paga."
        )
    if errors:
        return _page(info, doc, step, errors=errors, status=422)
    if _save_step(info.key, step_id, changes) is not None:
        flash(_("Se guardaron los datos del pago."))
    return _back(info, step_id, "datos-del-pago")


def _new_table(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    name = slug(request.form.get("table_name", ""), fallback="tarifa")[:63]
    tables = _tables(doc)
    name = unique_id(name, tables)
    new = {**doc, "fee_tables": {**tables, name: {"clave": "0.00"}}}
    if apply_edit(info.key, replace_with(new)) is not None:
        flash(_("Se creó la tarifa «%(name)s». Escriba sus claves e importes.", name=name))
        return redirect(url_for("configurator.fee_table", key=info.key, name=name, step=step["id"]))
    return _back(info, str(step["id"]), "tarifas")


def _page(
    info: TemplateInfo,
    doc: Doc,
    step: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    step_id = str(step["id"])
    lang = reader_language()
    lines = [
        {
            "id": line["id"],
            "label": localized(line.get("label"), lang, line["id"]),
            "formula": formula_text(doc, line.get("amount")),
            "builder": factors_of(line.get("amount")) is not None,
            "when": "when" in line,
        }
        for line in _lines(step)
    ]
    return render_editor(
        "configurator/payment_step.html",
        info.key,
        "configurator.steps",
        doc=doc,
        step=step,
        step_type_label=localized(PaymentStep.label, lang),
        lines=lines,
        slots=factor_slot_values([]),
        choices=factor_choices(doc, step_id, []),
        tables=_tables(doc),
        constants=_constants(doc),
        example=worked_example(doc, step_id),
        other_steps=[
            (str(s.get("id")), localized(s.get("title"), lang, str(s.get("id"))))
            for s in doc.get("steps") or ()
            if isinstance(s, Mapping) and s.get("id") != step_id
        ],
        errors=errors or {},
        form=request.form if errors else {},
        status=status,
        **transitions_context(doc, step),
    )


@step_editor("payment")
def payment_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """Fee lines, the settings of the payment, the fee tables, the worked example and where
    the case goes once paid."""
    response = handle_transitions(info, doc, step)
    if response is not None:
        return response
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "add_line":
            return _add_line(info, doc, step)
        if action in ("move_line", "remove_line"):
            return _line_action(info, step, action)
        if action == "settings":
            return _settings(info, doc, step)
        if action == "new_table":
            return _new_table(info, doc, step)
        abort(400)
    return _page(info, doc, step)


# -- one fee line -----------------------------------------------------------------------------


def _payment(doc: Doc, step_id: str) -> dict[str, Any]:
    found = next(
        (s for s in doc.get("steps") or () if isinstance(s, dict) and s.get("id") == step_id),
        None,
    )
    if found is None or found.get("type") != "payment":
        abort(404)
    return found


def _line_page(
    info: TemplateInfo,
    doc: Doc,
    step: dict[str, Any],
    line: dict[str, Any],
    builder: Builder,
    *,
    errors: dict[str, str] | None = None,
    advanced: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    factors = factors_of(line.get("amount"))
    return render_editor(
        "configurator/fee_line.html",
        info.key,
        "configurator.steps",
        doc=doc,
        step=step,
        line=line,
        slots=factor_slot_values(factors or []),
        choices=factor_choices(doc, str(step["id"]), factors or []),
        uses_builder=factors is not None,
        amount_text=json.dumps(line.get("amount"), ensure_ascii=False, indent=2)
        if advanced is None
        else advanced,
        builder=builder,
        example=worked_example(doc, str(step["id"])),
        errors=errors or {},
        form=request.form if errors else {},
        status=status,
    )


def _save_line(
    key: str, step_id: str, line_id: str, changes: dict[str, Any]
) -> editing.EditResult | None:
    def operation(d: Doc) -> editing.EditResult:
        lines = [dict(x) for x in _lines(_payment(d, step_id))]
        for line in lines:
            if line["id"] == line_id:
                line.update(changes)
        return editing.set_step(d, step_id, {"fee_lines": lines})

    return apply_edit(key, operation)


@blueprint.route("/<key>/pasos/<step_id>/cobros/<line_id>", methods=["GET", "POST"])
def fee_line(key: str, step_id: str, line_id: str) -> ResponseReturnValue:
    """One fee line: its label, its amount (factors or JSON Logic) and its condition."""
    info = editable(key)
    doc = catalog().draft(info.key)
    step = _payment(doc, step_id)
    line = next((x for x in _lines(step) if x["id"] == line_id), None)
    if line is None:
        abort(404)
    rule = line.get("when")
    builder = builder_for(rule, condition_fields(doc, step_id))
    if request.method == "GET":
        return _line_page(info, doc, step, line, builder)
    here = url_for(".fee_line", key=info.key, step_id=step_id, line_id=line_id)
    part = request.form.get("part", "")
    lang = reader_language()
    if part == "condition":
        builder, save = posted_builder(request.form, builder.fields, rule)
        if save is not KEEP:
            target = f"steps/{step_id}/fee_lines/{line_id}"
            if apply_edit(info.key, lambda d: editing.set_condition(d, target, save)):
                flash(
                    _("Se guardó la condición de la línea.")
                    if save is not None
                    else _("La línea se cobra siempre.")
                )
                return redirect(here + "#condicion")
        return _line_page(info, doc, step, line, builder, status=422 if builder.errors else 200)
    if part not in ("line", "advanced"):
        abort(400)
    errors: dict[str, str] = {}
    label = _texts("label")
    if label is None:
        errors["label_es"] = _("Escriba el concepto de la línea en español.")
    amount: Any = None
    advanced = None
    if part == "advanced":
        advanced = request.form.get("amount_json", "")[:100_000]
        amount, problems = parse_advanced(advanced)
        if problems or amount is None:
            errors["amount_json"] = " ".join(
                en if lang == "en" else es for es, en in problems
            ) or _("Escriba el importe.")
    else:
        try:
            amount = to_amount(posted_factors())
        except FormulaError as error:
            errors["amount"] = error.message(lang)
    if errors:
        return _line_page(
            info, doc, step, line, builder, errors=errors, advanced=advanced, status=422
        )
    if _save_line(info.key, step_id, line_id, {"label": label, "amount": amount}) is not None:
        flash(_("Se guardó la línea «%(label)s».", label=localized(label, lang)))
    return redirect(here)


# -- a fee table ------------------------------------------------------------------------------


@blueprint.route("/<key>/tarifas/<name>", methods=["GET", "POST"])
def fee_table(key: str, name: str) -> ResponseReturnValue:
    """A fee table of the template as a table: key and amount per row; rows added, changed
    and removed in one form (an empty key drops its row)."""
    info = editable(key)
    doc = catalog().draft(info.key)
    tables = _tables(doc)
    if name not in tables:
        abort(404)
    back_step = request.values.get("step", "")
    if back_step not in {
        str(s.get("id")) for s in doc.get("steps") or () if isinstance(s, Mapping)
    }:
        back_step = ""
    rows = [(str(k), str(v)) for k, v in tables[name].items()]
    errors: dict[int, str] = {}
    if request.method == "POST":
        rows, errors = _posted_rows()
        if not errors and not rows:
            errors[0] = _("Una tarifa necesita al menos una fila.")
        if not errors:
            new = {**doc, "fee_tables": {**tables, name: dict(rows)}}
            if apply_edit(info.key, replace_with(new)) is not None:
                flash(_("Se guardó la tarifa «%(name)s».", name=name))
                return redirect(
                    url_for(".fee_table", key=info.key, name=name, step=back_step or None)
                )
    return render_editor(
        "configurator/fee_table.html",
        info.key,
        "configurator.steps",
        doc=doc,
        name=name,
        rows=[*rows, ("", "")],
        row_errors=errors,
        back_step=back_step,
        example=worked_example(doc, back_step) if back_step else None,
        status=422 if errors else 200,
    )


def _posted_rows() -> tuple[list[tuple[str, str]], dict[int, str]]:
    try:
        count = min(int(request.form.get("row_count", "0")), MAX_TABLE_ROWS + 1)
    except ValueError:
        abort(400)
    rows: list[tuple[str, str]] = []
    errors: dict[int, str] = {}
    seen: set[str] = set()
    lang = reader_language()
    removed = request.form.get("remove", "")
    for n in range(count):
        if removed == str(n):
            continue
        row_key = request.form.get(f"key-{n}", "").strip()[:100]
        amount = request.form.get(f"amount-{n}", "").strip()[:40]
        if not row_key:
            continue
        if row_key in seen:
            errors[n] = _("La clave «%(key)s» está repetida.", key=row_key)
            continue
        seen.add(row_key)
        try:
            rows.append((row_key, parse_number(amount)))
        except FormulaError as error:
            errors[n] = error.message(lang)
            rows.append((row_key, amount))
    return rows, errors


# -- the constants ----------------------------------------------------------------------------

CONSTANT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
YEAR = re.compile(r"^[0-9]{4}$")


def _constant_rows(doc: Doc) -> list[tuple[str, str, str]]:
    """(name, year or "", value) per constant value: a yearly constant gives a row a year."""
    rows: list[tuple[str, str, str]] = []
    constants = doc.get("constants")
    for name, value in constants.items() if isinstance(constants, Mapping) else ():
        if isinstance(value, Mapping) and isinstance(value.get("by_year"), Mapping):
            rows.extend((name, str(y), str(v)) for y, v in sorted(value["by_year"].items()))
        else:
            rows.append((name, "", str(value)))
    return rows


def _posted_constants() -> tuple[list[tuple[str, str, str]], dict[str, Any], dict[int, str]]:
    """The rows as posted, the constants they give and the errors by row."""
    try:
        count = min(int(request.form.get("row_count", "0")), MAX_TABLE_ROWS + 1)
    except ValueError:
        abort(400)
    lang = reader_language()
    rows: list[tuple[str, str, str]] = []
    errors: dict[int, str] = {}
    plain: dict[str, str] = {}
    yearly: dict[str, dict[str, str]] = {}
    removed = request.form.get("remove", "")
    for n in range(count):
        name = request.form.get(f"name-{n}", "").strip()[:63]
        year = request.form.get(f"year-{n}", "").strip()[:4]
        value = request.form.get(f"value-{n}", "").strip()[:40]
        if not name or removed == str(n):
            continue
        rows.append((name, year, value))
        at = len(rows) - 1
        try:
            number = parse_number(value)
        except FormulaError as error:
            errors[at] = error.message(lang)
            continue
        if not CONSTANT_NAME.match(name):
            errors[at] = _(
                "«%(name)s» no sirve como nombre: use minúsculas, números y _, empezando por "
                "una letra.",
                name=name,
            )
        elif year and not YEAR.match(year):
            errors[at] = _("El año se escribe con cuatro cifras, por ejemplo 2026.")
        elif (
            (name in plain)
            or (year and year in yearly.get(name, {}))
            or (not year and name in yearly)
        ):
            errors[at] = _(
                "La constante «%(name)s» está repetida: un valor sin año, o uno por año.",
                name=name,
            )
        elif year:
            yearly.setdefault(name, {})[year] = number
        else:
            plain[name] = number
    constants: dict[str, Any] = dict(plain)
    constants.update({name: {"by_year": by_year} for name, by_year in yearly.items()})
    return rows, constants, errors


@blueprint.route("/<key>/constantes", methods=["GET", "POST"])
def fee_constants(key: str) -> ResponseReturnValue:
    """The template's constants (the UMA by year, a fixed fee...) as a table: name, year
    (empty for a value that does not change by year) and value."""
    info = editable(key)
    doc = catalog().draft(info.key)
    back_step = request.values.get("step", "")
    if back_step not in {
        str(s.get("id")) for s in doc.get("steps") or () if isinstance(s, Mapping)
    }:
        back_step = ""
    rows = _constant_rows(doc)
    errors: dict[int, str] = {}
    if request.method == "POST":
        rows, constants, errors = _posted_constants()
        if not errors:
            new = {k: v for k, v in doc.items() if k != "constants"}
            if constants:
                new["constants"] = constants
            if apply_edit(info.key, replace_with(new)) is not None:
                flash(_("Se guardaron las constantes."))
                return redirect(url_for(".fee_constants", key=info.key, step=back_step or None))
    return render_editor(
        "configurator/fee_constants.html",
        info.key,
        "configurator.steps",
        doc=doc,
        rows=[*rows, ("", "", "")],
        row_errors=errors,
        back_step=back_step,
        example=worked_example(doc, back_step) if back_step else None,
        status=422 if errors else 200,
    )
