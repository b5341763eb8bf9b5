"""Whatever a client sends, the API answers with JSON and never with a 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.api import file_licence, key_auth, open_task, start_case

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["approve", "reject", "return", "documentos", "incomplete", "2024-02-30"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
FIELDS = [
    "values",
    "procedure",
    "declaration",
    "reason",
    "decision",
    "comment",
    "return_steps",
    "lock_version",
]
bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5),
    st.builds(
        lambda values: {"values": values},
        st.dictionaries(
            st.sampled_from(["superficie_m2", "socios", "curp", "giro", "domicilio_negocio"]),
            json_values,
        ),
    ),
)
raw_bodies = st.one_of(
    bodies.map(json.dumps),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["", "{", "[]", "NaN", '{"a": NaN}', "[" * 2000, '{"values": {"a": 1e999}}']),
)
ENDPOINTS = [
    ("POST", "/api/v1/cases"),
    ("PUT", "/api/v1/cases/{draft}/steps/negocio"),
    ("POST", "/api/v1/cases/{draft}/steps/negocio/submit"),
    ("POST", "/api/v1/cases/{draft}/steps/solicitante/submit"),
    ("POST", "/api/v1/cases/{draft}/submit"),
    ("POST", "/api/v1/cases/{filed}/cancel"),
    ("POST", "/api/v1/tasks/{task}/decision"),
    ("POST", "/api/v1/tasks/{task}/decision"),
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=raw_bodies,
    who=st.sampled_from(["citizen", "official", "citizen_b"]),
)
def test_random_bodies_never_cause_a_server_error(
    api_client: FlaskClient,
    api_keys: dict[str, str],
    fuzz_cases: dict[str, Any],
    endpoint: tuple[str, str],
    body: str,
    who: str,
) -> None:
    method, template = endpoint
    url = template.format(**fuzz_cases)
    response = api_client.open(
        url,
        method=method,
        data=body,
        content_type="application/json",
        headers=key_auth(api_keys[who]),
    )
    assert response.status_code < 500, (url, body, response.get_data(as_text=True))
    assert response.is_json
    if response.status_code >= 400:
        error = response.json["error"]
        assert error["code"] and error["message"] and error["message_en"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30
    ),
    query=st.dictionaries(
        st.sampled_from(["limit", "after", "status"]), st.text(max_size=25), max_size=3
    ),
)
def test_random_urls_and_query_strings_never_cause_a_server_error(
    api_client: FlaskClient, api_keys: dict[str, str], path: str, query: dict[str, str]
) -> None:
    auth = key_auth(api_keys["official"])
    path = quote(path, safe="")
    for url in (
        f"/api/v1/cases/{path}",
        f"/api/v1/procedures/{path}",
        "/api/v1/tasks",
        "/api/v1/cases",
    ):
        response = api_client.get(url, query_string=query, headers=auth)
        assert response.status_code < 500, (url, query)
        # "//" in the path is merged by a redirect; anything else answers JSON.
        assert response.is_json or response.status_code == 308


@pytest.fixture
def fuzz_cases(api_client: FlaskClient, api_keys: dict[str, str]) -> dict[str, Any]:
    """A draft case, a filed case and its open task, shared by every example of a test."""
    filed = file_licence(api_client, api_keys["citizen"], superficie=50)
    draft = start_case(api_client, api_keys["citizen"])
    return {
        "draft": draft["folio"],
        "filed": filed["folio"],
        "task": open_task(filed, "desarrollo-economico")["id"],
    }
