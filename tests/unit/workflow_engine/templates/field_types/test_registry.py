"""The field-type registry: every type is complete, and the committed schemas match it."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from form_schemas import field_types_path, load_meta_schema
from tests.helpers.paths import REPO_ROOT
from workflow_engine.templates import validate_step_data
from workflow_engine.templates.field_types import REGISTRY
from workflow_engine.templates.schemas import stale_files, write_schemas

APP_TEMPLATES = REPO_ROOT / "app" / "citizen" / "templates"
TODAY = datetime.date(2026, 3, 5)


def test_committed_schemas_are_generated_from_the_registry() -> None:
    stale = stale_files(field_types_path().parent)
    assert stale == [], f"run `flask --app wsgi templates generate-schemas`: {stale}"


def test_a_stale_schema_file_is_detected_and_rewritten(tmp_path: Path) -> None:
    for name in ("field_types.json", "procedure.schema.json"):
        shutil.copy(field_types_path().parent / name, tmp_path / name)
    catalog = tmp_path / "field_types.json"
    catalog.write_text(catalog.read_text("utf-8").replace("Texto corto", "Texto"), "utf-8")
    assert stale_files(tmp_path) == [catalog]
    assert write_schemas(tmp_path) == [catalog]
    assert stale_files(tmp_path) == []


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_type_is_complete(name: str) -> None:
    cls = REGISTRY[name]
    assert cls.label["es"] and cls.label["en"]
    assert cls.description["es"] and cls.description["en"]
    assert (APP_TEMPLATES / cls.widget()).is_file(), cls.widget()
    entry = cls.catalog_entry()
    assert set(entry["defaults"]) <= set(entry["options"])


@pytest.mark.parametrize("name", list(REGISTRY))
def test_example_field_is_valid_and_its_sample_cleans_to_itself(name: str) -> None:
    cls = REGISTRY[name]
    schema = load_meta_schema()
    field = cls.example_field("dato")
    errors = list(
        Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/field"}).iter_errors(field)
    )
    assert errors == []
    assert cls.option_problems(field) == []
    step = {"id": "datos", "type": "form", "fields": [field]}
    cleaned, problems = validate_step_data(step, {"dato": cls.sample}, {}, today=TODAY)
    assert problems == []
    assert cleaned == {"dato": cls.sample}
    assert cls.display_lines(field, cls.sample, "es") or name == "group"
