"""The dashboards' filter form (GET, Spanish parameter names because links are shared):
`desde`/`hasta` (DD/MM/AAAA or ISO, the date fields' reader), `area` (a department) and
`tramite` (a procedure), both limited to what the viewer may see, plus a page's own number
fields (e.g. `dias`) and lists (e.g. `canal`, the revenue's payment channel). Read what was
asked and say what is wrong, field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from workflow_engine.persistence.cases.dashboards import CaseFilter
from workflow_engine.templates.field_types.date import typed_date

DEFAULT_DAYS = 180  # the range shown when none is asked: about six months up to today
MAX_DAYS = 3 * 366 + 1


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    department: str = ""  # a procedure's department (the select groups them)


@dataclass(frozen=True)
class NumberField:
    """A whole number a page asks for (e.g. «next N days»), within low..high."""

    name: str
    label: str
    default: int
    low: int
    high: int


@dataclass(frozen=True)
class SelectField:
    """One of a few fixed options a page asks for (e.g. a payment channel): `options` are
    (value, msgid) pairs; empty means all of them (`all_label`)."""

    name: str
    label: str
    options: tuple[tuple[str, str], ...]
    all_label: str


@dataclass
class Filters:
    """What the form shows (`values`, as typed), what is wrong (`errors` by field name) and,
    when nothing is, the filter the queries take and the page's numbers."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    case_filter: CaseFilter | None = None
    numbers: dict[str, int] = field(default_factory=dict)
    selected: dict[str, str] = field(default_factory=dict)  # a list's value ("" : all)

    @property
    def ok(self) -> bool:
        return not self.errors and self.case_filter is not None

    def query(self) -> dict[str, str]:
        """The filter as URL parameters (for the download links)."""
        return {k: v for k, v in self.values.items() if v}


def read_filters(
    args: MultiDict[str, str],
    today: date,
    departments: list[Choice],
    procedures: list[Choice],
    numbers: tuple[NumberField, ...] = (),
    *,
    procedure_required: bool = False,
    selects: tuple[SelectField, ...] = (),
) -> Filters:
    """The filters asked in `args`, checked against what the viewer may choose."""
    names = ("desde", "hasta", "area", "tramite", *(n.name for n in numbers))
    names += tuple(s.name for s in selects)
    values = {name: args.get(name, "").strip()[:40] for name in names}
    errors: dict[str, str] = {}
    end = _day(values["hasta"], "hasta", errors) or today
    start = _day(values["desde"], "desde", errors) or end - timedelta(days=DEFAULT_DAYS - 1)
    if "desde" not in errors and "hasta" not in errors:
        if start > end:
            errors["desde"] = _("La fecha inicial es posterior a la final.")
        elif (end - start).days >= MAX_DAYS:
            errors["desde"] = _("Elija un periodo de hasta tres años.")
    department = values["area"] or None
    if department and department not in {d.key for d in departments}:
        errors["area"] = _("Elija un área de la lista.")
    procedure = values["tramite"] or None
    known = {p.key: p for p in procedures}
    if procedure and procedure not in known:
        errors["tramite"] = _("Elija un trámite de la lista.")
    elif procedure and department and known[procedure].department != department:
        errors["tramite"] = _("Ese trámite no es del área elegida.")
    if procedure is None and procedure_required:
        if procedures:
            procedure = procedures[0].key
            values["tramite"] = procedure
        else:
            errors["tramite"] = _("No hay trámites que pueda consultar.")
    chosen = {n.name: _number(n, values[n.name], errors) for n in numbers}
    for select in selects:
        if values[select.name] and values[select.name] not in dict(select.options):
            errors[select.name] = _("Elija una opción de la lista.")
    if errors:
        return Filters(values, errors)
    values["desde"], values["hasta"] = f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}"
    return Filters(
        values,
        case_filter=CaseFilter(start, end, department, procedure),
        numbers={k: v for k, v in chosen.items() if v is not None},
        selected={s.name: values[s.name] for s in selects},
    )


def _day(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return typed_date(raw)
    except ValueError:
        errors[name] = _("La fecha «%(value)s» no es válida (use DD/MM/AAAA).", value=raw)
        return None


def _number(spec: NumberField, raw: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return spec.default
    if not (raw.isascii() and raw.isdigit()) or not spec.low <= int(raw) <= spec.high:
        errors[spec.name] = _(
            "Escriba un número entero entre %(low)d y %(high)d.", low=spec.low, high=spec.high
        )
        return None
    return int(raw)
