"""Notification e-mails end to end: real cases driven through the application's services, the
outbox running the `notify` effects, and a real SMTP server on loopback receiving them.

What a citizen or an official would notice: who got an e-mail, in which language, that it
has a plain-text and an HTML part, what it says (and what it must not say), and that running
the outbox again sends nothing twice. Everything happens at a fixed moment (`NOW`), never at
the real clock's; deadlines run with the same function Celery beat calls every minute
(`fire_due_timers`) with a chosen `now`.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors import settle_payment
from tests.helpers.engine import MINI
from tests.helpers.mail import MailSink, SmtpServer
from tests.helpers.notifications import (
    NOW,
    World,
    email_of,
    notifications_t,
    parts,
    seed,
    users_t,
)
from workflow_engine.engine import (
    AssignTask,
    ClaimTask,
)
from workflow_engine.persistence.types import utcnow

BASE_URL = "https://tramites.example.mx"


# -- the SMTP server ---------------------------------------------------------------------


def recipients(box: MailSink, subject_part: str) -> list[str]:
    """Who got a message whose subject contains `subject_part` (local parts, sorted, repeated)."""
    return sorted(
        r.split("@")[0] for mail in box.messages if subject_part in mail.subject for r in mail.to
    )


# -- the municipality --------------------------------------------------------------------


@pytest.fixture
def world(db_url: str, app_factory: Any, smtp: SmtpServer) -> World:
    app = app_factory(db_url, smtp_host="127.0.0.1", smtp_port=smtp.port, base_url=BASE_URL)
    services = app.extensions["tramita"]
    procedure = copy.deepcopy(MINI)
    for step in procedure["steps"]:
        if step["id"] == "revision":
            step["on_lapse"] = "escalate"  # an overdue task goes to the director
    return World(services, smtp.sink, seed(services.engine, procedure))


# -- the applicant's e-mails ----------------------------------------------------------------


def test_submitting_emails_the_applicant_in_spanish_with_text_and_html(world: World) -> None:
    case_id, folio = world.file_case("ana")
    (email,) = world.mail.to(email_of("ana"))
    assert email["Subject"] == f"Recibimos su solicitud {folio}"
    assert email.get_content_type() == "multipart/alternative"
    assert email["Content-Language"] == "es"
    assert "Municipio de Chocotl" in str(email["From"])
    text, html = parts(email)
    link = f"{BASE_URL}/expedientes/{folio}"
    assert folio in text and "«Trámite mínimo»" in text and link in text
    assert "no lo responda" in text
    assert '<html lang="es">' in html and f'href="{link}"' in html and "Ver su expediente" in html
    # What the applicant typed stays in the case, not in the e-mail.
    assert "María López" not in text + html

    # The department's reviewers (and its director) hear about the new task; nobody else.
    assert recipients(world.mail, "Nueva solicitud por revisar") == ["revisora"]
    assert recipients(world.mail, "New application to review") == ["directora"]
    (staff,) = world.mail.to(email_of("revisora"))
    assert f"{BASE_URL}/bandeja/expedientes/{folio}" in parts(staff)[0]
    assert [r.recipient for r in world.rows(case_id, "case_submitted")] == [
        f"user:{world.ids['ana']}"
    ]


def test_an_english_speaking_applicant_gets_english(world: World) -> None:
    _case_id, folio = world.file_case("john")
    (email,) = world.mail.to(email_of("john"))
    assert email["Subject"] == f"We received your application {folio}"
    assert email["Content-Language"] == "en"
    text, html = parts(email)
    assert "“Trámite mínimo”" in text and "View your case" in html
    assert '<html lang="en">' in html and "please do not reply" in text


def test_return_for_correction_says_what_to_do_but_not_the_observations(world: World) -> None:
    case_id, folio = world.file_case("ana")
    world.mail.clear()
    world.decide(
        case_id,
        "return",
        comment="La credencial de elector está vencida <revise>.",
        reason="outdated",
        return_steps=("datos",),
    )
    (email,) = world.mail.to(email_of("ana"))
    assert email["Subject"] == f"Su solicitud {folio} necesita correcciones"
    text, html = parts(email)
    assert "algún documento no está vigente" in text
    # Ten business days after Thursday 18 December 2025 (weekends skipped; this municipality
    # has no holidays in its calendar): Friday 19, 22-26, 29-31 December, 1 January.
    assert "Tiene hasta el 1 de enero de 2026 para corregirla" in text
    assert "credencial" not in text + html
    assert "Consulte los detalles en su expediente." in text
    assert "Corregir su solicitud" in html
    # The in-app notification keeps the observations (escaped on the page, verbatim here).
    (row,) = world.rows(case_id, "case_returned")
    assert "La credencial de elector está vencida <revise>." in row.body


def test_approval_payment_document_and_closing_each_email_the_applicant(world: World) -> None:
    case_id, folio = world.file_case("john")
    world.mail.clear()
    world.decide(case_id, "approve")
    (due,) = world.mail.to(email_of("john"))
    assert due["Subject"] == f"Payment order for your application {folio}"
    text, html = parts(due)
    state = world.services.cases.load(case_id)[0]
    reference = state.payment.reference
    assert reference and reference in text and "$592.00" in text  # 500 + 80 m² × 1.15
    assert "Pay online" in html

    world.mail.clear()
    paid_case, confirm = settle_payment(world.engine, reference, "prueba")
    world.services.cases.execute(paid_case, confirm)
    subjects = [str(m["Subject"]) for m in world.mail.to(email_of("john"))]
    assert f"We received your payment ({folio})" in subjects
    assert f"Your licence is ready ({folio})" in subjects
    assert "Listo" in subjects  # the procedure's own notice step
    assert f"Your application {folio} was approved" in subjects
    assert world.services.cases.load(case_id)[0].outcome == "approved"


def test_rejection_emails_the_applicant_without_the_reason(world: World) -> None:
    case_id, folio = world.file_case("ana")
    world.mail.clear()
    world.decide(case_id, "reject", comment="El giro no está permitido en esa zona.")
    (email,) = world.mail.to(email_of("ana"))
    assert email["Subject"] == f"Su solicitud {folio} fue resuelta"
    text, html = parts(email)
    assert "sentido negativo" in text and "Consultar la resolución" in html
    assert "zona" not in text + html


# -- deadlines: reminders and escalation -----------------------------------------------------


def test_reminder_goes_to_the_department_and_escalation_to_its_director(world: World) -> None:
    case_id, folio = world.file_case("ana")
    world.mail.clear()
    remind_at = world.timer(case_id, "task_reminder")
    deadline_at = world.timer(case_id, "task_deadline")
    assert remind_at < deadline_at

    assert world.fire(remind_at - timedelta(minutes=1)) == 0
    assert world.mail.messages == []
    assert world.fire(remind_at) == 1
    # Reviewers of the department (the director reads English); not the deactivated
    # official, not the liaison, not Protección Civil.
    assert recipients(world.mail, f"Recordatorio: la solicitud {folio} vence el") == ["revisora"]
    assert recipients(world.mail, f"Reminder: application {folio} is due on") == ["directora"]

    world.mail.clear()
    assert world.fire(deadline_at) == 1
    assert recipients(world.mail, f"Deadline missed: application {folio}") == ["directora"]
    assert len(world.mail.messages) == 1
    assert world.services.cases.load(case_id)[0].open_tasks()[0].escalated

    world.mail.clear()
    assert world.fire(deadline_at + timedelta(days=3)) == 0
    assert world.mail.messages == []


def test_a_claimed_tasks_reminder_goes_to_whoever_claimed_it(world: World) -> None:
    case_id, folio = world.file_case("ana")
    world.act(case_id, "revisora", ClaimTask)
    world.mail.clear()
    assert world.fire(world.timer(case_id, "task_reminder")) == 1
    assert recipients(world.mail, folio) == ["revisora"]


def test_without_a_director_escalation_reaches_the_departments_officials(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(users_t).where(users_t.c.id == world.ids["directora"]).values(role_tags=[])
        )
    case_id, folio = world.file_case("ana")
    world.mail.clear()
    world.fire(world.timer(case_id, "task_deadline"))
    assert recipients(world.mail, f"Plazo vencido: solicitud {folio}") == ["revisora"]
    assert recipients(world.mail, f"Deadline missed: application {folio}") == ["directora"]


def test_a_deactivated_director_gets_nothing(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(users_t).where(users_t.c.id == world.ids["directora"]).values(is_active=False)
        )
    case_id, folio = world.file_case("ana")
    world.fire(world.timer(case_id, "task_deadline"))
    assert world.mail.to(email_of("directora")) == []
    assert world.mail.to(email_of("baja")) == []
    # Nobody tagged director is left: the department's active official is told instead.
    assert recipients(world.mail, f"Plazo vencido: solicitud {folio}") == ["revisora"]


# -- at least once, e-mailed once ----------------------------------------------------------


def test_running_the_outbox_twice_sends_each_email_once(world: World) -> None:
    case_id, _folio = world.file_case("ana")
    world.decide(case_id, "reject", comment="No cumple el reglamento.")
    world.fire(NOW + timedelta(days=30))  # nothing left to fire
    sent = len(world.mail.messages)
    assert sent == 4  # submitted (ana), new task (revisora, directora), rejected (ana)
    assert world.rerun_outbox() >= 3
    assert len(world.mail.messages) == sent
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(notifications_t.c.sent_at).where(notifications_t.c.case_id == case_id)
        ).all()
    assert len(rows) == sent and all(r.sent_at is not None for r in rows)


def test_a_director_assigning_a_task_emails_the_assignee(world: World) -> None:
    case_id, folio = world.file_case("ana")
    world.mail.clear()
    world.act(
        case_id, "directora", AssignTask, assignee_id=str(world.ids["revisora"]), assignee_name="R"
    )
    (email,) = world.mail.to(email_of("revisora"))
    assert email["Subject"] == f"Se le asignó la solicitud {folio}"
    assert "Plazo para resolver:" in parts(email)[0]
    assert len(world.mail.messages) == 1


def test_a_deactivated_assignees_reminder_goes_back_to_the_department(world: World) -> None:
    case_id, folio = world.file_case("ana")
    world.act(case_id, "revisora", ClaimTask)
    with world.engine.begin() as conn:
        conn.execute(
            update(users_t).where(users_t.c.id == world.ids["revisora"]).values(is_active=False)
        )
    world.mail.clear()
    world.fire(world.timer(case_id, "task_reminder"))
    assert recipients(world.mail, folio) == ["directora"]


# Issue 15: a notification is written in its recipient's language when it is sent (not when
# the event happened), once per event however often the outbox runs.
def test_the_language_is_the_recipients_at_send_time_and_each_event_is_sent_once(
    world: World,
) -> None:
    outbox = world.services.outbox
    # The outbox is behind: what the case queues now is not sent yet.
    outbox.clock = lambda: NOW - timedelta(days=1)
    try:
        case_id, folio = world.file_case("ana")
        assert world.mail.to(email_of("ana")) == []
        # Meanwhile Ana switches her account to English.
        with world.engine.begin() as conn:
            conn.execute(
                update(users_t).where(users_t.c.id == world.ids["ana"]).values(language="en")
            )
    finally:
        outbox.clock = utcnow
    assert outbox.run_due() >= 1
    (email,) = world.mail.to(email_of("ana"))
    assert email["Subject"] == f"We received your application {folio}"
    assert email["Content-Language"] == "en"
    (row,) = world.rows(case_id, "case_submitted")
    assert row.subject == email["Subject"]  # the in-app notice says the same
    # Delivered again (a retry, a second worker): no second row, no second e-mail.
    world.rerun_outbox()
    assert len(world.mail.to(email_of("ana"))) == 1
    assert len(world.rows(case_id, "case_submitted")) == 1
