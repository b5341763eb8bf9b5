"""A world of citizens and an official, each with a language and an e-mail address, to
check which notifications and e-mails a case sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert, select, update

from tests.helpers.engine import MINI
from tests.helpers.mail import MailSink
from workflow_engine.engine import (
    Actor,
    Decide,
    StartCase,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.persistence.cases.timers import fire_due_timers
from workflow_engine.persistence.models import (
    Department,
    Notification,
    OutboxMessage,
    Timer,
    User,
    table,
)
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.types import utcnow

# Thursday 18 December 2025, 10:00 in Mexico City: ten business days later is in the next year.
# (In the past, so the effects queued at NOW are due for the outbox, which runs on its own clock.)
NOW = datetime(2025, 12, 18, 16, 0, tzinfo=UTC)
DEPT = "desarrollo-economico"
users_t = table(User)
notifications_t = table(Notification)
outbox_t = table(OutboxMessage)
timers_t = table(Timer)
PEOPLE = {
    # name: (role, department, tags, active, language)
    "ana": ("citizen", None, [], True, "es"),
    "john": ("citizen", None, [], True, "en"),
    "revisora": ("official", DEPT, ["revisor"], True, "es"),
    "directora": ("official", DEPT, ["director"], True, "en"),
    "baja": ("official", DEPT, ["revisor", "director"], False, "es"),
    "enlace": ("liaison", DEPT, ["director"], True, "es"),
    "inspector": ("official", "proteccion-civil", ["inspector", "director"], True, "es"),
}


def email_of(name: str) -> str:
    return f"{name}@correo.example.mx"


@dataclass
class World:
    services: Any
    mail: MailSink
    ids: dict[str, int]

    @property
    def engine(self) -> Any:
        return self.services.engine

    def actor(self, name: str) -> Actor:
        role, dept, tags, _active, _lang = PEOPLE[name]
        kind: Any = "official" if role == "official" else "citizen"
        return Actor(
            id=str(self.ids[name]),
            kind=kind,
            departments=frozenset([dept] if dept else []),
            roles=frozenset(tags),
            name=name,
        )

    def file_case(self, applicant: str) -> tuple[int, str]:
        """Start, fill in and submit a case; returns (case id, folio)."""
        at = NOW
        cases = self.services.cases
        actor = self.actor(applicant)
        case_id = cases.start("mini", StartCase(at=at, actor=actor)).case_id
        values = MINI["example_data"]["datos"]
        cases.execute(case_id, SubmitStep(at=at, actor=actor, step_id="datos", values=values))
        cases.execute(case_id, SubmitCase(at=at, actor=actor, declaration=True))
        return case_id, cases.load(case_id)[0].folio

    def task_id(self, case_id: int) -> str:
        (task,) = self.services.cases.load(case_id)[0].open_tasks()
        return str(task.id)

    def act(self, case_id: int, who: str, command: Any, **fields: Any) -> None:
        """`who` runs a task command (Decide, ClaimTask, AssignTask) on the case's open task."""
        self.services.cases.execute(
            case_id,
            command(at=NOW, actor=self.actor(who), task_id=self.task_id(case_id), **fields),
        )

    def decide(self, case_id: int, decision: Any, **extra: Any) -> None:
        self.act(case_id, "revisora", Decide, decision=decision, **extra)

    def rows(self, case_id: int, template: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(notifications_t)
                    .where(
                        notifications_t.c.case_id == case_id,
                        notifications_t.c.template == template,
                    )
                    .order_by(notifications_t.c.id)
                ).all()
            )

    def rerun_outbox(self) -> int:
        """Put every finished `notify` message back in the queue and run them all again."""
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox_t)
                .where(outbox_t.c.kind == "notify")
                .values(status="pending", next_attempt_at=NOW - timedelta(days=1))
            )
        return int(self.services.outbox.run_due())

    def fire(self, now: datetime) -> int:
        """What Celery beat does every minute, as if it were `now`: fire the due timers, and
        run the effects they queue (due at `now`) right away."""
        self.services.outbox.clock = lambda: now
        try:
            return fire_due_timers(self.services.cases, now=now)
        finally:
            self.services.outbox.clock = utcnow

    def timer(self, case_id: int, kind: str) -> datetime:
        with self.engine.connect() as conn:
            fires_at: datetime = conn.execute(
                select(timers_t.c.fires_at).where(
                    timers_t.c.case_id == case_id, timers_t.c.kind == kind
                )
            ).scalar_one()
        return fires_at


def seed(engine: Any, procedure: dict[str, Any]) -> dict[str, int]:
    with engine.begin() as conn:
        conn.execute(
            insert(table(Department)),
            [
                {"key": DEPT, "name_es": "Desarrollo Económico"},
                {"key": "proteccion-civil", "name_es": "Protección Civil"},
            ],
        )
        for name, (role, dept, tags, active, lang) in PEOPLE.items():
            conn.execute(
                insert(users_t).values(
                    email=email_of(name),
                    name=name.capitalize(),
                    role=role,
                    department_key=dept,
                    role_tags=tags,
                    is_active=active,
                    language=lang,
                    email_verified_at=NOW,
                )
            )
        ids = {
            str(r.email).split("@")[0]: int(r.id)
            for r in conn.execute(select(users_t.c.id, users_t.c.email))
        }
    catalog = Catalog(engine)
    catalog.save_draft(procedure)
    catalog.publish("mini")
    return ids


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())
