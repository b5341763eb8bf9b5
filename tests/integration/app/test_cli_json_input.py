"""Every command that reads JSON answers a bad document with one clear line and a non-zero exit,
never a traceback: nesting thousands of levels deep (too deep for Python's parser, or deep
enough to exhaust the validator's recursion), NaN, text that is not JSON, a missing file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.helpers.engine import MINI


@pytest.fixture
def runner(db_url: str, app_factory) -> FlaskCliRunner:  # type: ignore[no-untyped-def]
    app: Flask = app_factory(db_url)
    return app.test_cli_runner()


def _deep_template(levels: int, container: str) -> str:
    """MINI with its Spanish summary replaced by lists or objects nested ``levels`` deep."""
    doc = copy.deepcopy(MINI)
    doc["summary"] = {"es": "@@"}
    opening, closing = ("[", "]") if container == "list" else ('{"a": ', "}")
    return json.dumps(doc).replace('"@@"', opening * levels + "1" + closing * levels)


BAD_DOCUMENTS = {
    "lists_100k": (_deep_template(100_000, "list"), "100 niveles"),
    "objects_100k": (_deep_template(100_000, "object"), "100 niveles"),
    "lists_900": (_deep_template(900, "list"), "100 niveles"),  # parses; the guard refuses
    "objects_900": (_deep_template(900, "object"), "100 niveles"),
    "nan": (json.dumps(MINI).replace('"117.31"', "NaN"), "JSON"),
    "not_json": ("{not json", "JSON"),
}


def _one_clear_line(result: Result, text: str, stream: str) -> None:
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    output = result.stdout if stream == "stdout" else result.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[:2000]
    assert lines[0].startswith("$: ") and text in lines[0], lines[0][:300]
    assert "Traceback" not in result.output and "RecursionError" not in result.output


@pytest.mark.parametrize("name", sorted(BAD_DOCUMENTS))
def test_templates_validate_answers_one_line(
    runner: FlaskCliRunner, tmp_path: Path, name: str
) -> None:
    text, expected = BAD_DOCUMENTS[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    result = runner.invoke(args=["templates", "validate", str(path)])
    _one_clear_line(result, expected, "stdout")
    english = runner.invoke(args=["templates", "validate", "--lang", "en", str(path)])
    _one_clear_line(english, "levels" if "niveles" in expected else "JSON", "stdout")


@pytest.mark.parametrize("name", sorted(BAD_DOCUMENTS))
def test_templates_import_answers_one_line(
    runner: FlaskCliRunner, tmp_path: Path, name: str
) -> None:
    text, expected = BAD_DOCUMENTS[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    result = runner.invoke(args=["templates", "import", str(path)])
    _one_clear_line(result, expected, "stderr")
    assert "mini" not in runner.invoke(args=["templates", "list"]).output


def test_a_template_within_the_depth_limit_is_still_validated(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(MINI))
    assert runner.invoke(args=["templates", "validate", str(path)]).exit_code == 0


def test_templates_validate_reports_a_missing_file_in_one_line(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["templates", "validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stdout.startswith("$: ") and len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("levels", [100_000, 500])
def test_payments_reconcile_answers_a_deep_mapping_in_one_line(
    runner: FlaskCliRunner, tmp_path: Path, levels: int
) -> None:
    bank_file = tmp_path / "pagos.csv"
    bank_file.write_text("referencia,importe,fecha\n")
    mapping = '{"columns": ' + "[" * levels + "]" * levels + "}"
    result = runner.invoke(
        args=["payments", "reconcile", str(bank_file), "--format", "csv", "--mapping", mapping]
    )
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stderr.startswith("--mapping no es JSON válido: ")
    assert "niveles" in result.stderr and len(result.stderr.splitlines()) == 1
