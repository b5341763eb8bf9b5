"""Reusable catalogs: loaded from CSV by the CLI (all or nothing), searched by words for
type-ahead over HTTP."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.helpers.catalogs import SCIAN, load
from workflow_engine.persistence.platform.catalogs import CatalogStore


def entries(app: Flask, name: str) -> int:
    with app.extensions["tramita"].engine.connect() as conn:
        return CatalogStore(conn).count(name)


def test_import_replaces_the_whole_catalog(app: Flask, tmp_path: Path) -> None:
    assert load(app, tmp_path, "scian", SCIAN) == (0, "Catálogo «scian»: 3 entradas.\n")
    assert load(app, tmp_path, "scian", "code,label\n311811,Panificación\n")[0] == 0
    assert entries(app, "scian") == 1
    with app.extensions["tramita"].engine.connect() as conn:
        assert CatalogStore(conn).label("scian", "311811") == "Panificación"
        assert CatalogStore(conn).label("scian", "461110") is None


def test_a_bad_file_loads_nothing_and_names_every_bad_line(
    app: Flask,
    tmp_path: Path,
) -> None:
    assert load(app, tmp_path, "scian", SCIAN)[0] == 0
    bad = "clave,nombre\n1,Uno\n1,Otra vez uno\n,Sin clave\n" + "x" * 101 + ",Larga\n"
    code, output = load(app, tmp_path, "scian", bad)
    assert code == 1
    assert "línea 3: la clave «1» está repetida" in output
    assert "línea 4:" in output and "línea 5:" in output and "No se cargó nada." in output
    assert entries(app, "scian") == 3
    assert load(app, tmp_path, "scian", "id;texto\n1;Uno\n")[0] == 1
    assert load(app, tmp_path, "Mal Nombre", SCIAN)[0] == 1
    assert entries(app, "Mal Nombre") == 0


def test_thousands_of_entries_are_searched_by_word_prefixes(
    app: Flask,
    tmp_path: Path,
) -> None:
    rows = "".join(f"{n:05d},Colonia número {n}\n" for n in range(3000))
    assert (
        load(app, tmp_path, "colonias", "clave,nombre\n" + rows + "99999,Barrio de Analco\n")[0]
        == 0
    )
    assert entries(app, "colonias") == 3001
    client = app.test_client()
    found = client.get("/catalogos/colonias/sugerencias?q=ANALCÓ barr").get_json()
    assert found == {"entries": [{"code": "99999", "label": "Barrio de Analco"}]}
    many = client.get("/catalogos/colonias/sugerencias?q=colonia num").get_json()
    assert len(many["entries"]) == 20
    assert client.get("/catalogos/colonias/sugerencias?q=a").get_json() == {"entries": []}
    assert client.get("/catalogos/no-existe/sugerencias?q=centro").get_json() == {"entries": []}


def test_store_on_both_databases(db_url: str) -> None:
    from sqlalchemy import create_engine

    from workflow_engine.persistence.platform.catalogs import (
        EngineCatalogs,
        parse_csv,
        replace_catalog,
    )

    engine = create_engine(db_url)
    try:
        rows = "".join(f"{n:04d},Colonia {n}\n" for n in range(2500))
        assert replace_catalog(engine, "colonias", parse_csv("clave,nombre\n" + rows)) == 2500
        assert replace_catalog(engine, "scian", parse_csv(SCIAN)) == 3
        with engine.connect() as conn:
            store = CatalogStore(conn)
            assert store.count("colonias") == 2500
            assert [e.code for e in store.search("scian", "PANIFICACIÓN trad")] == ["311811"]
            assert store.search("scian", "colonia") == []
            assert [e.label for e in store.search("colonias", "colonia 2499")] == ["Colonia 2499"]
        assert EngineCatalogs(engine).label("scian", "722514") == "Cafeterías y fuentes de sodas"
    finally:
        engine.dispose()
