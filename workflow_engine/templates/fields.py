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
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.mx import curp as mx_curp
from stdnum.mx import rfc as mx_rfc

from workflow_engine.rules import RuleError, evaluate, is_truthy

__all__ = [
    "ADDRESS_PARTS",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_SIZE_MB",
    "FieldError",
    "InvalidValue",
    "check_draft",
    "check_eligibility",
    "clean_cedula_pa",
    "clean_ruc_pa",
    "max_text_length",
    "validate_step_data",
]

DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 10_000}
# The longest text any other field type holds while it is typed (a CURP, a date, a number...):
# far more than any valid value, far less than what would hurt a database row.
DEFAULT_TEXT_BOUND = 500
ADDRESS_PART_MAX_LENGTH = 200
DEFAULT_MAX_ITEMS = 100  # rows of a group, ticks of a list, when the template sets no limit
DEFAULT_MAX_SIZE_MB = 10
DEFAULT_MAX_FILES = 1
ADDRESS_PARTS = ("street", "number", "interior", "neighbourhood", "postcode", "municipality")
_ADDRESS_REQUIRED = ("street", "neighbourhood", "municipality")
_ADDRESS_LABELS = {
    "street": ("calle", "street"),
    "number": ("número", "number"),
    "interior": ("número interior", "unit number"),
    "neighbourhood": ("colonia o corregimiento", "neighbourhood"),
    "postcode": ("código postal", "postcode"),
    "municipality": ("municipio", "municipality"),
}
_FILE_KEYS = ("id", "name", "sha256", "size", "content_type")


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


class InvalidValue(Exception):
    """Raised by a cleaner: the value cannot be accepted (``suffix`` extends the path)."""

    def __init__(self, code: str, es: str, en: str, suffix: str = "") -> None:
        super().__init__(code, es, en, suffix)
        self.code = code
        self.es = es
        self.en = en
        self.suffix = suffix


_EMPTY: Any = object()


def validate_step_data(
    step: Mapping[str, Any],
    submitted: Mapping[str, Any],
    case_data: Mapping[str, Any],
    *,
    today: datetime.date,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
    constants: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Cleaned values of ``step``'s fields and every error in ``submitted``.

    ``case_data`` is what the case already holds (earlier steps, connector results); a
    ``show_if`` sees it merged with this step's values. Keys that are not fields of the step
    are errors (``unknown_field``); values sent for read-only fields are ignored (a connector
    sets them). When all fields are fine, the step's eligibility rules are evaluated too: a
    rule that does not hold gives an error with code ``eligibility``, ``field`` the rule id
    and path ``eligibility.<rule id>``. ``tables`` and ``constants`` (the template's fee
    tables and constants, readable as ``$const.<name>``) are only needed by rules that use
    them.
    """
    fields: Sequence[Mapping[str, Any]] = step.get("fields") or []
    by_id = {f["id"]: f for f in fields}
    errors: list[FieldError] = []
    for key in submitted:
        if key not in by_id:
            errors.append(_unknown(str(key), str(key)))
    editable = [f for f in fields if not f.get("readonly")]
    own_ids = {f["id"] for f in editable}
    base = {k: v for k, v in case_data.items() if k not in own_ids}
    if constants is not None:
        base["$const"] = dict(constants)
    env = _Env(today, tables or {})

    # first pass: type-check the plain fields (groups need the context, below)
    values: dict[str, Any] = {}
    field_errors: dict[str, list[FieldError]] = {}
    for f in editable:
        raw = submitted.get(f["id"], _EMPTY)
        if f["type"] == "group":
            values[f["id"]] = raw
            continue
        value, errs = _clean_field(f, raw, f["id"], env, _labels(f))
        values[f["id"]] = value if not errs else raw
        field_errors[f["id"]] = errs

    visible = _visible_fields(editable, base, values, env)
    context = dict(base)
    context.update({fid: v for fid, v in values.items() if fid in visible and v is not _EMPTY})

    cleaned: dict[str, Any] = {}
    for f in editable:
        fid = f["id"]
        if fid not in visible:
            continue
        if f["type"] == "group":
            value, errs = _clean_group(f, values[fid], fid, env, context)
        else:
            value, errs = values[fid], field_errors[fid]
        if errs:
            errors.extend(errs)
        elif value is _EMPTY:
            if f.get("required"):
                errors.append(_required(f, fid, _labels(f)))
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
    explicit = field.get("max_length")
    if isinstance(explicit, int) and not isinstance(explicit, bool) and explicit > 0:
        return explicit
    return DEFAULT_MAX_LENGTH.get(str(field.get("type")), DEFAULT_TEXT_BOUND)


def _typed_text(field: Mapping[str, Any], text: str) -> str:
    """Text as the field keeps it: a one-line ``text`` field collapses its spaces."""
    return " ".join(text.split()) if field.get("type") == "text" else text


def check_draft(step: Mapping[str, Any], values: Mapping[str, Any]) -> list[FieldError]:
    """Why a draft of ``step`` cannot be kept: keys that are no field of the step, texts
    longer than their field admits, more items than it holds, shapes no form produces.

    A draft is otherwise not validated (it may be incomplete: the applicant is still
    typing); it is bounded like a submission, so a draft cannot grow without limit."""
    fields = {f["id"]: f for f in step.get("fields") or [] if not f.get("readonly")}
    errors: list[FieldError] = []
    for key, value in values.items():
        fld = fields.get(key)
        if fld is None:
            errors.append(_unknown(str(key), str(key)))
        else:
            errors.extend(_draft_value(fld, value, str(key), _labels(fld)))
    return errors


def _draft_value(
    field: Mapping[str, Any], value: Any, path: str, labels: tuple[str, str]
) -> list[FieldError]:
    kind = field["type"]
    if value is None:
        return []
    if kind == "group":
        return _draft_group(field, value, path, labels)
    if kind == "address":
        if value == "":
            return []
        if not isinstance(value, Mapping):
            return [_error(field, path, labels, _bad_shape())]
        _out, errors = _clean_address(field, value, path, labels)
        # an unfinished address is fine in a draft: only unknown parts and sizes are refused
        return [e for e in errors if e.code in ("unknown_field", "too_long", "invalid_type")]
    if kind == "file":
        refs = [value] if isinstance(value, Mapping) else value
        if not isinstance(refs, list):
            return [_error(field, path, labels, _bad_shape())]
        errors = []
        if len(refs) > field.get("max_files", DEFAULT_MAX_FILES):
            errors.append(_error(field, path, labels, _too_many(field, "max_files")))
        for n, ref in enumerate(refs):
            try:
                _clean_file_ref(ref, (), float("inf"))
            except InvalidValue as exc:
                errors.append(_error(field, f"{path}[{n}]", labels, exc))
        return errors
    items = value if isinstance(value, list) else [value]
    if len(items) > _max_items(field):
        return [_error(field, path, labels, _too_many(field, "max_items"))]
    high = max_text_length(field)
    for item in items:
        if isinstance(item, float) and not math.isfinite(item):
            return [_error(field, path, labels, _not_a_number())]
        if item is not None and not isinstance(item, str | int | float | bool):
            return [_error(field, path, labels, _bad_shape())]
        if isinstance(item, str) and len(_typed_text(field, item.strip())) > high:
            length = len(_typed_text(field, item.strip()))
            return [_error(field, path, labels, _too_long(high, length))]
    return []


def _draft_group(
    field: Mapping[str, Any], value: Any, path: str, labels: tuple[str, str]
) -> list[FieldError]:
    if value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        return [_error(field, path, labels, _bad_shape())]
    if len(value) > _max_items(field):
        return [_error(field, path, labels, _too_many(field, "max_items"))]
    subs = {f["id"]: f for f in field.get("fields") or [] if not f.get("readonly")}
    errors: list[FieldError] = []
    for n, row in enumerate(value):
        for key, item in row.items():
            sub = subs.get(key)
            row_path = f"{path}[{n}].{key}"
            if sub is None:
                errors.append(_unknown(str(key), row_path))
                continue
            sub_labels = (
                f"{labels[0]} (fila {n + 1}), {_labels(sub)[0]}",
                f"{labels[1]} (row {n + 1}), {_labels(sub)[1]}",
            )
            errors.extend(_draft_value(sub, item, row_path, sub_labels))
    return errors


def _max_items(field: Mapping[str, Any]) -> int:
    if field["type"] in ("select", "radio", "checkboxes"):
        return max(1, len(field.get("options") or ()))
    limit = field.get("max_items")
    return int(limit) if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_ITEMS


def _bad_shape() -> InvalidValue:
    return InvalidValue(
        "invalid_type",
        "el valor no tiene la forma que este dato admite.",
        "the value does not have the shape this field takes.",
    )


def _too_many(field: Mapping[str, Any], key: str) -> InvalidValue:
    high = field.get(key) or (DEFAULT_MAX_FILES if key == "max_files" else _max_items(field))
    return InvalidValue(
        "too_many_items",
        f"se admiten como máximo {high} elemento(s).",
        f"at most {high} item(s) are allowed.",
    )


def _too_long(high: int, length: int) -> InvalidValue:
    return InvalidValue(
        "too_long",
        f"escriba como máximo {high} caracteres (lleva {length}).",
        f"enter at most {high} characters (you entered {length}).",
    )


# -- plumbing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Env:
    today: datetime.date
    tables: Mapping[str, Mapping[str, Any]]


def _labels(field: Mapping[str, Any]) -> tuple[str, str]:
    label = field.get("label") or {}
    es = label.get("es") or field["id"]
    return es, label.get("en") or es


def _error(
    field: Mapping[str, Any], path: str, labels: tuple[str, str], exc: InvalidValue
) -> FieldError:
    return FieldError(
        field["id"], path + exc.suffix, exc.code, f"{labels[0]}: {exc.es}", f"{labels[1]}: {exc.en}"
    )


def _required(field: Mapping[str, Any], path: str, labels: tuple[str, str]) -> FieldError:
    return FieldError(
        field["id"],
        path,
        "required",
        f"{labels[0]}: este dato es obligatorio.",
        f"{labels[1]}: this is required.",
    )


def _unknown(key: str, path: str) -> FieldError:
    return FieldError(
        key,
        path,
        "unknown_field",
        f"«{key}» no es un dato de este paso del trámite; no se puede recibir.",
        f"“{key}” is not part of this step of the procedure; it cannot be accepted.",
    )


def _is_empty(value: Any) -> bool:
    if value is _EMPTY or value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def _show(field: Mapping[str, Any], context: Mapping[str, Any], env: _Env) -> bool:
    """Whether ``field`` is shown; a condition that cannot be evaluated shows the field."""
    if "show_if" not in field:
        return True
    try:
        return is_truthy(evaluate(field["show_if"], context, tables=env.tables, today=env.today))
    except RuleError:
        return True


def _visible_fields(
    fields: Sequence[Mapping[str, Any]],
    base: Mapping[str, Any],
    values: Mapping[str, Any],
    env: _Env,
) -> set[str]:
    """Ids of the fields shown, hiding until stable (a hidden field's value is not seen)."""
    visible = {f["id"] for f in fields}
    for _ in range(len(fields) + 1):
        context = dict(base)
        context.update({fid: v for fid, v in values.items() if fid in visible and not _is_empty(v)})
        now = {f["id"] for f in fields if _show(f, context, env)}
        if now == visible:
            break
        visible = now
    return visible


def _clean_field(
    field: Mapping[str, Any], raw: Any, path: str, env: _Env, labels: tuple[str, str]
) -> tuple[Any, list[FieldError]]:
    """(cleaned value or _EMPTY, errors) for one non-group field; required is not checked."""
    if _is_empty(raw):
        return _EMPTY, []
    ftype = field["type"]
    if ftype == "address":
        return _clean_address(field, raw, path, labels)
    if ftype == "file":
        return _clean_files(field, raw, path, labels)
    cleaner = _CLEANERS[ftype]
    try:
        return cleaner(field, raw, env), []
    except InvalidValue as exc:
        return _EMPTY, [_error(field, path, labels, exc)]


def _clean_group(
    field: Mapping[str, Any],
    raw: Any,
    path: str,
    env: _Env,
    context: Mapping[str, Any],
) -> tuple[Any, list[FieldError]]:
    labels = _labels(field)
    if _is_empty(raw):
        if field.get("required"):
            return _EMPTY, [_required(field, path, labels)]
        return _EMPTY, []
    if not isinstance(raw, list) or not all(isinstance(row, Mapping) for row in raw):
        exc = InvalidValue(
            "invalid_type",
            "se esperaba una lista de filas.",
            "a list of rows was expected.",
        )
        return _EMPTY, [_error(field, path, labels, exc)]
    errors: list[FieldError] = []
    low = field.get("min_items", 1 if field.get("required") else 0)
    high = field.get("max_items")
    if len(raw) < low:
        errors.append(
            _error(
                field,
                path,
                labels,
                InvalidValue(
                    "too_few_items",
                    f"agregue al menos {low} fila(s).",
                    f"add at least {low} row(s).",
                ),
            )
        )
    if high is not None and len(raw) > high:
        errors.append(
            _error(
                field,
                path,
                labels,
                InvalidValue(
                    "too_many_items",
                    f"se admiten como máximo {high} fila(s).",
                    f"at most {high} row(s) are allowed.",
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
                errors.append(_unknown(str(key), f"{row_path}.{key}"))
        values: dict[str, Any] = {}
        row_errors: dict[str, list[FieldError]] = {}
        for sub in subfields:
            sid = sub["id"]
            sub_labels = (
                f"{labels[0]} (fila {n + 1}), {_labels(sub)[0]}",
                f"{labels[1]} (row {n + 1}), {_labels(sub)[1]}",
            )
            value, errs = _clean_field(
                sub, row.get(sid, _EMPTY), f"{row_path}.{sid}", env, sub_labels
            )
            values[sid] = value if not errs else row.get(sid)
            row_errors[sid] = errs
            if not errs and value is _EMPTY and sub.get("required"):
                row_errors[sid] = [_required(sub, f"{row_path}.{sid}", sub_labels)]
        visible = _visible_fields(subfields, context, values, env)
        cleaned_row: dict[str, Any] = {}
        for sub in subfields:
            sid = sub["id"]
            if sid not in visible:
                continue
            if row_errors[sid]:
                errors.extend(row_errors[sid])
            elif values[sid] is not _EMPTY:
                cleaned_row[sid] = values[sid]
        rows.append(cleaned_row)
    return rows, errors


# -- cleaners per type ------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidValue("invalid_type", "escriba un texto.", "enter some text.")
    return str(value).strip()


def _clean_text(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    text = _typed_text(field, _text(value))
    low = field.get("min_length")
    high = max_text_length(field)
    if low is not None and len(text) < low:
        raise InvalidValue(
            "too_short",
            f"escriba al menos {low} caracteres.",
            f"enter at least {low} characters.",
        )
    if len(text) > high:
        raise _too_long(high, len(text))
    pattern = field.get("pattern")
    if pattern and not re.fullmatch(pattern, text):
        help_ = field.get("help") or {}
        hint_es = f" {help_['es']}" if help_.get("es") else ""
        hint_en = f" {help_.get('en') or help_.get('es')}" if help_ else ""
        raise InvalidValue(
            "pattern",
            f"el formato no es el esperado.{hint_es}",
            f"the format is not the expected one.{hint_en}",
        )
    return text


_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_TEXT = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _to_decimal(value: Any) -> Decimal:
    """A Decimal from a number or numeric text (``1,250.50`` allowed); InvalidValue if not."""
    if isinstance(value, bool):
        raise _not_a_number()
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _not_a_number()
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_a_number()
        return value
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if len(text) > 40:
            raise _not_a_number()
        if _GROUPED_TEXT.match(text):
            text = text.replace(",", "")
        if _DECIMAL_TEXT.match(text):
            return Decimal(text)
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            raise InvalidValue(
                "not_a_number",
                "use punto decimal, no coma (por ejemplo 12.5).",
                "use a decimal point, not a comma (for example 12.5).",
            )
    raise _not_a_number()


def _not_a_number() -> InvalidValue:
    return InvalidValue("not_a_number", "escriba un número.", "enter a number.")


def _canonical(number: Decimal) -> int | str:
    """An int when whole, else the shortest decimal text (``180.5``)."""
    if number == number.to_integral_value():
        return int(number)
    return format(number.normalize(), "f")


MAX_MAGNITUDE = Decimal(10) ** 15
"""Numbers and amounts a form accepts stay below this size whatever the template's ``max``:
fee and rule arithmetic (34 significant digits) must hold them exactly."""
MAX_DECIMALS = {"number": 6, "money": 2}


def _within_limits(ftype: str, number: Decimal) -> None:
    """Refuse what fee and rule arithmetic cannot hold: huge values, too many decimals."""
    if abs(number) >= MAX_MAGNITUDE:
        raise InvalidValue(
            "too_large",
            "el número es demasiado grande (como máximo 15 cifras antes del punto decimal).",
            "the number is too large (at most 15 digits before the decimal point).",
        )
    places = MAX_DECIMALS[ftype]
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        if ftype == "money":
            raise InvalidValue(
                "too_many_decimals",
                "escriba el importe con máximo dos decimales (centavos).",
                "enter the amount with at most two decimals (cents).",
            )
        raise InvalidValue(
            "too_many_decimals",
            f"escriba como máximo {places} decimales.",
            f"enter at most {places} decimal places.",
        )


def _bounds(field: Mapping[str, Any], number: Decimal) -> None:
    low, high = field.get("min"), field.get("max")
    if low is not None and number < Decimal(str(low)):
        raise InvalidValue(
            "too_small",
            f"el valor mínimo es {low}.",
            f"the minimum is {low}.",
        )
    if high is not None and number > Decimal(str(high)):
        raise InvalidValue(
            "too_large",
            f"el valor máximo es {high}.",
            f"the maximum is {high}.",
        )


def _clean_number(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    number = _to_decimal(value)
    _within_limits("number", number)
    if field.get("integer") and number != number.to_integral_value():
        raise InvalidValue(
            "not_integer",
            "escriba un número entero, sin decimales.",
            "enter a whole number, without decimals.",
        )
    _bounds(field, number)
    return _canonical(number)


def _clean_money(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    if isinstance(value, str):
        value = value.strip().lstrip("$").strip()
    amount = _to_decimal(value)
    _within_limits("money", amount)
    if "min" not in field and amount < 0:
        raise InvalidValue(
            "too_small",
            "el importe no puede ser negativo.",
            "the amount cannot be negative.",
        )
    _bounds(field, amount)
    return str(amount.quantize(Decimal("0.01")))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _date_bound(raw: Any, env: _Env) -> datetime.date | None:
    if raw is None:
        return None
    if raw == "today":
        return env.today
    return datetime.date.fromisoformat(str(raw))


def _clean_date(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    bad = InvalidValue(
        "invalid_date",
        "escriba una fecha válida (AAAA-MM-DD o DD/MM/AAAA).",
        "enter a valid date (YYYY-MM-DD or DD/MM/YYYY).",
    )
    if isinstance(value, datetime.datetime):
        raise bad
    if isinstance(value, datetime.date):
        day = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if _ISO_DATE.match(text):
                day = datetime.date.fromisoformat(text)
            elif match := _DMY_DATE.match(text):
                d, m, y = (int(g) for g in match.groups())
                day = datetime.date(y, m, d)
            else:
                raise bad
        except ValueError:
            raise bad from None
    else:
        raise bad
    low = _date_bound(field.get("min"), env)
    high = _date_bound(field.get("max"), env)
    if low is not None and day < low:
        raise InvalidValue(
            "too_small",
            f"la fecha no puede ser anterior al {low:%d/%m/%Y}.",
            f"the date cannot be before {low.isoformat()}.",
        )
    if high is not None and day > high:
        raise InvalidValue(
            "too_large",
            f"la fecha no puede ser posterior al {high:%d/%m/%Y}.",
            f"the date cannot be after {high.isoformat()}.",
        )
    return day.isoformat()


def _option_values(field: Mapping[str, Any]) -> list[str]:
    return [o["value"] for o in field.get("options") or []]


def _bad_choice(field: Mapping[str, Any], value: Any) -> InvalidValue:
    labels = [o["label"]["es"] for o in field.get("options") or []]
    labels_en = [o["label"].get("en") or o["label"]["es"] for o in field.get("options") or []]
    return InvalidValue(
        "invalid_choice",
        f"elija una de las opciones: {', '.join(labels)}.",
        f"choose one of the options: {', '.join(labels_en)}.",
    )


def _clean_choice(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    if not isinstance(value, str) or value.strip() not in _option_values(field):
        raise _bad_choice(field, value)
    return value.strip()


def _clean_checkboxes(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidValue(
            "invalid_type", "marque una o más opciones.", "tick one or more options."
        )
    allowed = _option_values(field)
    chosen = {v.strip() for v in value}
    if not chosen <= set(allowed):
        raise _bad_choice(field, value)
    low, high = field.get("min_items"), field.get("max_items")
    if low is not None and len(chosen) < low:
        raise InvalidValue(
            "too_few_items",
            f"marque al menos {low} opción(es).",
            f"tick at least {low} option(s).",
        )
    if high is not None and len(chosen) > high:
        raise InvalidValue(
            "too_many_items",
            f"marque como máximo {high} opción(es).",
            f"tick at most {high} option(s).",
        )
    return [v for v in allowed if v in chosen]


_YES = frozenset({"yes", "y", "si", "sí", "s", "true", "1", "on"})
_NO = frozenset({"no", "n", "false", "0", "off"})


def _clean_yesno(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
    raise InvalidValue("invalid_choice", "responda sí o no.", "answer yes or no.")


_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _clean_email(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    text = _text(value)
    local, _, domain = text.rpartition("@")
    if (
        len(text) > 254
        or not _EMAIL.match(text)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        raise InvalidValue(
            "invalid_email",
            "escriba un correo electrónico válido, por ejemplo nombre@dominio.mx.",
            "enter a valid email address, for example name@example.com.",
        )
    return f"{local}@{domain.lower()}"


_PHONE_CHARS = re.compile(r"^\+?[0-9 ().-]+$")


def _clean_phone(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    text = _text(value)
    digits = re.sub(r"\D", "", text)
    if not _PHONE_CHARS.match(text) or not 7 <= len(digits) <= 15:
        raise InvalidValue(
            "invalid_phone",
            "escriba un teléfono de 7 a 15 dígitos; puede empezar con + y la clave del país.",
            "enter a phone number of 7 to 15 digits; it may start with + and the country code.",
        )
    return ("+" if text.startswith("+") else "") + digits


def _clean_curp(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    text = _text(value)
    try:
        result: str = mx_curp.validate(text)
        return result
    except InvalidLength:
        raise InvalidValue(
            "invalid_curp",
            "la CURP tiene 18 caracteres; revise que esté completa.",
            "a CURP has 18 characters; check that it is complete.",
        ) from None
    except InvalidChecksum:
        raise InvalidValue(
            "invalid_curp",
            "el último carácter (dígito verificador) no corresponde; revise que la haya "
            "copiado bien.",
            "the last character (check digit) does not match; check that you copied it correctly.",
        ) from None
    except InvalidComponent:
        raise InvalidValue(
            "invalid_curp",
            "la fecha de nacimiento, el sexo (H o M) o la clave del estado de la CURP no son "
            "válidos.",
            "the date of birth, sex (H or M) or state code in the CURP is not valid.",
        ) from None
    except ValidationError:
        raise InvalidValue(
            "invalid_curp",
            "la CURP no tiene el formato correcto (4 letras, 6 dígitos de la fecha de "
            "nacimiento, H o M, 5 letras y 2 caracteres).",
            "the CURP does not have the right format (4 letters, 6 digits of the date of "
            "birth, H or M, 5 letters and 2 characters).",
        ) from None


def _clean_rfc(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    """RFC of a person (13) or company (12); the check digit is not enforced.

    python-stdnum notes that about 1.5 % of RFCs issued by the SAT carry an invalid check
    digit, so refusing them would turn away real taxpayers; format, date and length are
    enforced.
    """
    text = _text(value)
    try:
        number: str = mx_rfc.validate(text, validate_check_digits=False)
    except ValidationError:
        number = ""
    if len(number) not in (12, 13):
        if len(number) == 10:
            raise InvalidValue(
                "invalid_rfc",
                "falta la homoclave: escriba el RFC completo de 13 caracteres (persona física) "
                "o 12 (persona moral).",
                "the homoclave is missing: enter the full RFC, 13 characters (individual) or "
                "12 (company).",
            )
        raise InvalidValue(
            "invalid_rfc",
            "el RFC no es válido: son 13 caracteres para persona física (4 letras, fecha "
            "AAMMDD y homoclave) o 12 para persona moral.",
            "the RFC is not valid: 13 characters for an individual (4 letters, date YYMMDD "
            "and homoclave) or 12 for a company.",
        )
    return number


_CEDULA = re.compile(
    r"^(?P<prefix>(?:[1-9]|1[0-3])(?:AV|PI)?|PE|E|N)-(?P<tomo>\d{1,4})-(?P<asiento>\d{1,6})$"
)


def clean_cedula_pa(value: str) -> str:
    """The canonical Panamanian cédula (``8-745-1290``) or InvalidValue.

    Format ``prefix-tomo-asiento``: the prefix is a province (1 to 13), optionally followed
    by ``AV`` (registered before the current system) or ``PI`` (indigenous), or ``PE``
    (Panamanian born abroad), ``E`` (foreigner) or ``N`` (naturalised). The tomo has 1-4
    digits and the asiento 1-6; spaces become hyphens, letters are capitalised and leading
    zeros are dropped. There is no check digit, so only the format can be verified.
    """
    text = re.sub(r"[\s-]+", "-", value.strip().upper())
    match = _CEDULA.match(text)
    if not match or int(match["tomo"]) == 0 or int(match["asiento"]) == 0:
        raise InvalidValue(
            "invalid_cedula",
            "escriba la cédula con guiones: provincia-tomo-asiento, por ejemplo 8-745-1290, "
            "PE-12-345, E-8-123456 o N-19-1234.",
            "enter the cédula with hyphens: province-volume-entry, for example 8-745-1290, "
            "PE-12-345, E-8-123456 or N-19-1234.",
        )
    return f"{match['prefix']}-{int(match['tomo'])}-{int(match['asiento'])}"


_RUC = re.compile(r"^(?P<base>.+?)(?:\s*-?\s*DV\s*-?\s*(?P<dv>\d{1,2}))?$")
_RUC_JURIDICA = re.compile(r"^\d{1,10}-\d{1,4}-\d{1,7}$")


def clean_ruc_pa(value: str) -> str:
    """The canonical Panamanian RUC (``155634567-2-2016 DV 45``) or InvalidValue.

    A person's RUC is their cédula (see :func:`clean_cedula_pa`); a company's is three
    numbers ``ficha/folio-rollo/tomo-imagen/asiento`` (``155634567-2-2016`` or
    ``2588017-1-831938``). The two-digit DV (dígito verificador) may follow, written
    ``DV 45``; it is kept as ``DV nn`` but not recomputed (the DGI algorithm is not published
    in a form we can verify, and python-stdnum has no Panamanian module).
    """
    text = " ".join(value.strip().upper().split())
    match = _RUC.match(text)
    bad = InvalidValue(
        "invalid_ruc",
        "escriba el RUC como aparece en su aviso de operación, por ejemplo "
        "155634567-2-2016 DV 45 (sociedad) u 8-745-1290 DV 12 (persona natural).",
        "enter the RUC as it appears on your operating notice, for example "
        "155634567-2-2016 DV 45 (company) or 8-745-1290 DV 12 (individual).",
    )
    if not match:
        raise bad
    base = re.sub(r"\s*-\s*", "-", match["base"].strip())
    if _RUC_JURIDICA.match(base):
        base = "-".join(str(int(part)) for part in base.split("-"))
    else:
        try:
            base = clean_cedula_pa(base)
        except InvalidValue:
            raise bad from None
    return f"{base} DV {int(match['dv']):02d}" if match["dv"] else base


def _clean_cedula(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    return clean_cedula_pa(_text(value))


def _clean_ruc(field: Mapping[str, Any], value: Any, env: _Env) -> Any:
    return clean_ruc_pa(_text(value))


def _clean_address(
    field: Mapping[str, Any], value: Any, path: str, labels: tuple[str, str]
) -> tuple[Any, list[FieldError]]:
    if not isinstance(value, Mapping):
        exc = InvalidValue(
            "invalid_type",
            "escriba el domicilio completo (calle, número, colonia, código postal, municipio).",
            "enter the full address (street, number, neighbourhood, postcode, municipality).",
        )
        return _EMPTY, [_error(field, path, labels, exc)]
    errors: list[FieldError] = []
    out: dict[str, str] = {}
    for key in value:
        if key not in ADDRESS_PARTS:
            errors.append(_unknown(str(key), f"{path}.{key}"))
    for part in ADDRESS_PARTS:
        raw = value.get(part)
        part_es, part_en = _ADDRESS_LABELS[part]
        if _is_empty(raw):
            if part in _ADDRESS_REQUIRED:
                errors.append(
                    FieldError(
                        field["id"],
                        f"{path}.{part}",
                        "required",
                        f"{labels[0]}: falta {part_es}.",
                        f"{labels[1]}: the {part_en} is missing.",
                    )
                )
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            errors.append(
                FieldError(
                    field["id"],
                    f"{path}.{part}",
                    "invalid_type",
                    f"{labels[0]}: escriba {part_es} como texto.",
                    f"{labels[1]}: enter the {part_en} as text.",
                )
            )
            continue
        text = " ".join(str(raw).split())
        if len(text) > ADDRESS_PART_MAX_LENGTH:
            errors.append(
                FieldError(
                    field["id"],
                    f"{path}.{part}",
                    "too_long",
                    f"{labels[0]}: {part_es} admite como máximo {ADDRESS_PART_MAX_LENGTH} "
                    "caracteres.",
                    f"{labels[1]}: the {part_en} may have at most {ADDRESS_PART_MAX_LENGTH} "
                    "characters.",
                )
            )
            continue
        if part == "postcode" and not re.fullmatch(r"\d{4,6}", text):
            errors.append(
                FieldError(
                    field["id"],
                    f"{path}.{part}",
                    "invalid_postcode",
                    f"{labels[0]}: el código postal son 4 a 6 dígitos (en México, 5).",
                    f"{labels[1]}: the postcode has 4 to 6 digits (5 in Mexico).",
                )
            )
            continue
        out[part] = text
    return (out, []) if not errors else (_EMPTY, errors)


def _matches_accept(content_type: str, accept: Sequence[str]) -> bool:
    for pattern in accept:
        if pattern == content_type:
            return True
        if pattern.endswith("/*") and content_type.startswith(pattern[:-1]):
            return True
    return False


def _clean_files(
    field: Mapping[str, Any], value: Any, path: str, labels: tuple[str, str]
) -> tuple[Any, list[FieldError]]:
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        exc = InvalidValue("invalid_type", "adjunte el archivo.", "attach the file.")
        return _EMPTY, [_error(field, path, labels, exc)]
    errors: list[FieldError] = []
    max_files = field.get("max_files", DEFAULT_MAX_FILES)
    max_mb = field.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
    accept: Sequence[str] = field.get("accept") or []
    if len(value) > max_files:
        errors.append(
            _error(
                field,
                path,
                labels,
                InvalidValue(
                    "too_many_files",
                    f"se admiten como máximo {max_files} archivo(s).",
                    f"at most {max_files} file(s) are allowed.",
                ),
            )
        )
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, ref in enumerate(value):
        try:
            clean = _clean_file_ref(ref, accept, max_mb)
            if clean["id"] in seen:
                raise InvalidValue(
                    "duplicate_file",
                    "el mismo archivo se adjuntó dos veces.",
                    "the same file was attached twice.",
                )
            seen.add(clean["id"])
            out.append(clean)
        except InvalidValue as exc:
            errors.append(_error(field, f"{path}[{n}]", labels, exc))
    return (out, []) if not errors else (_EMPTY, errors)


def _clean_file_ref(ref: Any, accept: Sequence[str], max_mb: float) -> dict[str, Any]:
    bad = InvalidValue(
        "invalid_file",
        "el archivo no se recibió bien; vuelva a subirlo.",
        "the file was not received properly; upload it again.",
    )
    if not isinstance(ref, Mapping) or set(ref) != set(_FILE_KEYS):
        raise bad
    fid, name, sha, size, ctype = (ref[k] for k in _FILE_KEYS)
    if not (isinstance(fid, str) and 0 < len(fid) <= 100):
        raise bad
    if not (isinstance(name, str) and 0 < len(name.strip()) <= 255):
        raise bad
    if not (isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha)):
        raise bad
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise bad
    if not isinstance(ctype, str):
        raise bad
    ctype = ctype.strip().lower()
    if size == 0:
        raise InvalidValue(
            "empty_file",
            f"el archivo «{name}» está vacío.",
            f"the file “{name}” is empty.",
        )
    if accept and not _matches_accept(ctype, accept):
        kinds = ", ".join(_KIND_NAMES.get(a, a) for a in accept)
        raise InvalidValue(
            "file_type",
            f"el archivo «{name}» no es de un tipo admitido; suba {kinds}.",
            f"the file “{name}” is not of an accepted type; upload {kinds}.",
        )
    if size > max_mb * 1024 * 1024:
        raise InvalidValue(
            "file_too_large",
            f"el archivo «{name}» pesa {size / 1048576:.1f} MB y el máximo es {max_mb} MB.",
            f"the file “{name}” is {size / 1048576:.1f} MB and the maximum is {max_mb} MB.",
        )
    return {
        "id": fid,
        "name": name.strip(),
        "sha256": sha.lower(),
        "size": size,
        "content_type": ctype,
    }


_KIND_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/*": "imagen/image",
}

_Cleaner = Callable[[Mapping[str, Any], Any, _Env], Any]

_CLEANERS: dict[str, _Cleaner] = {
    "text": _clean_text,
    "textarea": _clean_text,
    "number": _clean_number,
    "money": _clean_money,
    "date": _clean_date,
    "select": _clean_choice,
    "radio": _clean_choice,
    "checkboxes": _clean_checkboxes,
    "yesno": _clean_yesno,
    "email": _clean_email,
    "phone": _clean_phone,
    "curp": _clean_curp,
    "rfc": _clean_rfc,
    "cedula_pa": _clean_cedula,
    "ruc_pa": _clean_ruc,
}
