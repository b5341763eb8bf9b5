"""`flask --app wsgi templates diff KEY A B` as an operator uses it, on a real database."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from workflow_engine.persistence.platform.demo import examples_dir

LICENCE = json.loads((examples_dir() / "licencia-funcionamiento.json").read_text("utf-8"))


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    return app_factory(db_url)  # type: ignore[no-any-return]


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _import(runner: FlaskCliRunner, doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = runner.invoke(args=["templates", "import", str(path)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def two_versions_and_a_draft(runner: FlaskCliRunner, tmp_path: Path) -> None:
    """v1 = the example; v2 = a tariff up and a field added; draft = v2 with a requirement less."""
    _import(runner, LICENCE, tmp_path)
    assert runner.invoke(args=["templates", "publish", LICENCE["key"]]).exit_code == 0
    second = copy.deepcopy(LICENCE)
    second["fee_tables"]["tarifa_giro"]["farmacia"] = "1500.00"
    negocio = next(s for s in second["steps"] if s["id"] == "negocio")
    negocio["fields"].insert(
        3, {"id": "superficie_bodega", "type": "number", "label": {"es": "Superficie de bodega"}}
    )
    _import(runner, second, tmp_path)
    assert runner.invoke(args=["templates", "publish", LICENCE["key"]]).exit_code == 0
    draft = copy.deepcopy(second)
    draft["catalog"]["requirements"].pop(1)
    _import(runner, draft, tmp_path)


@pytest.mark.usefixtures("two_versions_and_a_draft")
def test_diff_between_versions_prints_grouped_changes_in_spanish(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["templates", "diff", LICENCE["key"], "1", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        "Trámite",
        "  - La tarifa «farmacia» cambió de 1400.00 a 1500.00 (tabla «tarifa_giro»)",
        "Paso «Datos del negocio»",
        "  - Se agregó el campo «Superficie de bodega» al paso «Datos del negocio»",
    ]
    english = runner.invoke(args=["templates", "diff", LICENCE["key"], "1", "2", "--lang", "en"])
    assert "Step «Business details»" in english.stdout
    assert "Added the field «Superficie de bodega» to the step «Business details»" in english.stdout


@pytest.mark.usefixtures("two_versions_and_a_draft")
def test_diff_against_the_draft_and_as_json(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["templates", "diff", LICENCE["key"], "2", "draft", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["key"], body["old"], body["new"]) == (LICENCE["key"], "2", "draft")
    [group] = body["groups"]
    assert group["step"] is None
    [change] = group["changes"]
    assert change["kind"] == "removed"
    assert change["element"] == "catalog/requirements/comprobante_domicilio"
    assert change["message_es"].startswith("Se quitó el requisito «Comprobante de domicilio")
    backwards = runner.invoke(args=["templates", "diff", LICENCE["key"], "draft", "1", "--json"])
    kinds = sorted(c["kind"] for g in json.loads(backwards.stdout)["groups"] for c in g["changes"])
    assert kinds == ["added", "changed", "removed"]
    same = runner.invoke(args=["templates", "diff", LICENCE["key"], "2", "2"])
    assert same.exit_code == 0 and same.stdout.strip() == "Sin cambios."
    same_en = runner.invoke(args=["templates", "diff", LICENCE["key"], "2", "2", "--lang", "en"])
    assert same_en.exit_code == 0 and same_en.stdout.strip() == "No changes."


@pytest.mark.usefixtures("two_versions_and_a_draft")
def test_diff_refuses_unknown_versions_and_templates_clearly(runner: FlaskCliRunner) -> None:
    missing = runner.invoke(args=["templates", "diff", LICENCE["key"], "1", "9"])
    assert missing.exit_code == 1
    assert "Esa versión no está publicada." in missing.output
    no_template = runner.invoke(args=["templates", "diff", "no-existe", "draft", "1"])
    assert no_template.exit_code == 1
    assert "No existe esa plantilla." in no_template.output
    garbage = runner.invoke(args=["templates", "diff", LICENCE["key"], "uno", "2"])
    assert garbage.exit_code == 2
    assert "«uno» no es un número de versión ni «draft»." in garbage.output
    assert "Traceback" not in garbage.output + missing.output
