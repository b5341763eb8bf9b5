"""Editing operations over templates: each returns a new document and its problems, refuses
what cannot apply without touching the input, and a rename reaches every reference."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from form_schemas import load_meta_schema
from tests.helpers.paths import EXAMPLES
from workflow_engine.templates import editing
from workflow_engine.templates.references import (
    FIELD,
    STEP,
    group_fields,
    references,
    rewrite,
)
from workflow_engine.templates.validation import validate_template

DOCS = {p.stem: json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))}
SCHEMA = Draft202012Validator(load_meta_schema())


def with_row_rules(d: dict[str, Any]) -> dict[str, Any]:
    """The business licence with rules and texts that read the partners' rows: a per-item
    ``some`` and ``all`` over the group (and over a ``filter`` of it), a ``reduce`` reading
    ``current``, and a ``{% for %}`` over the group in the licence."""
    d = copy.deepcopy(d)
    share = {"var": "socio_porcentaje"}
    acta = find_field(d, "doc_acta_constitutiva")
    acta["show_if"] = {
        "and": [
            acta["show_if"],
            {"some": [{"var": "socios"}, {">": [share, 0]}]},
            {"all": [{"filter": [{"var": "socios"}, {"var": "socio_curp"}]}, {"!!": share}]},
            {
                "<=": [
                    {
                        "reduce": [
                            {"var": "socios"},
                            {"+": [{"var": "current.socio_porcentaje"}, {"var": "accumulator"}]},
                            0,
                        ]
                    },
                    {"var": "superficie_m2"},
                ]
            },
        ]
    }
    body = find_step(d, "emision")["document"]["body"]
    body["es"] += "{% for s in data.socios %}<br/>{{ s.socio_nombre }} ({{ s['socio_curp'] }})"
    body["es"] += "{% endfor %}"
    return d


def doc(name: str) -> dict[str, Any]:
    return copy.deepcopy(DOCS[name])


def field_ids(d: dict[str, Any]) -> set[str]:
    out = set()
    for step in d["steps"]:
        for f in step.get("fields", ()):
            out.add(f["id"])
            out.update(s["id"] for s in f.get("fields", ()))
    return out


def step_ids(d: dict[str, Any]) -> set[str]:
    return {s["id"] for s in d["steps"]}


def text_of(problems: list[Any]) -> str:
    return "\n".join(p.message_es + " " + p.message_en for p in problems)


def find_step(d: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in d["steps"] if s["id"] == step_id)


def find_field(d: dict[str, Any], field_id: str) -> dict[str, Any]:
    for step in d["steps"]:
        for f in step.get("fields", ()):
            if f["id"] == field_id:
                return f
            for s in f.get("fields", ()):
                if s["id"] == field_id:
                    return s
    raise KeyError(field_id)


DOCS["licencia-funcionamiento-filas"] = with_row_rules(DOCS["licencia-funcionamiento"])


# -- references -------------------------------------------------------------------------------


def test_references_cover_every_kind_of_place() -> None:
    contexts = {r.context for d in DOCS.values() for r in references(d)}
    assert contexts >= {
        "start",
        "transition",
        "outcome",
        "rule",
        "requirement",
        "result_map",
        "example_data",
        "example_row",
        "text",
        "table_rows",
        "table_row",
    }


def test_references_find_result_step_missing_names_and_statement_reads() -> None:
    d = doc("permiso-construccion")
    connector = find_step(d, "consulta_catastro")["id"]
    find_step(d, "obra")["fields"][0]["show_if"] = {
        "and": [
            {"==": [{"var": f"$result.{connector}.zona"}, "A"]},
            {"missing_some": [1, ["correo", "telefono"]]},
            {"some": [{"var": "correo"}, {"==": [{"var": "ignored_item"}, 1]}]},
        ]
    }
    find_step(d, "emision")["document"]["holder"] = (
        "{% if data['correo'] %}{{ data.correo }}{% endif %}"
    )
    found = {(r.kind, r.target_id, r.context) for r in references(d)}
    assert (STEP, connector, "rule") in found
    assert (FIELD, "telefono", "rule") in found
    assert (FIELD, "correo", "text") in found
    assert not any(r.target_id == "ignored_item" for r in references(d))


def test_rewrite_touches_only_the_references() -> None:
    d = doc("licencia-funcionamiento")
    before = json.dumps(d)
    out = rewrite(d, "vende_alcohol", "alcohol", FIELD)
    assert json.dumps(d) == before  # pure
    body = find_step(out, "emision")["document"]["body"]["es"]
    assert "{% if data.alcohol %}" in body and "vende_alcohol" not in body
    # the definition is not a reference: only editing.rename_field changes it
    assert "vende_alcohol" in field_ids(out)


def test_per_item_rules_and_loops_name_the_groups_subfields() -> None:
    d = DOCS["licencia-funcionamiento-filas"]
    assert validate_template(d, with_warnings=True) == validate_template(
        DOCS["licencia-funcionamiento"], with_warnings=True
    )
    rows = {(r.target_id, r.context, r.group) for r in references(d) if r.group}
    assert {
        ("socio_porcentaje", "item_rule", "socios"),
        ("socio_curp", "item_rule", "socios"),
        ("socio_porcentaje", "reduce_item", "socios"),
        ("socio_nombre", "text_row", "socios"),
        ("socio_curp", "text_row", "socios"),
        ("socio_nombre", "table_row", "socios"),
    } <= rows
    outer = {(r.target_id, r.context) for r in references(d) if r.group is None}
    assert {("socios", "rule"), ("superficie_m2", "rule"), ("socios", "text")} <= outer
    # the accumulator and the whole row name nothing
    assert not any(r.target_id in ("accumulator", "current") for r in references(d))


def test_rename_reaches_subfields_read_row_by_row() -> None:
    d = DOCS["licencia-funcionamiento-filas"]
    out = editing.rename_field(d, "socio_porcentaje", "porcentaje").doc
    out = editing.rename_field(out, "socio_curp", "curp_socio").doc
    out = editing.rename_field(out, "socio_nombre", "nombre_socio").doc
    text = json.dumps(out, ensure_ascii=False)
    assert "socio_porcentaje" not in text and "socio_curp" not in text
    assert '{"var": "current.porcentaje"}' in text and '{"var": "porcentaje"}' in text
    assert "{{ s.nombre_socio }} ({{ s['curp_socio'] }})" in text
    assert validate_template(out) == []
    back = editing.rename_field(out, "porcentaje", "socio_porcentaje").doc
    back = editing.rename_field(back, "curp_socio", "socio_curp").doc
    assert editing.rename_field(back, "nombre_socio", "socio_nombre").doc == d


def test_a_name_a_row_lacks_is_reported_and_not_taken_for_a_case_field() -> None:
    d = copy.deepcopy(DOCS["licencia-funcionamiento-filas"])
    acta = find_field(d, "doc_acta_constitutiva")
    acta["show_if"]["and"][1]["some"][1] = {"!!": {"var": "nombre_comercial"}}
    body = find_step(d, "emision")["document"]["body"]
    body["es"] = body["es"].replace("s.socio_nombre", "s.socio_nombr")
    # a rule over a group reads the row: the case field of the same name is not renamed
    renamed = rewrite(d, "nombre_comercial", "nombre_negocio", FIELD)
    assert find_field(renamed, "doc_acta_constitutiva")["show_if"]["and"][1] == {
        "some": [{"var": "socios"}, {"!!": {"var": "nombre_comercial"}}]
    }
    found = [p for p in validate_template(d) if p.code == "unknown_subfield_reference"]
    assert [p.path for p in found] == [
        '$.steps[2].fields[3].show_if.and[1].some[1]["!!"].var',
        "$.steps[6].document.body.es",
    ]
    assert "«nombre_comercial»" in found[0].message_es and "socios" in found[0].message_en
    assert "¿Quiso decir «socio_nombre»?" in found[1].message_es
    # moving the subfield out of its group leaves its row readers dangling, and says so
    moved = editing.move_field(DOCS["licencia-funcionamiento-filas"], "socio_porcentaje", "negocio")
    dangling = [p for p in moved.problems if p.code == "unknown_subfield_reference"]
    assert dangling and all("socio_porcentaje" in p.message_en for p in dangling)


# -- rename -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCS))
def test_renaming_every_field_and_step_keeps_the_template_valid(name: str) -> None:
    d = doc(name)
    for fid in sorted(field_ids(d)):
        result = editing.rename_field(d, fid, fid + "_x")
        assert result.problems == [], (fid, result.problems)
        assert not any(r.target_id == fid for r in references(result.doc))
    for sid in sorted(step_ids(d)):
        result = editing.rename_step(d, sid, sid + "_x")
        assert result.problems == [], (sid, result.problems)
        assert not any(r.target_id == sid and r.kind == STEP for r in references(result.doc))


def test_rename_field_reaches_rules_texts_tables_requirements_and_examples() -> None:
    d = doc("licencia-funcionamiento")
    out = editing.rename_field(d, "socio_nombre", "nombre_socio").doc
    table = find_step(out, "emision")["document"]["tables"][0]
    assert table["columns"][0]["value"] == "{{ row.nombre_socio }}"
    assert "nombre_socio" in out["example_data"]["negocio"]["socios"][0]
    out = editing.rename_field(d, "tipo_persona", "persona").doc
    assert out["ledger"]["register"]["name"]["if"][0]["=="][0] == {"var": "persona"}
    assert find_field(out, "socios")["show_if"] == {"==": [{"var": "persona"}, "moral"]}
    assert next(iter(out["example_data"]["solicitante"])) == "persona"  # key order kept
    req_field = d["catalog"]["requirements"][0]["field"]
    out = editing.rename_field(d, req_field, "archivo_id").doc
    assert out["catalog"]["requirements"][0]["field"] == "archivo_id"


def test_rename_step_reaches_transitions_outcomes_results_and_examples() -> None:
    d = doc("permiso-construccion")
    out = editing.rename_step(d, "solicitante", "inicio").doc
    assert out["start"] == "inicio" and "inicio" in out["example_data"]
    returns = [s["outcomes"]["return"] for s in out["steps"] if "return" in s.get("outcomes", {})]
    assert returns and {r["to_step"] for r in returns} <= {"inicio", "obra"}
    d2 = copy.deepcopy(d)
    find_step(d2, "obra")["fields"][0]["show_if"] = {"var": "$result.consulta_catastro.zona"}
    out = editing.rename_step(d2, "consulta_catastro", "catastro")
    assert find_step(out.doc, "obra")["fields"][0]["show_if"] == {"var": "$result.catastro.zona"}


def test_rename_refuses_a_taken_or_malformed_id_and_changes_nothing() -> None:
    d = doc("permiso-mercado")
    before = json.dumps(d)
    with pytest.raises(editing.EditError) as taken:
        editing.rename_field(d, "nombre", "curp")
    assert taken.value.code == "id_taken" and "curp" in taken.value.message("es")
    with pytest.raises(editing.EditError) as bad:
        editing.rename_step(d, "revision", "Revisión")
    assert bad.value.code == "bad_id" and "Revisión" in bad.value.message("en")
    with pytest.raises(editing.EditError) as unknown:
        editing.rename_field(d, "no_existe", "otro")
    assert unknown.value.code == "unknown_field"
    assert json.dumps(d) == before


# -- steps ------------------------------------------------------------------------------------


def test_step_operations() -> None:
    d = doc("constancia-residencia")
    end = {"id": "cancelada", "type": "end", "title": {"es": "Cancelada"}, "outcome": "cancelled"}
    added = editing.add_step(d, end)
    assert added.doc["steps"][-1]["id"] == "cancelada"
    assert "cancelada" in text_of(added.problems)  # unreachable, and said so
    with pytest.raises(editing.EditError, match="already in use"):
        editing.add_step(d, {**end, "id": "pago"})
    with pytest.raises(editing.EditError) as early:
        editing.add_step(d, end, index=0)
    assert early.value.code == "before_start"
    with pytest.raises(editing.EditError) as early_move:
        editing.move_step(d, "pago", 0)
    assert early_move.value.code == "before_start"
    moved = editing.move_step(d, "pago", 2)
    assert [s["id"] for s in moved.doc["steps"]][:4] == ["datos", "emision", "pago", "aviso"]
    with pytest.raises(editing.EditError) as start:
        editing.remove_step(d, "datos")
    assert start.value.code == "remove_start"
    removed = editing.remove_step(d, "pago")
    assert "pago" in text_of(removed.problems)  # datos still leads there
    assert d == DOCS["constancia-residencia"]


def test_duplicate_step_gets_fresh_ids_and_its_rules_read_its_own_fields() -> None:
    d = doc("licencia-funcionamiento")
    out = editing.duplicate_step(d, "solicitante").doc
    ids = [s["id"] for s in out["steps"]]
    assert ids[1] == "solicitante_copia"
    copy_ = out["steps"][1]
    assert all(f["id"].endswith("_copia") for f in copy_["fields"])
    rules = [f["show_if"] for f in copy_["fields"] if "show_if" in f]
    assert rules and all("tipo_persona_copia" in json.dumps(r) for r in rules)
    assert set(out["example_data"]["solicitante_copia"]) == {
        k + "_copia" for k in out["example_data"]["solicitante"]
    }
    again = editing.duplicate_step(out, "solicitante").doc
    assert again["steps"][1]["id"] == "solicitante_copia_2"


# -- fields -----------------------------------------------------------------------------------


def test_removing_a_referenced_field_names_it_in_a_problem() -> None:
    for name, d in DOCS.items():
        referenced = {r.target_id for r in references(d) if r.kind == FIELD}
        for fid in sorted(referenced & field_ids(d)):
            result = editing.remove_field(d, fid)
            readers = [r for r in references(result.doc) if r.target_id == fid]
            if readers:
                assert fid in text_of(result.problems), (name, fid)


def test_field_add_move_duplicate() -> None:
    d = doc("permiso-mercado")
    new = {"id": "observaciones", "type": "textarea", "label": {"es": "Observaciones"}}
    out = editing.add_field(d, "puesto", new, index=0)
    assert find_step(out.doc, "puesto")["fields"][0]["id"] == "observaciones"
    assert out.problems == []
    with pytest.raises(editing.EditError) as not_form:
        editing.add_field(d, "pago", new)
    assert not_form.value.code == "not_a_form"
    decision = editing.add_field(d, "revision", {**new, "id": "dictamen"}).doc
    assert find_step(decision, "revision")["fields"] == [{**new, "id": "dictamen"}]
    with pytest.raises(editing.EditError) as taken:
        editing.add_field(d, "puesto", {**new, "id": "curp"})
    assert taken.value.code == "id_taken"

    moved = editing.move_field(d, "telefono", "puesto", index=1)
    assert find_step(moved.doc, "puesto")["fields"][1]["id"] == "telefono"
    assert "telefono" not in moved.doc["example_data"]["solicitante"]
    assert (
        moved.doc["example_data"]["puesto"]["telefono"]
        == d["example_data"]["solicitante"]["telefono"]
    )
    assert moved.problems == []

    dup = editing.duplicate_field(d, "telefono")
    ids = [f["id"] for f in find_step(dup.doc, "solicitante")["fields"]]
    assert ids[ids.index("telefono") + 1] == "telefono_copia"
    assert dup.problems == []


def test_group_fields_move_in_and_out() -> None:
    d = doc("licencia-funcionamiento")
    into = editing.move_field(d, "giro", "negocio", group="socios")
    assert "giro" in [f["id"] for f in find_field(into.doc, "socios")["fields"]]
    assert into.notices  # its example answer was dropped
    with pytest.raises(editing.EditError) as nested:
        editing.move_field(d, "socios", "negocio", group="socios")
    assert nested.value.code == "nested_group"
    out = editing.move_field(d, "socio_curp", "negocio", index=0)
    assert find_step(out.doc, "negocio")["fields"][0]["id"] == "socio_curp"
    assert "socio_curp" not in json.dumps(out.doc["example_data"]["negocio"]["socios"])
    dup = editing.duplicate_field(d, "socios").doc
    copy_ = find_field(dup, "socios_copia")
    assert [f["id"] for f in copy_["fields"]] == [
        f["id"] + "_copia" for f in find_field(d, "socios")["fields"]
    ]


def test_change_field_type_keeps_options_that_apply() -> None:
    d = doc("licencia-funcionamiento")
    choice = next(f["id"] for s in d["steps"] for f in s.get("fields", ()) if f["type"] == "select")
    radio = editing.change_field_type(d, choice, "radio")
    assert find_field(radio.doc, choice)["options"] == find_field(d, choice)["options"]
    assert radio.notices == ()
    text = editing.change_field_type(d, choice, "text", options={"max_length": 80})
    changed = find_field(text.doc, choice)
    assert "options" not in changed and changed["max_length"] == 80
    assert any("options" in n.message_en for n in text.notices)
    with pytest.raises(editing.EditError) as unknown:
        editing.change_field_type(d, choice, "holograma")
    assert unknown.value.code == "unknown_type"
    with pytest.raises(editing.EditError) as group:
        editing.change_field_type(d, "socios", "text")
    assert group.value.code == "group_type"


def test_number_to_date_drops_a_bound_that_is_not_a_date() -> None:
    d = doc("licencia-funcionamiento")
    out = editing.change_field_type(d, "superficie_m2", "date")
    assert "min" not in find_field(out.doc, "superficie_m2")
    assert any("min" in n.message_es for n in out.notices)


# -- conditions, transitions, outcomes --------------------------------------------------------


def test_conditions_transitions_outcomes() -> None:
    d = doc("permiso-publicidad")
    rule = {"==": [{"var": "tipo_anuncio"}, "autosoportado"]}
    out = editing.set_condition(d, "fields/iluminado", rule)
    assert find_field(out.doc, "iluminado")["show_if"] == rule
    cleared = editing.set_condition(out.doc, "fields/iluminado", None)
    assert "show_if" not in find_field(cleared.doc, "iluminado")
    bad = editing.set_condition(d, "fields/iluminado", {"==": [{"var": "no_such"}, 1]})
    assert "no_such" in text_of(bad.problems)
    with pytest.raises(editing.EditError) as element:
        editing.set_condition(d, "steps/anuncio/nothing/x", rule)
    assert element.value.code == "bad_element"

    first = find_step(d, "anuncio")["transitions"][-1]
    out = editing.set_transition(d, "anuncio", "atajo", "aprobada", when=rule)
    transitions = find_step(out.doc, "anuncio")["transitions"]
    assert transitions[-2]["id"] == "atajo" and transitions[-1] == first
    assert out.problems == []
    out = editing.remove_transition(out.doc, "anuncio", "atajo")
    assert find_step(out.doc, "anuncio")["transitions"][-1] == first
    with pytest.raises(editing.EditError) as target:
        editing.set_transition(d, "anuncio", "atajo", "no_existe")
    assert target.value.code == "unknown_step"
    with pytest.raises(editing.EditError) as review:
        editing.set_transition(d, "revision", "x", "aprobada")
    assert review.value.code == "no_transitions"

    out = editing.set_outcome(d, "revision", "reject", "desechada")
    assert find_step(out.doc, "revision")["outcomes"]["reject"] == {"to": "desechada"}
    out = editing.set_outcome(d, "revision", "return", None)
    assert "return" not in find_step(out.doc, "revision")["outcomes"]
    out = editing.set_outcome(
        out.doc, "revision", "return", "anuncio", lapse_to="desechada", response_days=5
    )
    assert find_step(out.doc, "revision")["outcomes"]["return"] == {
        "to_step": "anuncio",
        "response_days": 5,
        "lapse_to": "desechada",
    }
    with pytest.raises(editing.EditError) as no_outcomes:
        editing.set_outcome(d, "pago", "approve", "aprobada")
    assert no_outcomes.value.code == "no_outcomes"
    assert d == DOCS["permiso-publicidad"]


# -- properties -------------------------------------------------------------------------------

CHOICE = ("select", "radio", "checkboxes")
PLAIN = ("text", "textarea", "number", "money", "date", "email", "phone", "yesno", "curp")


def _top_fields(d: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(field id, step id, fields in that step) of every top-level field."""
    return [
        (f["id"], s["id"], len(s["fields"]))
        for s in d["steps"]
        if s["type"] == "form"
        for f in s["fields"]
    ]


def _row_rules(d: dict[str, Any]) -> list[Any]:
    """Per-item rules over each group reading each of its subfields (and a stray name)."""
    out: list[Any] = [{"some": [{"var": "no_existe"}, {"var": "x"}]}]
    for group, subs in group_fields(d).items():
        for sub in [*sorted(subs), "no_existe"]:
            out.append({"some": [{"var": group}, {"!!": {"var": sub}}]})
            current = {"var": f"current.{sub}"}
            out.append({"reduce": [{"var": group}, {"or": [current, {"var": "accumulator"}]}]})
    return out


def _dangling(d: dict[str, Any], ref: Any) -> bool:
    """Whether ``ref`` names a field or step ``d`` lacks (a row's name: a subfield)."""
    groups = group_fields(d)
    if ref.kind == STEP:
        return ref.target_id not in step_ids(d)
    if ref.group in groups:
        return ref.target_id not in groups[ref.group]
    return ref.target_id not in field_ids(d)


def _random_edit(data: st.DataObject, d: dict[str, Any]) -> editing.EditResult:
    fields = [*sorted(field_ids(d)), "no_existe"]
    steps = [*(s["id"] for s in d["steps"]), "no_existe"]
    forms = [s["id"] for s in d["steps"] if s["type"] == "form"]
    pick = data.draw
    op = pick(
        st.sampled_from(
            [
                "rename_field",
                "rename_step",
                "remove_field",
                "remove_step",
                "move_step",
                "move_field",
                "duplicate_field",
                "duplicate_step",
                "change_type",
                "condition",
                "transition",
                "add_field",
            ]
        )
    )
    if op == "rename_field":
        return editing.rename_field(
            d, pick(st.sampled_from(fields)), pick(st.sampled_from([*fields, "nuevo_campo"]))
        )
    if op == "rename_step":
        return editing.rename_step(
            d, pick(st.sampled_from(steps)), pick(st.sampled_from([*steps, "nuevo_paso"]))
        )
    if op == "remove_field":
        # keep the structure sound: a form keeps at least one field, a group one subfield
        removable = [fid for fid, _, n in _top_fields(d) if n > 1]
        for f in (f for s in d["steps"] for f in s.get("fields", ())):
            if len(f.get("fields", ())) > 1:
                removable += [sub["id"] for sub in f["fields"]]
        return editing.remove_field(d, pick(st.sampled_from([*removable, "no_existe"])))
    if op == "remove_step":
        return editing.remove_step(d, pick(st.sampled_from(steps)))
    if op == "move_step":
        return editing.move_step(d, pick(st.sampled_from(steps)), pick(st.integers(-1, len(steps))))
    if op == "move_field":
        movable = [fid for fid, _, n in _top_fields(d) if n > 1] + ["no_existe"]
        return editing.move_field(
            d,
            pick(st.sampled_from(movable)),
            pick(st.sampled_from(forms)),
            index=pick(st.none() | st.integers(0, 3)),
        )
    if op == "duplicate_field":
        return editing.duplicate_field(d, pick(st.sampled_from(fields)))
    if op == "duplicate_step":
        return editing.duplicate_step(d, pick(st.sampled_from(steps)))
    if op == "change_type":
        fid = pick(st.sampled_from(fields))
        current = find_field(d, fid)["type"] if fid != "no_existe" else "text"
        targets = CHOICE if current in CHOICE else PLAIN
        return editing.change_field_type(d, fid, pick(st.sampled_from(targets)))
    if op == "condition":
        fid = pick(st.sampled_from(fields))
        rule = pick(
            st.none()
            | st.sampled_from(fields).map(lambda v: {"!!": {"var": v}})
            | st.sampled_from(_row_rules(d))
        )
        return editing.set_condition(d, f"fields/{fid}", rule)
    if op == "transition":
        step = pick(st.sampled_from(steps))
        when = pick(st.none() | st.sampled_from(fields).map(lambda v: {"var": v}))
        return editing.set_transition(
            d,
            step,
            pick(st.sampled_from(["t_nueva", "continuar"])),
            pick(st.sampled_from(steps)),
            when=when,
        )
    new = {
        "id": pick(st.sampled_from(["campo_nuevo", *fields])),
        "type": "text",
        "label": {"es": "Nuevo"},
    }
    return editing.add_field(d, pick(st.sampled_from([*forms, "no_existe"])), new)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DOCS)), st.data())
def test_random_edit_sequences_leave_no_dangling_reference_unreported(
    name: str, data: st.DataObject
) -> None:
    d = doc(name)
    result = editing.EditResult(d, [])
    for _ in range(data.draw(st.integers(1, 6))):
        before = json.dumps(d)
        try:
            result = _random_edit(data, d)
        except editing.EditError as exc:
            assert exc.message_es and exc.message_en
            assert json.dumps(d) == before  # refused: nothing changed
            continue
        assert json.dumps(d) == before  # pure
        d = result.doc
    assert list(SCHEMA.iter_errors(d)) == []
    problems = text_of(result.problems)
    for ref in references(d):
        assert not _dangling(d, ref) or ref.target_id in problems, (ref, problems)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(DOCS)), st.data())
def test_rename_round_trip_is_identity(name: str, data: st.DataObject) -> None:
    d = doc(name)
    kind = data.draw(st.sampled_from([FIELD, STEP]))
    old = data.draw(st.sampled_from(sorted(field_ids(d) if kind == FIELD else step_ids(d))))
    there = editing.rename(d, old, "zz_renombrado", kind).doc
    assert old not in {r.target_id for r in references(there) if r.kind == kind}
    assert editing.rename(there, "zz_renombrado", old, kind).doc == d


def _blank() -> dict[str, Any]:
    from workflow_engine.templates.creation import blank_template

    return blank_template("x", {"es": "X"}, "d")


def _step(sid: str, type_name: str, **more: Any) -> dict[str, Any]:
    from workflow_engine.templates.step_types import STEP_TYPES

    return {
        "id": sid,
        "type": type_name,
        "title": {"es": sid},
        **STEP_TYPES[type_name].defaults,
        **more,
    }


def test_a_new_step_is_linked_from_the_step_before_and_goes_on_to_its_end() -> None:
    doc = _blank()  # solicitud -> fin
    out = editing.add_linked_step(doc, _step("datos", "form"), index=1).doc
    solicitud, datos, fin = out["steps"]
    assert solicitud["transitions"] == [{"id": "enviar", "to": "datos"}]
    assert datos["transitions"] == [{"id": "ruta", "to": "fin"}]
    assert fin["id"] == "fin"
    result = editing.add_linked_step(out, _step("revision", "approval"), index=2)
    assert "lleva ahora al paso nuevo" in result.notices[-1].message_es
    revision = result.doc["steps"][2]
    assert result.doc["steps"][1]["transitions"][-1]["to"] == "revision"
    assert "transitions" not in revision and "outcomes" not in revision
    after = editing.add_linked_step(result.doc, _step("pago", "payment"), index=3).doc
    assert after["steps"][2]["outcomes"] == {"approve": {"to": "pago"}}  # it had none
    assert after["steps"][3]["transitions"] == []  # the approval went to no end
    assert editing.add_linked_step(after, _step("aviso", "notify"), index=4).doc["steps"][3][
        "transitions"
    ] == [{"id": "ruta", "to": "aviso"}]


def test_a_route_to_another_step_or_a_conditional_one_is_left_alone() -> None:
    doc = _blank()
    doc["steps"][0]["transitions"] = [
        {"id": "a", "to": "fin", "when": {"var": "x"}},
    ]
    out = editing.add_linked_step(doc, _step("datos", "form"), index=1)
    assert out.doc["steps"][0]["transitions"] == [{"id": "a", "to": "fin", "when": {"var": "x"}}]
    assert out.notices == ()
    doc = _blank()
    doc["steps"][0]["transitions"] = [{"id": "a", "to": "solicitud"}]
    out = editing.add_linked_step(doc, _step("datos", "form"), index=1)
    assert out.doc["steps"][0]["transitions"] == [{"id": "a", "to": "solicitud"}]


# -- route ids, the municipal register, the sample answers ------------------------------------


def test_rename_transition_keeps_everything_else_of_the_route() -> None:
    d = doc("licencia-funcionamiento")
    out = editing.rename_transition(d, "documentos", "revision_simple", "simple").doc
    routes = find_step(out, "documentos")["transitions"]
    assert [t["id"] for t in routes] == ["revision_conjunta", "simple"]
    assert routes[1]["to"] == "revision"
    assert find_step(d, "documentos")["transitions"][1]["id"] == "revision_simple"  # not mutated


@pytest.mark.parametrize(
    ("new", "code"), [("revision_conjunta", "id_taken"), ("Simple", "bad_id"), ("1x", "bad_id")]
)
def test_rename_transition_refuses_a_taken_or_bad_id(new: str, code: str) -> None:
    with pytest.raises(editing.EditError) as caught:
        editing.rename_transition(
            doc("licencia-funcionamiento"), "documentos", "revision_simple", new
        )
    assert caught.value.code == code


def test_set_ledger_replaces_or_removes_the_register() -> None:
    d = doc("licencia-funcionamiento")
    register = {"kind": "plot", "key": {"var": "$case.folio"}}
    assert editing.set_ledger(d, register).doc["ledger"] == {"register": register}
    assert "ledger" not in editing.set_ledger(d, None).doc
    assert "ledger" in d


def test_set_example_data_replaces_or_removes_the_sample_answers() -> None:
    d = doc("licencia-funcionamiento")
    data = {"solicitante": {"tipo_persona": "fisica"}}
    assert editing.set_example_data(d, data).doc["example_data"] == data
    assert "example_data" not in editing.set_example_data(d, {}).doc
    assert "example_data" in d
