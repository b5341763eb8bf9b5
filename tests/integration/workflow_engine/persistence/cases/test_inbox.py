"""The officials' inbox queries on a real database (SQLite and PostgreSQL): what each view
shows, that no official ever sees another department's task, filters, search, keyset pages
that visit every row exactly once, tampered cursors and capped counts."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from tests.helpers.engine import MINI, T0
from workflow_engine.engine import Actor, StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.cases.inbox import (
    Inbox,
    InboxFilter,
    InboxQueryError,
    InvalidCursorError,
    StaffViewer,
    encode_cursor,
    search_text,
)
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import (
    Case,
    ProcedureTemplate,
    ProcedureVersion,
    Task,
    User,
    table,
)
from workflow_engine.persistence.platform.catalog import Catalog

TODAY = date(2026, 3, 10)  # a Tuesday
SOON = TODAY + timedelta(days=2)

REVISOR = StaffViewer("10", frozenset({"obras"}), frozenset({"revisor"}))
INSPECTOR = StaffViewer("11", frozenset({"obras"}), frozenset({"inspector"}))
DIRECTOR = StaffViewer("12", frozenset({"obras"}), frozenset({"director", "revisor"}))
COMERCIO = StaffViewer("20", frozenset({"comercio"}), frozenset({"revisor"}))
NOBODY = StaffViewer("30", frozenset(), frozenset({"revisor", "director"}))


@dataclass
class World:
    engine: Engine
    version_id: int
    ids: dict[str, int] = field(default_factory=dict)  # task label -> tasks.id
    folios: dict[str, str] = field(default_factory=dict)  # task label -> folio
    _n: int = 0

    def case(
        self,
        *,
        procedure: str = "licencia",
        name: str = "Ana Gómez",
        ref: str | None = None,
        submitted: datetime | None = None,
    ) -> tuple[int, str]:
        self._n += 1
        folio = f"CHO-2026-{self._n:05d}X"
        submitted = submitted or datetime(2026, 3, 1, 18, tzinfo=UTC)
        with self.engine.begin() as conn:
            case_id = conn.execute(
                insert(table(Case))
                .values(
                    folio=folio,
                    version_id=self.version_id,
                    procedure_key=procedure,
                    applicant_id="99",
                    applicant_name=name,
                    applicant_ref=ref,
                    status="in_review",
                    position="revision",
                    state={},
                    created_at=submitted,
                    updated_at=submitted,
                    submitted_at=submitted,
                )
                .returning(table(Case).c.id)
            ).scalar_one()
        return int(case_id), folio

    def task(
        self,
        label: str,
        *,
        department: str = "obras",
        role: str = "revisor",
        assignee: str | None = None,
        due: date | None = None,
        status: str = "open",
        opened: datetime | None = None,
        case: tuple[int, str] | None = None,
        **case_values: Any,
    ) -> int:
        if case is None:
            case = self.case(**case_values)
        case_id, folio = case
        with self.engine.begin() as conn:
            row = conn.execute(select(table(Case)).where(table(Case).c.id == case_id)).one()
            task_id = conn.execute(
                insert(table(Task))
                .values(
                    case_id=case_id,
                    task_key=f"{label}-{case_id}",
                    step_id="revision",
                    department=department,
                    role=role,
                    status=status,
                    assignee_id=assignee,
                    due_on=due,
                    opened_at=opened or datetime(2026, 3, 2, 16, tzinfo=UTC),
                    folio=folio,
                    procedure_key=row.procedure_key,
                    submitted_at=row.submitted_at,
                    applicant_name=row.applicant_name,
                    applicant_ref=row.applicant_ref,
                    applicant_search=search_text(row.applicant_name),
                )
                .returning(table(Task).c.id)
            ).scalar_one()
        self.ids[label] = int(task_id)
        self.folios[label] = folio
        return int(task_id)

    def labels(self, rows: Any) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[r.task_id] for r in rows}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    with engine.begin() as conn:
        template_id = conn.execute(
            insert(table(ProcedureTemplate))
            .values(key="licencia", department_key="obras", draft={}, draft_checksum="x")
            .returning(table(ProcedureTemplate).c.id)
        ).scalar_one()
        version_id = conn.execute(
            insert(table(ProcedureVersion))
            .values(template_id=template_id, number=1, definition={}, checksum="x")
            .returning(table(ProcedureVersion).c.id)
        ).scalar_one()
    return World(engine, int(version_id))


@pytest.fixture
def inbox(engine: Engine) -> Inbox:
    return Inbox(engine, lambda: TODAY, lambda today: today + timedelta(days=2))


@pytest.fixture
def office(world: World) -> World:
    """Obras and Comercio with a handful of tasks in every situation."""
    w = world
    w.task(
        "t1",
        due=TODAY - timedelta(days=3),
        name="María José Núñez Pérez",
        ref="NUPM800101MDFXXX01",
    )
    w.task("t2", assignee="10", due=TODAY + timedelta(days=1))
    w.task("t3", role="inspector", due=TODAY + timedelta(days=10), procedure="anuncio")
    w.task("t4", assignee="11", due=None)
    w.task("t5", status="approved", due=TODAY - timedelta(days=5))
    w.task("t6", department="comercio", due=TODAY - timedelta(days=1), name="José López")
    w.task("t7", role="inspector", assignee="11", due=TODAY - timedelta(days=1))
    w.task("t8", department="comercio", assignee="10", due=TODAY)  # 10 is not in comercio
    return w


def labels(inbox: Inbox, world: World, viewer: StaffViewer, **flt: Any) -> set[str]:
    page = inbox.page(viewer, InboxFilter(**flt), limit=200)
    assert page.next_cursor is None
    return world.labels(page.rows)


# -- views -------------------------------------------------------------------------------


def test_mine_shows_my_open_tasks_of_my_departments_only(inbox: Inbox, office: World) -> None:
    assert labels(inbox, office, REVISOR, view="mine") == {"t2"}
    assert labels(inbox, office, INSPECTOR, view="mine") == {"t4", "t7"}


def test_unclaimed_follows_department_and_role_tags(inbox: Inbox, office: World) -> None:
    assert labels(inbox, office, REVISOR, view="unclaimed") == {"t1"}
    assert labels(inbox, office, INSPECTOR, view="unclaimed") == {"t3"}
    assert labels(inbox, office, DIRECTOR, view="unclaimed") == {"t1", "t3"}  # every role
    assert labels(inbox, office, COMERCIO, view="unclaimed") == {"t6"}
    nobody_tagged = StaffViewer("40", frozenset({"obras"}), frozenset())
    assert labels(inbox, office, nobody_tagged, view="unclaimed") == set()


def test_department_view_is_every_open_task_of_the_department(inbox: Inbox, office: World) -> None:
    assert labels(inbox, office, DIRECTOR, view="department") == {"t1", "t2", "t3", "t4", "t7"}
    assert labels(inbox, office, COMERCIO, view="department") == {"t6", "t8"}


def test_overdue_is_mine_plus_unclaimed_or_the_whole_department_for_directors(
    inbox: Inbox, office: World
) -> None:
    assert labels(inbox, office, REVISOR, view="overdue") == {"t1"}
    assert labels(inbox, office, INSPECTOR, view="overdue") == {"t7"}
    assert labels(inbox, office, DIRECTOR, view="overdue") == {"t1", "t7"}
    assert labels(inbox, office, COMERCIO, view="overdue") == {"t6"}  # t8 due today: not yet


def test_no_view_ever_shows_another_departments_task(inbox: Inbox, office: World) -> None:
    obras = {office.ids[k] for k in ("t1", "t2", "t3", "t4", "t5", "t7")}
    for view in ("mine", "unclaimed", "department", "overdue"):
        for q in ("", "maria", "CHO-2026", "NUPM800101MDFXXX01"):
            rows = inbox.page(COMERCIO, InboxFilter(view=view, q=q), limit=200).rows
            assert not {r.task_id for r in rows} & obras, (view, q)
            assert all(r.department == "comercio" for r in rows)
        # Narrowing to a department the viewer is not in gives nothing, not that department.
        assert labels(inbox, office, COMERCIO, view=view, department="obras") == set()
        assert labels(inbox, office, NOBODY, view=view) == set()
    assert inbox.counts(NOBODY) == {"mine": 0, "unclaimed": 0, "department": 0, "overdue": 0}


def test_a_director_of_two_departments_can_narrow_to_one(inbox: Inbox, office: World) -> None:
    both = StaffViewer("12", frozenset({"obras", "comercio"}), frozenset({"director"}))
    assert labels(inbox, office, both, view="unclaimed") == {"t1", "t3", "t6"}
    assert labels(inbox, office, both, view="unclaimed", department="comercio") == {"t6"}


def test_rows_carry_what_the_inbox_shows(inbox: Inbox, office: World) -> None:
    (row,) = inbox.page(REVISOR, InboxFilter(view="unclaimed")).rows
    assert row.folio == office.folios["t1"]
    assert row.applicant_name == "María José Núñez Pérez"
    assert row.applicant_ref == "NUPM800101MDFXXX01"
    assert row.procedure_key == "licencia" and row.case_status == "in_review"
    assert row.deadline_state == "overdue" and row.due_on == TODAY - timedelta(days=3)
    assert row.assignee_id is None and row.status == "open" and row.department == "obras"
    assert row.submitted_at == datetime(2026, 3, 1, 18, tzinfo=UTC)
    assert row.opened_at == datetime(2026, 3, 2, 16, tzinfo=UTC)


# -- filters and search ------------------------------------------------------------------


def test_filters_by_procedure_and_deadline_state(inbox: Inbox, office: World) -> None:
    d = DIRECTOR
    assert labels(inbox, office, d, view="department", procedure_key="anuncio") == {"t3"}
    assert labels(inbox, office, d, view="department", deadline="overdue") == {"t1", "t7"}
    assert labels(inbox, office, d, view="department", deadline="due_soon") == {"t2"}
    assert labels(inbox, office, d, view="department", deadline="on_time") == {"t3"}
    assert labels(inbox, office, d, view="department", deadline="none") == {"t4"}
    states = {
        r.task_id: r.deadline_state
        for r in inbox.page(d, InboxFilter(view="department"), limit=50).rows
    }
    assert states[office.ids["t2"]] == "due_soon" and states[office.ids["t3"]] == "on_time"
    assert states[office.ids["t4"]] == "none"


def test_received_range_uses_the_local_date(inbox: Inbox, world: World) -> None:
    # 05:30 UTC on March 2nd is still March 1st in Mexico City (UTC-6).
    world.task("late", submitted=datetime(2026, 3, 2, 5, 30, tzinfo=UTC))
    world.task("next", submitted=datetime(2026, 3, 2, 6, 30, tzinfo=UTC))
    world.task("old", submitted=datetime(2026, 2, 20, 12, tzinfo=UTC))
    first = date(2026, 3, 1)
    second = date(2026, 3, 2)

    def got(**flt: Any) -> set[str]:
        return labels(inbox, world, DIRECTOR, view="department", **flt)

    assert got(received_from=first, received_to=first) == {"late"}
    assert got(received_from=second) == {"next"}
    assert got(received_to=first) == {"late", "old"}


def test_search_by_folio_name_and_curp(inbox: Inbox, office: World) -> None:
    folio = office.folios["t1"]

    def got(q: str) -> set[str]:
        return labels(inbox, office, DIRECTOR, view="department", q=q)

    assert got(folio) == {"t1"}
    assert got(folio.lower()) == {"t1"}
    assert got(" " + folio[:-1].lower()) == {"t1"}  # a prefix
    assert got("CHO-2026") == {"t1", "t2", "t3", "t4", "t7"}
    assert got("maria nunez") == {"t1"}
    assert got("NÚÑEZ") == {"t1"}
    assert got("jos per") == {"t1"}  # word prefixes, any order of words
    assert got("ose") == set()  # inside a word, not a prefix
    assert got("nupm800101mdfxxx01") == {"t1"}
    assert got("NUPM800101") == set()  # CURP is exact
    assert got("Ana") == {"t2", "t3", "t4", "t7"}
    assert got("%") == set() and got("_") == set()


# -- keyset pagination -------------------------------------------------------------------


@pytest.fixture
def crowd(world: World) -> World:
    """37 unclaimed tasks with many ties on due_on and opened_at, some without due date."""
    dues = [TODAY, TODAY + timedelta(days=1), None, TODAY - timedelta(days=4)]
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    shared = world.case()
    for i in range(37):
        world.task(
            f"c{i}",
            due=dues[i % 4],
            opened=base + timedelta(hours=i % 5),
            case=shared if i % 3 == 0 else None,
        )
    world.task("other", department="comercio", due=TODAY)
    return world


def walk(inbox: Inbox, viewer: StaffViewer, flt: InboxFilter, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        page = inbox.page(viewer, flt, cursor=cursor, limit=limit)
        assert len(page.rows) <= limit
        seen += [r.task_id for r in page.rows]
        if page.next_cursor is None:
            return seen
        assert page.rows and len(page.rows) == limit
        cursor = page.next_cursor
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", ["deadline", "age", "newest"])
@pytest.mark.parametrize("limit", [1, 4, 5, 37, 50])
def test_keyset_pages_visit_every_row_once_in_order(
    inbox: Inbox, crowd: World, engine: Engine, sort: str, limit: int
) -> None:
    t = table(Task).c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.id, t.due_on, t.opened_at).where(t.department == "obras")
        ).all()
    if sort == "deadline":
        expected = [r.id for r in sorted(rows, key=lambda r: (r.due_on is None, r.due_on, r.id))]
    else:
        expected = [r.id for r in sorted(rows, key=lambda r: (r.opened_at, r.id))]
        if sort == "newest":
            expected.reverse()
    got = walk(inbox, DIRECTOR, InboxFilter(view="unclaimed", sort=sort), limit)
    assert got == expected and len(expected) == 37


def test_pages_of_a_filtered_overdue_view_for_an_official(inbox: Inbox, crowd: World) -> None:
    crowd.task("mine-late", assignee="10", due=TODAY - timedelta(days=9))
    flt = InboxFilter(view="overdue", sort="deadline")
    got = walk(inbox, REVISOR, flt, 3)
    assert got[0] == crowd.ids["mine-late"]
    assert len(got) == len(set(got)) == 1 + 9  # c3, c7, ... (i % 4 == 3): 9 of 37


def test_tampered_or_foreign_cursors_are_value_errors(inbox: Inbox, crowd: World) -> None:
    flt = InboxFilter(view="unclaimed")
    cursor = inbox.page(DIRECTOR, flt, limit=5).next_cursor
    assert cursor is not None
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    bad = [
        flipped,
        cursor[:-1],
        "!!!",
        "",
        "e30",
        "x" * 1000,
        encode_cursor("age", datetime(2026, 1, 1, tzinfo=UTC), 3),  # another sort's cursor
    ]
    for value in bad:
        if value == "":
            continue  # "" means the first page
        with pytest.raises(InvalidCursorError):
            inbox.page(DIRECTOR, flt, cursor=value)
    assert issubclass(InvalidCursorError, ValueError)
    with pytest.raises(InboxQueryError):
        inbox.page(DIRECTOR, InboxFilter(view="everything"))
    with pytest.raises(InboxQueryError):
        inbox.page(DIRECTOR, InboxFilter(sort="random"))
    with pytest.raises(InboxQueryError):
        inbox.page(DIRECTOR, InboxFilter(deadline="someday"))


# -- counts ------------------------------------------------------------------------------


def test_counts_per_view(inbox: Inbox, office: World) -> None:
    assert inbox.counts(DIRECTOR) == {"mine": 0, "unclaimed": 2, "department": 5, "overdue": 2}
    assert inbox.counts(REVISOR) == {"mine": 1, "unclaimed": 1, "department": 5, "overdue": 1}
    assert inbox.counts(INSPECTOR) == {"mine": 2, "unclaimed": 1, "department": 5, "overdue": 1}


def test_counts_are_capped(inbox: Inbox, crowd: World) -> None:
    assert inbox.counts(DIRECTOR, cap=10) == {
        "mine": 0,
        "unclaimed": 10,
        "department": 10,
        "overdue": 9,
    }
    assert inbox.counts(DIRECTOR)["department"] == 37


# -- the service fills the copies --------------------------------------------------------


def test_started_cases_carry_the_applicant_into_the_inbox(engine: Engine) -> None:
    with engine.begin() as conn:
        user_id = conn.execute(
            insert(table(User))
            .values(
                email="lupita@example.mx",
                name="Guadalupe Ramírez Ávila",
                role="citizen",
                role_tags=[],
                curp="raag900101mdfxxx02",
            )
            .returning(table(User).c.id)
        ).scalar_one()
    Catalog(engine).save_draft(copy.deepcopy(MINI))
    Catalog(engine).publish("mini")
    service = CaseService(engine)
    citizen = Actor(id=str(user_id), kind="citizen", name="Lupita")
    case = service.start("mini", StartCase(at=T0, actor=citizen))
    values = MINI["example_data"]["datos"]
    service.execute(case.case_id, SubmitStep(at=T0, actor=citizen, step_id="datos", values=values))
    service.execute(case.case_id, SubmitCase(at=T0, actor=citizen, declaration=True))
    with engine.connect() as conn:
        stored = conn.execute(select(table(Case)).where(table(Case).c.id == case.case_id)).one()
    assert stored.applicant_name == "Guadalupe Ramírez Ávila"
    assert stored.applicant_ref == "RAAG900101MDFXXX02"

    reviewer = StaffViewer("5", frozenset({"desarrollo-economico"}), frozenset({"revisor"}))
    inbox = Inbox(engine, lambda: T0.date(), lambda today: today + timedelta(days=2))
    for q in ("ramirez avila", "RAAG900101MDFXXX02", case.folio.lower()):
        (row,) = inbox.page(reviewer, InboxFilter(view="unclaimed", q=q)).rows
        assert row.folio == case.folio and row.procedure_key == "mini"
        assert row.applicant_name == "Guadalupe Ramírez Ávila"
        assert row.submitted_at == T0 and row.case_status == "in_review"
