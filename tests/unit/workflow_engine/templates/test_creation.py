"""Starting a procedure: a key from its title, a blank draft, a copy of an example or of
another procedure, and an imported JSON document refused only when it cannot be stored."""

from __future__ import annotations

import copy

import pytest

from workflow_engine.templates import creation
from workflow_engine.templates.editing import EditError
from workflow_engine.templates.validation import validate_template


def test_a_key_is_the_title_in_plain_lowercase_words_and_never_taken() -> None:
    assert creation.key_from_title("Licencia de Funcionamiento", set()) == (
        "licencia-de-funcionamiento"
    )
    assert creation.key_from_title("Permiso de año ¡Ñandú!", set()) == "permiso-de-ano-nandu"
    taken = {"constancia", "constancia-2"}
    assert creation.key_from_title("Constancia", taken) == "constancia-3"
    assert creation.key_from_title("2024 pago", set()) == "pago"
    assert creation.key_from_title("Él", set()) == "tramite-el"
    assert creation.key_from_title("", set()) == "tramite"
    long = creation.key_from_title("palabra " * 30, set())
    assert len(long) <= 64 and not long.endswith("-")
    assert len(creation.key_from_title("palabra " * 30, {long})) <= 64


def test_an_id_is_a_name_in_lowercase_words_joined_by_underscores() -> None:
    assert creation.id_from_name("Comprobante de domicilio", set()) == "comprobante_de_domicilio"
    assert creation.id_from_name("Acta", {"acta"}) == "acta_2"
    assert creation.id_from_name("¿?", set()) == "elemento"


@pytest.mark.parametrize("bad", ["AB", "ab", "1abc", "con espacio", "acentuación", "a" * 65])
def test_a_chosen_key_must_follow_the_pattern(bad: str) -> None:
    with pytest.raises(EditError) as caught:
        creation.check_key(bad, set())
    assert caught.value.code == "bad_key" and "clave" in caught.value.message("es")


def test_a_chosen_key_must_be_free() -> None:
    assert creation.check_key("nuevo-tramite", set()) == "nuevo-tramite"
    with pytest.raises(EditError) as caught:
        creation.check_key("nuevo-tramite", {"nuevo-tramite"})
    assert "already" in caught.value.message("en")


def test_a_blank_procedure_lacks_only_what_the_liaison_fills_in() -> None:
    doc = creation.blank_template("nuevo-tramite", {"es": " Nuevo ", "en": ""}, "obras")
    assert doc["title"] == {"es": "Nuevo"} and doc["department"] == "obras"
    problems = validate_template(doc, with_warnings=True)
    assert {p.code for p in problems if p.is_error} == {"missing_property", "list_size"}
    with pytest.raises(EditError):
        creation.blank_template("nuevo-tramite", {"es": "  "}, "obras")


def test_a_copy_is_a_new_procedure_and_leaves_the_source_alone() -> None:
    source = creation.example("licencia-funcionamiento")
    before = copy.deepcopy(source)
    doc = creation.copy_template(source, "otra-licencia", {"es": "Otra", "en": "Other"}, "obras")
    assert (doc["key"], doc["title"], doc["department"]) == (
        "otra-licencia",
        {"es": "Otra", "en": "Other"},
        "obras",
    )
    assert doc["steps"] == source["steps"]
    assert source == before
    doc["steps"].clear()
    assert creation.example("licencia-funcionamiento")["steps"]


def test_examples_are_listed_and_an_unknown_one_is_refused() -> None:
    assert "licencia-funcionamiento" in creation.examples()
    with pytest.raises(EditError) as caught:
        creation.example("no-existe")
    assert caught.value.code == "unknown_example"


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("", "empty_import", "JSON"),
        ('{\n  "key": ', "invalid_json", "línea 2"),
        ("[1, 2]", "not_a_template", "objeto"),
        ('{"key": "Mal Clave", "department": "obras"}', "import_without_key", "clave"),
        ('{"key": "bien-clave"}', "import_without_department", "dependencia"),
        ("[" * 150 + "]" * 150, "invalid_json", "anidamiento"),
    ],
)
def test_an_import_that_cannot_be_stored_is_refused_saying_why(
    text: str, code: str, words: str
) -> None:
    with pytest.raises(EditError) as caught:
        creation.parse_import(text)
    assert caught.value.code == code
    assert words in caught.value.message("es")
    assert caught.value.message("en") != caught.value.message("es")


def test_an_import_with_key_and_department_is_accepted_with_its_problems() -> None:
    doc = creation.parse_import('{"key": "bien-clave", "department": "obras", "steps": 3}')
    assert doc["steps"] == 3
    assert validate_template(doc)
