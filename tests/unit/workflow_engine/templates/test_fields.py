"""Submitted form data: type checks, normalisation, show_if, groups, files, eligibility."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from form_schemas import examples_dir
from workflow_engine.templates import FieldError, validate_step_data
from workflow_engine.templates.fields import InvalidValueError, clean_cedula_pa, clean_ruc_pa

TODAY = datetime.date(2025, 6, 1)
PDF_IMG = ["application/pdf", "image/jpeg", "image/png"]


def bilingual(es: str) -> dict[str, str]:
    return {"es": es, "en": es + " (en)"}


def form(*fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "datos",
        "type": "form",
        "title": bilingual("Datos"),
        "fields": list(fields),
        "transitions": [{"id": "fin", "to": "fin"}],
        **extra,
    }


def field(fid: str, ftype: str, **options: Any) -> dict[str, Any]:
    return {"id": fid, "type": ftype, "label": bilingual(fid.capitalize()), **options}


def run(
    step: dict[str, Any], submitted: dict[str, Any], case: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    cleaned, errors = validate_step_data(step, submitted, case or {}, today=TODAY)
    for error in errors:
        assert error.message_es.strip() and error.message_en.strip(), error
        assert error.message("en") == error.message_en
        assert error.message("es") == error.message_es
    return cleaned, errors


def clean_one(f: dict[str, Any], value: Any) -> Any:
    cleaned, errors = run(form(f), {f["id"]: value})
    assert errors == [], errors
    return cleaned.get(f["id"])


def error_of(f: dict[str, Any], value: Any) -> FieldError:
    _, errors = run(form(f), {f["id"]: value})
    assert len(errors) == 1, errors
    return errors[0]


def ref(name: str, content_type: str = "application/pdf", size: int = 1000) -> dict[str, Any]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {
        "id": "f-" + digest[:8],
        "name": name,
        "sha256": digest,
        "size": size,
        "content_type": content_type,
    }


# -- every example ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(examples_dir().glob("*.json")), ids=lambda p: p.stem)
def test_example_data_of_every_example_validates(path: Path) -> None:
    doc = json.loads(path.read_text("utf-8"))
    case: dict[str, Any] = {}
    for step in doc["steps"]:
        if step["type"] != "form":
            continue
        submitted = doc["example_data"][step["id"]]
        cleaned, errors = validate_step_data(
            step,
            submitted,
            case,
            today=TODAY,
            tables=doc["fee_tables"],
            constants=doc["constants"],
        )
        assert errors == [], (step["id"], errors)
        assert set(cleaned) == set(submitted), step["id"]
        # cleaning is idempotent
        again, errors = validate_step_data(step, cleaned, case, today=TODAY)
        assert errors == [] and again == cleaned
        case.update(cleaned)


def test_example_data_normalises() -> None:
    doc = json.loads((examples_dir() / "licencia-funcionamiento.json").read_text("utf-8"))
    cleaned, _ = validate_step_data(
        doc["steps"][0], doc["example_data"]["solicitante"], {}, today=TODAY
    )
    assert cleaned["telefono"] == "2223184567"
    assert cleaned["rfc"] == "CEC150610K90"


# -- required, unknown, read-only -------------------------------------------------------------


def test_required_and_optional() -> None:
    step = form(field("nombre", "text", required=True), field("apodo", "text"))
    cleaned, errors = run(step, {"nombre": "   "})
    assert [(e.field, e.path, e.code) for e in errors] == [("nombre", "nombre", "required")]
    assert "obligatorio" in errors[0].message_es and "Nombre" in errors[0].message_es
    cleaned, errors = run(step, {"nombre": "Ana"})
    assert cleaned == {"nombre": "Ana"} and errors == []


def test_unknown_field() -> None:
    _, errors = run(form(field("nombre", "text")), {"nombre": "Ana", "edad": 30})
    assert [(e.field, e.path, e.code) for e in errors] == [("edad", "edad", "unknown_field")]


def test_readonly_fields_are_ignored() -> None:
    step = form(field("zona", "text", readonly=True), field("nombre", "text", required=True))
    cleaned, errors = run(step, {"zona": "Z", "nombre": "Ana"}, {"zona": "A"})
    assert errors == [] and cleaned == {"nombre": "Ana"}


# -- text -------------------------------------------------------------------------------------


def test_text() -> None:
    f = field("nombre", "text", min_length=3, max_length=10)
    assert clean_one(f, "  Ana   María ") == "Ana María"
    assert error_of(f, "Al").code == "too_short"
    assert error_of(f, "x" * 11).code == "too_long"
    assert error_of(f, ["x"]).code == "invalid_type"
    assert error_of(field("t", "text"), "x" * 501).code == "too_long"  # default limit


def test_textarea_keeps_lines() -> None:
    assert clean_one(field("notas", "textarea"), " uno\ndos \n") == "uno\ndos"


def test_text_pattern_shows_the_help() -> None:
    f = field("clave", "text", pattern="^[0-9]{3}-[0-9]{3}$", help=bilingual("Ejemplo 017-024."))
    assert clean_one(f, "017-024") == "017-024"
    error = error_of(f, "017024")
    assert error.code == "pattern" and "Ejemplo 017-024." in error.message_es


# -- numbers and money ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("180", 180),
        (180, 180),
        ("12.50", "12.5"),
        (12.5, "12.5"),
        ("1,250.5", "1250.5"),
        (" 7 ", 7),
        ("100.00", 100),
        ("0.10", "0.1"),
    ],
)
def test_number_normalisation(raw: Any, expected: Any) -> None:
    assert clean_one(field("n", "number"), raw) == expected


@pytest.mark.parametrize(
    ("options", "raw", "code"),
    [
        ({}, "abc", "not_a_number"),
        ({}, "12,5", "not_a_number"),
        ({}, True, "not_a_number"),
        ({}, "1e5", "not_a_number"),
        ({}, float("nan"), "not_a_number"),
        ({"integer": True}, "2.5", "not_integer"),
        ({"min": 1}, "0.5", "too_small"),
        ({"max": "10.5"}, 11, "too_large"),
    ],
)
def test_number_errors(options: dict[str, Any], raw: Any, code: str) -> None:
    error = error_of(field("n", "number", **options), raw)
    assert error.code == code


def test_decimal_comma_gets_a_hint() -> None:
    assert "punto" in error_of(field("n", "number"), "12,5").message_es


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1250", "1250.00"), ("$1,250.5", "1250.50"), (99.9, "99.90"), ("0", "0.00")],
)
def test_money(raw: Any, expected: str) -> None:
    assert clean_one(field("m", "money"), raw) == expected


def test_money_errors() -> None:
    assert error_of(field("m", "money"), "10.555").code == "too_many_decimals"
    assert error_of(field("m", "money"), "-5").code == "too_small"
    assert clean_one(field("m", "money", min=-100), "-5") == "-5.00"
    assert error_of(field("m", "money", max=100), "100.01").code == "too_large"


# -- dates ------------------------------------------------------------------------------------


def test_dates() -> None:
    f = field("d", "date", min="2000-01-01", max="today")
    assert clean_one(f, "2024-02-29") == "2024-02-29"
    assert clean_one(f, "5/3/2024") == "2024-03-05"
    assert clean_one(f, datetime.date(2020, 1, 1)) == "2020-01-01"
    assert error_of(f, "2023-02-29").code == "invalid_date"
    assert error_of(f, "ayer").code == "invalid_date"
    assert error_of(f, datetime.datetime(2020, 1, 1, 10, 0)).code == "invalid_date"
    assert error_of(f, "1999-12-31").code == "too_small"
    late = error_of(f, "2025-06-02")
    assert late.code == "too_large" and "01/06/2025" in late.message_es


# -- choices ----------------------------------------------------------------------------------

OPTIONS = [{"value": v, "label": bilingual(v.upper())} for v in ("a", "b", "c")]


@pytest.mark.parametrize("ftype", ["select", "radio"])
def test_single_choice(ftype: str) -> None:
    f = field("x", ftype, options=OPTIONS)
    assert clean_one(f, "b") == "b"
    error = error_of(f, "d")
    assert error.code == "invalid_choice" and "A, B, C" in error.message_es
    assert error_of(f, 1).code == "invalid_choice"


def test_checkboxes() -> None:
    f = field("x", "checkboxes", options=OPTIONS, min_items=1, max_items=2)
    assert clean_one(f, ["c", "a", "c"]) == ["a", "c"]
    assert clean_one(f, "b") == ["b"]
    assert error_of(f, ["a", "z"]).code == "invalid_choice"
    assert error_of(f, ["a", "b", "c"]).code == "too_many_items"
    assert error_of(f, [1]).code == "invalid_type"
    assert error_of(field("x", "checkboxes", options=OPTIONS, required=True), []).code == (
        "required"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), ("sí", True), ("Si", True), ("yes", True), ("no", False),
     ("0", False), (1, True)],
)  # fmt: skip
def test_yesno(raw: Any, expected: bool) -> None:
    assert clean_one(field("ok", "yesno", required=True), raw) is expected


def test_yesno_invalid() -> None:
    assert error_of(field("ok", "yesno"), "quizá").code == "invalid_choice"


# -- contact ----------------------------------------------------------------------------------


def test_email() -> None:
    f = field("correo", "email")
    assert clean_one(f, " Ana.Perez@Correo.MX ") == "Ana.Perez@correo.mx"
    for bad in ("ana", "ana@", "ana@correo", "a b@correo.mx", "ana..p@correo.mx", ".a@b.mx"):
        assert error_of(f, bad).code == "invalid_email", bad


def test_phone() -> None:
    f = field("tel", "phone")
    assert clean_one(f, "(222) 233-8890") == "2222338890"
    assert clean_one(f, "+507 6123-4567") == "+50761234567"
    assert clean_one(f, 2223184567) == "2223184567"
    for bad in ("123", "222-abc-1234", "+52 1234567890123456"):
        assert error_of(f, bad).code == "invalid_phone", bad


# -- identity numbers -------------------------------------------------------------------------


def test_curp() -> None:
    f = field("curp", "curp")
    assert clean_one(f, " helg-850312-mplrpd05 ") == "HELG850312MPLRPD05"
    checksum = error_of(f, "HELG850312MPLRPD06")
    assert checksum.code == "invalid_curp" and "verificador" in checksum.message_es
    assert "18" in error_of(f, "HELG850312").message_es
    assert "estado" in error_of(f, "HELG850312MXXRPD05").message_es  # state XX
    assert "formato" in error_of(f, "1ELG850312MPLRPD05").message_es


def test_rfc() -> None:
    f = field("rfc", "rfc")
    assert clean_one(f, "helg-850312-a71") == "HELG850312A71"
    assert clean_one(f, "CEC 150610 K90") == "CEC150610K90"
    assert "homoclave" in error_of(f, "HELG850312").message_es
    assert error_of(f, "HELG851312A71").code == "invalid_rfc"  # month 13
    assert error_of(f, "nada").code == "invalid_rfc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8-745-1290", "8-745-1290"),
        ("pe-12-345", "PE-12-345"),
        ("E-8-123456", "E-8-123456"),
        ("N-19-1234", "N-19-1234"),
        ("8AV-12-345", "8AV-12-345"),
        ("4pi-1-22", "4PI-1-22"),
        ("13-0745-001290", "13-745-1290"),
        ("8 745 1290", "8-745-1290"),
    ],
)
def test_cedula_pa(raw: str, expected: str) -> None:
    assert clean_one(field("cedula", "cedula_pa"), raw) == expected
    assert clean_cedula_pa(raw) == expected


@pytest.mark.parametrize("raw", ["14-1-1", "0-1-1", "8-0-1", "X-1-1", "8-12345-1", "8-745"])
def test_cedula_pa_invalid(raw: str) -> None:
    error = error_of(field("cedula", "cedula_pa"), raw)
    assert error.code == "invalid_cedula" and "8-745-1290" in error.message_es
    with pytest.raises(InvalidValueError):
        clean_cedula_pa(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("155634567-2-2016 DV 45", "155634567-2-2016 DV 45"),
        ("155634567-2-2016 dv45", "155634567-2-2016 DV 45"),
        ("155634567 - 2 - 2016 DV-45", "155634567-2-2016 DV 45"),
        ("2588017-1-831938", "2588017-1-831938"),
        ("8-745-1290 DV 7", "8-745-1290 DV 07"),
        ("pe-12-345", "PE-12-345"),
    ],
)
def test_ruc_pa(raw: str, expected: str) -> None:
    assert clean_one(field("ruc", "ruc_pa"), raw) == expected
    assert clean_ruc_pa(raw) == expected


@pytest.mark.parametrize("raw", ["ABC", "155634567-2", "1556345671234-2-2016", "DV 45"])
def test_ruc_pa_invalid(raw: str) -> None:
    assert error_of(field("ruc", "ruc_pa"), raw).code == "invalid_ruc"


# -- address ----------------------------------------------------------------------------------

ADDRESS = {
    "street": " Calle  5 de Mayo ",
    "number": 214,
    "neighbourhood": "Centro",
    "postcode": "72960",
    "municipality": "Chocotlán",
}


def test_address() -> None:
    f = field("domicilio", "address", required=True)
    assert clean_one(f, {**ADDRESS, "interior": "", "postcode": None}) == {
        "street": "Calle 5 de Mayo",
        "number": "214",
        "neighbourhood": "Centro",
        "municipality": "Chocotlán",
    }


def test_address_errors() -> None:
    f = field("domicilio", "address", required=True)
    _, errors = run(
        form(f), {"domicilio": {**ADDRESS, "street": "", "postcode": "7296A", "pais": "MX"}}
    )
    assert sorted((e.path, e.code) for e in errors) == [
        ("domicilio.pais", "unknown_field"),
        ("domicilio.postcode", "invalid_postcode"),
        ("domicilio.street", "required"),
    ]
    assert all(e.field in ("domicilio", "pais") for e in errors)
    assert error_of(f, "Calle 5 de Mayo 214").code == "invalid_type"
    assert error_of(f, {}).code == "required"


# -- files ------------------------------------------------------------------------------------


def test_files() -> None:
    f = field("docs", "file", accept=PDF_IMG, max_size_mb=1, max_files=2)
    files = [ref("a.pdf"), ref("b.jpg", "IMAGE/JPEG")]
    cleaned = clean_one(f, files)
    assert cleaned[1]["content_type"] == "image/jpeg"
    assert [c["name"] for c in cleaned] == ["a.pdf", "b.jpg"]
    assert clean_one(f, ref("solo.pdf")) == [ref("solo.pdf")]  # a single ref is accepted


def test_file_errors() -> None:
    f = field("docs", "file", accept=PDF_IMG, max_size_mb=1, max_files=2)
    wrong_type = error_of(f, [ref("a.docx", "application/msword")])
    assert (wrong_type.path, wrong_type.code) == ("docs[0]", "file_type")
    assert "PDF" in wrong_type.message_es
    too_big = error_of(f, [ref("a.pdf"), ref("big.pdf", size=2 * 1024 * 1024)])
    assert (too_big.path, too_big.code) == ("docs[1]", "file_too_large")
    assert error_of(f, [ref("a.pdf"), ref("b.pdf"), ref("c.pdf")]).code == "too_many_files"
    assert error_of(f, [{**ref("a.pdf"), "sha256": "xyz"}]).code == "invalid_file"
    assert error_of(f, [{"id": "x", "name": "a.pdf"}]).code == "invalid_file"
    assert error_of(f, [{**ref("a.pdf"), "extra": 1}]).code == "invalid_file"
    assert error_of(f, [{**ref("a.pdf"), "size": True}]).code == "invalid_file"
    assert error_of(f, [ref("a.pdf", size=0)]).code == "empty_file"
    assert error_of(f, [ref("a.pdf"), ref("a.pdf")]).code == "duplicate_file"
    assert error_of(f, "a.pdf").code == "invalid_type"


def test_file_defaults_and_wildcards() -> None:
    one = field("foto", "file", accept=["image/*"])
    assert clean_one(one, [ref("f.png", "image/png")])
    assert error_of(one, [ref("a.png", "image/png"), ref("b.png", "image/png")]).code == (
        "too_many_files"
    )
    assert error_of(one, [ref("a.pdf")]).code == "file_type"
    assert error_of(one, [ref("a.png", "image/png", size=11 * 1024 * 1024)]).code == (
        "file_too_large"
    )
    assert clean_one(field("any", "file"), [ref("x.zip", "application/zip")])


# -- show_if ----------------------------------------------------------------------------------


def test_show_if_hides_and_drops() -> None:
    step = form(
        field("tipo", "radio", required=True, options=OPTIONS),
        field("razon", "text", required=True, show_if={"==": [{"var": "tipo"}, "b"]}),
        field(
            "rfc_moral", "rfc", required=True, show_if={"!!": [{"var": "razon"}]}
        ),  # depends on a field that may be hidden itself
    )
    cleaned, errors = run(step, {"tipo": "a", "razon": "X S.A.", "rfc_moral": "mal"})
    assert errors == [] and cleaned == {"tipo": "a"}
    cleaned, errors = run(step, {"tipo": "b"})
    assert [e.path for e in errors] == ["razon"]
    cleaned, errors = run(step, {"tipo": "b", "razon": "X S.A.", "rfc_moral": "CEC150610K90"})
    assert errors == [] and cleaned["rfc_moral"] == "CEC150610K90"


def test_show_if_reads_earlier_steps_and_cleaned_values() -> None:
    step = form(
        field("superficie", "number", required=True),
        field("dictamen", "file", required=True, show_if={">": [{"var": "superficie"}, 100]}),
        field("ref_previa", "text", required=True, show_if={"==": [{"var": "moral"}, True]}),
    )
    _, errors = run(step, {"superficie": "180"}, {"moral": True})
    assert sorted(e.path for e in errors) == ["dictamen", "ref_previa"]
    cleaned, errors = run(step, {"superficie": "80"}, {"moral": False})
    assert errors == [] and cleaned == {"superficie": 80}


def test_resubmission_ignores_old_values_of_the_step() -> None:
    step = form(
        field("tipo", "radio", options=OPTIONS),
        field("detalle", "text", required=True, show_if={"==": [{"var": "tipo"}, "b"]}),
    )
    # the case still holds the previous answer "b"; the new submission clears it
    cleaned, errors = run(step, {}, {"tipo": "b"})
    assert errors == [] and cleaned == {}


def test_show_if_that_cannot_be_evaluated_shows_the_field() -> None:
    step = form(field("x", "text", required=True, show_if={"+": ["a", 1]}))
    _, errors = run(step, {})
    assert [e.code for e in errors] == ["required"]


# -- groups -----------------------------------------------------------------------------------

SOCIOS = field(
    "socios",
    "group",
    required=True,
    max_items=3,
    fields=[
        field("nombre", "text", required=True),
        field("curp", "curp", required=True),
        field("tipo_socio", "radio", options=OPTIONS),
        field("porcentaje", "number", min=0, max=100, show_if={"!=": [{"var": "tipo_socio"}, "c"]}),
    ],
)


def test_group_rows_are_cleaned() -> None:
    rows = [
        {"nombre": "Ana", "curp": "helg850312mplrpd05", "porcentaje": "60.0"},
        {"nombre": "Juan", "curp": "RATJ781105HPLMRN06", "tipo_socio": "c", "porcentaje": 40},
    ]
    assert clean_one(SOCIOS, rows) == [
        {"nombre": "Ana", "curp": "HELG850312MPLRPD05", "porcentaje": 60},
        {"nombre": "Juan", "curp": "RATJ781105HPLMRN06", "tipo_socio": "c"},
    ]


def test_group_row_paths() -> None:
    rows = [
        {"nombre": "Ana", "curp": "HELG850312MPLRPD05"},
        {"nombre": "", "curp": "HELG850312MPLRPD06", "edad": 3, "porcentaje": 120},
    ]
    _, errors = run(form(SOCIOS), {"socios": rows})
    assert sorted((e.path, e.field, e.code) for e in errors) == [
        ("socios[1].curp", "curp", "invalid_curp"),
        ("socios[1].edad", "edad", "unknown_field"),
        ("socios[1].nombre", "nombre", "required"),
        ("socios[1].porcentaje", "porcentaje", "too_large"),
    ]
    nombre = next(e for e in errors if e.path == "socios[1].nombre")
    assert "fila 2" in nombre.message_es and "row 2" in nombre.message_en


def test_group_counts() -> None:
    row = {"nombre": "Ana", "curp": "HELG850312MPLRPD05"}
    assert error_of(SOCIOS, []).code == "required"
    assert error_of(SOCIOS, [row] * 4).code == "too_many_items"
    assert error_of(SOCIOS, {"nombre": "Ana"}).code == "invalid_type"
    optional = {**SOCIOS, "required": False, "min_items": 2}
    assert error_of(optional, [row]).code == "too_few_items"
    _, errors = run(form(optional), {})
    assert errors == []


def test_hidden_group_is_dropped() -> None:
    step = form(
        field("moral", "yesno", required=True),
        {**SOCIOS, "show_if": {"==": [{"var": "moral"}, True]}},
    )
    cleaned, errors = run(step, {"moral": False, "socios": [{"nombre": ""}]})
    assert errors == [] and cleaned == {"moral": False}


# -- eligibility ------------------------------------------------------------------------------


def test_eligibility() -> None:
    step = form(
        field("meses", "number", required=True, integer=True),
        eligibility=[
            {
                "id": "seis_meses",
                "rule": {">=": [{"var": "meses"}, 6]},
                "message": bilingual("Mínimo 6."),
            },
            {
                "id": "tope",
                "rule": {"<=": [{"var": "meses"}, {"var": "$const.tope"}]},
                "message": {"es": "Máximo según tope."},
            },
        ],
    )
    _, errors = validate_step_data(step, {"meses": 3}, {}, today=TODAY, constants={"tope": "24"})
    assert [(e.field, e.path, e.code) for e in errors] == [
        ("seis_meses", "eligibility.seis_meses", "eligibility")
    ]
    assert errors[0].message_es == "Mínimo 6." and errors[0].message_en == "Mínimo 6. (en)"
    _, errors = validate_step_data(step, {"meses": 30}, {}, today=TODAY, constants={"tope": "24"})
    assert [e.field for e in errors] == ["tope"]
    assert errors[0].message_en == "Máximo según tope."  # falls back to Spanish
    cleaned, errors = validate_step_data(
        step, {"meses": 12}, {}, today=TODAY, constants={"tope": "24"}
    )
    assert errors == [] and cleaned == {"meses": 12}


def test_eligibility_waits_for_valid_fields() -> None:
    step = form(
        field("meses", "number", required=True),
        eligibility=[
            {"id": "r", "rule": {">=": [{"var": "meses"}, 6]}, "message": bilingual("No.")}
        ],
    )
    _, errors = run(step, {"meses": "muchos"})
    assert [e.code for e in errors] == ["not_a_number"]


def test_eligibility_rule_that_fails_to_evaluate_refuses() -> None:
    step = form(
        field("giro", "text"),
        eligibility=[
            {
                "id": "r",
                "rule": {"table": ["tarifas", {"var": "giro"}]},
                "message": bilingual("No."),
            }
        ],
    )
    _, errors = run(step, {"giro": "x"})
    assert [e.code for e in errors] == ["eligibility"]
    cleaned, errors = validate_step_data(
        step, {"giro": "x"}, {}, today=TODAY, tables={"tarifas": {"x": "1"}}
    )
    assert errors == [] and cleaned == {"giro": "x"}
