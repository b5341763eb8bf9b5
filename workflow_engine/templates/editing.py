"""Editing operations over a procedure template: what the visual configurator will drive.

Each operation is a pure function ``doc -> EditResult``: the input is never modified, the
result holds the new document and its problems (``validate_template``), and an operation that
cannot apply (unknown id, id taken, a step before the start...) raises ``EditError`` with a
message in Spanish and English. Drafts may be incomplete: an operation refuses only what it
cannot do, everything else is a problem of the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from form_schemas import load_field_types, load_meta_schema
from workflow_engine.templates import references as refs
from workflow_engine.templates.references import FIELD, STEP, Kind, Path, clone
from workflow_engine.templates.validation import TemplateProblem, validate_template

__all__ = [
    "EditError",
    "EditResult",
    "Notice",
    "add_field",
    "add_linked_step",
    "add_step",
    "change_field_type",
    "duplicate_field",
    "duplicate_step",
    "fresh_id",
    "move_field",
    "move_step",
    "remove_field",
    "remove_step",
    "remove_transition",
    "rename_field",
    "rename_step",
    "rename_transition",
    "set_condition",
    "set_example_data",
    "set_field",
    "set_ledger",
    "set_outcome",
    "set_step",
    "set_transition",
]

Doc = dict[str, Any]
_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_UNSET: Any = object()
_REVIEWS = ("approval", "parallel")
FIELD_HOLDERS = ("form", "approval")
"""The step types whose `fields` the field operations edit: a form's questions and an
approval's decision fields (`step_types.review.decision_fields`)."""


@dataclass(frozen=True)
class Notice:
    """Something the operation did that the liaison should know (an option dropped)."""

    message_es: str
    message_en: str


class EditResult:
    """The edited document, its problems, and what the edit had to drop.

    The problems (errors only, as `validate_template` gives them) are worked out when first
    read: a caller that saves the document validates it anyway (`Catalog.save_revision`),
    and a big procedure takes tens of milliseconds to validate."""

    __slots__ = ("_problems", "doc", "notices")

    def __init__(
        self,
        doc: Doc,
        problems: list[TemplateProblem] | None = None,
        notices: Iterable[Notice] = (),
    ) -> None:
        self.doc = doc
        self._problems = problems
        self.notices: tuple[Notice, ...] = tuple(notices)

    @property
    def problems(self) -> list[TemplateProblem]:
        if self._problems is None:
            self._problems = validate_template(self.doc)
        return self._problems

    def __repr__(self) -> str:
        return f"EditResult(doc={self.doc!r}, notices={self.notices!r})"


class EditError(ValueError):
    """An operation that cannot apply; the document is unchanged."""

    def __init__(self, code: str, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("es" or "en"; anything else gets Spanish)."""
        return self.message_en if lang.lower().startswith("en") else self.message_es


# -- finding things ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FieldAt:
    """Where a field lives: its step, its list and position, and its group if any."""

    step: int
    path: Path  # of the list holding it
    index: int
    group: str | None

    @property
    def field_path(self) -> Path:
        return (*self.path, self.index)


class _Index:
    """Step and field positions of one document, found in one pass."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        steps = doc.get("steps")
        if not isinstance(doc, Mapping) or not isinstance(steps, list):
            raise EditError(
                "not_a_template",
                "El documento no es una plantilla de trámite: le falta la lista «steps».",
                "The document is not a procedure template: it lacks the “steps” list.",
            )
        self.steps: list[Any] = steps
        self.step_at: dict[str, int] = {}
        self.field_at: dict[str, _FieldAt] = {}
        for i, step in enumerate(steps):
            if not isinstance(step, Mapping):
                continue
            if isinstance(step.get("id"), str):
                self.step_at.setdefault(step["id"], i)
            fields = step.get("fields")
            for j, f in enumerate(fields if isinstance(fields, list) else ()):
                if not isinstance(f, Mapping):
                    continue
                if isinstance(f.get("id"), str):
                    self.field_at.setdefault(f["id"], _FieldAt(i, ("steps", i, "fields"), j, None))
                subs = f.get("fields")
                for k, sub in enumerate(subs if isinstance(subs, list) else ()):
                    if isinstance(sub, Mapping) and isinstance(sub.get("id"), str):
                        at = _FieldAt(i, ("steps", i, "fields", j, "fields"), k, f.get("id"))
                        self.field_at.setdefault(sub["id"], at)

    def step(self, step_id: str) -> int:
        if step_id not in self.step_at:
            raise EditError(
                "unknown_step",
                f"No hay ningún paso «{step_id}».",
                f"There is no step “{step_id}”.",
            )
        return self.step_at[step_id]

    def field(self, field_id: str) -> _FieldAt:
        if field_id not in self.field_at:
            raise EditError(
                "unknown_field",
                f"No hay ningún campo «{field_id}».",
                f"There is no field “{field_id}”.",
            )
        return self.field_at[field_id]

    def form_step(self, step_id: str) -> int:
        """A step that holds fields: a form (the applicant's answers) or a single review
        (the decision's fields, filled by the official who decides)."""
        i = self.step(step_id)
        if self.steps[i].get("type") not in FIELD_HOLDERS:
            raise EditError(
                "not_a_form",
                f"El paso «{step_id}» no tiene campos: solo los formularios y las revisiones "
                "los tienen.",
                f"The step “{step_id}” has no fields: only forms and reviews have them.",
            )
        return i

    def taken(self) -> set[str]:
        return set(self.step_at) | set(self.field_at)


def _at(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _check_new_id(new_id: Any, taken: Iterable[str], what_es: str, what_en: str) -> str:
    if not isinstance(new_id, str) or not _ID.match(new_id):
        raise EditError(
            "bad_id",
            f"«{new_id}» no sirve como id de {what_es}: use letras minúsculas sin acentos, "
            "dígitos y guion bajo, empezando con una letra (máximo 63).",
            f"“{new_id}” cannot be a {what_en} id: use lowercase letters without accents, "
            "digits and underscores, starting with a letter (at most 63).",
        )
    if new_id in taken:
        raise EditError(
            "id_taken",
            f"El id «{new_id}» ya está en uso; elija otro.",
            f"The id “{new_id}” is already in use; choose another.",
        )
    return new_id


def _position(index: int | None, length: int) -> int:
    if index is None:
        return length
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= length:
        raise EditError(
            "bad_position",
            f"La posición {index} no existe: debe estar entre 0 y {length}.",
            f"The position {index} does not exist: it must be between 0 and {length}.",
        )
    return index


def fresh_id(base: str, taken: Iterable[str]) -> str:
    """A new id from ``base`` (``nombre_copia``, ``nombre_copia_2``...) not in ``taken``;
    the same document always gives the same id."""
    used = set(taken)
    stem = re.sub(r"[^a-z0-9_]", "_", base.lower()) or "x"
    if not stem[0].isalpha():
        stem = "x" + stem
    stem = stem[:50] + "_copia"
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}_{n}"
    return candidate


def _finish(doc: Doc, notices: Iterable[Notice] = ()) -> EditResult:
    return EditResult(doc, None, notices)


# -- steps ------------------------------------------------------------------------------------


def add_step(doc: Doc, step: Mapping[str, Any], *, index: int | None = None) -> EditResult:
    """Insert ``step`` (it needs a new ``id``) at ``index`` (default: last)."""
    ix = _Index(doc)
    if not isinstance(step, Mapping):
        raise EditError("bad_step", "El paso debe ser un objeto.", "The step must be an object.")
    _check_new_id(step.get("id"), ix.step_at, "paso", "step")
    position = _position(index, len(ix.steps))
    order = list(range(len(ix.steps)))
    order.insert(position, -1)
    _not_before_start(doc, ix, order)
    out = clone(doc)
    out["steps"].insert(position, clone(dict(step)))
    return _finish(out)


def add_linked_step(doc: Doc, step: Mapping[str, Any], *, index: int | None = None) -> EditResult:
    """``add_step``, then the step before the new one leads to it, so a liaison adding
    steps in order does not wire routes by hand: its default route (the last, without a
    condition), or a review's approval, is made to go to the new step when it had none or
    went to an end step; in the second case the new step (when it continues by routes and
    has none) goes on to that end. Anything else (a route to another step, conditional
    routes only) is left as it was. A notice says what was linked."""
    added = add_step(doc, step, index=index)
    out = added.doc
    steps = out["steps"]
    position = _position(index, len(steps) - 1)
    if position == 0:
        return added
    before, new = steps[position - 1], steps[position]
    if not isinstance(before, dict):
        return added
    ends = {s.get("id") for s in steps if isinstance(s, dict) and s.get("type") == "end"}
    new_id = str(new["id"])
    was: Any = _UNSET
    routes = before.get("transitions")
    if isinstance(routes, list):
        last = routes[-1] if routes and isinstance(routes[-1], dict) else None
        if not routes:
            routes.append({"id": "ruta", "to": new_id})
            was = None
        elif last is not None and last.get("when") is None and last.get("to") in ends:
            was, last["to"] = last["to"], new_id
    elif before.get("type") in _REVIEWS:
        outcomes = before.setdefault("outcomes", {})
        approve = outcomes.get("approve") if isinstance(outcomes, dict) else _UNSET
        if approve is None:
            outcomes["approve"] = {"to": new_id}
            was = None
        elif isinstance(approve, dict) and approve.get("to") in ends:
            was, approve["to"] = approve["to"], new_id
    if was is _UNSET:
        return added
    if was is not None and new.get("transitions") == []:
        new["transitions"] = [{"id": "ruta", "to": was}]
    title = _title(before)
    end = next((_title(s) for s in steps if isinstance(s, dict) and s.get("id") == was), "")
    notice = Notice(
        f"«{title}» lleva ahora al paso nuevo" + (f", y este a «{end}»." if was else "."),
        f"“{title}” now leads to the new step" + (f", and this one to “{end}”." if was else "."),
    )
    return _finish(out, [*added.notices, notice])


def _title(step: Mapping[str, Any]) -> str:
    title = step.get("title")
    if isinstance(title, Mapping) and isinstance(title.get("es"), str):
        return str(title["es"])
    return str(step.get("id"))


def remove_step(doc: Doc, step_id: str) -> EditResult:
    """Remove a step and its example answers; what pointed at it becomes a problem."""
    ix = _Index(doc)
    i = ix.step(step_id)
    if doc.get("start") == step_id:
        raise EditError(
            "remove_start",
            f"«{step_id}» es el paso inicial; elija otro paso inicial antes de eliminarlo.",
            f"“{step_id}” is the start step; choose another start step before removing it.",
        )
    out = clone(doc)
    removed = out["steps"].pop(i)
    example = out.get("example_data")
    if isinstance(example, dict):
        example.pop(step_id, None)
    notices = []
    if isinstance(removed, Mapping) and removed.get("fields"):
        notices.append(
            Notice(
                f"Se eliminaron también los campos del paso «{step_id}».",
                f"The fields of the step “{step_id}” were removed too.",
            )
        )
    return _finish(out, notices)


def _not_before_start(doc: Doc, ix: _Index, order: list[int]) -> None:
    """Refuse a new order of the steps (old positions, -1 for a new step) that puts a step
    before the start step that was not before it."""
    start = ix.step_at.get(doc.get("start"))  # type: ignore[arg-type]
    if start is None:
        return
    before = order[: order.index(start)]
    if any(k == -1 or k > start for k in before):
        raise _before_start(doc["start"])


def _before_start(start: str) -> EditError:
    return EditError(
        "before_start",
        f"Ningún paso puede ir antes del paso inicial «{start}».",
        f"No step may come before the start step “{start}”.",
    )


def move_step(doc: Doc, step_id: str, index: int) -> EditResult:
    """Move a step to ``index`` in the list (counted without the step itself)."""
    ix = _Index(doc)
    i = ix.step(step_id)
    position = _position(index, len(ix.steps) - 1)
    order = [k for k in range(len(ix.steps)) if k != i]
    order.insert(position, i)
    _not_before_start(doc, ix, order)
    out = clone(doc)
    out["steps"].insert(position, out["steps"].pop(i))
    return _finish(out)


def duplicate_step(doc: Doc, step_id: str) -> EditResult:
    """A copy right after the step, with fresh ids for it and its fields; rules inside the
    copy that read the step's own fields read the copies."""
    ix = _Index(doc)
    i = ix.step(step_id)
    taken = ix.taken()
    new_step_id = fresh_id(step_id, taken)
    taken.add(new_step_id)
    out = clone(doc)
    copy = clone(out["steps"][i])
    copy["id"] = new_step_id
    mapping: dict[str, str] = {}
    for f in _fields_of(copy):
        new = fresh_id(f["id"], taken)
        taken.add(new)
        mapping[f["id"]] = new
        f["id"] = new
    position = i + 1
    out["steps"].insert(position, copy)
    example = out.get("example_data")
    if isinstance(example, dict) and isinstance(example.get(step_id), dict):
        example[new_step_id] = _renamed_example(example[step_id], mapping)
    out = _rewrite_under(out, ("steps", position), mapping)
    return _finish(out)


def _fields_of(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields of a step or group and their subfields, that have an id."""
    found: list[dict[str, Any]] = []
    for f in step.get("fields") or ():
        if isinstance(f, dict) and isinstance(f.get("id"), str):
            found.append(f)
            found.extend(_fields_of(f))
    return found


def _renamed_example(values: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(values, dict):
        return {mapping.get(k, k): _renamed_example(v, mapping) for k, v in values.items()}
    if isinstance(values, list):
        return [_renamed_example(v, mapping) for v in values]
    return values


def _rewrite_under(doc: Doc, prefix: Path, mapping: Mapping[str, str]) -> Doc:
    """Field references inside ``prefix`` to a key of ``mapping`` now name its value."""
    n = len(prefix)
    for ref in refs.references(doc):
        if ref.kind == FIELD and ref.location_path[:n] == prefix and ref.target_id in mapping:
            refs._apply(doc, ref, ref.target_id, mapping[ref.target_id])
    return doc


# -- fields -----------------------------------------------------------------------------------


def _target_list(
    ix: _Index, step_id: str, group: str | None, field: Mapping[str, Any]
) -> tuple[Path, int]:
    """The list a field goes into (a form's fields or a group's) and its length."""
    i = ix.form_step(step_id)
    if group is None:
        return ("steps", i, "fields"), len(ix.steps[i].get("fields") or ())
    at = ix.field(group)
    owner = _at({"steps": ix.steps}, at.field_path)
    if at.step != i or at.group is not None or owner.get("type") != "group":
        raise EditError(
            "not_a_group",
            f"«{group}» no es un grupo repetible del paso «{step_id}».",
            f"“{group}” is not a repeating group of the step “{step_id}”.",
        )
    if field.get("type") == "group":
        raise EditError(
            "nested_group",
            "Un grupo no puede ir dentro de otro grupo.",
            "A group cannot go inside another group.",
        )
    return (*at.field_path, "fields"), len(owner.get("fields") or ())


def add_field(
    doc: Doc,
    step_id: str,
    new_field: Mapping[str, Any],
    *,
    index: int | None = None,
    group: str | None = None,
) -> EditResult:
    """Insert ``new_field`` into a form step (or into one of its groups) at ``index``."""
    ix = _Index(doc)
    if not isinstance(new_field, Mapping):
        raise EditError("bad_field", "El campo debe ser un objeto.", "The field must be an object.")
    _check_new_id(new_field.get("id"), ix.taken(), "campo", "field")
    for sub in _fields_of(new_field):
        _check_new_id(sub["id"], ix.taken(), "campo", "field")
    path, length = _target_list(ix, step_id, group, new_field)
    position = _position(index, length)
    out = clone(doc)
    target = _at(out, path[:-1])
    target.setdefault("fields", []).insert(position, clone(dict(new_field)))
    return _finish(out)


def _example_values(doc: Doc, step_id: str) -> dict[str, Any] | None:
    example = doc.get("example_data")
    values = example.get(step_id) if isinstance(example, dict) else None
    return values if isinstance(values, dict) else None


def _drop_example(doc: Doc, step_id: str, at: _FieldAt, field_id: str) -> Any:
    """Remove (and return) the example answer of a field: its key, or its key in every row."""
    values = _example_values(doc, step_id)
    if values is None:
        return None
    if at.group is None:
        return values.pop(field_id, None)
    for row in values.get(at.group) or ():
        if isinstance(row, dict):
            row.pop(field_id, None)
    return None


def remove_field(doc: Doc, field_id: str) -> EditResult:
    """Remove a field and its example answers; what read it becomes a problem."""
    ix = _Index(doc)
    at = ix.field(field_id)
    step_id = ix.steps[at.step]["id"]
    out = clone(doc)
    _at(out, at.path).pop(at.index)
    _drop_example(out, step_id, at, field_id)
    return _finish(out)


def move_field(
    doc: Doc,
    field_id: str,
    step_id: str,
    *,
    index: int | None = None,
    group: str | None = None,
) -> EditResult:
    """Move a field within its step, to another form step, or into / out of a group; its
    example answer moves with it (it is dropped when it leaves or enters a group)."""
    ix = _Index(doc)
    at = ix.field(field_id)
    moving = _at(doc, at.field_path)
    if group == field_id:
        raise EditError(
            "nested_group",
            "Un grupo no puede ir dentro de sí mismo.",
            "A group cannot go inside itself.",
        )
    path, length = _target_list(ix, step_id, group, moving)
    same_list = path == at.path
    position = _position(index, length - 1 if same_list else length)
    from_step = ix.steps[at.step]["id"]
    out = clone(doc)
    _at(out, at.path).pop(at.index)
    # the target list's path is unchanged by the removal unless the field was before the
    # group it moves into, in the same step
    if group is not None and at.group is None and path[:3] == at.path:
        group_index = path[3]
        assert isinstance(group_index, int)
        if at.index < group_index:
            path = (*path[:3], group_index - 1, *path[4:])
    _at(out, path).insert(position, clone(moving))
    value = _drop_example(out, from_step, at, field_id)
    notices = []
    if value is not None and group is None:
        values = _example_values(out, step_id)
        if values is None:
            out.setdefault("example_data", {})[step_id] = values = {}
        values[field_id] = value
    elif (at.group or group) and at.group != group:
        notices.append(
            Notice(
                f"El ejemplo del campo «{field_id}» se quitó: ya no tiene la misma forma.",
                f"The example answer of the field “{field_id}” was removed: its shape changed.",
            )
        )
    return _finish(out, notices)


def duplicate_field(doc: Doc, field_id: str) -> EditResult:
    """A copy right after the field, with a fresh id (and fresh subfield ids for a group)."""
    ix = _Index(doc)
    at = ix.field(field_id)
    taken = ix.taken()
    out = clone(doc)
    copy = clone(_at(out, at.field_path))
    mapping: dict[str, str] = {}
    for f in [copy, *_fields_of(copy)]:
        new = fresh_id(f["id"], taken)
        taken.add(new)
        mapping[f["id"]] = new
        f["id"] = new
    _at(out, at.path).insert(at.index + 1, copy)
    values = _example_values(out, ix.steps[at.step]["id"])
    if values is not None and at.group is None and field_id in values:
        items = list(values.items())
        values.clear()
        for key, value in items:
            values[key] = value
            if key == field_id:
                values[mapping[field_id]] = _renamed_example(clone(value), mapping)
    # rules inside the copy (a group's subfields) read the copied subfields
    own = {k: v for k, v in mapping.items() if k != field_id}
    out = _rewrite_under(out, (*at.path, at.index + 1), own)
    return _finish(out)


@cache
def _type_schemas(container: str) -> dict[str, dict[str, Any]]:
    """Field type -> {option: JSON Schema} for ``field`` or ``subfield``, from the meta-schema."""
    defs = load_meta_schema()["$defs"]
    spec = defs[container]
    common = dict(spec.get("properties") or {})
    out: dict[str, dict[str, Any]] = {}
    for branch in spec.get("allOf") or ():
        type_name = branch["if"]["properties"]["type"]["const"]
        props = branch["then"].get("properties") or {}
        own = {k: v for k, v in props.items() if v is not True}
        out[type_name] = {**common, **own}
    return out


@cache
def _option_validator(container: str, type_name: str, option: str) -> Draft202012Validator:
    schema = {"$defs": load_meta_schema()["$defs"], **_type_schemas(container)[type_name][option]}
    return Draft202012Validator(schema)


def change_field_type(
    doc: Doc, field_id: str, new_type: str, *, options: Mapping[str, Any] | None = None
) -> EditResult:
    """Give a field another type: options the new type accepts (with a valid value) are
    kept, the others dropped and listed in the notices; ``options`` adds the new type's."""
    ix = _Index(doc)
    at = ix.field(field_id)
    container = "field" if at.group is None else "subfield"
    schemas = _type_schemas(container)
    if new_type not in schemas:
        known = ", ".join(sorted(schemas))
        raise EditError(
            "unknown_type",
            f"«{new_type}» no es un tipo de campo que se pueda usar aquí. Tipos: {known}.",
            f"“{new_type}” is not a field type that can be used here. Types: {known}.",
        )
    current = _at(doc, at.field_path)
    if current.get("type") == new_type and not options:
        return _finish(clone(doc))
    if "group" in (current.get("type"), new_type) and current.get("type") != new_type:
        raise EditError(
            "group_type",
            "Un grupo no se convierte en otro tipo ni al revés: agregue un campo nuevo y "
            "mueva o elimine los campos.",
            "A group does not turn into another type or the other way round: add a new field "
            "and move or remove the fields.",
        )
    allowed = schemas[new_type]
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in {**current, **(options or {})}.items():
        if key == "type":
            kept[key] = new_type
        elif key in ("id",) or (
            key in allowed and _option_validator(container, new_type, key).is_valid(value)
        ):
            kept[key] = value
        else:
            dropped.append(key)
    kept["type"] = new_type
    out = clone(doc)
    _at(out, at.path)[at.index] = clone(kept)
    notices = [
        Notice(
            f"La opción «{key}» no aplica al tipo «{new_type}» y se quitó.",
            f"The option “{key}” does not apply to the type “{new_type}” and was removed.",
        )
        for key in dropped
    ]
    if not _example_still_valid(current.get("type"), new_type):
        step_id = ix.steps[at.step]["id"]
        if _drop_example(out, step_id, at, field_id) is not None:
            notices.append(
                Notice(
                    f"El ejemplo del campo «{field_id}» se quitó: era del tipo anterior.",
                    f"The example answer of the field “{field_id}” was removed: it was of the "
                    "previous type.",
                )
            )
    return _finish(out, notices)


def _example_still_valid(old_type: Any, new_type: str) -> bool:
    """Whether every answer of ``old_type`` is an answer of ``new_type`` too (a choice to the
    other kind of single choice, any text to free text)."""
    if old_type == new_type:
        return True
    kinds = load_field_types()["types"]
    old_kind = (kinds.get(old_type) or {}).get("value")
    if {old_type, new_type} <= {"select", "radio"}:
        return True
    return new_type in ("text", "textarea") and old_kind == "string"


# -- properties -------------------------------------------------------------------------------

_FIXED = {
    "id": ("use rename_field / rename_step", "cambie el id con «renombrar»"),
    "type": ("use change_field_type", "cambie el tipo con «cambiar tipo»"),
}


def _set_keys(target: dict[str, Any], changes: Mapping[str, Any], what_es: str) -> None:
    for key, value in changes.items():
        if key in _FIXED:
            raise EditError(
                "fixed_key",
                f"«{key}» de {what_es} no se cambia así: {_FIXED[key][1]}.",
                f"“{key}” is not changed this way: {_FIXED[key][0]}.",
            )
        if value is None:
            target.pop(key, None)
        else:
            target[key] = clone(value)


def set_field(doc: Doc, field_id: str, changes: Mapping[str, Any]) -> EditResult:
    """Set properties of a field (label, help, required, its type's options...); a value of
    None removes the property. Its id and type change through ``rename_field`` and
    ``change_field_type``."""
    ix = _Index(doc)
    at = ix.field(field_id)
    out = clone(doc)
    _set_keys(_at(out, at.field_path), changes, "un campo")
    return _finish(out)


def set_step(doc: Doc, step_id: str, changes: Mapping[str, Any]) -> EditResult:
    """Set properties of a step (title, description, its type's settings); None removes one.
    Its id changes through ``rename_step``; its type does not change."""
    ix = _Index(doc)
    i = ix.step(step_id)
    out = clone(doc)
    _set_keys(out["steps"][i], changes, "un paso")
    return _finish(out)


def set_example_data(doc: Doc, data: Mapping[str, Any] | None) -> EditResult:
    """The procedure's sample answers per form step (``example_data``); None or empty: no
    sample answers (the preview makes some from the field types)."""
    out = clone(doc)
    if data:
        out["example_data"] = clone(dict(data))
    else:
        out.pop("example_data", None)
    return _finish(out)


def set_ledger(doc: Doc, register: Mapping[str, Any] | None) -> EditResult:
    """What an approved case records in the municipal ledger (``ledger.register``); None:
    the procedure registers nothing (the ``ledger`` block goes)."""
    out = clone(doc)
    if register is None:
        out.pop("ledger", None)
    else:
        out["ledger"] = {**(out.get("ledger") or {}), "register": clone(dict(register))}
    return _finish(out)


# -- rename -----------------------------------------------------------------------------------


def rename_field(doc: Doc, old: str, new: str) -> EditResult:
    """Give a field a new id, and every rule, text, mapping and example that names it too."""
    ix = _Index(doc)
    at = ix.field(old)
    _check_new_id(new, ix.taken() - {old}, "campo", "field")
    if new == old:
        return _finish(clone(doc))
    out = refs.rewrite(doc, old, new, FIELD)
    _at(out, at.field_path)["id"] = new
    return _finish(out)


def rename_step(doc: Doc, old: str, new: str) -> EditResult:
    """Give a step a new id, and every transition, outcome, rule and example that names it."""
    ix = _Index(doc)
    i = ix.step(old)
    _check_new_id(new, ix.taken() - {old}, "paso", "step")
    if new == old:
        return _finish(clone(doc))
    out = refs.rewrite(doc, old, new, STEP)
    out["steps"][i]["id"] = new
    return _finish(out)


def rename(doc: Doc, old: str, new: str, kind: Kind) -> EditResult:
    """``rename_field`` or ``rename_step`` by ``kind``."""
    return rename_field(doc, old, new) if kind == FIELD else rename_step(doc, old, new)


# -- conditions, transitions, outcomes --------------------------------------------------------

_CONDITION_KEYS = {
    "transitions": "when",
    "fee_lines": "when",
    "branches": "when",
    "eligibility": "rule",
}


def set_condition(doc: Doc, element: str, rule: Any) -> EditResult:
    """Set (or, with ``rule`` None, remove) a condition, addressed by its element id path:
    ``fields/<id>`` (show-if), ``steps/<id>/transitions|fee_lines|branches/<id>`` (when) or
    ``steps/<id>/eligibility/<id>`` (the rule, which cannot be removed)."""
    ix = _Index(doc)
    parts = element.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "fields":
        path: Path = ix.field(parts[1]).field_path
        key = "show_if"
    elif len(parts) == 4 and parts[0] == "steps" and parts[3] and parts[2] in _CONDITION_KEYS:
        i = ix.step(parts[1])
        items = ix.steps[i].get(parts[2]) or []
        k = _item_index(items, parts[3], parts[1])
        path, key = ("steps", i, parts[2], k), _CONDITION_KEYS[parts[2]]
    elif len(parts) == 4 and parts[0] == "steps" and parts[2] == "fields":
        path, key = ix.field(parts[3]).field_path, "show_if"
    else:
        raise EditError(
            "bad_element",
            f"«{element}» no indica una condición. Use fields/<campo>, "
            "steps/<paso>/transitions/<id>, steps/<paso>/fee_lines/<id>, "
            "steps/<paso>/branches/<id> o steps/<paso>/eligibility/<id>.",
            f"“{element}” does not name a condition. Use fields/<field>, "
            "steps/<step>/transitions/<id>, steps/<step>/fee_lines/<id>, "
            "steps/<step>/branches/<id> or steps/<step>/eligibility/<id>.",
        )
    if rule is None and key == "rule":
        raise EditError(
            "rule_required",
            "Una regla de elegibilidad necesita su regla; elimine la regla completa si ya no "
            "aplica.",
            "An eligibility rule needs its rule; remove the whole rule if it no longer applies.",
        )
    out = clone(doc)
    target = _at(out, path)
    if rule is None:
        target.pop(key, None)
    else:
        target[key] = clone(rule)
    return _finish(out)


def _item_index(items: Any, item_id: str, step_id: str) -> int:
    for k, item in enumerate(items if isinstance(items, list) else ()):
        if isinstance(item, Mapping) and item.get("id") == item_id:
            return k
    raise EditError(
        "unknown_item",
        f"El paso «{step_id}» no tiene ninguna entrada «{item_id}».",
        f"The step “{step_id}” has no entry “{item_id}”.",
    )


def _has_transitions(ix: _Index, step_id: str) -> int:
    i = ix.step(step_id)
    if ix.steps[i].get("type") in ("approval", "parallel", "end"):
        raise EditError(
            "no_transitions",
            f"El paso «{step_id}» no sigue por transiciones (un paso de revisión sigue por sus "
            "resultados; un final no sigue).",
            f"The step “{step_id}” does not continue through transitions (a review continues "
            "through its outcomes; an end does not continue).",
        )
    return i


def set_transition(
    doc: Doc,
    step_id: str,
    transition_id: str,
    to: str,
    *,
    when: Any = _UNSET,
    index: int | None = None,
) -> EditResult:
    """Create or change a transition of a step. A new one with a condition goes before the
    default (last, unconditional) one; ``when=None`` removes the condition."""
    ix = _Index(doc)
    i = _has_transitions(ix, step_id)
    ix.step(to)
    out = clone(doc)
    transitions = out["steps"][i].setdefault("transitions", [])
    found = [
        k for k, t in enumerate(transitions) if isinstance(t, dict) and t.get("id") == transition_id
    ]
    if found:
        k = found[0]
        item = transitions[k]
        if index is not None:
            transitions.insert(_position(index, len(transitions) - 1), transitions.pop(k))
    else:
        _check_new_id(transition_id, (), "transición", "transition")
        item = {"id": transition_id}
        conditional = when is not _UNSET and when is not None
        default = len(transitions) - 1 if conditional and transitions else len(transitions)
        position = _position(index, len(transitions)) if index is not None else default
        transitions.insert(position, item)
    item["to"] = to
    if when is None:
        item.pop("when", None)
    elif when is not _UNSET:
        item["when"] = clone(when)
    return _finish(out)


def rename_transition(doc: Doc, step_id: str, old: str, new: str) -> EditResult:
    """Give a transition of a step a new id: an identifier unique among the step's
    transitions (no rule, text nor mapping names a transition, so nothing else changes)."""
    ix = _Index(doc)
    i = _has_transitions(ix, step_id)
    items = ix.steps[i].get("transitions")
    k = _item_index(items, old, step_id)
    taken = {str(t.get("id")) for t in items if isinstance(t, Mapping)} - {old}
    _check_new_id(new, taken, "ruta", "route")
    out = clone(doc)
    out["steps"][i]["transitions"][k]["id"] = new
    return _finish(out)


def remove_transition(doc: Doc, step_id: str, transition_id: str) -> EditResult:
    """Remove one transition of a step."""
    ix = _Index(doc)
    i = _has_transitions(ix, step_id)
    k = _item_index(ix.steps[i].get("transitions"), transition_id, step_id)
    out = clone(doc)
    out["steps"][i]["transitions"].pop(k)
    return _finish(out)


def set_outcome(
    doc: Doc,
    step_id: str,
    outcome: str,
    to: str | None = None,
    *,
    lapse_to: str | None = None,
    response_days: int | None = None,
) -> EditResult:
    """Where a review leads: ``approve`` / ``reject`` to a step, or ``return`` to a form
    (``to``) with ``response_days`` and the end applied on lapse (``lapse_to``); ``return``
    with ``to`` None removes the return."""
    ix = _Index(doc)
    i = ix.step(step_id)
    if ix.steps[i].get("type") not in ("approval", "parallel"):
        raise EditError(
            "no_outcomes",
            f"El paso «{step_id}» no es una revisión: no tiene resultados.",
            f"The step “{step_id}” is not a review: it has no outcomes.",
        )
    if outcome not in ("approve", "reject", "return"):
        raise EditError(
            "unknown_outcome",
            f"«{outcome}» no es un resultado: use approve, reject o return.",
            f"“{outcome}” is not an outcome: use approve, reject or return.",
        )
    for target in (to, lapse_to):
        if target is not None:
            ix.step(target)
    if outcome != "return" and to is None:
        raise EditError(
            "outcome_target",
            f"Indique a qué paso lleva «{outcome}».",
            f"Say which step “{outcome}” leads to.",
        )
    out = clone(doc)
    outcomes = out["steps"][i].setdefault("outcomes", {})
    if outcome != "return":
        outcomes[outcome] = {"to": to}
    elif to is None:
        outcomes.pop("return", None)
    else:
        previous = outcomes.get("return") if isinstance(outcomes.get("return"), dict) else {}
        ret: dict[str, Any] = {"to_step": to}
        days = response_days if response_days is not None else previous.get("response_days")
        lapse = lapse_to if lapse_to is not None else previous.get("lapse_to")
        if days is not None:
            ret["response_days"] = days
        if lapse is not None:
            ret["lapse_to"] = lapse
        outcomes["return"] = ret
    return _finish(out)
