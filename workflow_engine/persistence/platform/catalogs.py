"""Reusable catalogs the municipality manages (SCIAN business lines, colonias...): entries
loaded from CSV, looked up by code and searched by words for type-ahead."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select

from workflow_engine.persistence.models import CatalogEntry, table
from workflow_engine.search import search_text

entries_t = table(CatalogEntry)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_CODE = 100
MAX_LABEL = 300
MAX_SUGGESTIONS = 20


@dataclass(frozen=True)
class Entry:
    """One entry: the code stored in a case and the label people read."""

    code: str
    label: str


class CatalogImportError(ValueError):
    """The CSV cannot be loaded; ``lines`` says what is wrong, one line per problem."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def parse_csv(text: str) -> list[Entry]:
    """Entries of a CSV with a header ``code,label`` (or ``clave,nombre``); every problem
    is reported with its line number, and nothing is loaded while there is one."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] not in (["code", "label"], ["clave", "nombre"]):
        raise CatalogImportError(
            ["línea 1: la primera línea debe ser «clave,nombre» (o «code,label»)."]
        )
    problems: list[str] = []
    entries: list[Entry] = []
    seen: set[str] = set()
    for n, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 2:
            problems.append(f"línea {n}: faltan la clave o el nombre.")
            continue
        code, label = row[0].strip(), " ".join(row[1].split())
        if not code or not label:
            problems.append(f"línea {n}: la clave y el nombre no pueden quedar vacíos.")
        elif len(code) > MAX_CODE or len(label) > MAX_LABEL:
            problems.append(
                f"línea {n}: la clave admite {MAX_CODE} caracteres y el nombre {MAX_LABEL}."
            )
        elif code in seen:
            problems.append(f"línea {n}: la clave «{code}» está repetida.")
        else:
            seen.add(code)
            entries.append(Entry(code, label))
    if problems:
        raise CatalogImportError(problems)
    if not entries:
        raise CatalogImportError(["el archivo no tiene ninguna entrada."])
    return entries


def replace_catalog(engine: Engine, name: str, entries: Sequence[Entry]) -> int:
    """Make ``entries`` the whole catalog ``name`` in one transaction; how many there are."""
    if not NAME.match(name):
        raise CatalogImportError(
            [f"el nombre «{name}» no sirve: use minúsculas, dígitos, «-» o «_» (máx. 64)."]
        )
    with engine.begin() as conn:
        conn.execute(delete(entries_t).where(entries_t.c.catalog == name))
        rows = [
            {
                "catalog": name,
                "code": e.code,
                "label": e.label,
                "search": search_text(f"{e.label} {e.code}")[:400],
            }
            for e in entries
        ]
        for start in range(0, len(rows), 1000):
            conn.execute(insert(entries_t), rows[start : start + 1000])
    return len(entries)


class CatalogStore:
    """Read access to the catalogs over one connection (the engine's ``CatalogLookup``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def label(self, catalog: str, code: str) -> str | None:
        found = self.conn.execute(
            select(entries_t.c.label).where(
                entries_t.c.catalog == catalog, entries_t.c.code == code
            )
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def count(self, catalog: str) -> int:
        return int(
            self.conn.execute(
                select(func.count()).select_from(entries_t).where(entries_t.c.catalog == catalog)
            ).scalar_one()
        )

    def search(self, catalog: str, words: str, limit: int = MAX_SUGGESTIONS) -> list[Entry]:
        """Entries whose label or code has words starting with every word typed."""
        query = select(entries_t.c.code, entries_t.c.label).where(entries_t.c.catalog == catalog)
        for word in search_text(words).split():
            query = query.where(entries_t.c.search.like(f"% {word}%"))
        rows = self.conn.execute(query.order_by(entries_t.c.label).limit(limit)).all()
        return [Entry(str(r.code), str(r.label)) for r in rows]


class EngineCatalogs:
    """Catalog labels read through an engine, one short connection per look-up (display)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def label(self, catalog: str, code: str) -> str | None:
        with self.engine.connect() as conn:
            return CatalogStore(conn).label(catalog, code)
