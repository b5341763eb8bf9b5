"""Effect handlers against a migrated SQLite database, driving real cases through the engine."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, insert, select
from stdnum.iso7064 import mod_97_10

from connectors import (
    ConnectorSettings,
    build_handlers,
    confirm_payment_command,
    find_order,
    settle_payment,
)
from connectors.common import local_today
from connectors.documents import CODE_ALPHABET, DocumentIssuer, document_path
from connectors.notifications import Notifier
from connectors.payments import (
    CANCELLED,
    PAID,
    PENDING,
    BuiltinCollectionSystem,
    PaymentOrderError,
    PaymentOrderRequest,
    is_valid_reference,
    make_payment_handler,
)
from tests.helpers.mail import SmtpServer
from tests.helpers.paths import REPO_ROOT
from workflow_engine.engine import (
    Actor,
    CancelCase,
    Decide,
    StartCase,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.persistence.cases.outbox import OutboxItem, OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import (
    Department,
    Document,
    Notification,
    OutboxMessage,
    PaymentOrder,
    User,
    table,
)
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.types import utcnow

EXAMPLES = REPO_ROOT / "form_schemas" / "examples"
outbox_t = table(OutboxMessage)
orders_t = table(PaymentOrder)
documents_t = table(Document)
notifications_t = table(Notification)
users_t = table(User)


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'connectors.db'}"
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(
            insert(table(Department)),
            [
                {"key": "desarrollo-urbano", "name_es": "Dirección de Desarrollo Urbano"},
                {"key": "mercados", "name_es": "Administración de Mercados"},
                # named by the examples too: templates may only name existing departments
                {"key": "proteccion-civil", "name_es": "Protección Civil"},
                {"key": "movilidad", "name_es": "Movilidad y Tránsito"},
                {"key": "tesoreria", "name_es": "Tesorería Municipal"},
                {"key": "desarrollo-economico", "name_es": "Desarrollo Económico"},
                {"key": "secretaria-ayuntamiento", "name_es": "Secretaría del Ayuntamiento"},
            ],
        )
        people = [
            ("ana@correo.mx", "citizen", None, [], True),
            ("revisor@chocotlan.gob.mx", "official", "desarrollo-urbano", ["revisor"], True),
            ("inactivo@chocotlan.gob.mx", "official", "desarrollo-urbano", [], False),
            ("director@chocotlan.gob.mx", "official", "desarrollo-urbano", ["director"], True),
            ("mercados@chocotlan.gob.mx", "official", "mercados", ["inspector"], True),
        ]
        conn.execute(
            insert(users_t),
            [
                {
                    "email": email,
                    "name": email.split("@")[0],
                    "role": role,
                    "department_key": department,
                    "role_tags": tags,
                    "is_active": active,
                }
                for email, role, department, tags, active in people
            ],
        )
    catalog = Catalog(eng)
    for key in ("permiso-construccion", "registro-vehicular", "permiso-mercado"):
        catalog.save_draft(json.loads((EXAMPLES / f"{key}.json").read_text("utf-8")))
        catalog.publish(key)
    yield eng
    eng.dispose()


def _user_id(engine: Engine, email: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users_t.c.id).where(users_t.c.email == email)).scalar_one())


@pytest.fixture
def settings(tmp_path: Path) -> ConnectorSettings:
    return ConnectorSettings(documents_dir=str(tmp_path / "documentos"))


@pytest.fixture
def applicant(engine: Engine) -> Actor:
    return Actor(id=str(_user_id(engine, "ana@correo.mx")), kind="citizen")


class Driver:
    """Walks a case through its procedure with the template's example data."""

    def __init__(self, engine: Engine, settings: ConnectorSettings, key: str, actor: Actor):
        self.engine = engine
        self.service = CaseService(engine)
        self.processor = OutboxProcessor(
            engine, self.service, build_handlers(engine, settings), base_delay=0.0
        )
        self.doc = json.loads((EXAMPLES / f"{key}.json").read_text("utf-8"))
        self.actor = actor
        self.case_id = self.service.start(key, StartCase(at=utcnow(), actor=actor)).case_id

    @property
    def state(self) -> Any:
        return self.service.load(self.case_id)[0]

    def run_outbox(self) -> None:
        """Run this case's due messages (other tests' cases share the database)."""
        for _ in range(10):
            with self.engine.connect() as conn:
                ids = (
                    conn.execute(
                        select(outbox_t.c.id)
                        .where(outbox_t.c.case_id == self.case_id, outbox_t.c.status == "pending")
                        .order_by(outbox_t.c.id)
                    )
                    .scalars()
                    .all()
                )
            if not ids:
                break
            for message_id in ids:
                assert self.processor.process(message_id).status == "done", self.dead()

    def dead(self) -> list[str]:
        return [
            d["last_error"] for d in self.processor.dead_letters() if d["case_id"] == self.case_id
        ]

    def advance(self, until: str | None = None, limit: int = 40) -> Any:
        """Act for every party until the case reaches `until` (or closes)."""
        for _ in range(limit):
            state = self.state
            if state.status == until or state.status == "closed":
                return state
            at = utcnow()
            if state.status in ("draft", "awaiting_applicant"):
                values = self.doc["example_data"].get(state.position, {})
                self.service.execute(
                    self.case_id,
                    SubmitStep(at=at, actor=self.actor, step_id=state.position, values=values),
                )
            elif state.status == "ready_to_submit":
                self.service.execute(
                    self.case_id, SubmitCase(at=at, actor=self.actor, declaration=True)
                )
            elif state.status == "in_review":
                for task in state.open_tasks():
                    self.service.execute(
                        self.case_id,
                        Decide(at=at, actor=Actor.system(), task_id=task.id, decision="approve"),
                    )
            elif state.status == "awaiting_payment" and state.payment.reference is not None:
                case_id, confirm = settle_payment(self.engine, state.payment.reference, "prueba")
                assert case_id == self.case_id
                self.service.execute(case_id, confirm)
            else:
                self.run_outbox()
        raise AssertionError(f"case stuck in {self.state.status} at {self.state.position}")

    def pending(self, kind: str) -> OutboxItem:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(outbox_t)
                .where(
                    outbox_t.c.case_id == self.case_id,
                    outbox_t.c.kind == kind,
                    outbox_t.c.status == "pending",
                )
                .order_by(outbox_t.c.id.desc())
            ).first()
        assert row is not None, f"no pending {kind} message"
        return OutboxItem(row.id, row.case_id, row.kind, row.idempotency_key, row.payload, 1)


def pdf_text(data: bytes) -> str:
    """The text of a PDF: pypdf when installed, else ReportLab's streams decoded by hand."""
    try:
        from pypdf import PdfReader
    except ImportError:
        chunks = []
        for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
            raw = match.group(1).strip()
            if raw.endswith(b"~>"):
                raw = base64.a85decode(raw if raw.startswith(b"<~") else b"<~" + raw, adobe=True)
            try:
                chunks.append(zlib.decompress(raw).decode("latin-1"))
            except zlib.error:
                continue
        return "\n".join(chunks)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# -- end to end ----------------------------------------------------------------------------


def test_building_permit_runs_end_to_end(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    driver = Driver(engine, settings, "permiso-construccion", applicant)
    state = driver.advance()
    assert (state.status, state.outcome) == ("closed", "approved")
    driver.run_outbox()  # the last notifications

    # the land registry lookup filled the zone and plot area
    result = state.results["consulta_catastro"]
    assert result["zona"] == "A"  # sector 017: centre
    assert state.data["zona_catastral"] == "A"
    assert state.data["superficie_terreno_m2"] == result["superficie_terreno_m2"]

    # one paid payment order with a valid reference
    with engine.connect() as conn:
        orders = conn.execute(select(orders_t).where(orders_t.c.case_id == driver.case_id)).all()
    assert len(orders) == 1
    assert mod_97_10.is_valid(orders[0].reference)
    assert state.payments[0]["reference"] == orders[0].reference
    assert orders[0].status == PAID and orders[0].paid_at is not None

    # one document, on disk, matching its row and the case state
    (issued,) = state.documents
    with engine.connect() as conn:
        doc = conn.execute(
            select(documents_t).where(documents_t.c.id == int(issued["document_id"]))
        ).one()
    data = document_path(settings, doc.storage_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == doc.sha256 == issued["sha256"]
    assert doc.verification_code == issued["verification_code"]
    assert doc.filename == issued["filename"] == f"licencia-{state.folio}.pdf"
    text = pdf_text(data)
    assert state.folio in text
    assert doc.verification_code in text
    assert orders[0].reference in text

    # the applicant was told at every step
    with engine.connect() as conn:
        templates = set(
            conn.execute(
                select(notifications_t.c.template).where(
                    notifications_t.c.case_id == driver.case_id,
                    notifications_t.c.recipient == f"user:{applicant.id}",
                )
            ).scalars()
        )
    assert {
        "case_submitted",
        "payment_due",
        "payment_received",
        "document_issued",
        "case_approved",
    } <= templates


def test_vehicle_register_lookup_fills_the_confirmation_form(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    driver = Driver(engine, settings, "registro-vehicular", applicant)
    state = driver.advance(until="awaiting_applicant")
    assert state.position == "confirmacion"
    result = state.results["consulta_padron"]
    assert result["placa"] == "BD4512"
    assert state.data["propietario_padron"] == result["propietario"]
    assert state.data["ultimo_pago_padron"] == result["ultimo_pago"]


# -- payments ---------------------------------------------------------------------------


def test_payment_order_is_created_once_per_key(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    driver = Driver(engine, settings, "permiso-mercado", applicant)
    state = driver.advance(until="awaiting_payment")
    item = driver.pending("payment.create_order")
    system = BuiltinCollectionSystem.from_settings(engine, settings)
    handler = make_payment_handler(system, engine=engine)

    first = handler(item)
    again = handler(replace(item, attempts=2))
    assert first[0].reference == again[0].reference  # type: ignore[attr-defined]
    command_ = first[0]
    reference = command_.reference  # type: ignore[attr-defined]
    assert command_.step_id == "pago" and command_.attempt == 1  # type: ignore[attr-defined]
    assert reference.startswith("CHO") and is_valid_reference(reference)
    expected_expiry = local_today(settings.timezone) + timedelta(days=5)
    assert command_.expires_on == expected_expiry.isoformat()  # type: ignore[attr-defined]

    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(orders_t).where(orders_t.c.idempotency_key == item.key)
        ).scalar_one()
    assert count == 1
    order = find_order(engine, reference)
    assert order is not None
    assert (order.case_id, order.amount_cents, order.currency) == (
        driver.case_id,
        state.payment.total_cents,
        "MXN",
    )
    assert [line["id"] for line in order.lines] == [line["id"] for line in state.payment.lines]

    # the engine takes the order, then the payment
    driver.run_outbox()
    assert driver.state.payment.reference == reference
    driver.service.execute(
        driver.case_id, confirm_payment_command(reference, order.amount_cents, "MXN", "caja")
    )
    assert driver.state.payments[-1]["reference"] == reference


def _request(case_id: int, key: str) -> PaymentOrderRequest:
    return PaymentOrderRequest(
        idempotency_key=key,
        case_id=case_id,
        folio="",
        step_id="pago",
        attempt=1,
        amount_cents=10000,
        currency="MXN",
        expires_days=3,
    )


def test_builtin_collection_system_references_and_status(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    case_id = Driver(engine, settings, "permiso-mercado", applicant).case_id
    system = BuiltinCollectionSystem.from_settings(engine, settings)
    orders = [system.create_order(_request(case_id, f"t:{case_id}:{n}")) for n in range(60)]
    references = [o.reference for o in orders]
    assert len(set(references)) == 60
    assert all(mod_97_10.is_valid(r) for r in references)

    first, second, third = references[:3]
    assert system.query_status(first) == PENDING
    assert system.query_status("CHO000000000000") is None
    system.cancel(first)
    system.cancel(first)
    assert system.query_status(first) == CANCELLED
    with pytest.raises(PaymentOrderError):
        system.mark_paid(first)
    assert system.mark_paid(second).status == PAID
    assert system.mark_paid(second).paid_at is not None
    with pytest.raises(PaymentOrderError):
        system.cancel(second)
    with pytest.raises(PaymentOrderError):
        system.cancel("CHO000000000000")
    later = BuiltinCollectionSystem(
        engine, timezone=settings.timezone, clock=lambda: utcnow() + timedelta(days=10)
    )
    assert later.query_status(third) == "expired"
    spaced = f"{third[:5]} {third[5:9]}-{third[9:]}".lower()
    found = find_order(engine, spaced)
    assert found is not None and found.reference == third


# -- documents ----------------------------------------------------------------------------


def test_document_is_issued_once_per_key(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    driver = Driver(engine, settings, "permiso-mercado", applicant)
    state = driver.advance(until="awaiting_document")
    item = driver.pending("document.issue")
    issuer = DocumentIssuer(engine, settings)

    first = issuer(item)[0]
    again = issuer(replace(item, attempts=2))[0]
    assert first == replace(again, at=first.at)
    assert first.step_id == "emision" and first.attempt == 1  # type: ignore[attr-defined]
    code = first.verification_code  # type: ignore[attr-defined]
    assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)

    with engine.connect() as conn:
        rows = conn.execute(
            select(documents_t).where(documents_t.c.idempotency_key == item.key)
        ).all()
    assert len(rows) == 1
    (row,) = rows
    assert str(row.id) == first.document_id  # type: ignore[attr-defined]
    # Filed under the local year of its recorded issue time (not of the test's clock).
    assert row.storage_path.startswith(f"{local_today(settings.timezone, row.issued_at).year}/")
    files = list(Path(settings.documents_dir).rglob("*"))
    assert [f for f in files if f.is_file()] == [document_path(settings, row.storage_path)]
    data = document_path(settings, row.storage_path).read_bytes()
    assert data.startswith(b"%PDF-")
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (row.sha256, row.size)
    assert first.extra == {  # type: ignore[attr-defined]
        "filename": row.filename,
        "sha256": row.sha256,
    }  # permiso-mercado has no validity period
    assert row.expires_on is None

    text = pdf_text(data)
    assert state.folio in text
    assert code in text
    assert f"{settings.base_url}/verificar/{code}" in text.replace("\n", "")
    assert "Administraci" in text  # the department's name in the header
    assert "Francisca Garc" in text  # the body, filled in from the case data
    assert "Mercado" in text or "mercado" in text

    driver.run_outbox()
    assert driver.state.documents[0]["document_id"] == str(row.id)


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_municipality_logo_setting_is_printed_on_issued_documents(
    engine: Engine,
    applicant: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """MUNICIPALITY_LOGO, as the environment gives it, is the image in the issued PDF."""
    from PIL import Image

    from app.config import Settings
    from app.services import connector_settings

    logo = tmp_path / f"escudo.{kind.lower()}"
    Image.new("RGB", (90, 120), (123, 30, 58)).save(logo, kind)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.setenv("MUNICIPALITY_LOGO", str(logo))
    settings = connector_settings(Settings.from_env())
    assert settings.municipality_logo == str(logo)
    driver = Driver(engine, settings, "permiso-mercado", applicant)
    driver.advance(until="awaiting_document")
    command = DocumentIssuer(engine, settings)(driver.pending("document.issue"))[0]
    with engine.connect() as conn:
        row = conn.execute(
            select(documents_t).where(
                documents_t.c.id == int(command.document_id)  # type: ignore[attr-defined]
            )
        ).one()
    pdf = document_path(settings, row.storage_path).read_bytes()
    images = re.findall(rb"/Subtype\s*/Image[^>]*?/Width\s+(\d+)", pdf) + re.findall(
        rb"/Width\s+(\d+)[^>]*?/Subtype\s*/Image", pdf
    )
    assert b"90" in images, "the logo (90 px wide) is not in the document"
    if kind == "JPEG":
        assert b"/DCTDecode" in pdf  # the JPEG is embedded as a JPEG


def test_no_order_and_no_document_for_a_cancelled_case(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    paying = Driver(engine, settings, "permiso-mercado", applicant)
    paying.advance(until="awaiting_payment")
    order_item = paying.pending("payment.create_order")
    paying.service.execute(paying.case_id, CancelCase(at=utcnow(), actor=applicant))
    system = BuiltinCollectionSystem.from_settings(engine, settings)
    assert make_payment_handler(system, engine=engine)(order_item) == []
    assert system.find_by_key(order_item.key) is None

    issuing = Driver(engine, settings, "permiso-mercado", applicant)
    issuing.advance(until="awaiting_document")
    document_item = issuing.pending("document.issue")
    issuing.service.execute(issuing.case_id, CancelCase(at=utcnow(), actor=applicant))
    issuer = DocumentIssuer(engine, settings)
    assert issuer(document_item) == []
    assert issuer.find_by_key(document_item.key) is None
    assert not Path(settings.documents_dir).exists()


# -- notifications ---------------------------------------------------------------------------


def _notify_item(case_id: int, key: str, **payload: Any) -> OutboxItem:
    payload.setdefault("case_id", str(case_id))
    return OutboxItem(1, case_id, "notify", f"{case_id}:{key}", payload, 1)


def test_notifications_are_recorded_and_emailed_once(
    engine: Engine, tmp_path: Path, applicant: Actor, smtp: SmtpServer
) -> None:
    inbox = smtp.sink
    settings = ConnectorSettings(
        documents_dir=str(tmp_path), smtp_host="127.0.0.1", smtp_port=inbox.port, smtp_timeout=5
    )
    driver = Driver(engine, settings, "permiso-construccion", applicant)
    folio = driver.state.folio
    notifier = Notifier(engine, settings)

    submitted = _notify_item(
        driver.case_id,
        "notify:1:case_submitted",
        template="case_submitted",
        to="applicant",
        folio=folio,
        procedure="permiso-construccion",
    )
    assert notifier(submitted) is None
    assert notifier(replace(submitted, attempts=2)) is None  # a retry: nothing new
    assert len(inbox.messages) == 1
    (rcpt, email) = inbox.messages[0]
    assert rcpt == ["ana@correo.mx"]
    assert email["Subject"] == f"Recibimos su solicitud {folio}"
    assert email["Message-ID"].endswith("@chocotlan.gob.mx>")
    plain = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert plain is not None and html is not None
    assert folio in plain.get_content()
    assert f"/expedientes/{folio}" in html.get_content()

    escalated = _notify_item(
        driver.case_id,
        "notify:2:task_escalated",
        template="task_escalated",
        to="director:desarrollo-urbano",
        folio=folio,
        task="revision.main.1",
        due_on="2026-03-09",
    )
    notifier(escalated)
    assigned = _notify_item(
        driver.case_id,
        "notify:3:task_assigned",
        template="task_assigned",
        to="department:desarrollo-urbano",
        folio=folio,
        task="revision.main.1",
        role="revisor",
    )
    notifier(assigned)
    notifier(assigned)
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == sorted(
        [
            "ana@correo.mx",
            "director@chocotlan.gob.mx",
            "director@chocotlan.gob.mx",
            "revisor@chocotlan.gob.mx",
        ]
    )

    with engine.connect() as conn:
        rows = conn.execute(
            select(notifications_t)
            .where(notifications_t.c.case_id == driver.case_id)
            .order_by(notifications_t.c.id)
        ).all()
    assert [(r.template, r.recipient) for r in rows] == [
        ("case_submitted", f"user:{applicant.id}"),
        ("task_escalated", f"user:{_user_id(engine, 'director@chocotlan.gob.mx')}"),
        ("task_assigned", f"user:{_user_id(engine, 'revisor@chocotlan.gob.mx')}"),
        ("task_assigned", f"user:{_user_id(engine, 'director@chocotlan.gob.mx')}"),
    ]
    assert all(r.sent_at is not None for r in rows)
    assert "inactivo@chocotlan.gob.mx" not in recipients


def test_without_smtp_only_in_app_rows(
    engine: Engine, settings: ConnectorSettings, applicant: Actor
) -> None:
    driver = Driver(engine, settings, "permiso-mercado", applicant)
    folio = driver.state.folio
    notifier = Notifier(engine, settings)
    returned = _notify_item(
        driver.case_id,
        "notify:1:case_returned",
        template="case_returned",
        to="applicant",
        folio=folio,
        message="Falta la fotografía.",
        reason="incomplete",
        respond_by="2026-03-20",
    )
    notifier(returned)
    # nobody in the department "obras-publicas": the notice still lands somewhere
    orphan = _notify_item(
        driver.case_id,
        "notify:2:deadline_reminder",
        template="deadline_reminder",
        to="department:obras-publicas",
        folio=folio,
        due_on="2026-03-09",
    )
    notifier(orphan)
    notice = _notify_item(
        driver.case_id,
        "notify:3:step_notice",
        template="step_notice",
        to="department",
        department="mercados",
        folio=folio,
        subject={"es": "Nuevo puesto"},
        message={"es": "Prepare el lugar."},
    )
    notifier(notice)
    with engine.connect() as conn:
        rows = conn.execute(
            select(notifications_t)
            .where(notifications_t.c.case_id == driver.case_id)
            .order_by(notifications_t.c.id)
        ).all()
    assert [(r.recipient, r.email, r.sent_at) for r in rows] == [
        (f"user:{applicant.id}", "ana@correo.mx", None),
        ("department:obras-publicas", None, None),
        (
            f"user:{_user_id(engine, 'mercados@chocotlan.gob.mx')}",
            "mercados@chocotlan.gob.mx",
            None,
        ),
    ]
    assert rows[2].subject == "Nuevo puesto"
    assert "Falta la fotografía." in rows[0].body  # in-app only: observations kept
    assert "20 de marzo de 2026" in rows[0].body


def test_unknown_applicant_gets_an_in_app_row_without_email(
    engine: Engine, settings: ConnectorSettings
) -> None:
    driver = Driver(engine, settings, "permiso-mercado", Actor(id="visitante-7", kind="citizen"))
    notifier = Notifier(engine, settings)
    notifier(
        _notify_item(
            driver.case_id,
            "notify:1:case_cancelled",
            template="case_cancelled",
            to="applicant",
            folio=driver.state.folio,
        )
    )
    with engine.connect() as conn:
        row = conn.execute(
            select(notifications_t).where(notifications_t.c.case_id == driver.case_id)
        ).one()
    assert (row.recipient, row.email) == ("user:visitante-7", None)
