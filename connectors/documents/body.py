"""The body of an issued document: the liaison's text with the case's data filled in.

The text is a Jinja template run in an immutable sandbox (templates are written by liaisons,
not programmers, and must never reach Python internals). Values print the way a person
reads them (option labels, long dates, formatted addresses), while comparisons in the
template still see the raw values. Output is escaped for ReportLab's paragraph markup: only
bold, italic and line breaks survive (``workflow_engine.templates.markup``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connectors.common import localized, long_date, money
from workflow_engine.money import format_amount
from workflow_engine.templates import model as template_model
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.base import CatalogLookup, showing_catalogs
from workflow_engine.templates.markup import inline_markup

MAX_OUTPUT_CHARS = 20_000
_MAX_REPEAT = 10_000


class BodyError(ValueError):
    """The document text cannot be rendered (syntax error, forbidden access, too long)."""


class Shown(str):
    """A raw value that prints as its label: `{{ data.giro }}` shows «Restaurante», while
    `{% if data.giro == "restaurante" %}` still compares the stored value."""

    label: str

    def __new__(cls, value: str, label: str) -> Shown:
        obj = super().__new__(cls, value)
        obj.label = label
        return obj


def format_address(value: Mapping[str, Any]) -> str:
    street = " ".join(str(value.get(k) or "").strip() for k in ("street", "number")).strip()
    parts = [street]
    if value.get("interior"):
        parts.append(f"int. {value['interior']}")
    parts.append(str(value.get("neighbourhood") or ""))
    if value.get("postcode"):
        parts.append(f"C.P. {value['postcode']}")
    parts.append(str(value.get("municipality") or ""))
    return ", ".join(p for p in parts if p.strip())


def display(value: Any) -> Any:
    """How a value prints in a document (Jinja's `finalize`)."""
    if isinstance(value, Undefined) or value is None:
        return ""
    if isinstance(value, Shown):
        return value.label
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, Mapping):
        if "street" in value or "postcode" in value:
            return format_address(value)
        if "name" in value and "sha256" in value:
            return str(value["name"])
        return ", ".join(str(display(v)) for v in value.values() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return ", ".join(str(display(v)) for v in value)
    return value


def _money_label(value: Any) -> str:
    return format_amount(value)


class _Formats:
    """How documents print dates, amounts and addresses, for the field types to use."""

    @staticmethod
    def shown(value: str, label: str) -> Shown:
        return Shown(value, label)

    @staticmethod
    def long_date(value: Any) -> str:
        return long_date(value)

    @staticmethod
    def money(value: Any) -> str:
        return _money_label(value)

    @staticmethod
    def address(value: Mapping[str, Any]) -> str:
        return format_address(value)


def shown_value(field: Mapping[str, Any], value: Any) -> Any:
    """Wrap a stored field value so that it prints the way the form showed it."""
    if value is None or "type" not in field:
        return value
    return field_type(field).document_value(field, value, _Formats())


def document_data(
    data: Mapping[str, Any],
    definition: template_model.Procedure | Mapping[str, Any],
    catalogs: CatalogLookup | None = None,
) -> dict[str, Any]:
    """Case data with every value wrapped by its field type (see `Shown`); ``catalogs``
    gives the labels of catalog entries."""
    procedure = template_model.of(definition)
    with showing_catalogs(catalogs):
        return {k: _shown_field(procedure.get_field(k), v) for k, v in data.items()}


def _shown_field(fld: template_model.Field | None, value: Any) -> Any:
    return value if fld is None else shown_value(fld.raw, value)


_DECISIONS = {"approved": ("approve", "aprobada"), "rejected": ("reject", "negada")}


def decisions_context(
    state: Mapping[str, Any],
    definition: Mapping[str, Any],
    catalogs: CatalogLookup | None = None,
    department_of: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """`decision` in a document: per review step, its latest approval or rejection, what
    the official wrote (`comment`, `fields.<id>` printed by their field types) and who
    decided (`official.name`, `official.position`: their job title, else the department's
    name)."""
    steps = {s.get("id"): s for s in definition.get("steps", ())}
    tasks = sorted(
        (t for t in (state.get("tasks") or {}).values() if t.get("status") in _DECISIONS),
        key=lambda t: (str(t.get("decided_at") or ""), int(t.get("round") or 0)),
    )
    out: dict[str, Any] = {}
    with showing_catalogs(catalogs):
        for task in tasks:
            step = steps.get(task.get("step_id"), {})
            declared = {f["id"]: f for f in step.get("fields") or ()}
            values = task.get("fields") or {}
            code, label = _DECISIONS[str(task.get("status"))]
            position = str(task.get("decided_by_position") or "")
            if not position and department_of is not None:
                position = department_of(str(task.get("department") or "")) or ""
            decided_at = task.get("decided_at")
            out[str(task.get("step_id"))] = {
                "decision": Shown(code, label),
                "comment": str(task.get("comment") or ""),
                "decided_on": Shown(str(decided_at or ""), long_date(decided_at)),
                "fields": {k: shown_value(declared.get(k, {}), v) for k, v in values.items()},
                "files": {
                    k: list(v)
                    for k, v in values.items()
                    if declared.get(k, {}).get("type") == "file"
                },
                "official": {
                    "name": str(task.get("decided_by_name") or ""),
                    "position": position,
                    "title": str(task.get("decided_by_position") or ""),
                },
            }
    return out


def fees_context(payments: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`fees` in a document: the last settled payment (lines, total, reference)."""
    if not payments:
        return {
            "total": "sin costo",
            "total_cents": 0,
            "currency": "",
            "lines": [],
            "reference": "",
            "paid_at": "",
        }
    last = payments[-1]
    currency = str(last.get("currency") or "MXN")
    return {
        "total": money(int(last.get("total_cents") or 0), currency),
        "total_cents": int(last.get("total_cents") or 0),
        "currency": currency,
        "reference": str(last.get("reference") or ""),
        "paid_at": Shown(str(last.get("paid_at") or ""), long_date(last.get("paid_at"))),
        "lines": [
            {
                "id": line.get("id"),
                "label": localized(line.get("label"), str(line.get("id") or "")),
                "amount": money(int(line.get("amount_cents") or 0), currency),
                "amount_cents": int(line.get("amount_cents") or 0),
            }
            for line in last.get("lines") or ()
        ],
    }


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus a cap on `*` and `**` so a template cannot build a
    gigantic string or number."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 100:
                raise SecurityError("exponent too large")
            return left**right
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | list | tuple)
                and isinstance(count, int)
                and len(seq) * count > _MAX_REPEAT
            ):
                raise SecurityError("repetition too large")
        return left * right


_ENV = _Sandbox(autoescape=True, undefined=ChainableUndefined, finalize=display)


def render_body(source: str, context: Mapping[str, Any]) -> list[str]:
    """Render the document text; return ReportLab paragraph markup, one item per paragraph.

    Blank lines separate paragraphs; a single line break stays a line break. Whatever the
    liaison wrote and whatever the data holds, the markup is only text, <b>, <i> and <br/>.
    """
    try:
        template = _compiled(source, markup=True)
        text = inline_markup(template.render(**context))
    except SecurityError as exc:
        raise BodyError(f"forbidden in document text: {exc}") from None
    except TemplateError as exc:
        raise BodyError(f"document text error: {exc}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise BodyError(f"document text error: {exc}") from None
    if len(text) > MAX_OUTPUT_CHARS:
        raise BodyError("document text is too long")
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [p.strip().replace("\n", "<br/>") for p in paragraphs if p.strip()]


_TEXT_ENV = _Sandbox(autoescape=False, undefined=ChainableUndefined, finalize=display)
MAX_TABLE_ROWS = 500
MAX_CELL_CHARS = 500


@lru_cache(maxsize=512)
def _compiled(source: str, *, markup: bool) -> Template:
    """Templates are compiled once per process: the same liaison text serves every case."""
    return (_ENV if markup else _TEXT_ENV).from_string(source)


def render_text(source: str, context: Mapping[str, Any], limit: int = MAX_CELL_CHARS) -> str:
    """A one-line value (the holder, a table cell) as plain text; the PDF layout escapes it."""
    try:
        text = _compiled(source, markup=False).render(**context)
    except SecurityError as exc:
        raise BodyError(f"forbidden in document text: {exc}") from None
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise BodyError(f"document text error: {exc}") from None
    return " ".join(text.split())[:limit]


def resolve_rows(name: str, context: Mapping[str, Any]) -> list[Any]:
    """The list a table iterates: `fees.lines` or `data.<group field>` (missing -> empty)."""
    value: Any = context
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if not isinstance(value, list | tuple):
        return []
    return list(value)[:MAX_TABLE_ROWS]


def render_table(
    spec: Mapping[str, Any], context: Mapping[str, Any]
) -> tuple[str, list[str], list[list[str]], list[str]]:
    """(title, header, rows, alignments) of a `tables` entry of the document spec; each
    cell is a sandboxed template that sees `row` beside the document's context."""
    columns = list(spec.get("columns") or ())
    header = [localized(c.get("label"), str(c.get("id") or "")) for c in columns]
    align = [str(c.get("align") or "left") for c in columns]
    rows: list[list[str]] = []
    for row in resolve_rows(str(spec.get("rows") or ""), context):
        scope = {**context, "row": row}
        rows.append([render_text(str(c.get("value") or ""), scope) for c in columns])
    return localized(spec.get("title"), ""), header, rows, align
