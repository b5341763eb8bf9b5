"""Template validation: the examples are valid, and each rule names the exact JSON path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from form_schemas import (
    examples_dir,
    load_field_types,
    load_meta_schema,
    meta_schema_path,
)
from workflow_engine.templates import TemplateProblem, validate_template
from workflow_engine.templates.validation import Problem, json_path

DEPARTMENTS = [
    "desarrollo-economico",
    "proteccion-civil",
    "desarrollo-urbano",
    "tesoreria",
    "secretaria-ayuntamiento",
    "movilidad",
    "mercados",
]
EXAMPLES = sorted(examples_dir().glob("*.json"))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((examples_dir() / f"{name}.json").read_text("utf-8"))
    return data


def step_index(doc: dict[str, Any], step_id: str) -> int:
    return next(i for i, s in enumerate(doc["steps"]) if s["id"] == step_id)


def step(doc: dict[str, Any], step_id: str) -> dict[str, Any]:
    result: dict[str, Any] = doc["steps"][step_index(doc, step_id)]
    return result


def mutated(name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(load(name))
    change(doc)
    return doc


def at(problems: list[TemplateProblem], path: str) -> list[TemplateProblem]:
    found = [p for p in problems if p.path == path]
    assert found, f"no problem at {path}; got {[(p.path, p.message_en) for p in problems]}"
    for p in found:
        assert p.message_es.strip() and p.message_en.strip()
    return found


def only_at(problems: list[TemplateProblem], path: str) -> TemplateProblem:
    found = at(problems, path)
    assert len(problems) == 1, [(p.path, p.message_en) for p in problems]
    return found[0]


# -- the shipped files ------------------------------------------------------------------------


def test_meta_schema_is_a_valid_2020_12_schema() -> None:
    schema = load_meta_schema()
    Draft202012Validator.check_schema(schema)
    assert meta_schema_path().name == "procedure.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_field_type_catalog_matches_the_meta_schema() -> None:
    catalog = load_field_types()
    schema_types = load_meta_schema()["$defs"]["field"]["properties"]["type"]["enum"]
    assert list(catalog["types"]) == schema_types
    for ftype, entry in catalog["types"].items():
        assert entry["label"]["es"] and entry["label"]["en"], ftype
        assert entry["value"] in catalog["value_kinds"], ftype
        for option in entry["options"]:
            assert option in catalog["option_labels"], (ftype, option)
    assert catalog["types"]["group"]["allowed_in_group"] is False


def test_there_are_at_least_six_examples() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {
        "licencia-funcionamiento",
        "permiso-construccion",
        "constancia-residencia",
        "registro-vehicular",
        "permiso-publicidad",
        "permiso-mercado",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_valid(path: Path) -> None:
    doc = json.loads(path.read_text("utf-8"))
    assert doc["key"] == path.stem
    assert validate_template(doc, known_departments=DEPARTMENTS) == []
    assert doc["catalog"]["homoclave"].startswith("CHO-")
    form_steps = {s["id"] for s in doc["steps"] if s["type"] == "form"}
    # and what the official writes in a review's decision fields
    deciding = {s["id"] for s in doc["steps"] if s["type"] == "approval" and s.get("fields")}
    assert form_steps <= set(doc["example_data"]) <= form_steps | deciding


def test_problem_message_by_language() -> None:
    problem = Problem("invalid_value", "error", "", "$", "hola", "hello")
    assert problem.message("es") == "hola"
    assert problem.message("en-US") == "hello"
    assert problem.message("fr") == "hola"


def test_json_path_formatting() -> None:
    assert json_path(["steps", 2, "fields", 0, "type"]) == "$.steps[2].fields[0].type"
    assert json_path(["constants", "Bad-Name"]) == '$.constants["Bad-Name"]'
    assert json_path([]) == "$"


# -- structure --------------------------------------------------------------------------------


def test_not_an_object() -> None:
    problem = only_at(validate_template([]), "$")
    assert "objeto" in problem.message_es and "object" in problem.message_en


def test_missing_required_property_points_at_it() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][1].pop("title"))
    problem = only_at(validate_template(doc), "$.steps[1].title")
    assert "title" in problem.message_es and "title" in problem.message_en


def test_typo_is_caught_with_a_suggestion() -> None:
    def change(d: dict[str, Any]) -> None:
        field = d["steps"][0]["fields"][0]
        field["lable"] = field.pop("label")

    problems = validate_template(mutated("permiso-mercado", change))
    typo = at(problems, "$.steps[0].fields[0].lable")[0]
    assert "label" in typo.message_es and "Did you mean “label”" in typo.message_en
    at(problems, "$.steps[0].fields[0].label")  # and the missing label


def test_typo_in_a_step_property() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][2].update(deadline=5))
    problem = only_at(validate_template(doc), "$.steps[2].deadline")
    assert "deadline_days" in problem.message_en


def test_option_not_allowed_for_the_field_type() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][0]["fields"][0].update(options=[]))
    only_at(validate_template(doc), "$.steps[0].fields[0].options")


def test_unknown_field_type() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][0]["fields"][1].update(type="curps"))
    problem = only_at(validate_template(doc), "$.steps[0].fields[1].type")
    assert "curp" in problem.message_es and "Did you mean “curp”" in problem.message_en


def test_unknown_step_type() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][2].update(type="aproval"))
    problem = only_at(validate_template(doc), "$.steps[2].type")
    assert "approval" in problem.message_en


def test_wrong_type() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][2].update(deadline_days="5"))
    problem = only_at(validate_template(doc), "$.steps[2].deadline_days")
    assert "número entero" in problem.message_es and "whole number" in problem.message_en


def test_localized_text_expected() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][0].update(title="Sus datos"))
    problem = only_at(validate_template(doc), "$.steps[0].title")
    assert '"es"' in problem.message_es and '"en"' in problem.message_en


def test_bad_id_pattern() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][0].update(id="Datos Personales"))
    problems = validate_template(doc)
    problem = at(problems, "$.steps[0].id")[0]
    assert "minúsculas" in problem.message_es and "lowercase" in problem.message_en


def test_empty_fields_list() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][0].update(fields=[]))
    problem = only_at(validate_template(doc), "$.steps[0].fields")
    assert "al menos 1" in problem.message_es and "at least 1" in problem.message_en


def test_bad_constant_name_and_value() -> None:
    doc = mutated("permiso-mercado", lambda d: d["constants"].update({"Bad-Name": "1,5"}))
    problems = validate_template(doc)
    assert len(problems) == 2
    at(problems, '$.constants["Bad-Name"]')


def test_format_version_and_catalog() -> None:
    def change(d: dict[str, Any]) -> None:
        d["format_version"] = 2
        d["catalog"]["homoclave"] = "cho-mc-1"
        d["catalog"]["ficta"] = "positiva"

    problems = validate_template(mutated("permiso-mercado", change))
    at(problems, "$.format_version")
    assert "CHO-DE-001" in at(problems, "$.catalog.homoclave")[0].message_es
    at(problems, "$.catalog.ficta")


def test_group_inside_group_is_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        socios = step(d, "negocio")["fields"][7]
        socios["fields"].append(
            {"id": "sub", "type": "group", "label": {"es": "x"}, "fields": socios["fields"][:1]}
        )

    problems = validate_template(mutated("licencia-funcionamiento", change))
    at(problems, "$.steps[1].fields[7].fields[3].type")


def test_a_structural_error_does_not_hide_semantic_problems_elsewhere() -> None:
    def change(d: dict[str, Any]) -> None:
        d["start"] = "nowhere"  # semantic problem
        d["steps"][0]["title"] = 5  # structural problem

    problems = validate_template(mutated("permiso-mercado", change))
    assert [(p.path, p.code) for p in problems] == [
        ("$.steps[0].title", "wrong_type"),
        ("$.start", "unknown_start_step"),
    ]


# -- semantics: ids ---------------------------------------------------------------------------


def test_duplicate_step_id() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][3].update(id="revision"))
    problems = validate_template(doc)
    at(problems, "$.steps[3].id")


def test_duplicate_field_id_across_steps() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][1]["fields"][0].update(id="curp"))
    problems = validate_template(doc)
    problem = at(problems, "$.steps[1].fields[0].id")[0]
    assert "$.steps[0].fields[1]" in problem.message_es


def test_duplicate_field_id_inside_a_group() -> None:
    doc = mutated(
        "licencia-funcionamiento",
        lambda d: step(d, "negocio")["fields"][7]["fields"][0].update(id="curp"),
    )
    at(validate_template(doc), "$.steps[1].fields[7].fields[0].id")


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("transitions", "$.steps[2].transitions[1].id"),
        ("eligibility", "$.steps[1].eligibility[1].id"),
    ],
)
def test_duplicate_local_ids(key: str, path: str) -> None:
    def change(d: dict[str, Any]) -> None:
        items = d["steps"][1 if key == "eligibility" else 2][key]
        items[1]["id"] = items[0]["id"]

    at(validate_template(mutated("licencia-funcionamiento", change)), path)


def test_duplicate_fee_line_and_branch_ids() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "pago")["fee_lines"][2]["id"] = "derecho_giro"
        step(d, "revision_conjunta")["branches"][1]["id"] = "desarrollo"

    problems = validate_template(mutated("licencia-funcionamiento", change))
    at(problems, "$.steps[5].fee_lines[2].id")
    at(problems, "$.steps[3].branches[1].id")


def test_duplicate_requirement_id() -> None:
    doc = mutated(
        "permiso-mercado", lambda d: d["catalog"]["requirements"][1].update(id="identificacion")
    )
    only_at(validate_template(doc), "$.catalog.requirements[1].id")


def test_duplicate_option_value() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"][1]["fields"][0]["options"][1]["value"] = "mercado_hidalgo"

    doc = mutated("permiso-mercado", change)
    # the fee table still has the key, so the only problem is the repeated option
    only_at(validate_template(doc), "$.steps[1].fields[0].options[1].value")


# -- semantics: start, targets, graph ---------------------------------------------------------


def test_start_must_exist() -> None:
    doc = mutated("permiso-mercado", lambda d: d.update(start="solicitantes"))
    problems = validate_template(doc)
    problem = at(problems, "$.start")[0]
    assert "solicitante" in problem.message_en  # suggestion


def test_start_must_be_a_form() -> None:
    doc = mutated("permiso-mercado", lambda d: d.update(start="revision"))
    problems = validate_template(doc)
    assert "form" in at(problems, "$.start")[0].message_en


def test_transition_target_must_exist() -> None:
    doc = mutated("permiso-mercado", lambda d: d["steps"][1]["transitions"][0].update(to="revisar"))
    problems = validate_template(doc)
    problem = at(problems, "$.steps[1].transitions[0].to")[0]
    assert "revision" in problem.message_es


def test_outcome_target_must_exist() -> None:
    doc = mutated(
        "permiso-mercado", lambda d: d["steps"][2]["outcomes"]["approve"].update(to="cobro")
    )
    at(validate_template(doc), "$.steps[2].outcomes.approve.to")


def test_last_transition_has_no_condition() -> None:
    doc = mutated(
        "licencia-funcionamiento",
        lambda d: step(d, "documentos")["transitions"][1].update(when={"var": "vende_alcohol"}),
    )
    problems = validate_template(doc)
    problem = only_at(problems, "$.steps[2].transitions[1].when")
    assert "when" in problem.message_es


def test_unconditional_transition_before_others() -> None:
    doc = mutated(
        "licencia-funcionamiento",
        lambda d: step(d, "documentos")["transitions"][0].pop("when"),
    )
    problems = validate_template(doc)
    at(problems, "$.steps[2].transitions[0]")
    # the simple review, only reachable through the shadowed transition, is now unreachable
    at(problems, "$.steps[4]")
    assert len(problems) == 2


def test_unreachable_step() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"].insert(
            3,
            {
                "id": "olvidado",
                "type": "notify",
                "title": {"es": "Aviso"},
                "to": "department",
                "subject": {"es": "x"},
                "message": {"es": "x"},
                "transitions": [{"id": "fin", "to": "aprobada"}],
            },
        )

    problem = only_at(validate_template(mutated("permiso-mercado", change)), "$.steps[3]")
    assert "olvidado" in problem.message_es and "olvidado" in problem.message_en


def test_dead_end() -> None:
    doc = mutated(
        "permiso-mercado", lambda d: step(d, "aviso")["transitions"][0].update(to="aviso")
    )
    problems = validate_template(doc)
    # the notify loops on itself; the approved end is no longer reachable either
    at(problems, f"$.steps[{step_index(doc, 'aviso')}]")
    assert "final" in at(problems, f"$.steps[{step_index(doc, 'aviso')}]")[0].message_es
    at(problems, f"$.steps[{step_index(doc, 'aprobada')}]")


def test_steps_that_cannot_finish_are_dead_ends() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "pago")["transitions"][0]["to"] = "puesto"
        step(d, "revision")["outcomes"].pop("return")

    doc = mutated("permiso-mercado", change)
    problems = validate_template(doc)
    # solicitante -> puesto -> revision -> pago -> puesto ... still can reach rechazada
    paths = {p.path for p in problems}
    assert f"$.steps[{step_index(doc, 'pago')}]" not in paths
    assert f"$.steps[{step_index(doc, 'emision')}]" in paths  # now unreachable
    assert f"$.steps[{step_index(doc, 'desechada')}]" in paths


def test_no_end_step() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"] = [s for s in d["steps"] if s["type"] != "end"]

    problems = validate_template(mutated("constancia-residencia", change))
    at(problems, "$.steps")
    at(problems, "$.steps[3].transitions[0].to")


def test_return_must_go_to_a_form_and_lapse_to_an_end() -> None:
    def change(d: dict[str, Any]) -> None:
        ret = step(d, "revision")["outcomes"]["return"]
        ret["to_step"] = "pago"
        ret["lapse_to"] = "aviso"

    problems = validate_template(mutated("permiso-mercado", change))
    assert "form" in at(problems, "$.steps[2].outcomes.return.to_step")[0].message_en
    assert "end" in at(problems, "$.steps[2].outcomes.return.lapse_to")[0].message_en


# -- semantics: departments -------------------------------------------------------------------


def test_approval_needs_exactly_one_department_source() -> None:
    both = mutated(
        "permiso-construccion",
        lambda d: step(d, "revision_mayor").update(department="desarrollo-urbano"),
    )
    only_at(validate_template(both), f"$.steps[{step_index(both, 'revision_mayor')}]")
    neither = mutated("permiso-mercado", lambda d: step(d, "revision").pop("department"))
    only_at(validate_template(neither), "$.steps[2].department")


def test_unknown_departments_only_with_a_known_list() -> None:
    def change(d: dict[str, Any]) -> None:
        d["department"] = "desarrollo-economica"
        step(d, "revision_conjunta")["branches"][1]["department"] = "bomberos"

    doc = mutated("licencia-funcionamiento", change)
    assert validate_template(doc) == []
    problems = validate_template(doc, known_departments=DEPARTMENTS)
    assert "desarrollo-economico" in at(problems, "$.department")[0].message_es
    at(problems, "$.steps[3].branches[1].department")
    assert len(problems) == 2


def test_department_rule_results_are_checked() -> None:
    doc = mutated(
        "permiso-construccion",
        lambda d: step(d, "revision_mayor")["department_rule"]["if"].__setitem__(1, "pc"),
    )
    problems = validate_template(doc, known_departments=DEPARTMENTS)
    only_at(problems, f"$.steps[{step_index(doc, 'revision_mayor')}].department_rule")


# -- semantics: JSON Logic --------------------------------------------------------------------


def test_malformed_expression() -> None:
    doc = mutated(
        "permiso-mercado",
        lambda d: step(d, "pago")["fee_lines"][0].update(amount={"times": [1, 2]}),
    )
    problem = only_at(validate_template(doc), "$.steps[3].fee_lines[0].amount.times")
    assert "times" in problem.message_es


def test_expression_with_wrong_arity() -> None:
    doc = mutated(
        "licencia-funcionamiento",
        lambda d: step(d, "documentos")["transitions"][0].update(when={">": [1]}),
    )
    at(validate_template(doc), "$.steps[2].transitions[0].when.>")


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("show_if", "$.steps[2].fields[4].show_if"),
        ("when", "$.steps[2].transitions[0].when"),
        ("rule", "$.steps[1].eligibility[0].rule"),
        ("fee_when", "$.steps[5].fee_lines[2].when"),
        ("amount", "$.steps[5].fee_lines[1].amount"),
        ("branch", "$.steps[3].branches[1].when"),
        ("subfield", "$.steps[1].fields[7].fields[2].show_if"),
    ],
)
def test_expressions_may_only_read_template_fields(where: str, path: str) -> None:
    bad = {">": [{"var": "superficie"}, 100]}

    def change(d: dict[str, Any]) -> None:
        if where == "show_if":
            step(d, "documentos")["fields"][4]["show_if"] = bad
        elif where == "when":
            step(d, "documentos")["transitions"][0]["when"] = bad
        elif where == "rule":
            step(d, "negocio")["eligibility"][0]["rule"] = bad
        elif where == "fee_when":
            step(d, "pago")["fee_lines"][2]["when"] = bad
        elif where == "amount":
            step(d, "pago")["fee_lines"][1]["amount"] = {"*": [{"var": "superficie"}, 2]}
        elif where == "branch":
            step(d, "revision_conjunta")["branches"][1]["when"] = bad
        else:
            step(d, "negocio")["fields"][7]["fields"][2]["show_if"] = bad

    problem = only_at(validate_template(mutated("licencia-funcionamiento", change)), path)
    assert "superficie" in problem.message_es
    assert "superficie_m2" in problem.message_en  # did-you-mean


def test_dotted_paths_are_checked_by_their_first_segment() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "documentos")["transitions"][0]["when"] = {
            "==": [{"var": "socios.0.socio_nombre"}, "x"]
        }

    assert validate_template(mutated("licencia-funcionamiento", change)) == []


def test_connector_input_and_department_rule_read_fields() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "consulta_catastro")["input"]["clave_catastral"] = {"var": "clave"}
        step(d, "revision_mayor")["department_rule"]["if"][0] = {"==": [{"var": "usos"}, 1]}

    doc = mutated("permiso-construccion", change)
    problems = validate_template(doc)
    at(problems, f"$.steps[{step_index(doc, 'consulta_catastro')}].input.clave_catastral")
    at(problems, f"$.steps[{step_index(doc, 'revision_mayor')}].department_rule")
    assert len(problems) == 2


def test_unknown_fee_table() -> None:
    doc = mutated(
        "permiso-mercado",
        lambda d: step(d, "pago")["fee_lines"][0].update(
            amount={"table": ["tarifa_m2_meses", {"var": "mercado"}]}
        ),
    )
    problem = only_at(validate_template(doc), "$.steps[3].fee_lines[0].amount")
    assert "tarifa_m2_mes" in problem.message_es


def test_unknown_constant() -> None:
    doc = mutated(
        "permiso-mercado",
        lambda d: step(d, "pago")["fee_lines"][1].update(amount={"var": "$const.dictamen"}),
    )
    problem = only_at(validate_template(doc), "$.steps[3].fee_lines[1].amount")
    assert "dictamen_gas" in problem.message_es


def test_reserved_case_and_result_variables() -> None:
    def change(d: dict[str, Any]) -> None:
        lines = step(d, "pago")["fee_lines"]
        lines[0]["when"] = {"!!": {"var": "$case.folio"}}
        lines[1]["when"] = {"!!": {"var": "$case.numero"}}
        lines[2]["when"] = {"!!": {"var": "$result.obra.zona"}}

    doc = mutated("permiso-construccion", change)
    problems = validate_template(doc)
    pago = step_index(doc, "pago")
    at(problems, f"$.steps[{pago}].fee_lines[1].when")
    at(problems, f"$.steps[{pago}].fee_lines[2].when")
    assert len(problems) == 2
    ok = mutated(
        "permiso-construccion",
        lambda d: step(d, "pago")["fee_lines"][2].update(
            when={"==": [{"var": "$result.consulta_catastro.zona"}, "A"]}
        ),
    )
    assert validate_template(ok) == []


# -- semantics: references --------------------------------------------------------------------


def test_requirement_field_must_be_a_file_field() -> None:
    def change(d: dict[str, Any]) -> None:
        d["catalog"]["requirements"][0]["field"] = "doc_ine"
        d["catalog"]["requirements"][1]["field"] = "curp"

    problems = validate_template(mutated("permiso-mercado", change))
    at(problems, "$.catalog.requirements[0].field")
    assert "file" in at(problems, "$.catalog.requirements[1].field")[0].message_en
    assert len(problems) == 2


def test_document_placeholders() -> None:
    def change(d: dict[str, Any]) -> None:
        document = step(d, "emision")["document"]
        document["body"]["es"] += " {{ data.nombre_completo }} {{ data.curp | upper }}"
        document["body"]["en"] += " {{ licencia.numero }} {{ case.folio }} {{ fees }}"

    doc = mutated("permiso-mercado", change)
    problems = validate_template(doc)
    emision = step_index(doc, "emision")
    assert "nombre" in at(problems, f"$.steps[{emision}].document.body.es")[0].message_es
    at(problems, f"$.steps[{emision}].document.body.en")
    assert len(problems) == 2


def test_example_data_keys() -> None:
    def change(d: dict[str, Any]) -> None:
        d["example_data"]["pago"] = {}
        d["example_data"]["puesto"]["superficie"] = 3

    problems = validate_template(mutated("permiso-mercado", change))
    at(problems, "$.example_data.pago")
    assert "superficie_puesto_m2" in at(problems, "$.example_data.puesto.superficie")[0].message_es
    assert len(problems) == 2


def test_example_data_field_of_another_step() -> None:
    doc = mutated("permiso-mercado", lambda d: d["example_data"]["puesto"].update(curp="x"))
    only_at(validate_template(doc), "$.example_data.puesto.curp")


def test_readonly_fields_need_a_connector_and_stay_out_of_examples() -> None:
    def change(d: dict[str, Any]) -> None:
        step(d, "consulta_catastro")["result_map"].pop("zona")
        d["example_data"]["obra"]["superficie_terreno_m2"] = 300

    doc = mutated("permiso-construccion", change)
    problems = validate_template(doc)
    obra = step_index(doc, "obra")
    at(problems, f"$.steps[{obra}].fields[0].readonly")
    at(problems, "$.example_data.obra.superficie_terreno_m2")
    assert len(problems) == 2


def test_result_map_targets_must_be_declared_fields() -> None:
    doc = mutated(
        "registro-vehicular",
        lambda d: step(d, "consulta_padron")["result_map"].update(color="color_padron"),
    )
    problems = validate_template(doc)
    only_at(problems, f"$.steps[{step_index(doc, 'consulta_padron')}].result_map.color")


def test_result_map_may_not_fill_a_group_subfield() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"].insert(
            3,
            {
                "id": "consulta",
                "type": "connector",
                "title": {"es": "Consulta"},
                "connector": "padron.consultar",
                "result_map": {"nombre": "socio_nombre"},
                "transitions": [{"id": "seguir", "to": "revision"}],
            },
        )
        step(d, "documentos")["transitions"][1]["to"] = "consulta"

    doc = mutated("licencia-funcionamiento", change)
    only_at(validate_template(doc), "$.steps[3].result_map.nombre")


# -- semantics: field options -----------------------------------------------------------------


def test_field_option_consistency() -> None:
    def change(d: dict[str, Any]) -> None:
        fields = step(d, "puesto")["fields"]
        fields[4].update(min=40)  # superficie: max 30
        fields[6].update(min="2025-02-30")  # no such date
        fields[3].update(min_items=8)  # only 7 days
        step(d, "solicitante")["fields"][0].update(pattern="([a-z")

    problems = validate_template(mutated("permiso-mercado", change))
    at(problems, "$.steps[1].fields[4].min")
    at(problems, "$.steps[1].fields[6].min")
    at(problems, "$.steps[1].fields[3].min_items")
    at(problems, "$.steps[0].fields[0].pattern")
    assert len(problems) == 4


def test_min_length_greater_than_max_length() -> None:
    doc = mutated(
        "permiso-mercado",
        lambda d: step(d, "solicitante")["fields"][0].update(min_length=300),
    )
    only_at(validate_template(doc), "$.steps[0].fields[0].min_length")


def test_remembered_problems_follow_the_content_of_the_document() -> None:
    """A draft validated again (the page, the save, the page after it) gives the same
    problems; changed in place, its new problems; the departments checked count too."""
    doc = json.loads((examples_dir() / "licencia-funcionamiento.json").read_text())
    assert validate_template(doc) == []
    assert validate_template(doc) == []
    doc["steps"][0]["transitions"][0]["to"] = "no_existe"
    assert any("no_existe" in p.message_es for p in validate_template(doc))
    doc["steps"][0]["transitions"][0]["to"] = "negocio"
    assert validate_template(doc) == []
    assert validate_template(doc, known_departments={"otra"}) != []
    assert validate_template(doc, known_departments={"otra"}) != []
    first = validate_template(doc, known_departments={"otra"}, with_warnings=True)
    first.clear()  # a caller's list is its own
    assert validate_template(doc, known_departments={"otra"}, with_warnings=True) != []
