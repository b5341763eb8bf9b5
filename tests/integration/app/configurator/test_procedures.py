"""The configurator's home and the editor's overview, as a liaison and an administrator use
them: the list of procedures with their state, last change, problems and digitalization; a
procedure created blank, from an example, as a copy or by importing JSON (bad input refused
saying why, nothing stored); the draft exported as a JSON file; the overview's task list."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_token, login
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.platform.catalog import Catalog

LIAISON = "enlace@demo.gob.mx"  # desarrollo-economico
ADMIN = "admin@demo.gob.mx"
OWN = "licencia-funcionamiento"
OTHER = "permiso-construccion"  # desarrollo-urbano


def catalog(app: Flask) -> Catalog:
    found: Catalog = app.extensions["tramita"].catalog
    return found


def exists(app: Flask, key: str) -> bool:
    try:
        catalog(app).info(key)
    except NotFoundError:
        return False
    return True


def post(web: FlaskClient, path: str, data: dict[str, Any], lang: str = "") -> Any:
    query = f"?lang={lang}" if lang else ""
    token = csrf_token(web, f"/configurador/nuevo{query}")
    return web.post(path + query, data={**data, "csrf_token": token})


def test_the_list_shows_state_last_change_problems_and_digitalization(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get("/configurador/").get_data(as_text=True)
    assert "Licencia de funcionamiento de negocio" in page
    assert "Publicado" in page and "Versión publicada: 1" in page
    assert "demo seed" in page  # who saved the draft last
    assert "1 aviso" in page
    assert "Solicitud en línea" in page
    assert "Dependencia" not in page  # a liaison's list is of one department
    assert 'action="/configurador/licencia-funcionamiento/exportar"' in page
    assert 'href="/configurador/nuevo"' in page


def test_administrators_see_every_department_with_its_name(app: Flask) -> None:
    web = login(app.test_client(), ADMIN)
    page = web.get("/configurador/?lang=en").get_data(as_text=True)
    assert "Department" in page and "Economic" in page
    assert f"/configurador/{OTHER}/" in page
    assert "Published" in page


def test_a_liaison_creates_a_blank_procedure_in_their_department(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    data = {"blank-title-es": "Permiso de Año Nuevo", "blank-department": "desarrollo-urbano"}
    response = post(web, "/configurador/nuevo", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/configurador/permiso-de-ano-nuevo/")
    info = catalog(app).info("permiso-de-ano-nuevo")
    assert (info.department, info.state, info.draft_revision) == (
        "desarrollo-economico",
        "draft",
        1,
    )
    overview = web.get("/configurador/permiso-de-ano-nuevo/").get_data(as_text=True)
    assert "Permiso de Año Nuevo" in overview and "Borrador (nunca publicado)" in overview
    assert overview.count("Sin empezar") == 7  # the municipal register included
    assert "Enlace Desarrollo Económico" in overview  # last saved by
    # The same title again gets the next free key.
    assert (
        post(web, "/configurador/nuevo", data)
        .headers["Location"]
        .endswith("/configurador/permiso-de-ano-nuevo-2/")
    )


def test_a_blank_procedure_needs_a_title_and_a_usable_free_key(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    response = post(web, "/configurador/nuevo", {"blank-title-es": " "})
    assert response.status_code == 400
    assert "Escriba el nombre del trámite en español." in response.get_data(as_text=True)
    response = post(web, "/configurador/nuevo", {"blank-title-es": "X", "blank-key": "Mal Clave"})
    assert response.status_code == 400 and "no sirve como clave" in response.get_data(as_text=True)
    response = post(web, "/configurador/nuevo", {"blank-title-es": "X", "blank-key": OTHER}, "en")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is already a procedure with the key" in page
    assert 'value="X"' in page  # what was typed stays
    assert not exists(app, "mal-clave") and not exists(app, "x")


def test_administrators_choose_the_department(app: Flask) -> None:
    web = login(app.test_client(), ADMIN)
    response = post(web, "/configurador/nuevo", {"blank-title-es": "Uso de plaza"})
    assert response.status_code == 400 and "Elija la dependencia" in response.get_data(as_text=True)
    data = {"blank-title-es": "Uso de plaza", "blank-department": "desarrollo-urbano"}
    assert post(web, "/configurador/nuevo", data).status_code == 302
    assert catalog(app).info("uso-de-plaza").department == "desarrollo-urbano"


def test_a_procedure_from_an_example_and_a_copy_of_another(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    data = {
        "example-source": "constancia-residencia",
        "example-title-es": "Constancia de domicilio",
        "example-title-en": "Proof of address",
        "example-key": "constancia-domicilio",
    }
    assert post(web, "/configurador/nuevo/ejemplo", data).status_code == 302
    made = catalog(app).draft("constancia-domicilio")
    assert made["title"] == {"es": "Constancia de domicilio", "en": "Proof of address"}
    assert made["department"] == "desarrollo-economico" and len(made["steps"]) == 5
    bad = post(web, "/configurador/nuevo/ejemplo", {**data, "example-source": "../x"})
    assert bad.status_code == 400 and "Elija uno de los ejemplos" in bad.get_data(as_text=True)

    copy = {"copy-source": OWN, "copy-title-es": "Licencia temporal"}
    assert post(web, "/configurador/nuevo/copia", copy).status_code == 302
    assert catalog(app).draft("licencia-temporal")["steps"] == catalog(app).draft(OWN)["steps"]
    # Another department's procedure cannot be copied by a liaison.
    refused = post(web, "/configurador/nuevo/copia", {**copy, "copy-source": OTHER})
    assert refused.status_code == 400
    assert "Elija el trámite que quiere copiar." in refused.get_data(as_text=True)


def template(key: str, department: str = "desarrollo-economico", **extra: Any) -> str:
    return json.dumps({"key": key, "department": department, "title": {"es": "Importado"}, **extra})


def test_importing_a_file_or_pasted_json_saves_a_draft_even_with_problems(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    token = csrf_token(web, "/configurador/nuevo")
    upload = {
        "csrf_token": token,
        "import-file": (io.BytesIO(template("importado-archivo").encode()), "t.json"),
    }
    response = web.post("/configurador/importar", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    assert catalog(app).info("importado-archivo").state == "draft"
    overview = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "problemas por resolver" in overview
    pasted = post(web, "/configurador/importar", {"import-text": template("importado-texto")})
    assert pasted.status_code == 302 and exists(app, "importado-texto")


def test_an_import_that_cannot_be_stored_says_why_in_the_readers_language(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    for text, words in (
        ('{"key": "abc-def",', "not valid JSON"),
        ("[]", "must be an object"),
        ('{"department": "desarrollo-economico"}', "no valid key"),
        ('{"key": "sin-dependencia"}', "no valid department"),
    ):
        response = post(web, "/configurador/importar", {"import-text": text}, "en")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, text
        assert words in page, text
        assert "There is a problem" in page
    spanish = post(web, "/configurador/importar", {"import-text": "{"}, "es")
    assert "no es JSON válido" in spanish.get_data(as_text=True)
    assert not exists(app, "abc-def") and not exists(app, "sin-dependencia")


def test_a_liaison_imports_only_into_their_own_department(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    theirs = template("ajeno", "desarrollo-urbano")
    response = post(web, "/configurador/importar", {"import-text": theirs})
    assert response.status_code == 400 and "desarrollo-urbano" in response.get_data(as_text=True)
    taken = post(web, "/configurador/importar", {"import-text": template(OTHER)})
    assert taken.status_code == 409
    assert catalog(app).info(OTHER).department == "desarrollo-urbano"
    assert not exists(app, "ajeno")


def test_export_then_import_round_trips_as_a_new_revision(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    token = csrf_token(web, "/configurador/")
    response = web.post(f"/configurador/{OWN}/exportar", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{OWN}.json"'
    assert response.mimetype == "application/json"
    doc = json.loads(response.get_data(as_text=True))
    assert doc == catalog(app).draft(OWN)
    doc["summary"]["es"] = "Resumen importado."
    again = post(web, "/configurador/importar", {"import-text": json.dumps(doc)})
    assert again.status_code == 302
    assert catalog(app).draft(OWN)["summary"]["es"] == "Resumen importado."
    assert catalog(app).info(OWN).draft_revision == 2
    assert web.get(f"/configurador/{OWN}/exportar").status_code == 405


def test_other_departments_procedures_do_not_exist_for_a_liaison(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    token = csrf_token(web, "/configurador/")
    assert (
        web.post(f"/configurador/{OTHER}/exportar", data={"csrf_token": token}).status_code == 404
    )
    assert web.get(f"/configurador/{OTHER}/").status_code == 404
    assert web.get("/configurador/no-existe/").status_code == 404


def test_the_overview_is_a_task_list_of_the_procedures_parts(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(f"/configurador/{OWN}/").get_data(as_text=True)
    for label in (
        "Información del trámite",
        "Pasos y preguntas",
        "Revisiones y aprobaciones",
        "Pagos y tarifas",
        "Documento que se entrega",
        "Padrón municipal",
        "Avisos",
    ):
        assert label in page
    assert page.count(">Listo<") == 7
    assert f'href="/configurador/{OWN}/padron"' in page  # the municipal register
    assert f'href="/configurador/{OWN}/informacion"' in page
    assert f'href="/configurador/{OWN}/pasos/revision_conjunta"' in page  # approvals
    assert f'href="/configurador/{OWN}/pasos/pago"' in page  # fees
    assert "Publicado" in page and "demo seed" in page
    english = web.get(f"/configurador/{OWN}/?lang=en").get_data(as_text=True)
    assert "Steps and questions" in english and ">Done<" in english


def test_the_overview_says_what_is_missing_to_reach_level_four(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(f"/configurador/{OWN}/").get_data(as_text=True)
    assert "Nivel de digitalización" in page and "Nivel 3 de 4" in page
    assert "se tiene que mostrar en original en una oficina" in page
    english = web.get(f"/configurador/{OWN}/?lang=en").get_data(as_text=True)
    assert "Level 3 of 4" in english and "must be shown in original at an office" in english
    publishing = web.get(f"/configurador/{OWN}/publicar?lang=es").get_data(as_text=True)
    assert "Nivel 3 de 4" in publishing and "en original en una oficina" in publishing
    admin = login(app.test_client(), ADMIN)
    full = admin.get(f"/configurador/{OTHER}/").get_data(as_text=True)
    assert "Nivel 4 de 4" in full and "No le falta nada" in full
