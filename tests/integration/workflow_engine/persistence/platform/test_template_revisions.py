"""Drafts, revisions and publication of procedure templates on both databases: drafts save
with errors, stale saves are refused naming who saved last, publishing needs zero errors and
writes the audit log, roll backs, department rules, concurrent saves, and the CLI."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import Engine, event, insert, select

from tests.helpers.engine import CITIZEN, MINI, T0
from workflow_engine.engine import StartCase
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import (
    AuditLog,
    Case,
    ProcedureRevision,
    table,
)
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.catalog import (
    Catalog,
    Editor,
    NoteRequiredError,
    NothingToUndoError,
    RevisionConflictError,
    TemplateForbiddenError,
    TemplateInvalidError,
)
from workflow_engine.persistence.types import JSONType, UTCDateTime
from workflow_engine.templates.validation import TemplateProblem

PASSWORD = "una frase bastante larga"
audit_t = table(AuditLog)
revisions_t = table(ProcedureRevision)


@dataclass(frozen=True)
class People:
    admin: Editor
    liaison: Editor  # desarrollo-economico, the department of MINI
    other_liaison: Editor  # proteccion-civil
    official: Editor  # desarrollo-economico, but not a liaison


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def people(engine: Engine) -> People:
    accounts = Accounts(engine)

    def make(email: str, role: str, name: str, department: str | None = None) -> Editor:
        account = accounts.create(email, PASSWORD, role=role, name=name, department_key=department)
        return Editor(account.id)

    return People(
        admin=make("admin@muni.mx", "admin", "Ada Administradora"),
        liaison=make("enlace@muni.mx", "liaison", "Lía Enlace", "desarrollo-economico"),
        other_liaison=make("pc@muni.mx", "liaison", "Pablo Civil", "proteccion-civil"),
        official=make("func@muni.mx", "official", "Fer Funcionario", "desarrollo-economico"),
    )


def broken() -> dict[str, Any]:
    """MINI with a transition to a step that does not exist (an error, not a warning)."""
    doc = copy.deepcopy(MINI)
    doc["steps"][0]["transitions"][1]["to"] = "nowhere"
    return doc


def retitled(title: str) -> dict[str, Any]:
    doc = copy.deepcopy(MINI)
    doc["title"] = {"es": title}
    return doc


def test_a_draft_with_errors_saves_but_cannot_be_published(engine: Engine, people: People) -> None:
    catalog = Catalog(engine)
    saved = catalog.save_revision(broken(), by=people.liaison, base=0)
    assert saved.number == 1 and saved.base_number is None
    assert saved.error_count >= 1
    assert any("nowhere" in p["message_es"] for p in saved.problems)
    assert catalog.draft("mini")["steps"][0]["transitions"][1]["to"] == "nowhere"
    [stored] = catalog.revisions("mini")
    assert (stored.saved_by_name, stored.error_count) == ("Lía Enlace", saved.error_count)
    assert stored.problems == saved.problems
    with pytest.raises(TemplateInvalidError):
        catalog.publish("mini", by=people.liaison, note="primera versión")
    fixed = catalog.save_revision(copy.deepcopy(MINI), by=people.liaison, base=1)
    assert (fixed.number, fixed.base_number, fixed.error_count) == (2, 1, 0)
    version = catalog.publish("mini", by=people.liaison, note="primera versión")
    assert version.number == 1
    assert catalog.info("mini").state == "live"


def test_warnings_do_not_stop_a_publication_errors_do(engine: Engine, people: People) -> None:
    class Flagging(Catalog):
        severity = "warning"

        def validate(self, doc: Any, conn: Any = None) -> list[TemplateProblem]:
            return [
                TemplateProblem(
                    "step_without_description",
                    self.severity,
                    "steps/datos",
                    "$.steps[0]",
                    "Paso sin descripción",
                    "No description",
                )
            ]

    catalog = Flagging(engine)
    saved = catalog.save_revision(copy.deepcopy(MINI), by=people.admin, base=0)
    assert (saved.error_count, saved.warning_count) == (0, 1)
    assert saved.problems[0]["severity"] == "warning"
    assert catalog.publish("mini", by=people.admin, note="con avisos").number == 1
    catalog.severity = "critical"  # anything but a warning is an error
    catalog.save_revision(retitled("Otro"), by=people.admin, base=1)
    with pytest.raises(TemplateInvalidError):
        catalog.publish("mini", by=people.admin, note="con un error")


def test_a_save_on_a_stale_base_names_who_saved_last_and_overwrites_nothing(
    engine: Engine, people: People
) -> None:
    catalog = Catalog(engine)
    catalog.save_revision(copy.deepcopy(MINI), by=people.admin, base=0)
    catalog.save_revision(retitled("De la enlace"), by=people.liaison, base=1)
    with pytest.raises(RevisionConflictError) as refused:
        catalog.save_revision(retitled("De la administradora"), by=people.admin, base=1)
    latest = catalog.revisions("mini")[0]
    when = latest.saved_at.strftime("%Y-%m-%d %H:%M")
    for message in (refused.value.message_es, refused.value.message_en):
        assert "Lía Enlace" in message and when in message
    assert refused.value.http_status == 409
    assert catalog.draft("mini")["title"] == {"es": "De la enlace"}
    assert [r.number for r in catalog.revisions("mini")] == [2, 1]
    assert catalog.info("mini").draft_revision == 2


def race(catalog: Catalog, base: int, *saves: tuple[str, Editor]) -> list[str]:
    """Run the saves in threads released at the same instant; each title or "conflict"."""
    barrier = threading.Barrier(len(saves))
    results: list[str] = []

    def save(title: str, by: Editor) -> None:
        barrier.wait()
        try:
            catalog.save_revision(retitled(title), by=by, base=base)
            results.append(title)
        except RevisionConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=pair) for pair in saves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_saves_on_the_same_base_at_the_same_moment_exactly_one_wins(
    engine: Engine, people: People
) -> None:
    catalog = Catalog(engine)
    catalog.save_revision(copy.deepcopy(MINI), by=people.admin, base=0)
    for round_ in range(4):
        base = catalog.info("mini").draft_revision
        results = race(catalog, base, (f"A{round_}", people.admin), (f"B{round_}", people.liaison))
        assert len(results) == 2 and results.count("conflict") == 1, results
        winner = next(r for r in results if r != "conflict")
        assert catalog.draft("mini")["title"] == {"es": winner}
        assert len(catalog.revisions("mini")) == round_ + 2


def test_publishing_records_who_why_and_writes_the_audit_log(
    engine: Engine, people: People
) -> None:
    catalog = Catalog(engine)
    catalog.save_revision(copy.deepcopy(MINI), by=people.liaison, base=0)
    with pytest.raises(NoteRequiredError):
        catalog.publish("mini", by=people.liaison, note="  ")
    version = catalog.publish("mini", by=people.liaison, note="Nuevo trámite en línea")
    with engine.connect() as conn:
        rows = conn.execute(select(audit_t).where(audit_t.c.target_type == "procedure")).all()
    [row] = rows
    assert (row.action, row.target_id, row.actor_name) == (
        "template.published",
        "mini",
        "Lía Enlace",
    )
    assert row.actor_id == str(people.liaison.account_id)
    assert row.details["note"] == "Nuevo trámite en línea"
    assert row.details["version"] == version.number == 1
    assert row.details["sha256"] == version.checksum and len(version.checksum) == 64
    # an unchanged draft publishes nothing and records nothing
    assert catalog.publish("mini", by=people.liaison, note="otra vez").number == 1
    with engine.connect() as conn:
        assert len(conn.execute(select(audit_t.c.id)).all()) == 1


def test_roll_back_publishes_an_old_version_again_and_cases_keep_theirs(
    engine: Engine, people: People
) -> None:
    catalog = Catalog(engine)
    service = CaseService(engine)
    catalog.save_revision(copy.deepcopy(MINI), by=people.admin, base=0)
    v1 = catalog.publish("mini", by=people.admin, note="v1")
    catalog.save_revision(retitled("Versión dos"), by=people.admin, base=1)
    v2 = catalog.publish("mini", by=people.admin, note="v2")
    on_v2 = service.start("mini", StartCase(at=T0, actor=CITIZEN)).case_id
    v3 = catalog.rollback("mini", 1, by=people.liaison, note="La v2 tenía un error")
    assert v3.number == 3 and v3.checksum == v1.checksum
    assert catalog.live_version("mini").definition["title"] == MINI["title"]
    on_v3 = service.start("mini", StartCase(at=T0, actor=CITIZEN)).case_id
    with engine.connect() as conn:
        cases = conn.execute(select(Case.__table__.c.id, Case.__table__.c.version_id)).all()
        audit = conn.execute(select(audit_t).order_by(audit_t.c.id.desc()).limit(1)).one()
    version_of = {case_id: version_id for case_id, version_id in cases}
    assert version_of[on_v2] == v2.id and version_of[on_v3] == v3.id
    assert audit.action == "template.rolled_back"
    assert audit.details == {
        "version": 3,
        "sha256": v1.checksum,
        "note": "La v2 tenía un error",
        "restored_from": 1,
    }
    assert catalog.draft("mini")["title"] == {"es": "Versión dos"}  # the draft is untouched
    assert catalog.info("mini").state == "live_with_draft"
    with pytest.raises(NoteRequiredError):
        catalog.rollback("mini", 2, by=people.admin, note="")


def test_undo_saves_earlier_documents_as_new_revisions_going_further_back(
    engine: Engine, people: People
) -> None:
    catalog = Catalog(engine)
    catalog.save_revision(retitled("Uno"), by=people.liaison, base=0)
    with pytest.raises(NothingToUndoError):
        catalog.undo("mini", people.liaison, base=1)
    catalog.save_revision(retitled("Dos"), by=people.admin, base=1)
    catalog.save_revision(retitled("Uno"), by=people.liaison, base=2)  # back by hand
    catalog.save_revision(retitled("Tres"), by=people.liaison, base=3)
    with pytest.raises(RevisionConflictError):
        catalog.undo("mini", people.liaison, base=3)
    first = catalog.undo("mini", people.liaison, base=4)
    assert (first.revision.number, first.revision.restored) == (5, 3)
    assert (first.undone.number, first.undone.saved_by_name) == (4, "Lía Enlace")
    assert catalog.draft("mini")["title"] == {"es": "Uno"}
    second = catalog.undo("mini", people.liaison, base=5)
    assert (second.revision.number, second.revision.restored) == (6, 2)
    assert second.undone.saved_by_name == "Lía Enlace"  # revision 3, the change by hand
    assert catalog.draft("mini")["title"] == {"es": "Dos"}
    third = catalog.undo("mini", people.liaison, base=6)
    assert third.revision.restored == 1 and third.undone.saved_by_name == "Ada Administradora"
    assert catalog.draft("mini")["title"] == {"es": "Uno"}
    with pytest.raises(NothingToUndoError):
        catalog.undo("mini", people.liaison, base=7)
    assert [r.number for r in catalog.revisions("mini", limit=3)] == [7, 6, 5]
    assert catalog.revisions("mini")[-1].restored is None
    catalog.save_revision(retitled("Cuatro"), by=people.liaison, base=7)
    with pytest.raises(TemplateForbiddenError):
        catalog.undo("mini", people.other_liaison, base=8)
    assert catalog.info("mini").draft_revision == 8


def test_liaisons_touch_only_their_departments_procedures(engine: Engine, people: People) -> None:
    catalog = Catalog(engine)
    for outsider in (people.other_liaison, people.official, Editor(999_999)):
        with pytest.raises(TemplateForbiddenError) as refused:
            catalog.save_revision(copy.deepcopy(MINI), by=outsider, base=0)
        assert refused.value.http_status == 403 and refused.value.message_en
    catalog.save_revision(copy.deepcopy(MINI), by=people.liaison, base=0)
    for outsider in (people.other_liaison, people.official):
        with pytest.raises(TemplateForbiddenError):
            catalog.save_revision(retitled("x"), by=outsider, base=1)
        with pytest.raises(TemplateForbiddenError):
            catalog.publish("mini", by=outsider, note="no")
    moved = copy.deepcopy(MINI)
    moved["department"] = "proteccion-civil"
    with pytest.raises(TemplateForbiddenError):  # nor hand it to another department
        catalog.save_revision(moved, by=people.liaison, base=1)
    with pytest.raises(TemplateForbiddenError):  # nor take it from one
        catalog.save_revision(moved, by=people.other_liaison, base=1)
    assert catalog.publish("mini", by=people.liaison, note="propio").number == 1
    catalog.save_revision(moved, by=people.admin, base=1)  # administrators: every procedure
    assert catalog.rollback("mini", 1, by=people.other_liaison, note="ahora es suyo").number == 1
    assert [r.number for r in catalog.revisions("mini")] == [2, 1]


def test_a_save_takes_at_most_five_sql_statements(engine: Engine, people: People) -> None:
    catalog = Catalog(engine)
    catalog.save_revision(copy.deepcopy(MINI), by=people.liaison, base=0)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        catalog.save_revision(retitled("Cambio"), by=people.liaison, base=1)
        on_existing = len(statements)
        statements.clear()
        other = copy.deepcopy(MINI)
        other["key"] = "otro"
        catalog.save_revision(other, by=people.liaison, base=0)
        on_new = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert on_existing <= 5 and on_new <= 5, (on_existing, on_new)


def test_the_migration_turns_every_existing_draft_into_its_first_revision(
    db_url: str, engine: Engine
) -> None:
    from alembic import command
    from alembic.config import Config

    import migrations

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    config.attributes["database_url"] = db_url
    command.downgrade(config, "0011_user_sessions")
    # the table as 0011 left it (no draft_revision yet)
    before = sa.table(
        "procedure_templates",
        sa.column("key"),
        sa.column("department_key"),
        sa.column("draft", JSONType),
        sa.column("draft_checksum"),
        sa.column("draft_updated_at", UTCDateTime()),
        sa.column("created_at", UTCDateTime()),
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(before).values(
                    key="mini",
                    department_key="desarrollo-economico",
                    draft=MINI,
                    draft_checksum="c" * 64,
                    draft_updated_at=T0,
                    created_at=T0,
                )
            )
    finally:
        command.upgrade(config, "head")
    engine.dispose()
    catalog = Catalog(engine)
    [first] = catalog.revisions("mini")
    assert (first.number, first.checksum, first.saved_at) == (1, "c" * 64, T0)
    assert catalog.info("mini").draft_revision == 1
    assert catalog.draft("mini") == MINI


# -- command line -----------------------------------------------------------------------------


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    app: Flask = app_factory(db_url)
    engine = app.extensions["tramita"].engine
    accounts = Accounts(engine)
    accounts.create(
        "enlace@muni.mx",
        PASSWORD,
        role="liaison",
        name="Lía Enlace",
        department_key="desarrollo-economico",
    )
    accounts.create(
        "pc@muni.mx",
        PASSWORD,
        role="liaison",
        name="Pablo Civil",
        department_key="proteccion-civil",
    )
    return app


def test_cli_import_publish_rollback_and_revisions(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(broken()))
    imported = runner.invoke(args=["templates", "import", str(path), "--as", "enlace@muni.mx"])
    assert imported.exit_code == 1 and "revisión 1" in imported.output  # saved, with errors
    assert "nowhere" in imported.output
    path.write_text(json.dumps(MINI))
    assert runner.invoke(args=["templates", "import", str(path)]).exit_code == 0
    refused = runner.invoke(
        args=["templates", "publish", "mini", "--as", "pc@muni.mx", "--note", "ajeno"]
    )
    assert refused.exit_code == 1 and "enlace de la dependencia" in refused.output
    published = runner.invoke(
        args=["templates", "publish", "mini", "--as", "enlace@muni.mx", "--note", "Primera"]
    )
    assert published.exit_code == 0 and "versión 1" in published.output
    path.write_text(json.dumps(retitled("Dos")))
    runner.invoke(args=["templates", "import", str(path), "--as", "enlace@muni.mx"])
    assert "versión 2" in runner.invoke(args=["templates", "publish", "mini"]).output
    no_note = runner.invoke(args=["templates", "rollback", "mini", "1"])
    assert no_note.exit_code == 2  # --note is required
    rolled = runner.invoke(
        args=["templates", "rollback", "mini", "1", "--as", "enlace@muni.mx", "--note", "Error"]
    )
    assert rolled.exit_code == 0 and "como versión 3" in rolled.output
    unknown = runner.invoke(args=["templates", "publish", "mini", "--as", "nadie@muni.mx"])
    assert unknown.exit_code == 1 and "No existe esa cuenta." in unknown.output
    lines = runner.invoke(args=["templates", "revisions", "mini"]).output.splitlines()
    assert len(lines) == 3
    number, who, _when, errors, warnings = lines[-1].split("\t")
    assert (number, who) == ("1", "Lía Enlace")
    assert warnings.endswith(" avisos")
    assert errors != "0 errores"
    assert lines[1].split("\t")[1].startswith("línea de comandos")
    assert lines[0].split("\t")[3] == "0 errores"
