"""Issue 15: a notification is written in its recipient's language when it is sent (not when
the event happened), once per event however often the outbox runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.integration import test_notification_emails as emails

world = emails.world  # the municipality, its people and an SMTP sink (fixture)


def test_the_language_is_the_recipients_at_send_time_and_each_event_is_sent_once(
    world: emails.World,
) -> None:
    outbox = world.services.outbox
    # The outbox is behind: what the case queues now is not sent yet.
    outbox.clock = lambda: emails.NOW - timedelta(days=1)
    try:
        case_id, folio = world.file_case("ana")
        assert world.mail.to(emails.email_of("ana")) == []
        # Meanwhile Ana switches her account to English.
        with world.engine.begin() as conn:
            conn.execute(
                update(emails.users_t)
                .where(emails.users_t.c.id == world.ids["ana"])
                .values(language="en")
            )
    finally:
        outbox.clock = emails.utcnow
    assert outbox.run_due() >= 1
    (email,) = world.mail.to(emails.email_of("ana"))
    assert email["Subject"] == f"We received your application {folio}"
    assert email["Content-Language"] == "en"
    (row,) = world.rows(case_id, "case_submitted")
    assert row.subject == email["Subject"]  # the in-app notice says the same
    # Delivered again (a retry, a second worker): no second row, no second e-mail.
    world.rerun_outbox()
    assert len(world.mail.to(emails.email_of("ana"))) == 1
    assert len(world.rows(case_id, "case_submitted")) == 1
