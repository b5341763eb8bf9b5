"""Check and normalise what an applicant submits for one form step.

The engine calls :func:`validate_step_data` when a form step is submitted. It returns the
cleaned values of that step's fields (numbers as ints or canonical decimal strings, dates in
ISO format, CURP/RFC in capitals without separators, yes/no as booleans, hidden fields left
out) and a list of errors with a path (``socios[1].socio_curp``) and a message for the citizen
in Spanish and English.

Identity numbers: CURP and RFC are checked with python-stdnum (``stdnum.mx.curp``,
``stdnum.mx.rfc``). python-stdnum has no Panamanian module, so the cédula and the RUC of Panama
are checked here by format (see :func:`clean_cedula_pa` and :func:`clean_ruc_pa`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from workflow_engine.plural import counted
from workflow_engine.rules import RuleError, evaluate, is_truthy
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.address import ADDRESS_PARTS
from workflow_engine.templates.field_types.base import (
    EMPTY,
    CatalogLookup,
    Env,
    FieldError,
    InvalidValueError,
    bad_shape,
    error,
    is_empty,
    labels,
    required,
    too_many,
    unknown,
)
from workflow_engine.templates.field_types.cedula_pa import clean_cedula_pa
from workflow_engine.templates.field_types.file import DEFAULT_MAX_FILES, DEFAULT_MAX_SIZE_MB
from workflow_engine.templates.field_types.ruc_pa import clean_ruc_pa
from workflow_engine.templates.model import Step, show_if_holds

__all__ = [
    "ADDRESS_PARTS",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_SIZE_MB",
    "FieldError",
    "InvalidValueError",
    "check_draft",
    "check_eligibility",
    "clean_cedula_pa",
    "clean_ruc_pa",
    "max_text_length",
    "validate_step_data",
]

EMPTY: Any = EMPTY
_labels = labels
_error = error
_required = required
_unknown = unknown
_is_empty = is_empty
Env = Env


def validate_step_data(
    step: Step | Mapping[str, Any],
    submitted: Mapping[str, Any],
    case_data: Mapping[str, Any],
    *,
    today: datetime.date,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
    constants: Mapping[str, Any] | None = None,
    catalogs: CatalogLookup | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Cleaned values of ``step``'s fields and every error in ``submitted``.

    ``case_data`` is what the case already holds (earlier steps, connector results); a
    ``show_if`` sees it merged with this step's values. Keys that are not fields of the step
    are errors (``unknown_field``); values sent for read-only fields are ignored (a connector
    sets them). When all fields are fine, the step's eligibility rules are evaluated too: a
    rule that does not hold gives an error with code ``eligibility``, ``field`` the rule id
    and path ``eligibility.<rule id>``. ``tables`` and ``constants`` (the template's fee
    tables and constants, readable as ``$const.<name>``) are only needed by rules that use
    them; ``catalogs`` only by ``catalog_select`` fields. ``step`` is the model's or its dict.
    """
    step = step.raw if isinstance(step, Step) else step
    fields: Sequence[Mapping[str, Any]] = step.get("fields") or []
    by_id = {f["id"]: f for f in fields}
    errors: list[FieldError] = []
    for key in submitted:
        if key not in by_id:
            errors.append(unknown(str(key), str(key)))
    editable = [f for f in fields if not f.get("readonly")]
    own_ids = {f["id"] for f in editable}
    base = {k: v for k, v in case_data.items() if k not in own_ids}
    if constants is not None:
        base["$const"] = dict(constants)
    env = Env(today, tables or {}, catalogs)

    # first pass: type-check the plain fields (groups need the context, below)
    values: dict[str, Any] = {}
    field_errors: dict[str, list[FieldError]] = {}
    for f in editable:
        raw = submitted.get(f["id"], EMPTY)
        if field_type(f).is_group:
            values[f["id"]] = raw
            continue
        value, errs = _clean_field(f, raw, f["id"], env, labels(f))
        values[f["id"]] = value if not errs else raw
        field_errors[f["id"]] = errs

    visible = _visible_fields(editable, base, values, env)
    context = dict(base)
    context.update({fid: v for fid, v in values.items() if fid in visible and v is not EMPTY})

    cleaned: dict[str, Any] = {}
    for f in editable:
        fid = f["id"]
        if fid not in visible:
            continue
        if field_type(f).is_group:
            value, errs = _clean_group(f, values[fid], fid, env, context)
        else:
            value, errs = values[fid], field_errors[fid]
        if errs:
            errors.extend(errs)
        elif value is EMPTY:
            if f.get("required"):
                errors.append(required(f, fid, labels(f)))
        else:
            cleaned[fid] = value

    if not errors:
        final = dict(base)
        final.update(cleaned)
        errors.extend(check_eligibility(step, final, today=today, tables=tables))
    return cleaned, errors


def check_eligibility(
    step: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    today: datetime.date,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[FieldError]:
    """An ``eligibility`` error for each rule of ``step`` that is not truthy for ``data``."""
    out: list[FieldError] = []
    for rule in step.get("eligibility") or []:
        try:
            ok = is_truthy(evaluate(rule["rule"], data, tables=tables or {}, today=today))
        except RuleError:
            ok = False
        if not ok:
            message = rule["message"]
            out.append(
                FieldError(
                    rule["id"],
                    f"eligibility.{rule['id']}",
                    "eligibility",
                    message["es"],
                    message.get("en") or message["es"],
                )
            )
    return out


def max_text_length(field: Mapping[str, Any]) -> int:
    """The longest text ``field`` holds: its ``max_length``, else its type's default."""
    return field_type(field).max_length(field)


def check_draft(step: Step | Mapping[str, Any], values: Mapping[str, Any]) -> list[FieldError]:
    """Why a draft of ``step`` cannot be kept: keys that are no field of the step, texts
    longer than their field admits, more items than it holds, shapes no form produces.

    A draft is otherwise not validated (it may be incomplete: the applicant is still
    typing); it is bounded like a submission, so a draft cannot grow without limit."""
    step = step.raw if isinstance(step, Step) else step
    fields = {f["id"]: f for f in step.get("fields") or [] if not f.get("readonly")}
    errors: list[FieldError] = []
    for key, value in values.items():
        fld = fields.get(key)
        if fld is None:
            errors.append(unknown(str(key), str(key)))
        else:
            errors.extend(_draft_value(fld, value, str(key), labels(fld)))
    return errors


def _draft_value(
    field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
) -> list[FieldError]:
    if value is None:
        return []
    kind = field_type(field)
    if kind.is_group:
        return _draft_group(field, value, path, names)
    return kind.draft_errors(field, value, path, names)


def _draft_group(
    field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
) -> list[FieldError]:
    if value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        return [error(field, path, names, bad_shape())]
    high = field_type(field).max_items(field)
    if len(value) > high:
        return [error(field, path, names, too_many(high))]
    subs = {f["id"]: f for f in field.get("fields") or [] if not f.get("readonly")}
    errors: list[FieldError] = []
    for n, row in enumerate(value):
        for key, item in row.items():
            sub = subs.get(key)
            row_path = f"{path}[{n}].{key}"
            if sub is None:
                errors.append(unknown(str(key), row_path))
                continue
            sub_names = (
                f"{names[0]} (fila {n + 1}), {labels(sub)[0]}",
                f"{names[1]} (row {n + 1}), {labels(sub)[1]}",
            )
            errors.extend(_draft_value(sub, item, row_path, sub_names))
    return errors


# -- plumbing ---------------------------------------------------------------------------------


def _show(field: Mapping[str, Any], context: Mapping[str, Any], env: Env) -> bool:
    """Whether ``field`` is shown (the model's rule: see ``show_if_holds``)."""
    return show_if_holds(field.get("show_if"), context, tables=env.tables, today=env.today)


def _visible_fields(
    fields: Sequence[Mapping[str, Any]],
    base: Mapping[str, Any],
    values: Mapping[str, Any],
    env: Env,
) -> set[str]:
    """Ids of the fields shown, hiding until stable (a hidden field's value is not seen)."""
    visible = {f["id"] for f in fields}
    for _ in range(len(fields) + 1):
        context = dict(base)
        context.update({fid: v for fid, v in values.items() if fid in visible and not is_empty(v)})
        now = {f["id"] for f in fields if _show(f, context, env)}
        if now == visible:
            break
        visible = now
    return visible


def _clean_field(
    field: Mapping[str, Any], raw: Any, path: str, env: Env, names: tuple[str, str]
) -> tuple[Any, list[FieldError]]:
    """(cleaned value or EMPTY, errors) for one non-group field; required is not checked."""
    return field_type(field).clean(field, raw, path, env, names)


def _clean_group(
    field: Mapping[str, Any],
    raw: Any,
    path: str,
    env: Env,
    context: Mapping[str, Any],
) -> tuple[Any, list[FieldError]]:
    names = labels(field)
    if is_empty(raw):
        if field.get("required"):
            return EMPTY, [required(field, path, names)]
        return EMPTY, []
    if not isinstance(raw, list) or not all(isinstance(row, Mapping) for row in raw):
        exc = InvalidValueError(
            "invalid_type",
            "se esperaba una lista de filas.",
            "a list of rows was expected.",
        )
        return EMPTY, [error(field, path, names, exc)]
    errors: list[FieldError] = []
    low = field.get("min_items", 1 if field.get("required") else 0)
    high = field.get("max_items")
    if len(raw) < low:
        errors.append(
            error(
                field,
                path,
                names,
                InvalidValueError(
                    "too_few_items",
                    f"agregue al menos {counted(low, 'fila', 'filas')}.",
                    f"add at least {counted(low, 'row', 'rows')}.",
                ),
            )
        )
    if high is not None and len(raw) > high:
        errors.append(
            error(
                field,
                path,
                names,
                InvalidValueError(
                    "too_many_items",
                    f"se admiten como máximo {counted(high, 'fila', 'filas')}.",
                    f"at most {counted(high, 'row is', 'rows are')} allowed.",
                ),
            )
        )
    subfields: Sequence[Mapping[str, Any]] = field["fields"]
    sub_ids = {f["id"] for f in subfields}
    rows: list[dict[str, Any]] = []
    for n, row in enumerate(raw):
        row_path = f"{path}[{n}]"
        for key in row:
            if key not in sub_ids:
                errors.append(unknown(str(key), f"{row_path}.{key}"))
        values: dict[str, Any] = {}
        row_errors: dict[str, list[FieldError]] = {}
        for sub in subfields:
            sid = sub["id"]
            sub_labels = (
                f"{names[0]} (fila {n + 1}), {labels(sub)[0]}",
                f"{names[1]} (row {n + 1}), {labels(sub)[1]}",
            )
            value, errs = _clean_field(
                sub, row.get(sid, EMPTY), f"{row_path}.{sid}", env, sub_labels
            )
            values[sid] = value if not errs else row.get(sid)
            row_errors[sid] = errs
            if not errs and value is EMPTY and sub.get("required"):
                row_errors[sid] = [required(sub, f"{row_path}.{sid}", sub_labels)]
        visible = _visible_fields(subfields, context, values, env)
        cleaned_row: dict[str, Any] = {}
        for sub in subfields:
            sid = sub["id"]
            if sid not in visible:
                continue
            if row_errors[sid]:
                errors.extend(row_errors[sid])
            elif values[sid] is not EMPTY:
                cleaned_row[sid] = values[sid]
        rows.append(cleaned_row)
    return rows, errors
