"""Validation for an editor: codes, severities, element ids, checks on the sound parts,
liaison warnings, and no crash on any malformed document."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from form_schemas import examples_dir
from workflow_engine.templates.validation import ERROR, WARNING, Problem, validate_template

EXAMPLES = sorted(p.stem for p in examples_dir().glob("*.json"))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((examples_dir() / f"{name}.json").read_text("utf-8"))
    return data


def changed(name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(load(name))
    change(doc)
    return doc


def step(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in doc["steps"] if s["id"] == sid)
    return found


def codes(problems: list[Problem], severity: str | None = None) -> set[str]:
    return {p.code for p in problems if severity is None or p.severity == severity}


def problems(doc: Any) -> list[Problem]:
    return validate_template(doc, with_warnings=True)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_has_no_error(name: str) -> None:
    found = problems(load(name))
    assert [p for p in found if p.severity == ERROR] == []
    assert all(p.severity == WARNING and p.code and p.element for p in found)


def test_a_problem_names_its_element_by_ids() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "revision")["outcomes"]["approve"]["to"] = "nowhere"

    (problem,) = validate_template(changed("licencia-funcionamiento", change))
    assert problem.code == "unknown_target_step"
    assert problem.severity == ERROR
    assert problem.element == "steps/revision/outcomes/approve"
    assert problem.path.endswith(".outcomes.approve.to")


def test_a_field_problem_names_step_and_field() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"][1]["fields"][0]["type"] = "textt"

    (problem,) = validate_template(changed("licencia-funcionamiento", change))
    field_id = load("licencia-funcionamiento")["steps"][1]["fields"][0]["id"]
    assert problem.element == f"steps/negocio/fields/{field_id}"
    assert problem.code == "invalid_choice"


def test_a_missing_title_does_not_hide_a_dead_end_elsewhere() -> None:
    def change(d: dict[str, Any]) -> None:
        del step(d, "solicitante")["title"]
        step(d, "aviso")["transitions"] = [{"id": "vuelta", "to": "emision"}]

    found = validate_template(changed("licencia-funcionamiento", change))
    assert ("missing_property", "steps/solicitante") in {(p.code, p.element) for p in found}
    dead = {p.element for p in found if p.code == "dead_end"}
    assert "steps/aviso" in dead


def test_a_broken_step_does_not_cause_false_graph_or_reference_errors() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "pago")["type"] = "paymen"  # the step's own structure is unusable

    found = validate_template(changed("licencia-funcionamiento", change))
    assert codes(found) == {"invalid_choice"}


def test_a_damaged_field_hides_no_reference_and_invents_none() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"][1]["fields"][0]["label"] = 7  # structural
        d["steps"][1]["fields"][0]["show_if"] = {"==": [{"var": "no_such_field"}, 1]}

    found = validate_template(changed("licencia-funcionamiento", change))
    assert {"wrong_type", "unknown_field_reference"} <= codes(found)


def test_review_without_deadline_is_a_warning_only() -> None:
    def change(d: dict[str, Any]) -> None:
        review = step(d, "revision")
        del review["deadline_days"], review["on_lapse"]
        review.pop("reminder_days_before", None)

    found = problems(changed("licencia-funcionamiento", change))
    assert [(p.code, p.severity, p.element) for p in found if p.severity == ERROR] == []
    assert "approval_without_deadline" in codes(found, WARNING)
    assert "approval_without_deadline" not in codes(problems(load("licencia-funcionamiento")))


def test_a_deadline_without_on_lapse_stays_an_error() -> None:
    def change(d: dict[str, Any]) -> None:
        del step(d, "revision")["on_lapse"]

    assert "missing_property" in codes(
        validate_template(changed("licencia-funcionamiento", change))
    )


def test_document_without_validity() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "emision")["document"].pop("validity_days")

    assert "document_without_validity" in codes(
        problems(changed("licencia-funcionamiento", change))
    )
    assert "document_without_validity" not in codes(problems(load("licencia-funcionamiento")))


def test_fee_line_that_may_go_negative_without_when() -> None:
    def change(d: dict[str, Any]) -> None:
        line = step(d, "pago")["fee_lines"][2]
        assert line["id"] == "descuento_inapam"
        del line["when"]

    found = problems(changed("permiso-mercado", change))
    (warning,) = [p for p in found if p.code == "fee_line_may_be_negative"]
    assert warning.element == "steps/pago/fee_lines/descuento_inapam"
    assert "fee_line_may_be_negative" not in codes(problems(load("permiso-mercado")))

    def subtract(d: dict[str, Any]) -> None:
        step(d, "pago")["fee_lines"][0]["amount"] = {"-": [100, {"var": "superficie_m2"}]}

    assert "fee_line_may_be_negative" in codes(
        problems(changed("licencia-funcionamiento", subtract))
    )


def test_requirement_without_file_field() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["catalog"]["requirements"][0]["field"]

    found = problems(changed("licencia-funcionamiento", change))
    (warning,) = [p for p in found if p.code == "requirement_without_field"]
    assert warning.element == "catalog/requirements/identificacion"
    assert "requirement_without_field" not in codes(problems(load("licencia-funcionamiento")))


def test_form_step_without_description() -> None:
    found = problems(load("licencia-funcionamiento"))
    assert {p.element for p in found if p.code == "step_without_description"} == {"steps/negocio"}

    def change(d: dict[str, Any]) -> None:
        step(d, "negocio")["description"] = {"es": "Datos del negocio"}

    assert "step_without_description" not in codes(
        problems(changed("licencia-funcionamiento", change))
    )


def test_condition_on_an_option_the_field_does_not_offer() -> None:
    def change(d: dict[str, Any]) -> None:
        line = step(d, "pago")["fee_lines"][1]
        line["when"] = {"==": [{"var": "mercado"}, "mercado_que_no_existe"]}

    found = problems(changed("permiso-mercado", change))
    (warning,) = [p for p in found if p.code == "unreachable_option"]
    assert warning.severity == WARNING and "mercado_que_no_existe" in warning.message_en
    assert "unreachable_option" not in codes(problems(load("permiso-mercado")))


def test_an_outcome_that_leads_nowhere() -> None:
    def loop(d: dict[str, Any]) -> None:
        step(d, "revision")["outcomes"]["approve"]["to"] = "revision"
        # rejecting sends the case to a form that only leads back to the review
        step(d, "revision")["outcomes"]["reject"]["to"] = "puesto"

    found = problems(changed("permiso-mercado", loop))
    nowhere = [p for p in found if p.code == "outcome_leads_nowhere"]
    assert [(p.severity, p.element) for p in nowhere] == [
        (WARNING, "steps/revision/outcomes/approve"),
        (WARNING, "steps/revision/outcomes/reject"),
    ]
    assert "«revision»" in nowhere[0].message_es and "never ends" in nowhere[1].message_en

    def late_form(d: dict[str, Any]) -> None:
        # a form after the review: the applicant never filled it when the review returns it
        d["steps"].insert(4, {**copy.deepcopy(step(d, "puesto")), "id": "extra"})
        for fld in d["steps"][4]["fields"]:
            fld["id"] += "_extra"
            fld.pop("show_if", None)
        d["steps"][4]["transitions"] = [{"id": "sigue", "to": "emision"}]
        step(d, "pago")["transitions"][0]["to"] = "extra"
        step(d, "revision")["outcomes"]["return"]["to_step"] = "extra"

    doc = changed("permiso-mercado", late_form)
    found = problems(doc)
    assert [p for p in found if p.severity == ERROR] == []
    (late,) = [p for p in found if p.code == "outcome_leads_nowhere"]
    assert late.path.endswith(".outcomes.return.to_step") and "«extra»" in late.message_es
    for name in EXAMPLES:
        assert "outcome_leads_nowhere" not in codes(problems(load(name)))


def test_a_field_never_shown_and_never_read() -> None:
    doc = load("permiso-mercado")
    target = doc["steps"][1]["fields"][-1]

    def hide(d: dict[str, Any]) -> None:
        d["steps"][1]["fields"][-1]["show_if"] = {"==": [1, 2]}

    found = problems(changed("permiso-mercado", hide))
    unused = [p for p in found if p.code == "unused_field"]
    read = json.dumps(doc).count(f'"{target["id"]}"') > 1
    if read:
        assert unused == []
    else:
        assert [p.element for p in unused] == [f"steps/puesto/fields/{target['id']}"]
    assert "unused_field" not in codes(problems(doc))


def test_a_hidden_field_that_a_rule_reads_is_not_unused() -> None:
    def hide(d: dict[str, Any]) -> None:
        for field in step(d, "negocio")["fields"]:
            if field["id"] == "superficie_m2":
                field["show_if"] = False

    assert "unused_field" not in codes(problems(changed("licencia-funcionamiento", hide)))


# -- never crash --------------------------------------------------------------------------

_GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _containers(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _containers(v, (*path, i))
    return out


@st.composite
def _mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(load(draw(st.sampled_from(EXAMPLES))))
    for _ in range(draw(st.integers(1, 4))):
        paths = _containers(doc)
        path = draw(st.sampled_from(paths[1:]))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_GARBAGE)
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_random_damage_never_raises_and_always_reports(doc: Any) -> None:
    found = problems(doc)
    for problem in found:
        assert problem.severity in (ERROR, WARNING)
        assert problem.code and problem.message_es and problem.message_en
        assert problem.path.startswith("$")


def test_a_loop_whose_only_exit_is_never_taken() -> None:
    from tests.helpers.engine import MINI

    def loop(when: Any) -> dict[str, Any]:
        doc = copy.deepcopy(MINI)
        # the notice goes back to the document step unless a condition that reads nothing...
        step(doc, "aviso")["transitions"] = [
            {"id": "fin", "to": "aprobada", "when": when},
            {"id": "otra_vez", "to": "emision"},
        ]
        return doc

    found = problems(loop({"==": [1, 2]}))
    assert [p for p in found if p.severity == ERROR] == []
    (warning,) = [p for p in found if p.code == "loop_without_exit"]
    assert warning.severity == WARNING
    assert warning.path.endswith(".transitions[0].when")
    assert warning.element == "steps/aviso/transitions/fin"
    assert "«emision», «aviso»" in warning.message_es and "never taken" in warning.message_en
    # the dead-end check follows every transition, so it did not see it
    assert "dead_end" not in codes(found)
    # a condition that reads the case's data may hold: no warning
    assert "loop_without_exit" not in codes(problems(loop({"==": [{"var": "edad"}, 40]})))
    assert "loop_without_exit" not in codes(problems(loop({"==": [1, 1]})))
    for name in EXAMPLES:
        assert "loop_without_exit" not in codes(problems(load(name)))


def test_a_document_may_name_its_issuing_department_and_it_must_exist() -> None:
    def issued_by(key: str) -> dict[str, Any]:
        def change(d: dict[str, Any]) -> None:
            step(d, "emision")["document"]["department"] = key

        return changed("permiso-publicidad", change)

    known = ["desarrollo-urbano", "tesoreria"]
    assert validate_template(issued_by("tesoreria"), known) == []
    (problem,) = validate_template(issued_by("tesoreri"), known)
    assert problem.code == "unknown_department"
    assert problem.path.endswith(".document.department")
    assert "«tesoreria»" in problem.message_es
