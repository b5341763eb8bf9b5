"""The diff a liaison reads before publishing: one change per element, matched by id, in es/en."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.templates.diff import Change, diff, grouped

EXAMPLES: dict[str, dict[str, Any]] = {
    p.stem: json.loads(p.read_text("utf-8")) for p in sorted(examples_dir().glob("*.json"))
}
KEYS = sorted(EXAMPLES)
MIRROR = {"added": "removed", "removed": "added"}
LEFTOVER = re.compile(r"(?<!\{)\{[a-z_]*\}(?!\})")  # an unfilled "{name}" of our own wording


def example(key: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[key])


def assert_mirror(a: Any, b: Any) -> None:
    """diff(b, a) is diff(a, b) read backwards: added<->removed, old and new places swapped."""
    forward = Counter(
        (MIRROR.get(c.kind, c.kind), c.old_element, c.element, c.attribute) for c in diff(a, b)
    )
    backward = Counter((c.kind, c.element, c.old_element, c.attribute) for c in diff(b, a))
    assert forward == backward


def readable(change: Change) -> None:
    for text in (change.message_es, change.message_en):
        assert text and not LEFTOVER.search(text) and "None" not in text, change


def only(a: Any, b: Any) -> Change:
    changes = diff(a, b)
    assert len(changes) == 1, [c.message_es for c in changes]
    readable(changes[0])
    assert_mirror(a, b)
    return changes[0]


def form_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doc["steps"] if s["type"] == "form"]


def every_field(key: str) -> Iterator[tuple[str, int, int]]:
    for s, step in enumerate(EXAMPLES[key]["steps"]):
        for f in range(len(step.get("fields", []))):
            yield key, s, f


FIELDS = [site for key in KEYS for site in every_field(key)]
STEPS = [(key, s) for key in KEYS for s in range(len(EXAMPLES[key]["steps"]))]


# -- identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_identical_documents_have_no_changes(key: str) -> None:
    assert diff(EXAMPLES[key], example(key)) == []
    assert grouped([]) == []


# -- fields -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "s", "f"), FIELDS)
def test_every_field_label_change_is_one_change_on_that_field(key: str, s: int, f: int) -> None:
    a, b = example(key), example(key)
    step, field = b["steps"][s], b["steps"][s]["fields"][f]
    old_label = field["label"]["es"]
    field["label"]["es"] = "Etiqueta nueva"
    change = only(a, b)
    assert (change.kind, change.attribute) == ("changed", "label")
    assert change.element == f"steps/{step['id']}/fields/{field['id']}"
    assert change.step == step["id"]
    assert f"«{old_label}»" in change.message_es and "«Etiqueta nueva»" in change.message_es


@pytest.mark.parametrize(("key", "s", "f"), FIELDS)
def test_every_removed_field_is_named_with_its_step(key: str, s: int, f: int) -> None:
    a, b = example(key), example(key)
    step = b["steps"][s]
    field = step["fields"].pop(f)
    change = only(a, b)
    assert change.kind == "removed"
    assert change.element == f"steps/{step['id']}/fields/{field['id']}"
    assert change.message_es == (
        f"Se quitó el campo «{field['label']['es']}» del paso «{step['title']['es']}»"
    )


def test_added_field_reads_as_the_liaison_would_say_it() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    negocio = next(s for s in b["steps"] if s["id"] == "negocio")
    negocio["fields"].insert(
        2, {"id": "superficie", "type": "number", "label": {"es": "Superficie", "en": "Area"}}
    )
    change = only(a, b)
    assert change.kind == "added" and change.element == "steps/negocio/fields/superficie"
    assert change.message_es == "Se agregó el campo «Superficie» al paso «Datos del negocio»"
    assert change.message_en == "Added the field «Area» to the step «Business details»"


@pytest.mark.parametrize(("key", "s", "f"), FIELDS)
def test_a_field_moved_to_the_end_of_its_step_is_one_move(key: str, s: int, f: int) -> None:
    a, b = example(key), example(key)
    fields = b["steps"][s]["fields"]
    if f == len(fields) - 1:
        fields.insert(0, fields.pop())
    else:
        fields.append(fields.pop(f))
    change = only(a, b)
    assert change.kind == "moved"


def test_a_field_moved_to_another_step_is_one_move_naming_both_steps() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    solicitante, negocio = b["steps"][0], b["steps"][1]
    negocio["fields"].insert(1, solicitante["fields"].pop(2))
    change = only(a, b)
    assert change.kind == "moved"
    assert change.element == "steps/negocio/fields/nombre_solicitante"
    assert change.old_element == "steps/solicitante/fields/nombre_solicitante"
    assert change.step == "negocio"
    assert "«Datos del solicitante»" in change.message_es
    assert "«Datos del negocio»" in change.message_es


def test_a_moved_and_edited_field_is_a_move_and_a_change_not_remove_and_add() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    moved = b["steps"][0]["fields"].pop(2)
    moved["required"] = False
    b["steps"][1]["fields"].append(moved)
    kinds = sorted(c.kind for c in diff(a, b))
    assert kinds == ["changed", "moved"]
    assert_mirror(a, b)


def test_a_field_whose_id_alone_changed_is_renamed() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["steps"][1]["fields"][0]["id"] = "nombre_del_negocio"
    change = only(a, b)
    assert change.kind == "renamed"
    assert change.old_element == "steps/negocio/fields/nombre_comercial"
    assert change.element == "steps/negocio/fields/nombre_del_negocio"
    assert "nombre_comercial → nombre_del_negocio" in change.message_es


def test_a_condition_change_names_the_field_it_shows() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["steps"][2]["fields"][4]["show_if"] = {">": [{"var": "superficie_m2"}, 200]}
    change = only(a, b)
    assert change.attribute == "show_if"
    assert (
        change.message_es
        == "Cambió la condición para mostrar «Programa interno de protección civil»"
    )
    del b["steps"][2]["fields"][4]["show_if"]
    assert only(a, b).kind == "removed"


def test_required_flag_reads_as_a_sentence() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["steps"][1]["fields"][0]["required"] = False
    assert only(a, b).message_es == "El campo «Nombre comercial» ya no es obligatorio"


def test_group_subfields_and_options_are_elements_too() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    socios = b["steps"][1]["fields"][7]
    socios["fields"][2]["max"] = 99
    change = only(a, b)
    assert change.element == "steps/negocio/fields/socios/fields/socio_porcentaje"
    assert change.message_es == "El máximo del campo «Participación (%)» cambió de 100 a 99"
    b = example("licencia-funcionamiento")
    giro = b["steps"][1]["fields"][1]
    giro["options"].append({"value": "papeleria", "label": {"es": "Papelería"}})
    change = only(a, b)
    assert change.element == "steps/negocio/fields/giro/options/papeleria"
    assert change.message_es == "Se agregó la opción «Papelería» al campo «Giro del negocio»"
    giro["options"].pop()
    giro["options"].append(giro["options"].pop(0))
    assert only(a, b).kind == "moved"


# -- steps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "s"), STEPS)
def test_every_step_title_change_is_one_change_grouped_under_it(key: str, s: int) -> None:
    a, b = example(key), example(key)
    b["steps"][s]["title"]["es"] = "Título nuevo"
    change = only(a, b)
    assert (change.kind, change.attribute) == ("changed", "title")
    assert f"«{a['steps'][s]['title']['es']}» cambió de" in change.message_es
    assert change.element == f"steps/{b['steps'][s]['id']}"
    assert [g.step for g in grouped([change])] == [b["steps"][s]["id"]]


@pytest.mark.parametrize(("key", "s"), STEPS)
def test_every_unknown_step_key_still_produces_a_readable_change(key: str, s: int) -> None:
    a, b = example(key), example(key)
    b["steps"][s]["x_colour"] = "azul"
    change = only(a, b)
    assert change.message_es == f"Cambió «x_colour» en el paso «{a['steps'][s]['title']['es']}»"


@pytest.mark.parametrize(("key", "s"), STEPS)
def test_every_step_removal_is_one_change_with_its_fields(key: str, s: int) -> None:
    a, b = example(key), example(key)
    gone = b["steps"].pop(s)
    changes = diff(a, b)
    step_changes = [c for c in changes if c.element == f"steps/{gone['id']}"]
    assert [c.kind for c in step_changes] == ["removed"]
    removed_fields = {c.element for c in changes if "/fields/" in c.element}
    assert removed_fields == {
        f"steps/{gone['id']}/fields/{f['id']}" for f in gone.get("fields", [])
    }
    assert_mirror(a, b)


def test_a_moved_step_is_one_move() -> None:
    a, b = example("permiso-construccion"), example("permiso-construccion")
    b["steps"].append(b["steps"].pop(1))
    assert only(a, b).kind == "moved"


def test_approval_deadline_and_outcomes() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    revision = next(s for s in b["steps"] if s["id"] == "revision")
    revision["deadline_days"] = 10
    change = only(a, b)
    assert change.message_es == (
        "El plazo de la aprobación «Revisión de Desarrollo Económico» cambió de 5 a 10 días hábiles"
    )
    assert change.message_en.endswith("changed from 5 to 10 business days")
    revision["deadline_days"] = 5
    revision["on_lapse"] = "negativa_ficta"
    assert only(a, b).message_es == (
        "Lo que ocurre al vencer el plazo de la aprobación «Revisión de Desarrollo Económico» "
        "cambió de afirmativa ficta a negativa ficta"
    )
    revision["on_lapse"] = "afirmativa_ficta"
    revision["outcomes"]["approve"]["to"] = "emision"
    change = only(a, b)
    assert change.element == "steps/revision/outcomes/approve"
    assert "«Pago de derechos» a «Emisión de la licencia»" in change.message_es
    del revision["outcomes"]["return"]
    assert [c.kind for c in diff(a, b)] == ["changed", "removed"]


def test_transitions_branches_eligibility_by_id() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["steps"][2]["transitions"][0]["when"] = {">": [{"var": "superficie_m2"}, 150]}
    b["steps"][3]["branches"][1]["role"] = "jefe"
    b["steps"][1]["eligibility"].pop(0)
    changes = {c.element: c for c in diff(a, b)}
    assert set(changes) == {
        "steps/documentos/transitions/revision_conjunta",
        "steps/revision_conjunta/branches/proteccion",
        "steps/negocio/eligibility/uso_suelo_compatible",
    }
    assert changes["steps/revision_conjunta/branches/proteccion"].message_es == (
        "El rol de la rama «proteccion» de la revisión conjunta "
        "«Revisión de Desarrollo Económico y Protección Civil» cambió de inspector a jefe"
    )
    assert_mirror(a, b)


def test_fee_lines_tables_and_constants() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["fee_tables"]["tarifa_giro"]["farmacia"] = "1500.00"
    change = only(a, b)
    assert change.element == "fee_tables/tarifa_giro/farmacia" and change.step is None
    assert change.message_es.startswith("La tarifa «farmacia» cambió de 1400.00 a 1500.00")
    b = example("licencia-funcionamiento")
    b["constants"]["uma_por_m2"] = "0.06"
    assert only(a, b).message_es == "La constante «uma_por_m2» cambió de 0.05 a 0.06"
    b["constants"]["uma_por_m2"] = "0.05"
    b["constants"]["uma"]["by_year"]["2026"] = "118.00"
    assert only(a, b).element == "constants/uma/2026"
    b = example("licencia-funcionamiento")
    pago = next(s for s in b["steps"] if s["id"] == "pago")
    pago["fee_lines"][2]["when"] = True
    pago["fee_lines"].pop(0)
    kinds = {c.element: c.kind for c in diff(a, b)}
    assert kinds == {
        "steps/pago/fee_lines/venta_alcohol": "changed",
        "steps/pago/fee_lines/derecho_giro": "removed",
    }


def test_documents_notices_and_connectors() -> None:
    a, b = example("permiso-construccion"), example("permiso-construccion")
    doc_step = next(s for s in b["steps"] if s["type"] == "document")
    doc_step["document"]["body"]["es"] += " Fin."
    doc_step["document"]["validity_days"] = 30
    notice = next(s for s in b["steps"] if s["type"] == "notify")
    notice["message"]["es"] = "Otro mensaje"
    connector = next(s for s in b["steps"] if s["type"] == "connector")
    first_input = next(iter(connector["input"]))
    connector["input"][first_input] = {"var": "otro"}
    connector["result_map"]["nuevo"] = "nuevo_dato"
    changes = diff(a, b)
    attrs = {(c.element, c.attribute) for c in changes}
    assert (f"steps/{doc_step['id']}/document", "body") in attrs
    assert (f"steps/{doc_step['id']}/document", "validity_days") in attrs
    assert (f"steps/{notice['id']}", "message") in attrs
    assert (f"steps/{connector['id']}/input/{first_input}", None) in attrs
    assert (f"steps/{connector['id']}/result_map/nuevo", None) in attrs
    assert len(changes) == 5
    for change in changes:
        readable(change)
    assert_mirror(a, b)


# -- procedure level --------------------------------------------------------------------------


def test_procedure_metadata_requirements_ledger_example_data() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["catalog"]["cost"]["es"] = "Gratuito"
    b["catalog"]["max_response_days"] = 15
    removed = b["catalog"]["requirements"].pop(1)
    b["ledger"]["register"]["recurring"]["due_month"] = 4
    b["example_data"]["negocio"]["empleados"] = 3
    b["keywords"].append("tienda")
    b["x_note"] = "algo"
    changes = {(c.element, c.attribute): c for c in diff(a, b)}
    assert all(c.step is None for c in changes.values())
    assert changes[("catalog/requirements/comprobante_domicilio", None)].message_es == (
        f"Se quitó el requisito «{removed['name']['es']}»"
    )
    assert changes[("catalog", "max_response_days")].message_es == (
        "El plazo máximo de respuesta de la ficha del trámite cambió de 10 a 15 días hábiles"
    )
    assert ("catalog", "cost") in changes
    assert ("ledger/register", "recurring") in changes
    assert ("example_data/negocio", None) in changes
    assert changes[("keywords", "keywords")].message_es.startswith(
        "Las palabras clave del trámite cambiaron de negocio, apertura"
    )
    assert changes[("x_note", "x_note")].message_es == "Cambió «x_note» en el trámite"
    assert_mirror(a, b)


def test_grouped_puts_procedure_changes_first_then_steps() -> None:
    a, b = example("licencia-funcionamiento"), example("licencia-funcionamiento")
    b["steps"][1]["fields"][0]["required"] = False
    b["title"]["es"] = "Licencia"
    b["steps"][0]["fields"][0]["required"] = False
    groups = grouped(diff(a, b))
    assert [g.step for g in groups] == [None, "solicitante", "negocio"]
    assert groups[1].title("es") == "Paso «Datos del solicitante»"
    assert groups[2].title("en") == "Step «Business details»"


# -- properties -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KEYS), st.sampled_from(KEYS))
def test_any_two_examples_diff_without_crashing_and_mirror(first: str, second: str) -> None:
    a, b = EXAMPLES[first], EXAMPLES[second]
    changes = diff(a, b)
    assert (changes == []) == (first == second)
    for change in changes:
        readable(change)
    assert sum(len(g.changes) for g in grouped(changes)) == len(changes)
    assert_mirror(a, b)


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KEYS), st.data(), JUNK)
def test_a_draft_with_any_part_replaced_by_junk_still_diffs(
    key: str, data: st.DataObject, junk: Any
) -> None:
    paths = list(_paths(EXAMPLES[key]))
    path = data.draw(st.sampled_from(paths))
    broken = _replace(example(key), path, junk)
    for a, b in ((EXAMPLES[key], broken), (broken, EXAMPLES[key])):
        changes = diff(a, b)
        for change in changes:
            assert change.message_es and change.message_en
        grouped(changes)
    assert_mirror(EXAMPLES[key], broken)


MUTATIONS: list[Callable[[dict[str, Any]], None]] = [
    lambda d: form_steps(d)[0]["fields"].reverse(),
    lambda d: d["steps"].reverse(),
    lambda d: d["catalog"]["requirements"].reverse(),
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("mutate", MUTATIONS)
def test_reordering_reports_only_moves(key: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    a, b = example(key), example(key)
    mutate(b)
    changes = diff(a, b)
    assert {c.kind for c in changes} <= {"moved"}
    assert_mirror(a, b)
