"""What changed between two template documents, element by element, in the liaison's words.

Elements are matched by their stable id, never by position: a field moved to another place or
another step is one "moved" change, a field whose id alone changed is "renamed". Every change
names its element by an id path (``steps/negocio/fields/superficie_m2``), the step it belongs to
(None for the procedure itself) and a plain-language message in Spanish and English built from
the template's own labels. Documents need not be valid (a draft with errors diffs too).
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "ChangeGroup", "diff", "grouped"]

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
MOVED = "moved"
RENAMED = "renamed"
KINDS = (ADDED, REMOVED, CHANGED, MOVED, RENAMED)


@dataclass(frozen=True)
class Change:
    """One difference a liaison reads: what happened to which element, in es and en."""

    kind: str
    element: str
    step: str | None
    message_es: str
    message_en: str
    attribute: str | None = None
    old_element: str = ""
    old: Any = None
    new: Any = None
    step_title_es: str = ""
    step_title_en: str = ""

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("es" or "en"; anything else gets Spanish)."""
        return self.message_en if lang.lower().startswith("en") else self.message_es

    def as_json(self) -> dict[str, Any]:
        """The machine form (CLI ``--json``)."""
        return {
            "kind": self.kind,
            "element": self.element,
            "old_element": self.old_element or self.element,
            "attribute": self.attribute,
            "step": self.step,
            "message_es": self.message_es,
            "message_en": self.message_en,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class ChangeGroup:
    """The changes of one step (``step`` None: the procedure itself), with its title."""

    step: str | None
    title_es: str
    title_en: str
    changes: tuple[Change, ...]

    def title(self, lang: str) -> str:
        return self.title_en if lang.lower().startswith("en") else self.title_es

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "title_es": self.title_es,
            "title_en": self.title_en,
            "changes": [c.as_json() for c in self.changes],
        }


def grouped(changes: Iterable[Change]) -> list[ChangeGroup]:
    """Changes by step, procedure-level first, then steps in the order they first appear."""
    groups: dict[str | None, list[Change]] = {None: []}
    for change in changes:
        groups.setdefault(change.step, []).append(change)
    out = []
    for step, items in groups.items():
        if not items:
            continue
        if step is None:
            out.append(ChangeGroup(None, "Trámite", "Procedure", tuple(items)))
        else:
            first = items[0]
            title_es = first.step_title_es or step
            title_en = first.step_title_en or title_es
            out.append(ChangeGroup(step, f"Paso «{title_es}»", f"Step «{title_en}»", tuple(items)))
    return out


def diff(old_doc: Any, new_doc: Any) -> list[Change]:
    """Every change from ``old_doc`` to ``new_doc``; an empty list when they are the same."""
    if old_doc == new_doc:
        return []
    return _Differ(_as_dict(old_doc), _as_dict(new_doc)).run()


# -- words ------------------------------------------------------------------------------------


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, lang: str) -> str:
    """A localized text (or any value) as one line in ``lang``."""
    if isinstance(value, dict):
        chosen = value.get(lang) or value.get("es")
        if isinstance(chosen, str) and chosen:
            return chosen
        for item in value.values():
            if isinstance(item, str) and item:
                return item
        return _compact(value)
    if isinstance(value, str):
        return value
    return _compact(value)


def _compact(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_localized(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k in ("es", "en") for k in value)


def _fmt(value: Any, lang: str) -> str:
    """A value as the liaison reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("sí" if value else "no") if lang == "es" else ("yes" if value else "no")
    if isinstance(value, int | float | str):
        return str(value)
    if _is_localized(value):
        return f"«{_text(value, lang)}»"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict) and set(value) == {"by_year"}:
        return _fmt(value["by_year"], lang)
    if isinstance(value, dict) and all(isinstance(v, str | int | float) for v in value.values()):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    return _compact(value)


def _span(old: Any, new: Any, lang: str) -> str:
    """ "de 9.80 a 10.50" / "from 9.80 to 10.50" ("ahora 10.50" when there was none)."""
    if old is None or new is None:
        if lang == "es":
            return (
                f"ahora {_fmt(new, 'es')}" if old is None else f"se quitó (era {_fmt(old, 'es')})"
            )
        return f"now {_fmt(new, 'en')}" if old is None else f"removed (was {_fmt(old, 'en')})"
    if lang == "es":
        return f"de {_fmt(old, 'es')} a {_fmt(new, 'es')}"
    return f"from {_fmt(old, 'en')} to {_fmt(new, 'en')}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _de(phrase: str) -> str:
    """Spanish "de" + phrase, contracting "de el" to "del"."""
    return "del " + phrase[3:] if phrase.startswith("el ") else "de " + phrase


def _a(phrase: str) -> str:
    return "al " + phrase[3:] if phrase.startswith("el ") else "a " + phrase


def _label(item: Any, *keys: str) -> tuple[str, str]:
    """The first of ``keys`` that ``item`` has, as es/en text (the id when none)."""
    if isinstance(item, dict):
        for key in keys:
            value = item.get(key)
            if value not in (None, "", {}):
                return _text(value, "es"), _text(value, "en")
    return "?", "?"


@dataclass(frozen=True)
class _Subject:
    """An element as named in a sentence: with its article ("el campo «X»") and bare («X»)."""

    es: str
    en: str
    name_es: str
    name_en: str

    def inside(self, container: _Subject | None) -> _Subject:
        """The element named with its container: "la opción «X» del campo «Y»"."""
        if container is None:
            return self
        return _Subject(
            f"{self.es} {_de(container.es)}",
            f"{self.en} of {container.en}",
            self.name_es,
            self.name_en,
        )

    @staticmethod
    def of(noun_es: str, noun_en: str, name: tuple[str, str]) -> _Subject:
        name_es, name_en = f"«{name[0]}»", f"«{name[1]}»"
        return _Subject(f"{noun_es} {name_es}", f"{noun_en} {name_en}", name_es, name_en)


_PROCEDURE = _Subject("el trámite", "the procedure", "", "")


@dataclass(frozen=True)
class _P:
    """How one attribute of an element is worded.

    ``es``/``en`` name the attribute with its article; "{}" in them stands for the element's
    bare name (otherwise "de <element>" follows). ``show`` prints old and new values (not for
    long texts and rules). ``ref`` "step": the values are step ids, shown by title; "word":
    enumerated values read through ``_WORDS``. ``flag``: a yes/no attribute worded as
    (on_es, off_es, on_en, off_en) after the element.
    """

    es: str
    en: str
    unit_es: str = ""
    unit_en: str = ""
    show: bool = True
    ref: str | None = None
    flag: tuple[str, str, str, str] | None = None


def _attr(spec: _P, subject: _Subject) -> tuple[str, str]:
    if "{}" in spec.es:
        return spec.es.format(subject.name_es), spec.en.format(subject.name_en)
    if subject is _PROCEDURE:
        return f"{spec.es} {_de(subject.es)}", f"{spec.en} of {subject.en}"
    return f"{spec.es} {_de(subject.es)}", f"{spec.en} of {subject.en}"


# -- attribute vocabularies -------------------------------------------------------------------

_DAYS = ("días hábiles", "business days")
_CONDITION = _P("la condición", "the condition", show=False)
_RULE = _P("la regla", "the rule", show=False)

_PROCEDURE_PROPS: dict[str, _P] = {
    "title": _P("el título", "the title"),
    "summary": _P("la descripción", "the summary", show=False),
    "department": _P("la dependencia", "the department"),
    "keywords": _P("las palabras clave", "the keywords"),
    "start": _P("el paso inicial", "the first step", ref="step"),
    "declarative": _P("el régimen declarativo", "the declarative regime", show=False),
    "response_deadline": _P(
        "lo que ocurre al vencer el plazo máximo de respuesta",
        "what happens when the maximum response time lapses",
        show=False,
    ),
    "format_version": _P("la versión del formato", "the format version"),
    "key": _P("la clave", "the key"),
}
_CATALOG_PROPS: dict[str, _P] = {
    "homoclave": _P("la homoclave", "the registry code"),
    "modality": _P("la modalidad", "the modality"),
    "legal_basis": _P("el fundamento legal", "the legal basis", show=False),
    "who_may_apply": _P(
        "el apartado «Quién puede solicitarlo»", "the «Who may apply» section", show=False
    ),
    "max_response_days": _P("el plazo máximo de respuesta", "the maximum response time", *_DAYS),
    "ficta": _P("la afirmativa o negativa ficta", "the tacit approval rule", ref="word"),
    "validity": _P("la vigencia", "the validity"),
    "cost": _P("el costo", "the cost"),
    "offices": _P("las oficinas de atención", "the service offices", show=False),
}
_CONTACT_PROPS: dict[str, _P] = {
    "phone": _P("el teléfono de contacto", "the contact phone"),
    "email": _P("el correo de contacto", "the contact email"),
    "url": _P("la página de contacto", "the contact web page"),
}
_REQUIREMENT_PROPS: dict[str, _P] = {
    "name": _P("el nombre", "the name"),
    "description": _P("la descripción", "the description", show=False),
    "original_copy": _P("original o copia", "original or copy", ref="word"),
    "field": _P("el campo donde se sube", "the upload field"),
}
_STEP_PROPS: dict[str, _P] = {
    "type": _P("el tipo", "the type"),
    "title": _P("el título", "the title"),
    "description": _P("la descripción", "the description", show=False),
    "department": _P("la dependencia", "the department"),
    "department_rule": _P("la regla que elige la dependencia", "the department rule", show=False),
    "role": _P("el rol que decide", "the deciding role"),
    "deadline_days": _P("el plazo", "the deadline", *_DAYS),
    "on_lapse": _P(
        "lo que ocurre al vencer el plazo", "what happens when the deadline lapses", ref="word"
    ),
    "reminder_days_before": _P(
        "el recordatorio", "the reminder", "días antes del vencimiento", "days before the deadline"
    ),
    "lapse_to": _P(
        "el destino si vence el plazo", "the destination if the deadline lapses", ref="step"
    ),
    "currency": _P("la moneda", "the currency"),
    "concept": _P("el concepto", "the concept"),
    "expires_days": _P(
        "la vigencia de la orden de pago", "the payment order expiry", "días", "days"
    ),
    "round_total": _P("el redondeo del total", "the rounding of the total"),
    "to": _P("el destinatario", "the recipient", ref="word"),
    "subject": _P("el asunto", "the subject"),
    "message": _P("el mensaje", "the message", show=False),
    "connector": _P("el conector", "the connector"),
    "outcome": _P("el resultado", "the outcome", ref="word"),
}
_FIELD_PROPS: dict[str, _P] = {
    "type": _P("el tipo", "the type"),
    "label": _P("la etiqueta", "the label"),
    "help": _P("la ayuda", "the help text", show=False),
    "required": _P(
        "si es obligatorio",
        "whether it is required",
        flag=("ahora es obligatorio", "ya no es obligatorio", "is now required", "is now optional"),
    ),
    "show_if": _P("la condición para mostrar {}", "the condition to show {}", show=False),
    "readonly": _P(
        "si es de solo lectura",
        "whether it is read-only",
        flag=(
            "ahora es de solo lectura",
            "ya no es de solo lectura",
            "is now read-only",
            "is now editable",
        ),
    ),
    "min_length": _P("la longitud mínima", "the minimum length"),
    "max_length": _P("la longitud máxima", "the maximum length"),
    "pattern": _P("el formato", "the pattern"),
    "min": _P("el mínimo", "the minimum"),
    "max": _P("el máximo", "the maximum"),
    "integer": _P(
        "si acepta solo enteros",
        "whether only whole numbers are accepted",
        flag=(
            "ahora acepta solo enteros",
            "ahora acepta decimales",
            "now accepts whole numbers only",
            "now accepts decimals",
        ),
    ),
    "min_items": _P("el mínimo de elementos", "the minimum number of items"),
    "max_items": _P("el máximo de elementos", "the maximum number of items"),
    "accept": _P("los tipos de archivo aceptados", "the accepted file types"),
    "max_size_mb": _P("el tamaño máximo", "the maximum size", "MB", "MB"),
    "max_files": _P("el máximo de archivos", "the maximum number of files"),
}
_OPTION_PROPS: dict[str, _P] = {"label": _P("el texto", "the text")}
_ELIGIBILITY_PROPS: dict[str, _P] = {
    "rule": _RULE,
    "message": _P("el mensaje", "the message", show=False),
}
_TRANSITION_PROPS: dict[str, _P] = {
    "to": _P("el destino", "the destination", ref="step"),
    "when": _CONDITION,
}
_BRANCH_PROPS: dict[str, _P] = {
    "department": _P("la dependencia", "the department"),
    "role": _P("el rol", "the role"),
    "when": _CONDITION,
}
_FEE_LINE_PROPS: dict[str, _P] = {
    "label": _P("el nombre", "the name"),
    "amount": _P("la fórmula del importe", "the amount formula", show=False),
    "when": _P("la condición para cobrar {}", "the condition to charge {}", show=False),
}
_OUTCOME_PROPS: dict[str, _P] = {
    "to": _P("el destino", "the destination", ref="step"),
    "to_step": _P("el paso al que se devuelve", "the step it returns to", ref="step"),
    "response_days": _P("el plazo para responder", "the time to answer", *_DAYS),
    "lapse_to": _P("el destino si no responde", "the destination if unanswered", ref="step"),
    "review_again": _P("quién vuelve a revisar", "who reviews again"),
}
_DOCUMENT_PROPS: dict[str, _P] = {
    "kind": _P("la clase de documento", "the document kind"),
    "title": _P("el título del documento", "the document title"),
    "body": _P("el texto del documento", "the document text", show=False),
    "holder": _P("el titular", "the holder"),
    "validity_days": _P("la vigencia", "the validity", "días", "days"),
    "valid_until": _P("la fecha de vencimiento", "the expiry date", show=False),
    "department": _P("la dependencia que lo expide", "the issuing department"),
    "signers": _P("los firmantes", "the signers", show=False),
}
_TABLE_PROPS: dict[str, _P] = {
    "title": _P("el título", "the title"),
    "rows": _P("las filas", "the rows"),
    "columns": _P("las columnas", "the columns", show=False),
}
_LEDGER_PROPS: dict[str, _P] = {
    "kind": _P("el tipo de registro", "the register kind"),
    "key": _P("la clave del registro", "the register key", show=False),
    "description": _P("la descripción del registro", "the register description", show=False),
    "rfc": _P(
        "la identificación fiscal del titular (RFC, RUC)",
        "the holder's tax id (RFC, RUC)",
        show=False,
    ),
    "curp": _P("la CURP del titular", "the holder's CURP", show=False),
    "name": _P("el nombre del titular", "the holder's name", show=False),
    "attributes": _P("los atributos del registro", "the register attributes", show=False),
    "recurring": _P("el cobro periódico", "the recurring charge", show=False),
}
_WORDS: dict[str, tuple[str, str]] = {
    "afirmativa_ficta": ("afirmativa ficta", "tacit approval"),
    "negativa_ficta": ("negativa ficta", "tacit refusal"),
    "escalate": ("escalar al superior", "escalate"),
    "afirmativa": ("afirmativa ficta", "tacit approval"),
    "negativa": ("negativa ficta", "tacit refusal"),
    "none": ("ninguna", "none"),
    "approved": ("aprobado", "approved"),
    "rejected": ("rechazado", "rejected"),
    "cancelled": ("cancelado", "cancelled"),
    "applicant": ("el solicitante", "the applicant"),
    "department": ("la dependencia", "the department"),
    "copy": ("copia", "copy"),
    "original": ("original", "original"),
    "both": ("original y copia", "original and copy"),
}
"""Enumerated values in words (``_P.ref == "word"``)."""
_STEP_NOUNS: dict[str, tuple[str, str]] = {
    "form": ("el paso", "the step"),
    "approval": ("la aprobación", "the approval"),
    "parallel": ("la revisión conjunta", "the joint review"),
    "payment": ("el pago", "the payment"),
    "document": ("la emisión", "the document step"),
    "notify": ("el aviso", "the notice"),
    "connector": ("la consulta", "the lookup"),
    "end": ("el final", "the ending"),
}
_OUTCOME_NAMES: dict[str, tuple[str, str]] = {
    "approve": ("aprobar", "approve"),
    "reject": ("rechazar", "reject"),
    "return": ("prevenir", "return for correction"),
}


# -- order ------------------------------------------------------------------------------------


def _unmoved(before: list[str], after: list[str]) -> set[str]:
    """Keys of a longest common subsequence of two orderings of the same keys, O(n log n)."""
    where = {key: i for i, key in enumerate(before)}
    tails: list[int] = []
    tail_keys: list[int] = []
    parents: list[int] = []
    positions = [where[key] for key in after]
    for index, value in enumerate(positions):
        slot = bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_keys.append(index)
        else:
            tails[slot] = value
            tail_keys[slot] = index
        parents.append(tail_keys[slot - 1] if slot else -1)
    keep: set[str] = set()
    index = tail_keys[-1] if tail_keys else -1
    while index >= 0:
        keep.add(after[index])
        index = parents[index]
    return keep


def _moved(before: list[str], after: list[str]) -> set[str]:
    """Keys whose relative order changed; the same set whichever way the diff is taken."""
    if before == after:
        return set()
    first, second = (before, after) if before <= after else (after, before)
    return set(before) - _unmoved(first, second)


def _keyed(items: Any, key: str) -> dict[str, Any]:
    """A list of objects by their id (positional keys for items without a usable one)."""
    out: dict[str, Any] = {}
    if not isinstance(items, list):
        return out
    for index, item in enumerate(items):
        ident = item.get(key) if isinstance(item, dict) else None
        name = ident if isinstance(ident, str) and ident else f"#{index}"
        while name in out:
            name += "'"
        out[name] = item
    return out


def _signature(item: Any, key: str) -> str:
    rest = {k: v for k, v in item.items() if k != key} if isinstance(item, dict) else item
    return json.dumps(rest, sort_keys=True, default=str)


def _renames(old: Mapping[str, Any], new: Mapping[str, Any], key: str) -> dict[str, str]:
    """new id -> old id for elements identical but for their id."""
    removed = [k for k in old if k not in new]
    added = [k for k in new if k not in old]
    if not removed or not added:
        return {}
    by_sig: dict[str, list[str]] = {}
    for k in removed:
        by_sig.setdefault(_signature(old[k], key), []).append(k)
    out: dict[str, str] = {}
    for k in added:
        pool = by_sig.get(_signature(new[k], key))
        if pool:
            out[k] = pool.pop(0)
    return out


# -- the walk ---------------------------------------------------------------------------------


@dataclass
class _Place:
    """Where changes land: the step they group under and its titles."""

    step: str | None
    title_es: str = ""
    title_en: str = ""


@dataclass
class _FieldSite:
    """A field and where it sits: its container path, under the new step ids (``key``)."""

    field: Any
    container: str
    key: str
    place: _Place
    where: tuple[str, str]


class _Differ:
    """One comparison: walks both documents once, element by element."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = old
        self.new = new
        self.out: list[Change] = []
        self._new_fields: dict[str, _FieldSite] = {}
        self._old_by_step: dict[str, dict[str, _FieldSite]] = {}
        self._new_by_step: dict[str, dict[str, _FieldSite]] = {}
        self.old_steps = _keyed(old.get("steps"), "id")
        self.new_steps = _keyed(new.get("steps"), "id")

    # -- emitting ---------------------------------------------------------------------------

    def emit(
        self,
        kind: str,
        element: str,
        place: _Place,
        es: str,
        en: str,
        *,
        attribute: str | None = None,
        old_element: str = "",
        old: Any = None,
        new: Any = None,
    ) -> None:
        self.out.append(
            Change(
                kind,
                element,
                place.step,
                es,
                en,
                attribute,
                old_element or element,
                old,
                new,
                place.title_es,
                place.title_en,
            )
        )

    def _value(self, spec: _P, value: Any, steps: Mapping[str, Any], lang: str) -> str:
        if spec.ref == "word" and isinstance(value, str) and value in _WORDS:
            return _WORDS[value][0 if lang == "es" else 1]
        if spec.ref == "step" and isinstance(value, str):
            title = _label(steps.get(value), "title")
            return f"«{title[0] if lang == 'es' else title[1]}»" if value in steps else value
        return _fmt(value, lang)

    def attribute(
        self,
        key: str,
        spec: _P | None,
        old: Any,
        new: Any,
        element: str,
        place: _Place,
        subject: _Subject,
        old_element: str = "",
    ) -> None:
        """One attribute that differs, worded by its spec (or generically)."""
        element = element or key
        kw: dict[str, Any] = {"attribute": key, "old_element": old_element, "old": old, "new": new}
        if spec is None:
            if place.step is not None and element == f"steps/{place.step}":
                subject = _Subject.of("el paso", "the step", (place.title_es, place.title_en))
            where_es = "en " + subject.es if subject is not _PROCEDURE else "en el trámite"
            where_en = "in " + subject.en
            self.emit(
                CHANGED,
                element,
                place,
                f"Cambió «{key}» {where_es}",
                f"Changed «{key}» {where_en}",
                **kw,
            )
            return
        name_es, name_en = _attr(spec, subject)
        if spec.flag is not None:
            on_es, off_es, on_en, off_en = spec.flag
            self.emit(
                CHANGED,
                element,
                place,
                f"{_cap(subject.es)} {on_es if new else off_es}",
                f"{_cap(subject.en)} {on_en if new else off_en}",
                **kw,
            )
            return
        unit_es = f" {spec.unit_es}" if spec.unit_es else ""
        unit_en = f" {spec.unit_en}" if spec.unit_en else ""
        o_es = self._value(spec, old, self.old_steps, "es")
        o_en = self._value(spec, old, self.old_steps, "en")
        n_es = self._value(spec, new, self.new_steps, "es")
        n_en = self._value(spec, new, self.new_steps, "en")
        if o_en == n_en:  # only the Spanish text changed: show it rather than "from X to X"
            o_en, n_en = o_es, n_es
        plural = name_es.startswith(("las ", "los "))
        if old is None:
            kind = ADDED
            if spec.show:
                es = f"Se {'definieron' if plural else 'definió'} {name_es}: {n_es}{unit_es}"
                en = f"Set {name_en}: {n_en}{unit_en}"
            else:
                es = f"Se {'agregaron' if plural else 'agregó'} {name_es}"
                en = f"Added {name_en}"
        elif new is None:
            kind = REMOVED
            es = f"Se {'quitaron' if plural else 'quitó'} {name_es}"
            en = f"Removed {name_en}"
            if spec.show:
                es, en = f"{es} (era {o_es}{unit_es})", f"{en} (was {o_en}{unit_en})"
        else:
            kind = CHANGED
            if spec.show:
                verb = "cambiaron" if plural else "cambió"
                es = f"{_cap(name_es)} {verb} de {o_es} a {n_es}{unit_es}"
                en = f"{_cap(name_en)} changed from {o_en} to {n_en}{unit_en}"
            else:
                es = f"{'Cambiaron' if plural else 'Cambió'} {name_es}"
                en = f"Changed {name_en}"
        self.emit(kind, element, place, es, en, **kw)

    def attributes(
        self,
        old: Any,
        new: Any,
        specs: Mapping[str, _P],
        element: str,
        place: _Place,
        subject: _Subject,
        skip: Iterable[str] = (),
        old_element: str = "",
    ) -> None:
        """Each attribute of an element that differs; unknown ones still produce a change."""
        old, new = _as_dict(old), _as_dict(new)
        skipped = set(skip)
        keys = [k for k in specs if k not in skipped]
        keys += sorted(k for k in old.keys() | new.keys() if k not in specs and k not in skipped)
        for key in keys:
            before, after = old.get(key), new.get(key)
            if before != after:
                self.attribute(
                    key, specs.get(key), before, after, element, place, subject, old_element
                )

    def collection(
        self,
        old_items: Any,
        new_items: Any,
        *,
        key: str,
        base: str,
        old_base: str = "",
        place: _Place,
        noun: tuple[str, str],
        label: Callable[[Any], tuple[str, str]],
        container: _Subject | None,
        specs: Mapping[str, _P],
        inner: Callable[[str, str, Any, Any, _Subject], None] | None = None,
        skip: Iterable[str] = (),
    ) -> None:
        """A list (or mapping) of elements with ids: added, removed, renamed, moved, changed."""
        old_base = old_base or base
        old = old_items if isinstance(old_items, dict) else _keyed(old_items, key)
        new = new_items if isinstance(new_items, dict) else _keyed(new_items, key)
        renamed = _renames(old, new, key)
        was_renamed = set(renamed.values())
        to_es = f" {_a(container.es)}" if container else ""
        to_en = f" to {container.en}" if container else ""
        from_es = f" {_de(container.es)}" if container else ""
        from_en = f" from {container.en}" if container else ""
        in_es = f" en {container.es}" if container else ""
        in_en = f" in {container.en}" if container else ""
        for ident, item in new.items():
            element = f"{base}/{ident}"
            subject = _Subject.of(noun[0], noun[1], label(item))
            if ident in old:
                before = old[ident]
                if before != item:
                    subject = _Subject.of(noun[0], noun[1], label(before)).inside(container)
                    self.attributes(
                        before, item, specs, element, place, subject, skip, f"{old_base}/{ident}"
                    )
                    if inner is not None:
                        inner(element, f"{old_base}/{ident}", before, item, subject)
            elif ident in renamed:
                was = renamed[ident]
                self.emit(
                    RENAMED,
                    element,
                    place,
                    f"{_cap(subject.es)} cambió de identificador: {was} → {ident}",
                    f"{_cap(subject.en)} was renamed: {was} → {ident}",
                    old_element=f"{old_base}/{was}",
                    old=was,
                    new=ident,
                )
            else:
                self.emit(
                    ADDED,
                    element,
                    place,
                    f"Se agregó {subject.es}{to_es}",
                    f"Added {subject.en}{to_en}",
                    new=item,
                )
        for ident, item in old.items():
            if ident not in new and ident not in was_renamed:
                subject = _Subject.of(noun[0], noun[1], label(item))
                self.emit(
                    REMOVED,
                    f"{old_base}/{ident}",
                    place,
                    f"Se quitó {subject.es}{from_es}",
                    f"Removed {subject.en}{from_en}",
                    old=item,
                )
        if isinstance(old_items, list) and isinstance(new_items, list):
            common_old = [k for k in old if k in new]
            common_new = [k for k in new if k in old]
            moved = _moved(common_old, common_new)
            for ident in common_new:
                if ident in moved:
                    subject = _Subject.of(noun[0], noun[1], label(new[ident]))
                    self.emit(
                        MOVED,
                        f"{base}/{ident}",
                        place,
                        f"{_cap(subject.es)} cambió de lugar{in_es}",
                        f"{_cap(subject.en)} moved{in_en}",
                        old_element=f"{old_base}/{ident}",
                        old=list(old).index(ident),
                        new=list(new).index(ident),
                    )

    # -- the template -----------------------------------------------------------------------

    def run(self) -> list[Change]:
        proc = _Place(None)
        self.attributes(
            self.old,
            self.new,
            _PROCEDURE_PROPS,
            "",
            proc,
            _PROCEDURE,
            skip=("catalog", "constants", "fee_tables", "steps", "example_data", "ledger"),
        )
        self.catalog(proc)
        self.constants(proc)
        self.fee_tables(proc)
        self.ledger(proc)
        self.example_data(proc)
        self.steps()
        return self.out

    def catalog(self, proc: _Place) -> None:
        old, new = _as_dict(self.old.get("catalog")), _as_dict(self.new.get("catalog"))
        if old == new:
            return
        subject = _Subject("la ficha del trámite", "the procedure sheet", "", "")
        self.attributes(
            old, new, _CATALOG_PROPS, "catalog", proc, subject, skip=("requirements", "contact")
        )
        self.attributes(
            old.get("contact"),
            new.get("contact"),
            _CONTACT_PROPS,
            "catalog/contact",
            proc,
            subject,
        )
        self.collection(
            old.get("requirements"),
            new.get("requirements"),
            key="id",
            base="catalog/requirements",
            place=proc,
            noun=("el requisito", "the requirement"),
            label=lambda r: _label(r, "name", "id"),
            container=None,
            specs=_REQUIREMENT_PROPS,
        )

    def constants(self, proc: _Place) -> None:
        old, new = _as_dict(self.old.get("constants")), _as_dict(self.new.get("constants"))
        for name in _union(old, new):
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            element = f"constants/{name}"
            if before is None:
                self.emit(
                    ADDED,
                    element,
                    proc,
                    f"Se agregó la constante «{name}» ({_fmt(after, 'es')})",
                    f"Added the constant «{name}» ({_fmt(after, 'en')})",
                    new=after,
                )
            elif after is None:
                self.emit(
                    REMOVED,
                    element,
                    proc,
                    f"Se quitó la constante «{name}»",
                    f"Removed the constant «{name}»",
                    old=before,
                )
            elif isinstance(before, dict) and isinstance(after, dict):
                years_old = _as_dict(before.get("by_year"))
                years_new = _as_dict(after.get("by_year"))
                for year in _union(years_old, years_new):
                    o, n = years_old.get(year), years_new.get(year)
                    if o != n:
                        self.emit(
                            _kind(o, n),
                            f"{element}/{year}",
                            proc,
                            f"La constante «{name}» para {year}: {_span(o, n, 'es')}",
                            f"The constant «{name}» for {year}: {_span(o, n, 'en')}",
                            attribute=year,
                            old=o,
                            new=n,
                        )
                self.attributes(
                    before,
                    after,
                    {},
                    element,
                    proc,
                    _Subject.of("la constante", "the constant", (name, name)),
                    skip=("by_year",),
                )
            else:
                self.emit(
                    CHANGED,
                    element,
                    proc,
                    f"La constante «{name}» cambió {_span(before, after, 'es')}",
                    f"The constant «{name}» changed {_span(before, after, 'en')}",
                    old=before,
                    new=after,
                )

    def fee_tables(self, proc: _Place) -> None:
        old, new = _as_dict(self.old.get("fee_tables")), _as_dict(self.new.get("fee_tables"))
        for name in _union(old, new):
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            element = f"fee_tables/{name}"
            if before is None:
                self.emit(
                    ADDED,
                    element,
                    proc,
                    f"Se agregó la tabla de tarifas «{name}»",
                    f"Added the fee table «{name}»",
                    new=after,
                )
                continue
            if after is None:
                self.emit(
                    REMOVED,
                    element,
                    proc,
                    f"Se quitó la tabla de tarifas «{name}»",
                    f"Removed the fee table «{name}»",
                    old=before,
                )
                continue
            rows_old, rows_new = _as_dict(before), _as_dict(after)
            for row in _union(rows_old, rows_new):
                o, n = rows_old.get(row), rows_new.get(row)
                if o == n:
                    continue
                if o is None:
                    es = f"Se agregó la tarifa «{row}» ({_fmt(n, 'es')}) a la tabla «{name}»"
                    en = f"Added the rate «{row}» ({_fmt(n, 'en')}) to the table «{name}»"
                elif n is None:
                    es = f"Se quitó la tarifa «{row}» (era {_fmt(o, 'es')}) de la tabla «{name}»"
                    en = f"Removed the rate «{row}» (was {_fmt(o, 'en')}) from the table «{name}»"
                else:
                    es = f"La tarifa «{row}» cambió {_span(o, n, 'es')} (tabla «{name}»)"
                    en = f"The rate «{row}» changed {_span(o, n, 'en')} (table «{name}»)"
                self.emit(_kind(o, n), f"{element}/{row}", proc, es, en, old=o, new=n)

    def ledger(self, proc: _Place) -> None:
        old, new = _as_dict(self.old.get("ledger")), _as_dict(self.new.get("ledger"))
        if old == new:
            return
        subject = _Subject("el registro en el padrón", "the ledger entry", "", "")
        self.attributes(
            old.get("register"),
            new.get("register"),
            _LEDGER_PROPS,
            "ledger/register",
            proc,
            subject,
        )
        self.attributes(old, new, {}, "ledger", proc, subject, skip=("register",))

    def example_data(self, proc: _Place) -> None:
        old, new = _as_dict(self.old.get("example_data")), _as_dict(self.new.get("example_data"))
        for step in _union(old, new):
            if old.get(step) != new.get(step):
                title = _label(self.new_steps.get(step) or self.old_steps.get(step), "title")
                if title == ("?", "?"):
                    title = (step, step)
                self.emit(
                    _kind(old.get(step), new.get(step)),
                    f"example_data/{step}",
                    proc,
                    f"Cambiaron los datos de ejemplo del paso «{title[0]}»",
                    f"Changed the sample data of the step «{title[1]}»",
                    old=old.get(step),
                    new=new.get(step),
                )

    # -- steps ------------------------------------------------------------------------------

    def _place(self, ident: str, step: Any) -> _Place:
        title = _label(step, "title")
        if title == ("?", "?"):
            title = (ident, ident)
        return _Place(ident, title[0], title[1])

    def _step_subject(self, step: Any) -> _Subject:
        kind = step.get("type") if isinstance(step, dict) else None
        noun = _STEP_NOUNS.get(kind if isinstance(kind, str) else "", ("el paso", "the step"))
        return _Subject.of(noun[0], noun[1], _label(step, "title", "id"))

    def steps(self) -> None:
        old, new = self.old_steps, self.new_steps
        renamed = _renames(old, new, "id")
        was_renamed = set(renamed.values())
        fields_old = self._fields(old, {was: now for now, was in renamed.items()})
        fields_new = self._fields(new, {})
        self._new_fields = fields_new
        self._old_by_step = _by_step(fields_old)
        self._new_by_step = _by_step(fields_new)
        moved = _moved([k for k in old if k in new], [k for k in new if k in old])
        old_order = {k: i for i, k in enumerate(old)}
        new_order = {k: i for i, k in enumerate(new)}
        for ident, step in new.items():
            place = self._place(ident, step)
            plain = _Subject.of("el paso", "the step", _label(step, "title", "id"))
            element = f"steps/{ident}"
            if ident in renamed:
                was = renamed[ident]
                self.emit(
                    RENAMED,
                    element,
                    place,
                    f"{_cap(plain.es)} cambió de identificador: {was} → {ident}",
                    f"{_cap(plain.en)} was renamed: {was} → {ident}",
                    old_element=f"steps/{was}",
                    old=was,
                    new=ident,
                )
            elif ident not in old:
                self.emit(
                    ADDED, element, place, f"Se agregó {plain.es}", f"Added {plain.en}", new=step
                )
            else:
                if ident in moved:
                    self.emit(
                        MOVED,
                        element,
                        place,
                        f"{_cap(plain.es)} cambió de lugar",
                        f"{_cap(plain.en)} moved",
                        old=old_order[ident],
                        new=new_order[ident],
                    )
                if old[ident] != step:
                    self.step(ident, old[ident], step, place, self._step_subject(old[ident]))
            self._step_fields(ident, fields_old, fields_new, place)
        for ident, step in old.items():
            if ident not in new and ident not in was_renamed:
                place = self._place(ident, step)
                plain = _Subject.of("el paso", "the step", _label(step, "title", "id"))
                self.emit(
                    REMOVED,
                    f"steps/{ident}",
                    place,
                    f"Se quitó {plain.es}",
                    f"Removed {plain.en}",
                    old=step,
                )
                self._step_fields(ident, fields_old, fields_new, place, removed_step=True)

    def step(self, ident: str, old: Any, new: Any, place: _Place, subject: _Subject) -> None:
        base = f"steps/{ident}"
        self.attributes(
            old,
            new,
            _STEP_PROPS,
            base,
            place,
            subject,
            skip=(
                "id",
                "fields",
                "eligibility",
                "transitions",
                "outcomes",
                "branches",
                "fee_lines",
                "document",
                "input",
                "result_map",
            ),
        )
        old, new = _as_dict(old), _as_dict(new)
        if old.get("eligibility") != new.get("eligibility"):
            self.collection(
                old.get("eligibility"),
                new.get("eligibility"),
                key="id",
                base=f"{base}/eligibility",
                place=place,
                noun=("la condición de elegibilidad", "the eligibility rule"),
                label=lambda r: _label(r, "id"),
                container=subject,
                specs=_ELIGIBILITY_PROPS,
                skip=("id",),
            )
        if old.get("transitions") != new.get("transitions"):
            self.collection(
                old.get("transitions"),
                new.get("transitions"),
                key="id",
                base=f"{base}/transitions",
                place=place,
                noun=("la salida", "the exit"),
                label=lambda r: _label(r, "id"),
                container=subject,
                specs=_TRANSITION_PROPS,
                skip=("id",),
            )
        if old.get("branches") != new.get("branches"):
            self.collection(
                old.get("branches"),
                new.get("branches"),
                key="id",
                base=f"{base}/branches",
                place=place,
                noun=("la rama", "the branch"),
                label=lambda r: _label(r, "id"),
                container=subject,
                specs=_BRANCH_PROPS,
                skip=("id",),
            )
        if old.get("fee_lines") != new.get("fee_lines"):
            self.collection(
                old.get("fee_lines"),
                new.get("fee_lines"),
                key="id",
                base=f"{base}/fee_lines",
                place=place,
                noun=("el concepto de cobro", "the fee line"),
                label=lambda r: _label(r, "label", "id"),
                container=subject,
                specs=_FEE_LINE_PROPS,
                skip=("id",),
            )
        if old.get("outcomes") != new.get("outcomes"):
            self.outcomes(base, old.get("outcomes"), new.get("outcomes"), place, subject)
        if old.get("document") != new.get("document"):
            self.document(base, old.get("document"), new.get("document"), place, subject)
        for key, noun in (
            ("input", ("el dato enviado", "the input")),
            ("result_map", ("el resultado guardado", "the stored result")),
        ):
            if old.get(key) != new.get(key):
                self.mapping(f"{base}/{key}", old.get(key), new.get(key), place, noun, subject)

    def outcomes(self, base: str, old: Any, new: Any, place: _Place, subject: _Subject) -> None:
        old, new = _as_dict(old), _as_dict(new)
        for name in _union(old, new):
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            words = _OUTCOME_NAMES.get(name, (name, name))
            decision = _Subject(
                f"la decisión «{words[0]}» {_de(subject.es)}",
                f"the decision «{words[1]}» of {subject.en}",
                f"«{words[0]}»",
                f"«{words[1]}»",
            )
            element = f"{base}/outcomes/{name}"
            if before is None or after is None:
                es = "Se agregó" if before is None else "Se quitó"
                en = "Added" if before is None else "Removed"
                self.emit(
                    _kind(before, after),
                    element,
                    place,
                    f"{es} {decision.es}",
                    f"{en} {decision.en}",
                    old=before,
                    new=after,
                )
            elif isinstance(before, list) or isinstance(after, list):  # routes (approve)
                self.emit(
                    CHANGED,
                    element,
                    place,
                    f"Cambiaron las rutas de {decision.es}",
                    f"Changed the routes of {decision.en}",
                    old=before,
                    new=after,
                )
            else:
                self.attributes(before, after, _OUTCOME_PROPS, element, place, decision)

    def document(self, base: str, old: Any, new: Any, place: _Place, subject: _Subject) -> None:
        element = f"{base}/document"
        old, new = _as_dict(old), _as_dict(new)
        title = _label(new or old, "title", "kind")
        doc = _Subject.of("el documento", "the document", title)
        self.attributes(old, new, _DOCUMENT_PROPS, element, place, doc, skip=("tables",))
        if old.get("tables") != new.get("tables"):
            self.collection(
                old.get("tables"),
                new.get("tables"),
                key="id",
                base=f"{element}/tables",
                place=place,
                noun=("la tabla", "the table"),
                label=lambda t: _label(t, "title", "id"),
                container=doc,
                specs=_TABLE_PROPS,
                skip=("id",),
            )

    def mapping(
        self,
        base: str,
        old: Any,
        new: Any,
        place: _Place,
        noun: tuple[str, str],
        subject: _Subject,
    ) -> None:
        old, new = _as_dict(old), _as_dict(new)
        for name in _union(old, new):
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            entry = _Subject.of(noun[0], noun[1], (name, name))
            kind = _kind(before, after)
            verb = {ADDED: ("Se agregó", "Added"), REMOVED: ("Se quitó", "Removed")}.get(
                kind, ("Cambió", "Changed")
            )
            self.emit(
                kind,
                f"{base}/{name}",
                place,
                f"{verb[0]} {entry.es} {_de(subject.es)}",
                f"{verb[1]} {entry.en} of {subject.en}",
                old=before,
                new=after,
            )

    # -- fields (matched across steps and groups) -------------------------------------------

    def _fields(
        self, steps: Mapping[str, Any], renamed: Mapping[str, str]
    ) -> dict[str, _FieldSite]:
        """Every field of every step by id, with the container it sits in."""
        out: dict[str, _FieldSite] = {}
        for ident, step in steps.items():
            if not isinstance(step, dict):
                continue
            place = self._place(ident, step)
            where = _Subject.of("el paso", "the step", (place.title_es, place.title_en))
            self._collect(
                out,
                step.get("fields"),
                f"steps/{ident}",
                f"steps/{renamed.get(ident, ident)}",
                place,
                (where.es, where.en),
            )
        return out

    def _collect(
        self,
        out: dict[str, _FieldSite],
        fields: Any,
        container: str,
        key: str,
        place: _Place,
        where: tuple[str, str],
    ) -> None:
        for ident, item in _keyed(fields, "id").items():
            name = ident
            while name in out:
                name += "'"
            out[name] = _FieldSite(item, container, key, place, where)
            if isinstance(item, dict) and "fields" in item:
                group = _Subject.of("el grupo", "the group", _label(item, "label", "id"))
                self._collect(
                    out,
                    item.get("fields"),
                    f"{container}/fields/{ident}",
                    f"{key}/fields/{ident}",
                    place,
                    (f"{group.es} {_de(where[0])}", f"{group.en} of {where[1]}"),
                )

    def _step_fields(
        self,
        step: str,
        old: dict[str, _FieldSite],
        new: dict[str, _FieldSite],
        place: _Place,
        removed_step: bool = False,
    ) -> None:
        """The fields that now live in ``step`` (or lived in it, for a removed step)."""
        old_here = self._old_by_step.get(step, {})
        if removed_step:
            for ident, site in old_here.items():
                if ident not in new:
                    self._field_removed(ident, site)
            return
        new_here = self._new_by_step.get(step, {})
        if _same_sites(old_here, new_here):
            return
        gone = {k: s for k, s in old_here.items() if k not in new}
        fresh = {k: s for k, s in new_here.items() if k not in old}
        renamed = _renames(
            {k: s.field for k, s in gone.items()}, {k: s.field for k, s in fresh.items()}, "id"
        )
        by_container: dict[str, tuple[list[str], list[str]]] = {}
        for ident, site in new_here.items():
            by_container.setdefault(site.container, ([], []))[1].append(ident)
        for ident, site in old_here.items():
            by_container.setdefault(site.key, ([], []))[0].append(ident)
        for ident, site in new_here.items():
            self._field_now(ident, site, old, renamed)
        self._fields_reordered(by_container, old, new)
        for ident, site in gone.items():
            if ident not in renamed.values():
                self._field_removed(ident, site)

    def _field_now(
        self,
        ident: str,
        site: _FieldSite,
        old: dict[str, _FieldSite],
        renamed: dict[str, str],
    ) -> None:
        """What happened to the field ``ident`` that now lives at ``site``."""
        element = f"{site.container}/fields/{ident}"
        subject = _Subject.of("el campo", "the field", _label(site.field, "label", "id"))
        if ident in renamed:
            was = renamed[ident]
            self.emit(
                RENAMED,
                element,
                site.place,
                f"{_cap(subject.es)} cambió de identificador: {was} → {ident}",
                f"{_cap(subject.en)} was renamed: {was} → {ident}",
                old_element=f"{old[was].container}/fields/{was}",
                old=was,
                new=ident,
            )
            return
        if ident not in old:
            group = _group_of(site)
            if group is not None and group not in old:
                return  # part of a new group: the group's addition says it
            self.emit(
                ADDED,
                element,
                site.place,
                f"Se agregó {subject.es} {_a(site.where[0])}",
                f"Added {subject.en} to {site.where[1]}",
                new=site.field,
            )
            return
        before = old[ident]
        subject = _Subject.of("el campo", "the field", _label(before.field, "label", "id"))
        old_element = f"{before.container}/fields/{ident}"
        if before.key != site.container:
            self.emit(
                MOVED,
                element,
                site.place,
                f"{_cap(subject.es)} pasó {_de(before.where[0])} {_a(site.where[0])}",
                f"{_cap(subject.en)} moved from {before.where[1]} to {site.where[1]}",
                old_element=old_element,
                old=before.container,
                new=site.container,
            )
        if before.field != site.field:
            self.attributes(
                before.field,
                site.field,
                _FIELD_PROPS,
                element,
                site.place,
                subject,
                skip=("id", "fields", "options"),
                old_element=old_element,
            )
            old_f, new_f = _as_dict(before.field), _as_dict(site.field)
            if old_f.get("options") != new_f.get("options"):
                self.collection(
                    old_f.get("options"),
                    new_f.get("options"),
                    key="value",
                    base=f"{element}/options",
                    old_base=f"{old_element}/options",
                    place=site.place,
                    noun=("la opción", "the option"),
                    label=lambda o: _label(o, "label", "value"),
                    container=subject,
                    specs=_OPTION_PROPS,
                    skip=("value",),
                )

    def _fields_reordered(
        self,
        by_container: dict[str, tuple[list[str], list[str]]],
        old: dict[str, _FieldSite],
        new: dict[str, _FieldSite],
    ) -> None:
        """Fields that changed place among the fields they stay with."""
        for container, (before_ids, after_ids) in by_container.items():
            common_old = [k for k in before_ids if k in new and new[k].container == container]
            common_new = [k for k in after_ids if k in old and old[k].key == container]
            moved = _moved(common_old, common_new)
            for ident in common_new:
                if ident in moved:
                    site = new[ident]
                    subject = _Subject.of(
                        "el campo", "the field", _label(site.field, "label", "id")
                    )
                    self.emit(
                        MOVED,
                        f"{container}/fields/{ident}",
                        site.place,
                        f"{_cap(subject.es)} cambió de lugar en {site.where[0]}",
                        f"{_cap(subject.en)} moved within {site.where[1]}",
                        old_element=f"{old[ident].container}/fields/{ident}",
                    )

    def _field_removed(self, ident: str, site: _FieldSite) -> None:
        group = _group_of(site)
        if group is not None and group not in self._new_fields:
            return  # part of a removed group: the group's removal says it
        subject = _Subject.of("el campo", "the field", _label(site.field, "label", "id"))
        self.emit(
            REMOVED,
            f"{site.container}/fields/{ident}",
            site.place,
            f"Se quitó {subject.es} {_de(site.where[0])}",
            f"Removed {subject.en} from {site.where[1]}",
            old=site.field,
        )


def _group_of(site: _FieldSite) -> str | None:
    """The id of the group field a subfield belongs to (None for a step's own field)."""
    head, _, group = site.container.rpartition("/fields/")
    return group if head else None


def _by_step(sites: Mapping[str, _FieldSite]) -> dict[str, dict[str, _FieldSite]]:
    """Fields by the (new) id of the step they sit in, each step's in document order."""
    out: dict[str, dict[str, _FieldSite]] = {}
    for ident, site in sites.items():
        out.setdefault(site.key.split("/", 2)[1], {})[ident] = site
    return out


def _same_sites(old: Mapping[str, _FieldSite], new: Mapping[str, _FieldSite]) -> bool:
    """Nothing to say about a step's fields: same ids, order, places and contents."""
    return list(old) == list(new) and all(
        o.key == n.container and o.field == n.field
        for o, n in zip(old.values(), new.values(), strict=True)
    )


def _union(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Keys of both, in the new order then the removed ones."""
    return list(new) + [k for k in old if k not in new]


def _kind(old: Any, new: Any) -> str:
    return ADDED if old is None else REMOVED if new is None else CHANGED
