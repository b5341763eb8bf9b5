"""Public transparency page (no login): the procedures offered, their volumes, median
resolution time, deadline compliance and digitalization level, and the catalog of procedures
as open data (JSON and CSV) with the fields a national catalog of procedures asks for."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, render_template, url_for
from flask.typing import ResponseReturnValue

from app.db import reading
from app.digitalization import missing_for
from app.formatting import localized
from workflow_engine.persistence.cases.transparency import MIN_CASES, transparency_report
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.catalog import VersionInfo
from workflow_engine.templates import digitalization_label, digitalization_level
from workflow_engine.templates.digitalization import municipality_score

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("transparency", __name__)

CSV_COLUMNS = (
    "homoclave",
    "clave",
    "nombre",
    "descripcion",
    "dependencia_clave",
    "dependencia",
    "modalidad",
    "fundamento_juridico",
    "quien_puede_solicitarlo",
    "requisitos",
    "plazo_maximo_respuesta_dias_habiles",
    "ficta",
    "costo",
    "vigencia",
    "oficinas",
    "contacto_telefono",
    "contacto_correo",
    "nivel_digitalizacion",
    "url",
    "version",
    "publicado",
)


def _both(text: Any) -> dict[str, str]:
    return {"es": localized(text, "es"), "en": localized(text, "en")}


def catalog_record(version: VersionInfo, departments: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """One procedure's open-data record: the official information of its live version."""
    doc = version.definition
    c: dict[str, Any] = doc.get("catalog") or {}
    dept = doc.get("department", "")
    names = departments.get(dept, (dept, dept))
    level = digitalization_level(doc)
    contact = c.get("contact") or {}
    return {
        "homoclave": c.get("homoclave", ""),
        "key": version.key,
        "name": _both(doc.get("title")),
        "description": _both(doc.get("summary")),
        "department": {"key": dept, "es": names[0], "en": names[1] or names[0]},
        "modality": _both(c.get("modality")),
        "legal_basis": [_both(b) for b in c.get("legal_basis", [])],
        "who_may_apply": _both(c.get("who_may_apply")),
        "requirements": [
            {
                "name": _both(r.get("name")),
                "description": _both(r.get("description")),
                "original_copy": r.get("original_copy", ""),
            }
            for r in c.get("requirements", [])
        ],
        "max_response_days": c.get("max_response_days"),
        "ficta": c.get("ficta", "none"),
        "cost": _both(c.get("cost")),
        "validity": _both(c.get("validity")),
        "offices": [
            {
                "name": _both(o.get("name")),
                "address": o.get("address", ""),
                "hours": _both(o.get("hours")),
                "phone": o.get("phone", ""),
                "email": o.get("email", ""),
            }
            for o in c.get("offices", [])
        ],
        "contact": {"phone": contact.get("phone", ""), "email": contact.get("email", "")},
        "digitalization": {
            "level": level,
            "es": digitalization_label(level, "es"),
            "en": digitalization_label(level, "en"),
        },
        "url": url_for("catalog.procedure", key=version.key, _external=True),
        "version": version.number,
        "published_at": version.published_at.date().isoformat(),
    }


def _records() -> list[dict[str, Any]]:
    services: Services = current_app.extensions["tramita"]
    with reading(services.engine) as conn:
        versions = services.catalog.live(conn)
        departments = Accounts(services.engine).departments(conn)
    return [catalog_record(v, departments) for v in versions]


def _csv_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["homoclave"],
        r["key"],
        r["name"]["es"],
        r["description"]["es"],
        r["department"]["key"],
        r["department"]["es"],
        r["modality"]["es"],
        " | ".join(b["es"] for b in r["legal_basis"]),
        r["who_may_apply"]["es"],
        " | ".join(q["name"]["es"] for q in r["requirements"]),
        r["max_response_days"],
        r["ficta"],
        r["cost"]["es"],
        r["validity"]["es"],
        " | ".join(
            ". ".join(p for p in (o["name"]["es"], o["address"], o["hours"]["es"], o["phone"]) if p)
            for o in r["offices"]
        ),
        r["contact"]["phone"],
        r["contact"]["email"],
        r["digitalization"]["level"],
        r["url"],
        r["version"],
        r["published_at"],
    ]


@blueprint.route("/transparencia")
def page() -> ResponseReturnValue:
    services: Services = current_app.extensions["tramita"]
    with reading(services.engine) as conn:
        report = transparency_report(conn, services.cases.tz)
        versions = services.catalog.live(conn)
        departments = Accounts(services.engine).departments(conn)
    offered = [v.definition for v in versions]
    levels = [digitalization_level(doc) for doc in offered]
    return render_template(
        "transparency.html",
        report=report,
        offered=offered,
        levels=levels,
        missing=[missing_for(doc) for doc in offered],
        score=municipality_score(levels),
        departments=departments,
        min_cases=MIN_CASES,
    )


@blueprint.route("/transparencia/catalogo.json")
def catalog_json() -> ResponseReturnValue:
    body = json.dumps({"procedures": _records()}, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json")


@blueprint.route("/transparencia/catalogo.csv")
def catalog_csv() -> ResponseReturnValue:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in _records():
        writer.writerow(_csv_row(record))
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="catalogo-tramites.csv"'
    return response
