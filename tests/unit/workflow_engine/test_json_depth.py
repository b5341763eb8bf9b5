"""Deep JSON is an answer everywhere it can arrive, never a RecursionError: the template
validator called with any document, the REST connector's configuration, the shared parser."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.payments.rest.config import RestConfig, RestConfigError
from tests.helpers.engine import MINI
from workflow_engine.strict_json import InvalidJSONError, loads, nesting_exceeds
from workflow_engine.templates.validation import MAX_TEMPLATE_DEPTH, validate_template


def _nested(levels: int, container: str) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value] if container == "list" else {"a": value}
    return value


@pytest.mark.parametrize("container", ["list", "object"])
@pytest.mark.parametrize("where", ["summary", "constants", "example_data", "rule", "top"])
@pytest.mark.parametrize("levels", [MAX_TEMPLATE_DEPTH + 1, 5_000])
def test_the_validator_answers_a_deep_document_with_one_problem(
    container: str, where: str, levels: int
) -> None:
    doc = copy.deepcopy(MINI)
    deep = _nested(levels, container)
    if where == "summary":
        doc["summary"] = {"es": deep}
    elif where == "constants":
        doc["constants"] = {"uma": deep}
    elif where == "example_data":
        doc["example_data"]["datos"]["edad"] = deep
    elif where == "rule":
        doc["steps"][0]["eligibility"][0]["rule"] = deep
    else:
        doc = deep
    (problem,) = validate_template(doc)
    assert problem.path == "$"
    assert f"{MAX_TEMPLATE_DEPTH} niveles" in problem.message_es
    assert f"{MAX_TEMPLATE_DEPTH} levels" in problem.message_en


def test_a_rule_at_its_own_depth_limit_fits_in_a_template() -> None:
    doc = copy.deepcopy(MINI)
    rule: Any = True
    for _ in range(31):  # rules.MAX_DEPTH operators, each an object holding a list
        rule = {"!!": [rule]}
    doc["steps"][0]["eligibility"][0]["rule"] = rule
    assert validate_template(doc) == []


def test_nesting_is_measured_without_recursion() -> None:
    assert not nesting_exceeds(_nested(3, "list"), 3)
    assert nesting_exceeds(_nested(4, "object"), 3)
    assert nesting_exceeds(_nested(200_000, "list"), 10)


@pytest.mark.parametrize(
    ("text", "es"),
    [
        ("[" * 100_000 + "]" * 100_000, "niveles"),
        ("[[[[1]]]]", "niveles"),
        ('{"a": NaN}', "JSON"),
        ('{"a": Infinity}', "JSON"),
        ("{", "JSON"),
        (b"\xff\xfe{", "JSON"),
    ],
)
def test_parse_json_refuses_with_a_message_in_both_languages(text: Any, es: str) -> None:
    with pytest.raises(InvalidJSONError) as refused:
        loads(text, max_depth=3)
    assert es in refused.value.message_es
    assert refused.value.message_en and refused.value.message_en != refused.value.message_es


@pytest.mark.parametrize("levels", [100_000, 500])
def test_the_rest_connector_configuration_refuses_deep_json(levels: int) -> None:
    with pytest.raises(RestConfigError, match="levels"):
        RestConfig.load('{"base_url": ' + "[" * levels + "]" * levels + "}")
