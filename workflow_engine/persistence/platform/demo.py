"""The demo municipality: departments, holidays, demo accounts, catalogs and the example
procedures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, insert, select

from form_schemas import catalogs_dir
from workflow_engine.calendar import mexican_statutory_holidays
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.models import Holiday, table
from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD, Account, Accounts
from workflow_engine.persistence.platform.catalog import Catalog, Editor
from workflow_engine.persistence.platform.catalogs import CatalogStore, parse_csv, replace_catalog
from workflow_engine.persistence.platform.demo_profiles import (
    DEMO_MUNICIPALITIES,
    DEPARTMENTS,
    DemoMunicipality,
)

# (email, role, name, department, role tags) — all with the password demo12345.
DEMO_ACCOUNTS = [
    ("admin@demo.gob.mx", "admin", "Administración Demo", None, []),
    ("enlace@demo.gob.mx", "liaison", "Enlace Desarrollo Económico", "desarrollo-economico", []),
    (
        "funcionario@demo.gob.mx",
        "official",
        "Funcionario Desarrollo Económico",
        "desarrollo-economico",
        ["revisor", "director"],
    ),
    (
        "revisora@demo.gob.mx",
        "official",
        "Revisora Desarrollo Económico",
        "desarrollo-economico",
        ["revisor"],
    ),
    ("ciudadano@demo.gob.mx", "citizen", "María López Hernández", None, []),
    (
        "proteccion@demo.gob.mx",
        "official",
        "Inspector Protección Civil",
        "proteccion-civil",
        ["inspector", "revisor", "director"],
    ),
    (
        "urbano@demo.gob.mx",
        "official",
        "Revisor Desarrollo Urbano",
        "desarrollo-urbano",
        ["revisor", "director"],
    ),
    (
        "secretaria@demo.gob.mx",
        "official",
        "Secretaría del Ayuntamiento",
        "secretaria-ayuntamiento",
        ["revisor", "director"],
    ),
    (
        "movilidad@demo.gob.mx",
        "official",
        "Revisor Movilidad",
        "movilidad",
        ["revisor", "director"],
    ),
    ("mercados@demo.gob.mx", "official", "Revisor Mercados", "mercados", ["revisor", "director"]),
    ("tesoreria@demo.gob.mx", "official", "Cajero Tesorería", "tesoreria", ["cajero"]),
    # The mayor's office: every dashboard (/tableros), nothing to review.
    ("alcaldia@demo.gob.mx", "official", "Presidencia Municipal", "presidencia", []),
]


class DemoModeRequiredError(EngineError):
    code = "demo_mode_required"


class UnknownDemoMunicipalityError(EngineError):
    code = "unknown_demo_municipality"


def demo_municipality(key: str) -> DemoMunicipality:
    try:
        return DEMO_MUNICIPALITIES[key]
    except KeyError:
        raise UnknownDemoMunicipalityError(
            f"Municipio demo desconocido: {key!r} (chocotlan o la-chorrera).",
            f"Unknown demo municipality: {key!r} (chocotlan or la-chorrera).",
        ) from None


@dataclass
class SeedReport:
    departments: int
    accounts_created: int
    holidays: int
    published: list[str]
    catalogs_loaded: list[str]


def demo_staff(engine: Engine) -> list[Account]:
    """The demo officials' accounts (who decide the demo cases)."""
    accounts = Accounts(engine)
    found = (accounts.by_email(email) for email, role, *_ in DEMO_ACCOUNTS if role == "official")
    return [a for a in found if a is not None]


def examples_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "form_schemas" / "examples"


def seed_holidays(engine: Engine, years: range) -> int:
    added = 0
    with engine.begin() as conn:
        known = set(conn.execute(select(table(Holiday).c.day)).scalars())
        for year in years:
            for day, name in mexican_statutory_holidays(year).items():
                if day not in known:
                    conn.execute(insert(table(Holiday)).values(day=day, name=name))
                    added += 1
    return added


def seed_catalogs(engine: Engine) -> list[str]:
    """Load each ``form_schemas/catalogs/<name>.csv`` the examples read, the way
    ``catalogs import`` does, unless the municipality already has that catalog."""
    loaded = []
    for path in sorted(catalogs_dir().glob("*.csv")):
        with engine.connect() as conn:
            if CatalogStore(conn).count(path.stem):
                continue
        replace_catalog(engine, path.stem, parse_csv(path.read_text(encoding="utf-8")))
        loaded.append(path.stem)
    return loaded


def seed_demo(
    engine: Engine, *, demo_mode: bool, municipality: DemoMunicipality | None = None
) -> SeedReport:
    """Idempotent: running it twice changes nothing the second time. With a `municipality`,
    its departments' names and its own procedures (localized); without one (the tests),
    every example as it is written."""
    if not demo_mode:
        raise DemoModeRequiredError(
            "Los datos de demostración sólo se crean con DEMO_MODE=1.",
            "Demo data is only created with DEMO_MODE=1.",
        )
    accounts = Accounts(engine, demo_mode=True)
    departments = municipality.departments if municipality else DEPARTMENTS
    for key, (es, en) in departments.items():
        accounts.ensure_department(key, es, en)
    created = 0
    for email, role, name, department, tags in DEMO_ACCOUNTS:
        if accounts.by_email(email) is None:
            accounts.create(
                email,
                DEMO_PASSWORD,
                role=role,
                name=name,
                department_key=department,
                role_tags=tags,
                verified=True,
            )
            created += 1
    this_year = date.today().year
    holidays = seed_holidays(engine, range(this_year - 1, this_year + 3))
    catalogs_loaded = seed_catalogs(engine)
    catalog = Catalog(engine, known_departments=departments)
    published = []
    for path in sorted(examples_dir().glob("*.json")):
        if municipality and path.stem not in municipality.procedures:
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        if municipality:
            doc = municipality.localize(doc)
        seed = Editor.operator("demo seed")
        catalog.save_draft(doc, by=seed)
        catalog.publish(doc["key"], by=seed, note="Ejemplo del municipio demo")
        published.append(doc["key"])
    return SeedReport(len(departments), created, holidays, published, catalogs_loaded)
