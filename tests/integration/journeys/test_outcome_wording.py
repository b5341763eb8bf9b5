"""A Spanish reader never meets the engine's English outcome words.

A case is walked to each outcome (approved, rejected, cancelled); the applicant's case page,
the official's case page (with the history, worded by the event catalog), the in-app
notifications and the e-mails, all in Spanish, must not contain «approved», «rejected» or
«cancelled»: outcomes are worded by `workflow_engine.engine.events`, never interpolated.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from sqlalchemy import select

from connectors import settle_payment
from tests.helpers.engine import MINI
from tests.helpers.mail import SmtpServer
from tests.helpers.notifications import NOW, World, parts, seed
from workflow_engine.engine import CancelCase
from workflow_engine.engine.events import OUTCOMES, outcome_name
from workflow_engine.persistence.models import Notification, table
from workflow_engine.persistence.platform.accounts import Accounts

ENGLISH = re.compile(r"\b(approved|rejected|cancell?ed)\b", re.IGNORECASE)
notifications_t = table(Notification)


@pytest.fixture
def site(db_url: str, app_factory: Any, smtp: SmtpServer) -> tuple[Any, World]:
    box = smtp.sink
    app = app_factory(db_url, smtp_host="127.0.0.1", smtp_port=smtp.port)
    services = app.extensions["tramita"]
    return app, World(services, box, seed(services.engine, MINI))


def _visible(page: str) -> str:
    """The text a person reads on a page: no tags, attributes, scripts or styles."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _page(app: Any, world: World, who: str, url: str) -> str:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = Accounts(world.engine).open_session(world.ids[who])
        session["_fresh"] = True
    response = client.get(url, headers={"Accept-Language": "es"})
    assert response.status_code == 200, (url, response.status_code)
    return _visible(response.get_data(as_text=True))


def _walk(world: World, case_id: int, outcome: str) -> None:
    if outcome == "approved":
        world.decide(case_id, "approve")
        reference = world.services.cases.load(case_id)[0].payment.reference
        paid_case, confirm = settle_payment(world.engine, reference, "prueba")
        world.services.cases.execute(paid_case, confirm)
    elif outcome == "rejected":
        world.decide(case_id, "reject", comment="El giro no está permitido en esa zona.")
    else:
        world.services.cases.execute(
            case_id, CancelCase(at=NOW, actor=world.actor("ana"), reason="Ya no lo necesito.")
        )


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_every_outcome_reads_in_spanish(site: tuple[Any, World], outcome: str) -> None:
    app, world = site
    case_id, folio = world.file_case("ana")
    _walk(world, case_id, outcome)
    assert world.services.cases.load(case_id)[0].outcome == outcome

    citizen = _page(app, world, "ana", f"/expedientes/{folio}")
    official = _page(app, world, "revisora", f"/bandeja/expedientes/{folio}")
    with world.engine.connect() as conn:
        notices = [
            f"{r.subject} {r.body}"
            for r in conn.execute(
                select(notifications_t).where(notifications_t.c.case_id == case_id)
            )
        ]
    mails = [str(m["Subject"]) + " ".join(parts(m)) for m in world.mail.to("ana")]
    for where, text in [("citizen", citizen), ("official", official)] + [
        ("notification", t) for t in notices + mails
    ]:
        text = " ".join(text.split())
        found = ENGLISH.search(text)
        assert found is None, f"{where}: …{text[max(0, found.start() - 80) : found.end() + 40]}…"
    # the official's history says how the case ended, in the catalog's Spanish words
    if outcome != "cancelled":
        assert f"Expediente concluido: {outcome_name(outcome, 'es')}." in official


def test_the_catalog_words_each_outcome_in_both_languages() -> None:
    for outcome, (es, en) in OUTCOMES.items():
        assert outcome_name(outcome, "es") == es and outcome_name(outcome, "en") == en
        assert not ENGLISH.search(es)
    assert outcome_name("archived", "es") == ""  # unknown: no raw English word
