"""The whole journey over the REST API alone: an integrating system with API keys starts a
market-stall permit, uploads its documents, files it; an official approves it over the API;
the citizen pays through the sandbox gateway (real HTTP on loopback) and downloads the signed
permit and the receipt. On SQLite and PostgreSQL, every JSON answer checked against the
OpenAPI document."""

from __future__ import annotations

import copy
import hashlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.citizen import payments as web_payments
from connectors.gateway import GatewayConfig
from sandbox_gateway import SandboxServer, create_sandbox_app, serve_in_background
from tests.conftest import make_settings
from tests.helpers import serving
from workflow_engine.persistence.models import Upload, table
from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD, Accounts
from workflow_engine.persistence.platform.demo import seed_demo

PERMIT = "permiso-mercado"
RESIDENCE = "constancia-residencia"
API_KEY = "journey-gateway-api-key"
SECRET = "journey-gateway-webhook-secret"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
uploads_t = table(Upload)


# -- the world: Tramita and the sandbox gateway, both on loopback ----------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    server = serve_in_background(
        create_sandbox_app(api_key=API_KEY, webhook_secret=SECRET, deliver="sync")
    )
    yield server
    server.stop()


@dataclass
class World:
    app: Flask
    sandbox: SandboxServer
    keys: dict[str, dict[str, str]]  # who -> X-API-Key header
    uploads_dir: Path
    gateway: GatewayConfig

    @property
    def services(self) -> Any:
        return self.app.extensions["tramita"]

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture
def world(db_url: str, tmp_path: Path, sandbox: SandboxServer) -> Iterator[World]:
    holder: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    url = f"http://127.0.0.1:{server.server_port}"
    thread = serving.start(server)
    app = None
    try:
        config = GatewayConfig("sandbox", sandbox.url, API_KEY, SECRET, timeout_s=10)
        settings = make_settings(db_url, tmp_path, base_url=url, extra={"gateway": config})
        app = holder["app"] = create_app(settings)
        app.config["TESTING"] = True
        engine = app.extensions["tramita"].engine
        seed_demo(engine, demo_mode=True)
        accounts = Accounts(engine, demo_mode=True)
        accounts.create(
            "vecino@demo.gob.mx", DEMO_PASSWORD, role="citizen", name="Vecino", verified=True
        )
        users = {
            "citizen": "ciudadano@demo.gob.mx",
            "stranger": "vecino@demo.gob.mx",
            "official": "mercados@demo.gob.mx",
            "other_official": "urbano@demo.gob.mx",
        }
        keys = {}
        for who, email in users.items():
            account = accounts.by_email(email)
            assert account is not None, email
            keys[who] = {"X-API-Key": accounts.create_api_key(account.id, f"journey {who}")}
        yield World(app, sandbox, keys, tmp_path / "uploads", config)
    finally:
        serving.stop(server, thread)
        if app is not None:
            app.extensions["tramita"].engine.dispose()


# -- talking to the API, and checking each answer against the OpenAPI document -------------


def conforms(client: FlaskClient, response: Any, path: str, method: str) -> Any:
    """Fail unless the status is documented for the operation and a JSON body fits its
    schema; return the body (JSON) or the bytes."""
    doc = client.get("/api/v1/openapi.json").json
    operation = doc["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], (path, method, status, response.get_data())
    documented = operation["responses"][status]
    if "$ref" in documented:
        documented = doc["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    content = documented.get("content", {})
    if not response.is_json:
        assert not content or "*/*" in content or response.mimetype in content, response.mimetype
        return response.get_data()
    schema = content["application/json"]["schema"]
    root = {"components": doc["components"], **schema}
    errors = list(
        Draft202012Validator(root, format_checker=FormatChecker()).iter_errors(response.json)
    )
    assert not errors, (path, method, [e.message for e in errors])
    return response.json


def api(
    world: World,
    who: str | None,
    method: str,
    path: str,
    template: str,
    **kwargs: Any,
) -> Any:
    """One request as `who`; the response after its OpenAPI check."""
    client = world.client()
    headers = dict(world.keys[who]) if who else {}
    response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
    response.get_data()  # buffered, so the file sent can be closed now
    response.close()
    conforms(client, response, template, method.lower())
    return response


def upload(
    world: World,
    who: str,
    folio: str,
    step: str,
    field: str,
    data: bytes,
    name: str,
    content_type: str | None = None,
) -> Any:
    body, multipart_type = multipart(data, name, content_type or "application/octet-stream")
    return api(
        world,
        who,
        "POST",
        f"/cases/{folio}/steps/{step}/files/{field}",
        "/cases/{folio}/steps/{step_id}/files/{field_id}",
        data=body,
        content_type=multipart_type,
    )


def multipart(data: bytes, name: str, content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body with one part `file` (written out: big bodies stay in
    memory instead of the test client's temporary file)."""
    boundary = "----tramita-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def example(world: World, key: str) -> dict[str, dict[str, Any]]:
    response = world.client().get(f"/api/v1/procedures/{key}")
    return copy.deepcopy(response.json["definition"]["example_data"])


def start(world: World, key: str = PERMIT) -> str:
    response = api(world, "citizen", "POST", "/cases", "/cases", json={"procedure": key})
    assert response.status_code == 201, response.json
    return str(response.json["folio"])


SAMPLES = {"application/pdf": (PDF, "doc.pdf"), "image/png": (PNG, "foto.png")}


def fill_step(world: World, folio: str, step: str, values: dict[str, Any]) -> Any:
    """Upload a real file for every file field of the example values, then submit the step."""
    values = dict(values)
    for field, refs in values.items():
        if isinstance(refs, list) and refs and isinstance(refs[0], dict) and "sha256" in refs[0]:
            kind = "image/png" if field == "doc_fotografia" else "application/pdf"
            data, name = SAMPLES[kind]
            stored = upload(world, "citizen", folio, step, field, data, f"{field}-{name}")
            assert stored.status_code == 201, stored.json
            values[field] = [stored.json]
    return api(
        world,
        "citizen",
        "POST",
        f"/cases/{folio}/steps/{step}/submit",
        "/cases/{folio}/steps/{step_id}/submit",
        json={"values": values},
    )


def file_case(world: World, key: str = PERMIT) -> str:
    folio = start(world, key)
    values = example(world, key)
    definition = world.client().get(f"/api/v1/procedures/{key}").json["definition"]
    for step in (s["id"] for s in definition["steps"] if s["id"] in values):  # in form order
        sent = fill_step(world, folio, step, values[step])
        assert sent.status_code == 200, sent.json
    filed = api(
        world,
        "citizen",
        "POST",
        f"/cases/{folio}/submit",
        "/cases/{folio}/submit",
        json={"declaration": True},
    )
    assert filed.status_code == 200, filed.json
    return folio


def approve(world: World, folio: str) -> Any:
    case = api(world, "official", "GET", f"/cases/{folio}", "/cases/{folio}").json
    task = next(t for t in case["tasks"] if t["status"] == "open")
    decided = api(
        world,
        "official",
        "POST",
        f"/tasks/{task['id']}/decision",
        "/tasks/{task_id}/decision",
        json={"decision": "approve", "lock_version": case["lock_version"]},
    )
    assert decided.status_code == 200, decided.json
    return decided.json


def payment(world: World, folio: str, who: str = "citizen") -> dict[str, Any]:
    response = api(world, who, "GET", f"/cases/{folio}/payment", "/cases/{folio}/payment")
    assert response.status_code == 200
    return dict(response.json)


def checkout(world: World, folio: str, who: str = "citizen") -> Any:
    return api(
        world,
        who,
        "POST",
        f"/cases/{folio}/payment/checkout",
        "/cases/{folio}/payment/checkout",
    )


def browser(method: str, url: str) -> tuple[int, str]:
    """The citizen's browser at the gateway: one request, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == code, error
    assert error["message"] and error["message_en"]
    return dict(error)


def stored_files(world: World) -> tuple[int, int]:
    """(upload rows, files on disk): what a refused upload must not add to."""
    with world.services.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(uploads_t)).scalar_one()
    on_disk = sum(1 for p in world.uploads_dir.rglob("*") if p.is_file())
    return int(rows), on_disk


# -- the journey -------------------------------------------------------------------------------


def test_an_integrating_system_walks_the_whole_journey_over_the_api(world: World) -> None:
    folio = start(world)
    data = example(world, PERMIT)

    photo = upload(world, "citizen", folio, "solicitante", "doc_fotografia", PNG, "mi foto.png")
    assert photo.status_code == 201
    ref = photo.json
    assert ref == {
        "id": ref["id"],
        "name": "mi foto.png",
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "size": len(PNG),
        "content_type": "image/png",
    }
    assert photo.headers["Location"] == f"/api/v1/cases/{folio}/files/{ref['id']}"
    got = api(
        world, "citizen", "GET", photo.headers["Location"][7:], "/cases/{folio}/files/{file_id}"
    )
    assert got.status_code == 200 and got.get_data() == PNG and got.mimetype == "image/png"

    # A name without extension and a generic type: the content decides (a JPEG here).
    ident = upload(
        world,
        "citizen",
        folio,
        "solicitante",
        "doc_identificacion",
        JPEG,
        "credencial",
        "application/octet-stream",
    )
    assert ident.status_code == 201
    assert (ident.json["name"], ident.json["content_type"]) == ("credencial.jpg", "image/jpeg")

    values = dict(data["solicitante"], doc_fotografia=[ref], doc_identificacion=[ident.json])
    sent = api(
        world,
        "citizen",
        "POST",
        f"/cases/{folio}/steps/solicitante/submit",
        "/cases/{folio}/steps/{step_id}/submit",
        json={"values": values},
    )
    assert sent.status_code == 200, sent.json
    assert sent.json["data"]["doc_fotografia"] == [ref]
    assert fill_step(world, folio, "puesto", data["puesto"]).status_code == 200
    filed = api(
        world,
        "citizen",
        "POST",
        f"/cases/{folio}/submit",
        "/cases/{folio}/submit",
        json={"declaration": True},
    )
    assert filed.json["status"] == "in_review"

    receipt = api(world, "citizen", "GET", f"/cases/{folio}/receipt", "/cases/{folio}/receipt")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    assert receipt.get_data().startswith(b"%PDF")

    # The reviewing official reads the attachment, then approves over the API.
    seen = api(
        world,
        "official",
        "GET",
        f"/cases/{folio}/files/{ref['id']}",
        "/cases/{folio}/files/{file_id}",
    )
    assert seen.status_code == 200 and seen.get_data() == PNG
    assert approve(world, folio)["status"] == "awaiting_payment"
    # The official sees the payment, but only the applicant opens a checkout.
    assert payment(world, folio, "official")["status"] == "pending"
    assert_error(checkout(world, folio, "official"), 403, "forbidden")

    before = payment(world, folio)
    assert before["status"] == "pending" and before["order_status"] == "pending"
    assert before["reference"] and before["currency"] == "MXN" and before["amount_cents"] > 0
    assert before["expires_on"]
    assert before["online"] == {"available": True, "status": "none", "checkout": None}
    slip = api(
        world, "citizen", "GET", f"/cases/{folio}/payment/slip", "/cases/{folio}/payment/slip"
    )
    assert slip.status_code == 200 and slip.get_data().startswith(b"%PDF")

    opened = checkout(world, folio)
    assert opened.status_code == 200, opened.json
    url = opened.json["checkout_url"]
    assert url.startswith(world.sandbox.url + "/checkout/")
    assert opened.json["reference"] == before["reference"]
    assert opened.json["amount_cents"] == before["amount_cents"]
    assert opened.json["checkout"]["status"] == "open"
    assert checkout(world, folio).json["checkout_url"] == url  # the same session again
    waiting = payment(world, folio)
    assert waiting["online"]["status"] == "confirming"
    assert waiting["online"]["checkout"]["url"] == url

    # The citizen pays on the gateway's page; its signed webhook lands before the redirect.
    status, back = browser("POST", url + "/pagar")
    assert status == 303 and back.endswith(f"/expedientes/{folio}/pago/regreso")

    after = payment(world, folio)
    assert after["status"] == "paid" and after["order_status"] == "paid"
    assert after["reference"] == before["reference"]
    assert after["online"]["status"] == "paid"
    assert after["online"]["checkout"]["status"] == "closed"
    assert after["online"]["available"] is False
    assert [p["reference"] for p in after["paid"]] == [before["reference"]]
    assert_error(checkout(world, folio), 409, "no_pending_payment")

    case = api(world, "citizen", "GET", f"/cases/{folio}", "/cases/{folio}").json
    assert (case["status"], case["outcome"]) == ("closed", "approved")
    (issued,) = case["documents"]
    permit = api(
        world,
        "citizen",
        "GET",
        f"/cases/{folio}/documents/{issued['document_id']}",
        "/cases/{folio}/documents/{document_id}",
    )
    assert permit.status_code == 200 and permit.mimetype == "application/pdf"
    pdf = permit.get_data()
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf and b"/Sig" in pdf

    # Closed: the attachments are part of the record and stay.
    deleted = api(
        world,
        "citizen",
        "DELETE",
        f"/cases/{folio}/files/{ref['id']}",
        "/cases/{folio}/files/{file_id}",
    )
    assert_error(deleted, 422, "invalid_command")


def test_another_citizen_gets_404_on_every_new_route(world: World) -> None:
    folio = file_case(world, RESIDENCE)  # filed and waiting for its fee
    case = api(world, "citizen", "GET", f"/cases/{folio}", "/cases/{folio}").json
    file_id = case["data"]["doc_identificacion"][0]["id"]
    routes = [
        (
            "POST",
            f"/cases/{folio}/steps/datos/files/doc_identificacion",
            "/cases/{folio}/steps/{step_id}/files/{field_id}",
        ),
        ("GET", f"/cases/{folio}/files/{file_id}", "/cases/{folio}/files/{file_id}"),
        ("DELETE", f"/cases/{folio}/files/{file_id}", "/cases/{folio}/files/{file_id}"),
        ("GET", f"/cases/{folio}/receipt", "/cases/{folio}/receipt"),
        ("GET", f"/cases/{folio}/documents/1", "/cases/{folio}/documents/{document_id}"),
        ("GET", f"/cases/{folio}/payment", "/cases/{folio}/payment"),
        ("POST", f"/cases/{folio}/payment/checkout", "/cases/{folio}/payment/checkout"),
        ("GET", f"/cases/{folio}/payment/slip", "/cases/{folio}/payment/slip"),
    ]
    for method, path, template in routes:
        for who in ("stranger", "other_official"):
            kwargs: dict[str, Any] = {}
            if method == "POST" and "files" in path:
                body, multipart_type = multipart(PDF, "x.pdf", "application/pdf")
                kwargs = {"data": body, "content_type": multipart_type}
            answer = api(world, who, method, path, template, **kwargs)
            # the same answer as for a folio that does not exist: nothing leaks
            unknown = api(world, who, method, path.replace(folio, "NO-EXISTE"), template, **kwargs)
            assert assert_error(answer, 404, "not_found") == dict(
                assert_error(unknown, 404, "not_found"), details={"folio": folio}
            )
        anonymous = api(world, None, method, path, template)
        assert_error(anonymous, 401, "unauthorized")
    # The applicant herself reaches each of them (the document does not exist yet).
    assert (
        api(
            world,
            "citizen",
            "GET",
            f"/cases/{folio}/files/{file_id}",
            "/cases/{folio}/files/{file_id}",
        ).status_code
        == 200
    )
    assert payment(world, folio)["status"] == "pending"
    # An official with no task in the case does not see it at all.
    assert_error(checkout(world, folio, "official"), 404, "not_found")


def test_bad_uploads_are_clear_4xx_and_store_nothing(world: World) -> None:
    folio = start(world)
    before = stored_files(world)
    big = PNG + bytes(3 * 1024 * 1024)
    refused = [
        # (step, field, data, name, declared type) -> (status, code, words in the message)
        (
            ("solicitante", "doc_fotografia", big, "foto.png", None),
            (422, "upload_rejected", "2 MB"),
        ),
        (("solicitante", "doc_fotografia", PDF, "foto.pdf", None), (422, "upload_rejected", "PDF")),
        (
            ("solicitante", "doc_fotografia", PDF, "foto.png", None),
            (422, "upload_rejected", ".png"),
        ),
        (
            ("solicitante", "doc_identificacion", b"hola", "id.pdf", None),
            (422, "upload_rejected", ".pdf"),
        ),
        (
            ("solicitante", "doc_identificacion", PDF, "id", "image/png"),
            (422, "upload_rejected", "PNG"),
        ),
        (
            ("solicitante", "doc_identificacion", b"<html><script>x</script>", "id.html", None),
            (422, "upload_rejected", "HTML"),
        ),
        (
            ("solicitante", "doc_identificacion", b"", "vacio.pdf", None),
            (422, "upload_rejected", "vacío"),
        ),
        (("solicitante", "nombre", PDF, "id.pdf", None), (422, "not_a_file_field", "nombre")),
        (("solicitante", "no_existe", PDF, "id.pdf", None), (404, "not_found", "no_existe")),
        (
            ("solicitante", "doc_tarjeta_salud", PDF, "t.pdf", None),
            (404, "not_found", "doc_tarjeta_salud"),
        ),
        (("revision", "doc_identificacion", PDF, "id.pdf", None), (404, "not_found", "revision")),
        (("no-existe", "doc_identificacion", PDF, "id.pdf", None), (404, "not_found", "no-existe")),
    ]
    for (step, field, data, name, declared), (status, code, words) in refused:
        answer = upload(world, "citizen", folio, step, field, data, name, declared)
        error = assert_error(answer, status, code)
        assert words in error["message"] + error["message_en"], (name, error)
        assert stored_files(world) == before, name

    path = f"/cases/{folio}/steps/solicitante/files/doc_identificacion"
    template = "/cases/{folio}/steps/{step_id}/files/{field_id}"
    assert_error(
        api(world, "citizen", "POST", path, template, json={"file": "x"}), 400, "bad_request"
    )
    assert_error(
        api(world, "citizen", "POST", path, template, data={"otro": "x"}), 400, "bad_request"
    )
    body, multipart_type = multipart(PDF + bytes(26 * 1024 * 1024), "enorme.pdf", "application/pdf")
    too_large = api(
        world, "citizen", "POST", path, template, data=body, content_type=multipart_type
    )
    assert_error(too_large, 413, "request_entity_too_large")
    assert stored_files(world) == before

    # Once filed, the steps are closed to changes; an official may not upload either.
    filed = file_case(world)
    after_filing = stored_files(world)
    late = upload(world, "citizen", filed, "solicitante", "doc_identificacion", PDF, "id.pdf")
    assert "no se puede modificar" in assert_error(late, 422, "invalid_command")["message"]
    official = upload(world, "official", filed, "solicitante", "doc_identificacion", PDF, "id.pdf")
    assert_error(official, 403, "forbidden")
    assert stored_files(world) == after_filing


def test_a_file_is_deleted_only_while_it_is_not_part_of_the_answers(world: World) -> None:
    folio = start(world, RESIDENCE)
    values = example(world, RESIDENCE)["datos"]
    first = upload(world, "citizen", folio, "datos", "doc_identificacion", PDF, "a.pdf").json
    second = upload(world, "citizen", folio, "datos", "doc_identificacion", JPEG, "b.jpg").json
    proof = upload(world, "citizen", folio, "datos", "doc_comprobante_domicilio", PDF, "c.pdf").json
    template = "/cases/{folio}/files/{file_id}"

    def delete(file_id: str, who: str = "citizen") -> Any:
        return api(world, who, "DELETE", f"/cases/{folio}/files/{file_id}", template)

    def submit(ident: dict[str, Any]) -> None:
        answer = api(
            world,
            "citizen",
            "POST",
            f"/cases/{folio}/steps/datos/submit",
            "/cases/{folio}/steps/{step_id}/submit",
            json={
                "values": dict(
                    values, doc_identificacion=[ident], doc_comprobante_domicilio=[proof]
                )
            },
        )
        assert answer.status_code == 200, answer.json

    # Not yet in any answer: gone at once, bytes and all.
    extra = upload(world, "citizen", folio, "datos", "doc_identificacion", PNG, "x.png").json
    assert delete(extra["id"]).status_code == 204
    assert_error(
        api(world, "citizen", "GET", f"/cases/{folio}/files/{extra['id']}", template),
        404,
        "not_found",
    )
    assert_error(delete(extra["id"]), 404, "not_found")

    submit(first)
    assert_error(delete(first["id"]), 409, "file_in_use")
    submit(second)  # replaced before filing: the first one may go now
    assert delete(first["id"]).status_code == 204
    assert_error(delete(second["id"], "stranger"), 404, "not_found")

    filed = api(
        world,
        "citizen",
        "POST",
        f"/cases/{folio}/submit",
        "/cases/{folio}/submit",
        json={"declaration": True},
    )
    assert filed.status_code == 200
    assert_error(delete(second["id"]), 422, "invalid_command")
    got = api(world, "citizen", "GET", f"/cases/{folio}/files/{second['id']}", template)
    assert got.status_code == 200 and got.get_data() == JPEG


def test_checkout_refusals_say_why(world: World) -> None:
    draft = start(world, RESIDENCE)
    assert_error(checkout(world, draft), 409, "no_pending_payment")
    assert payment(world, draft)["status"] == "none"

    folio = file_case(world, RESIDENCE)
    store = world.services.settings_store
    admin = Accounts(world.services.engine, demo_mode=True).by_email("admin@demo.gob.mx")
    assert admin is not None

    def online(enabled: bool) -> None:
        store.update({"payments.online_enabled": enabled}, actor_id=admin.id, actor_name=admin.name)

    online(False)
    error = assert_error(checkout(world, folio), 409, "online_payment_unavailable")
    assert "banco" in error["message"] and "bank" in error["message_en"]
    assert payment(world, folio)["online"]["available"] is False
    online(True)

    down = GatewayConfig("sandbox", "http://127.0.0.1:9", API_KEY, SECRET, timeout_s=2)
    web_payments.configure(world.app, down)
    reference = payment(world, folio)["reference"]
    error = assert_error(checkout(world, folio), 503, "gateway_unavailable")
    assert error["details"]["reference"] == reference
    assert "banco" in error["message"] and payment(world, folio)["online"]["checkout"] is None

    web_payments.configure(world.app, world.gateway)  # back up: the same order can be paid
    assert checkout(world, folio).status_code == 200


def test_session_uploads_need_the_csrf_token(world: World) -> None:
    from flask_wtf.csrf import generate_csrf

    from app.sessions import accounts, start_session

    def test_login() -> str:
        account = accounts().by_email("ciudadano@demo.gob.mx")
        assert account is not None
        start_session(account)
        return str(generate_csrf())

    world.app.add_url_rule("/_test/login", "test_login", test_login)
    folio = start(world, RESIDENCE)
    client = world.client()
    token = client.get("/_test/login").get_data(as_text=True)
    path = f"/api/v1/cases/{folio}/steps/datos/files/doc_identificacion"

    refused = client.post(path, data={"file": (BytesIO(PDF), "a.pdf")})
    assert_error(refused, 403, "csrf_failed")
    accepted = client.post(
        path, data={"file": (BytesIO(PDF), "a.pdf")}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    file_id = accepted.json["id"]
    with client.get(f"/api/v1/cases/{folio}/files/{file_id}") as downloaded:
        assert downloaded.get_data() == PDF
    assert_error(client.delete(f"/api/v1/cases/{folio}/files/{file_id}"), 403, "csrf_failed")
    deleted = client.delete(
        f"/api/v1/cases/{folio}/files/{file_id}", headers={"X-CSRFToken": token}
    )
    assert deleted.status_code == 204
