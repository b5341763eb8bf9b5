"""Every answer of /api/v1 is what /api/v1/openapi.json says it is (issue 10, item 12).

Schemathesis generates requests from the document for every operation, once with an API key
and once with a browser session (+ X-CSRFToken), against the app on a seeded demo database,
and checks each response's status code, content type, headers and body against the document.
Examples are bounded so the whole test stays well under a minute.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import serving
from tests.helpers.api import LICENCE, file_licence
from tests.helpers.web import csrf_token, login

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def schema_app(api_seeded_db: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One app on a copy of the seeded demo database, shared by the generated cases."""
    from app import create_app
    from tests.conftest import make_settings

    tmp = tmp_path_factory.mktemp("schema")
    shutil.copyfile(api_seeded_db.path, Path(tmp) / "tramita.db")
    app = create_app(make_settings(f"sqlite:///{tmp}/tramita.db", Path(tmp)))
    app.config["TESTING"] = True
    yield app
    app.extensions["tramita"].engine.dispose()


def _session_headers(app: Flask, email: str) -> dict[str, str]:
    client = app.test_client()
    login(client, email)
    csrf = csrf_token(client, "/mis-tramites")
    cookie = client.get_cookie("session")
    assert cookie is not None
    return {"Cookie": f"session={cookie.value}", "X-CSRFToken": csrf}


@pytest.fixture(scope="module")
def credentials(schema_app: Flask, api_seeded_db: Any) -> dict[str, dict[str, str]]:
    """The headers of each way to authenticate: an API key, a session with its CSRF token."""
    return {
        "api_key": {"X-API-Key": api_seeded_db.keys["citizen"]},
        "session": _session_headers(schema_app, "ciudadano@demo.gob.mx"),
    }


@pytest.fixture(scope="module")
def api_schema(schema_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", schema_app)


@pytest.fixture(scope="module")
def real_ids(schema_app: Flask, api_seeded_db: Any) -> dict[str, Any]:
    """Path parameters that exist in the seeded database (a case of the citizen, one of its
    form steps, a task of its filed case, a published procedure), so generated requests reach
    the handlers and not only their 404."""
    client = schema_app.test_client()
    key = {"X-API-Key": api_seeded_db.keys["citizen"]}
    filed = file_licence(client, api_seeded_db.keys["citizen"])
    draft = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=key).json
    return {
        "folio": [draft["folio"], filed["folio"]],
        "step_id": ["solicitante", "negocio", "documentos"],
        "task_id": [t["id"] for t in filed["tasks"] if t["id"] is not None],
        "key": [LICENCE],
        "number": [1],
    }


BOUNDED = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def nonconforming(api_schema: Any, headers: dict[str, str], real: dict[str, Any]) -> list[str]:
    """Every operation of the document, with valid and invalid data, with generated and
    with real path parameters: a bounded number of requests each; the first failure of each
    operation and mode, described."""
    found = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        known = {n: st.sampled_from(real[n]) for n in names if n in real}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [operation.as_strategy(generation_mode=mode)]
            if known:
                strategies.append(
                    st.fixed_dictionaries(known).flatmap(
                        lambda fixed, m=mode, op=operation: op.as_strategy(
                            generation_mode=m, path_parameters=fixed
                        )
                    )
                )

            @BOUNDED
            @given(case=st.one_of(strategies))
            def run(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing in this operation can be made invalid (free-text path)
            except Exception as exc:
                found.append(f"{operation.label} ({mode.value}): {exc}")
    return found


@pytest.mark.parametrize("auth", ["api_key", "session"])
def test_every_response_conforms_to_the_document(
    api_schema: Any, credentials: dict[str, dict[str, str]], real_ids: dict[str, Any], auth: str
) -> None:
    failures = nonconforming(api_schema, credentials[auth], real_ids)
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="module")
def live_api(schema_app: Flask) -> Any:
    """The same app over real HTTP (the schemathesis command line talks to a URL)."""

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, schema_app, threaded=True)
    with serving.running(server):
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.mark.parametrize("auth", ["api_key", "session"])
def test_schemathesis_command_line_finds_nothing(
    live_api: str, credentials: dict[str, dict[str, str]], auth: str
) -> None:
    """`st run` as a developer runs it, with the checks and the phases the in-process run
    above does not cover: boundary values (coverage: empty strings, missing fields, methods
    the document does not declare, which must answer 405 with `Allow`) and fuzzing."""
    import subprocess
    import sys

    st_command = Path(sys.executable).with_name("st")
    headers = [
        arg for name, value in credentials[auth].items() for arg in ("-H", f"{name}: {value}")
    ]
    run = subprocess.run(
        [
            str(st_command),
            "run",
            f"{live_api}/api/v1/openapi.json",
            *headers,
            "--checks",
            "all",
            # A valid body may still be refused for the case's state ("the case is already
            # closed": 422, stateful); every other check runs.
            "--exclude-checks",
            "positive_data_acceptance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "10",
            "--seed",
            "20261202",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
