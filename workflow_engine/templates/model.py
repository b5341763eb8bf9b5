"""The typed model of a procedure template: what the engine, the wizard, the inbox, the API
and documents read instead of the raw JSON document.

``parse(doc)`` turns a *valid* template document (one that passed ``validate_template`` on
import or publish) into immutable objects: a ``Procedure`` with its steps (``Step``) in
document order, each with its fields (``Field``; a group's sub-fields under it). Parsing
does not validate again and is lenient with what it does not need (a test document without
titles parses); it is cheap and is done once per template version (``ProcedureDefinition``
holds the model and the engine's service caches definitions by version).

Every object keeps the dict it was parsed from as ``raw``: the registries' classes
(``FieldType``, ``StepType``) take it for the options that belong to one type only, and the
wizard's Jinja widgets draw it. The code that works *on the document itself* — validation,
editing operations, rename/references, diff, preview's sample data — keeps operating on raw
editable documents by design: a draft being edited may not parse into a sound model, and
those operations must return a changed document, not a model.

Rules about a template that several layers need live here once: the order of form steps
(``Procedure.form_steps``), whether a ``show_if`` holds (``show_if_holds``: the engine's
cleaning and the wizard's page both ask it), and the constants in force in a year
(``Procedure.constants_for``). Which steps the applicant may change now, and which are still
to correct, are the case's business (``CaseState.editable_form_steps``/``steps_to_correct``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workflow_engine.rules import RuleError, evaluate, is_truthy
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.base import FieldType, localized

if TYPE_CHECKING:  # the step types import the engine, which imports this module
    from workflow_engine.templates.step_types.base import StepType

Localized = Mapping[str, str]
FieldKind = type[FieldType]  # (aliases: a dataclass field named `type` shadows the builtin)
StepKind = type["StepType"]
_NO_TEXT: Localized = {}


def show_if_holds(
    rule: Any,
    context: Mapping[str, Any],
    *,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
    today: datetime.date | None = None,
) -> bool:
    """Whether a ``show_if`` rule shows its field in ``context``: no rule shows it, and so
    does a rule that cannot be evaluated (the engine never hides a field by mistake)."""
    if rule is None:
        return True
    try:
        return is_truthy(evaluate(rule, context, tables=tables or {}, today=today))
    except RuleError:
        return True


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a select, radio or checkboxes field."""

    value: str
    label: Localized


@dataclass(frozen=True, slots=True, eq=False)
class Field:
    """One field of a form step (or of a group's row)."""

    id: str
    type: str
    kind: FieldKind  # the field type's class in the registry
    label: Localized
    required: bool
    readonly: bool
    show_if: Any  # JSON Logic, or None when the field is always shown
    options: tuple[Option, ...]
    fields: tuple[Field, ...]  # a group's sub-fields; () for any other type
    raw: Mapping[str, Any]

    @property
    def is_group(self) -> bool:
        return self.kind.is_group

    @property
    def takes_files(self) -> bool:
        return self.kind.takes_files

    def title(self, lang: str = "es") -> str:
        """The label in ``lang`` (Spanish when missing), else the id."""
        return localized(self.label, lang) or self.id

    def shown(
        self,
        context: Mapping[str, Any],
        *,
        tables: Mapping[str, Mapping[str, Any]] | None = None,
        today: datetime.date | None = None,
    ) -> bool:
        """Whether the field is shown with the answers in ``context``."""
        return show_if_holds(self.show_if, context, tables=tables, today=today)

    def display_lines(self, value: Any, lang: str) -> list[str]:
        """The value as lines of text (check answers, inbox): its type says how."""
        return self.kind.display_lines(self.raw, value, lang)

    def all_fields(self) -> Iterator[Field]:
        """The field itself, then its sub-fields."""
        yield self
        yield from self.fields


@dataclass(frozen=True, slots=True)
class Transition:
    """Where a step leads: the first transition whose ``when`` holds (or has none) is taken."""

    to: str
    when: Any  # JSON Logic, or None


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """One step of a procedure; what its type does is ``kind``'s business."""

    id: str
    type: str
    kind: StepKind | None  # the step type's class; None for a type nobody registered
    title: Localized
    description: Localized
    fields: tuple[Field, ...]  # a form's fields in order; () for other types
    transitions: tuple[Transition, ...]
    outcomes: Mapping[str, Mapping[str, Any]]  # an approval's approve/reject/return
    raw: Mapping[str, Any]

    @property
    def is_form(self) -> bool:
        return self.type == "form"

    @property
    def result_map(self) -> Mapping[str, str]:
        """A connector step's answers copied into the case data: answer key -> field id."""
        return self.raw.get("result_map") or {}

    def name(self, lang: str = "es") -> str:
        """The title in ``lang`` (Spanish when missing), else the id."""
        return localized(self.title, lang) or self.id

    def editable_fields(self) -> tuple[Field, ...]:
        """The fields the applicant answers (not the read-only ones a connector fills)."""
        return tuple(f for f in self.fields if not f.readonly)

    def field_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.fields)

    def all_fields(self) -> Iterator[Field]:
        """Every field of the step, a group's sub-fields right after the group."""
        for fld in self.fields:
            yield from fld.all_fields()


@dataclass(frozen=True, slots=True, eq=False)
class Procedure:
    """A procedure template: its steps in document order, fields by id, form-step order."""

    key: str
    title: Localized
    department: str | None
    start: str
    steps: tuple[Step, ...]
    constants: Mapping[str, Any]  # as written; see constants_for
    fee_tables: Mapping[str, Mapping[str, Any]]
    raw: Mapping[str, Any]
    _plain: Mapping[str, Decimal]
    _yearly: Mapping[str, tuple[tuple[int, Decimal], ...]]
    _by_year: dict[int, dict[str, Decimal]]  # constants_for's memo (the one mutable part)
    _steps: Mapping[str, Step]
    _fields: Mapping[str, Field]
    _field_step: Mapping[str, str]
    _form_steps: tuple[Step, ...]

    def name(self, lang: str = "es") -> str:
        """The procedure's title in ``lang`` (Spanish when missing), else its key."""
        return localized(self.title, lang) or self.key

    def constants_for(self, year: int) -> dict[str, Decimal]:
        """The constants in force in ``year``: for a yearly one (an index such as Mexico's UMA
        changes every January: ``{"uma": {"by_year": {"2026": "113.14"}}}``), the value of
        the latest year not after it (the earliest one before the table starts)."""
        cached = self._by_year.get(year)
        if cached is None:
            cached = dict(self._plain)
            for name, values in self._yearly.items():
                chosen = values[0][1]
                for y, value in values:
                    if y <= year:
                        chosen = value
                cached[name] = chosen
            self._by_year[year] = cached
        return cached

    def step(self, step_id: str) -> Step:
        """The step ``step_id``; KeyError when there is none."""
        return self._steps[step_id]

    def get_step(self, step_id: str) -> Step | None:
        return self._steps.get(step_id)

    def has_step(self, step_id: str) -> bool:
        return step_id in self._steps

    def is_form(self, step_id: str) -> bool:
        found = self._steps.get(step_id)
        return found is not None and found.is_form

    def field(self, field_id: str) -> Field:
        """The top-level field ``field_id`` of any form step (case data; an approval's decision
        fields are not); KeyError when there is none."""
        return self._fields[field_id]

    def get_field(self, field_id: str) -> Field | None:
        return self._fields.get(field_id)

    def fields(self) -> tuple[Field, ...]:
        """Every top-level field of every form step (the case's data), in document order."""
        return tuple(self._fields.values())

    def step_of(self, field_id: str) -> str | None:
        """The id of the step that asks for ``field_id``."""
        return self._field_step.get(field_id)

    def fields_of(self, step: Step | str) -> tuple[Field, ...]:
        """The fields of a step (given or by id); () for an unknown step."""
        if isinstance(step, str):
            found = self._steps.get(step)
            return found.fields if found is not None else ()
        return step.fields

    def form_steps(self) -> tuple[Step, ...]:
        """The form steps filled in before filing, in wizard order ("Paso 2 de 5"): the
        forms reached from the start through form-to-form transitions, in document order."""
        return self._form_steps

    def step_titles(self, lang: str = "es") -> dict[str, str]:
        """Step id -> its title in ``lang`` (for timelines and histories)."""
        return {s.id: s.name(lang) for s in self.steps}


# -- parsing ------------------------------------------------------------------------------


def _text(value: Any) -> Localized:
    if type(value) is dict or isinstance(value, Mapping):  # the fast test first
        return value
    return _NO_TEXT


def _field(raw: Mapping[str, Any]) -> Field:
    kind = field_type(raw)
    options = tuple(
        Option(str(o.get("value")), _text(o.get("label")))
        for o in raw.get("options") or ()
        if isinstance(o, Mapping)
    )
    subfields = tuple(_field(s) for s in raw.get("fields") or ()) if kind.is_group else ()
    return Field(
        id=str(raw["id"]),
        type=str(raw.get("type")),
        kind=kind,
        label=_text(raw.get("label")),
        required=bool(raw.get("required")),
        readonly=bool(raw.get("readonly")),
        show_if=raw.get("show_if"),
        options=options,
        fields=subfields,
        raw=raw,
    )


def _step(raw: Mapping[str, Any]) -> Step:
    from workflow_engine.templates import step_types

    kind_name = str(raw.get("type"))
    return Step(
        id=str(raw["id"]),
        type=kind_name,
        kind=step_types.get(kind_name),
        title=_text(raw.get("title")),
        description=_text(raw.get("description")),
        fields=tuple(_field(f) for f in raw.get("fields") or ()),
        transitions=tuple(
            Transition(str(t["to"]), t.get("when")) for t in raw.get("transitions") or ()
        ),
        outcomes=raw.get("outcomes") or {},
        raw=raw,
    )


def _form_steps(steps: Mapping[str, Step], start: str) -> tuple[Step, ...]:
    if start not in steps:
        return ()
    reachable = {start}
    todo = [start]
    while todo:
        for transition in steps[todo.pop()].transitions:
            target = steps.get(transition.to)
            if target is not None and target.is_form and target.id not in reachable:
                reachable.add(target.id)
                todo.append(target.id)
    return tuple(s for s in steps.values() if s.id in reachable)


def parse(doc: Mapping[str, Any]) -> Procedure:
    """The model of a valid template document (not validated again here)."""
    steps = tuple(_step(s) for s in doc.get("steps") or ())
    by_id = {s.id: s for s in steps}
    fields: dict[str, Field] = {}
    field_step: dict[str, str] = {}
    for step in steps:
        if not step.is_form:
            continue  # an approval's `fields` are what the official writes, not case data
        for fld in step.fields:
            fields[fld.id] = fld
            field_step[fld.id] = step.id
    start = str(doc.get("start", ""))
    constants = doc.get("constants") or {}
    plain: dict[str, Decimal] = {}
    yearly: dict[str, tuple[tuple[int, Decimal], ...]] = {}
    for name, value in constants.items():
        if isinstance(value, Mapping):
            by_year = value["by_year"].items()
            yearly[name] = tuple(sorted((int(y), Decimal(str(v))) for y, v in by_year))
        else:
            plain[name] = Decimal(str(value))
    return Procedure(
        key=str(doc.get("key", "")),
        title=_text(doc.get("title")),
        department=doc.get("department"),
        start=start,
        steps=steps,
        constants=constants,
        fee_tables=doc.get("fee_tables") or {},
        raw=doc,
        _plain=plain,
        _yearly=yearly,
        _by_year={},
        _steps=by_id,
        _fields=fields,
        _field_step=field_step,
        _form_steps=_form_steps(by_id, start),
    )


def of(doc: Procedure | Mapping[str, Any]) -> Procedure:
    """``doc`` itself when it is a model already, else its model (parsed here)."""
    return doc if isinstance(doc, Procedure) else parse(doc)
