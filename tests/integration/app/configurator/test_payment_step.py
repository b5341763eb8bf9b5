"""The payment step's page through HTTP as the liaison of the licence's department: fee
lines built from factors (a fixed amount, an amount × a numeric answer) change the worked
example's total, a fee table's row edited, a conditional line, a bad amount said, not a
crash, the payment's settings, and another department's procedure not found."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"
PAGE = f"{BASE}/pasos/pago"


def _draft(app: Flask) -> dict[str, Any]:
    draft: dict[str, Any] = app.extensions["tramita"].catalog.draft(KEY)
    return draft


def _pago(app: Flask) -> dict[str, Any]:
    return next(s for s in _draft(app)["steps"] if s["id"] == "pago")


def _form(web: FlaskClient, path: str) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _post(web: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return web.post(path, data={**_form(web, path), **data}, follow_redirects=True)


def _total(html: str) -> Decimal:
    """The worked example's total on a page."""
    found = re.search(r"data-example-total><strong>\$([\d,]+\.\d\d)</strong>", html)
    assert found, "no worked example total"
    return Decimal(found.group(1).replace(",", ""))


def _liaison(app: Flask) -> FlaskClient:
    return login(app.test_client(), LIAISON)


def test_the_page_shows_lines_in_words_and_the_worked_example(app: Flask) -> None:
    web = _liaison(app)
    html = web.get(PAGE).get_data(as_text=True)
    assert "Líneas de cobro" in html
    assert "Derecho por giro" in html
    assert "la tarifa «tarifa_giro» según" in html
    assert "Ejemplo calculado" in html
    assert "Redondeo" in html  # the engine's own rounding line
    assert _total(html) > 0
    assert f'href="{BASE}/tarifas/tarifa_giro?step=pago"' in html


def test_a_fixed_line_and_a_field_times_amount_line_change_the_total(app: Flask) -> None:
    web = _liaison(app)
    before = _total(web.get(PAGE).get_data(as_text=True))
    page = _post(
        web,
        PAGE,
        {
            "action": "add_line",
            "label_es": "Holograma",
            "label_en": "Hologram",
            "f-0": "number",
            "f-0-number": "100",
        },
    )
    html = page.get_data(as_text=True)
    assert "Se agregó la línea «Holograma»." in html
    assert _total(html) == before + 100
    assert _pago(app)["fee_lines"][-1] == {
        "id": "holograma",
        "label": {"es": "Holograma", "en": "Hologram"},
        "amount": "100",
    }
    page = _post(
        web,
        PAGE,
        {
            "action": "add_line",
            "label_es": "Por empleado",
            "f-0": "number",
            "f-0-number": "10",
            "f-1": "field:empleados",
        },
    )
    html = page.get_data(as_text=True)
    assert _total(html) == before + 100 + 90  # 9 employees in the example data
    assert _pago(app)["fee_lines"][-1]["amount"] == {"*": ["10", {"var": "empleados"}]}
    # moved up, then removed
    _post(web, PAGE, {"action": "move_line", "line": "por_empleado", "direction": "up"})
    assert [x["id"] for x in _pago(app)["fee_lines"]][-2:] == ["por_empleado", "holograma"]
    page = _post(web, PAGE, {"action": "remove_line", "line": "holograma"})
    assert _total(page.get_data(as_text=True)) == before + 90


def test_a_bad_amount_is_said_and_nothing_is_saved(app: Flask) -> None:
    web = _liaison(app)
    lines = _pago(app)["fee_lines"]
    page = _post(
        web,
        PAGE,
        {"action": "add_line", "label_es": "Multa", "f-0": "number", "f-0-number": "mucho"},
    )
    assert page.status_code == 422
    assert "«mucho» no es una cantidad" in page.get_data(as_text=True)
    page = _post(web, PAGE, {"action": "add_line", "label_es": "Multa"})
    assert page.status_code == 422
    assert "Elija al menos un factor" in page.get_data(as_text=True)
    line_page = f"{PAGE}/cobros/derecho_giro"
    page = _post(
        web, line_page, {"part": "advanced", "label_es": "Derecho", "amount_json": "{no es json"}
    )
    assert page.status_code == 422
    assert "No es JSON válido" in page.get_data(as_text=True)
    assert _pago(app)["fee_lines"] == lines


def test_a_fee_table_row_is_edited_added_and_removed(app: Flask) -> None:
    web = _liaison(app)
    table = f"{BASE}/tarifas/tarifa_giro?step=pago"
    html = web.get(table).get_data(as_text=True)
    assert 'value="restaurante"' in html
    before = _total(html)
    rows = list(_draft(app)["fee_tables"]["tarifa_giro"].items())
    data: dict[str, Any] = {"step": "pago", "row_count": str(len(rows) + 1)}
    for n, (key, amount) in enumerate(rows):
        data[f"key-{n}"] = key
        data[f"amount-{n}"] = "2000.00" if key == "restaurante" else amount
    data[f"key-{len(rows)}"] = "papeleria"
    data[f"amount-{len(rows)}"] = "500"
    page = _post(web, table, data)
    html = page.get_data(as_text=True)
    assert "Se guardó la tarifa «tarifa_giro»." in html
    assert _total(html) == before + 150  # the example is a restaurant
    assert _draft(app)["fee_tables"]["tarifa_giro"]["papeleria"] == "500"
    data["amount-0"] = "caro"
    page = _post(web, table, data)
    assert page.status_code == 422
    assert "«caro» no es una cantidad" in page.get_data(as_text=True)
    data["amount-0"] = rows[0][1]
    page = _post(web, table, {**data, "remove": str(len(rows))})
    assert "papeleria" not in _draft(app)["fee_tables"]["tarifa_giro"]


def test_a_conditional_line_is_charged_only_when_its_condition_holds(app: Flask) -> None:
    web = _liaison(app)
    before = _total(web.get(PAGE).get_data(as_text=True))
    _post(
        web, PAGE, {"action": "add_line", "label_es": "Pinta", "f-0": "number", "f-0-number": "300"}
    )
    line_page = f"{PAGE}/cobros/pinta"
    page = _post(
        web,
        line_page,
        {
            "part": "condition",
            "cond_action": "save",
            "join": "all",
            "row_count": "1",
            "row-0-field": "empleados",
            "row-0-op": "gt",
            "row-0-value": "50",
        },
    )
    html = page.get_data(as_text=True)
    assert "Se guardó la condición de la línea." in html, html[:3000]
    assert _pago(app)["fee_lines"][-1]["when"] == {">": [{"var": "empleados"}, 50]}
    assert _total(html) == before  # 9 employees: not charged
    page = _post(
        web,
        line_page,
        {
            "part": "condition",
            "cond_action": "save",
            "join": "all",
            "row_count": "1",
            "row-0-field": "empleados",
            "row-0-op": "gt",
            "row-0-value": "5",
        },
    )
    assert _total(page.get_data(as_text=True)) == before + 300


def test_the_settings_of_the_payment_are_saved(app: Flask) -> None:
    web = _liaison(app)
    page = _post(
        web,
        PAGE,
        {
            "action": "settings",
            "concept_es": "Derechos",
            "concept_en": "Fees",
            "expires_days": "5",
            "deadline_days": "",
            "lapse_to": "",
        },
    )
    assert "Se guardaron los datos del pago." in page.get_data(as_text=True)
    step = _pago(app)
    assert step["concept"] == {"es": "Derechos", "en": "Fees"}
    assert step["expires_days"] == 5
    assert "round_total" not in step and "lapse_to" not in step and "deadline_days" not in step
    page = _post(web, PAGE, {"action": "settings", "concept_es": "D", "expires_days": "999"})
    assert page.status_code == 422
    assert "Escriba un número entero de 1 a 365." in page.get_data(as_text=True)


def test_another_department_gets_not_found(app: Flask) -> None:
    web = _liaison(app)
    other = "/configurador/permiso-construccion"
    draft = app.extensions["tramita"].catalog.draft("permiso-construccion")
    pago = next(s for s in draft["steps"] if s["type"] == "payment")
    line = pago["fee_lines"][0]["id"]
    assert web.get(f"{other}/pasos/{pago['id']}").status_code == 404
    assert web.get(f"{other}/pasos/{pago['id']}/cobros/{line}").status_code == 404
    assert web.get(f"{other}/tarifas/tarifa_m2_zona").status_code == 404
    assert web.get(f"{PAGE}/cobros/no_existe").status_code == 404
    assert web.get(f"{BASE}/tarifas/no_existe").status_code == 404


def test_the_pages_are_in_english(app: Flask) -> None:
    web = _liaison(app)
    html = web.get(f"{PAGE}?lang=en").get_data(as_text=True)
    for text in ("Worked example", "Fee lines", "Add a fee line", "Payment settings", "Rounding"):
        assert text in html
    assert "Líneas de cobro" not in html
    html = web.get(f"{PAGE}/cobros/venta_alcohol?lang=en").get_data(as_text=True)
    assert "Charge the line when" in html and "Amount: the product of these factors" in html
    html = web.get(f"{BASE}/tarifas/tarifa_giro?lang=en").get_data(as_text=True)
    assert "Save fee table" in html


def test_the_uma_of_a_new_year_changes_the_worked_example(app: Flask) -> None:
    web = _liaison(app)
    page = f"{BASE}/constantes?step=pago"
    html = web.get(page).get_data(as_text=True)
    assert 'value="uma"' in html and 'value="117.31"' in html
    before = _total(html)
    rows = [
        ("uma", "2025", "113.14"),
        ("uma", "2026", "117.31"),
        ("uma", "2020", "80.00"),
        ("uma_por_m2", "", "0.05"),
        ("umas_alcohol", "", "40"),  # 30 -> 40 UMA for the alcohol permit
    ]
    data: dict[str, Any] = {"step": "pago", "row_count": str(len(rows) + 1)}
    for n, (name, year, value) in enumerate(rows):
        data.update({f"name-{n}": name, f"year-{n}": year, f"value-{n}": value})
    result = _post(web, page, data)
    html = result.get_data(as_text=True)
    assert "Se guardaron las constantes." in html
    constants = _draft(app)["constants"]
    assert constants["uma"]["by_year"]["2020"] == "80.00"
    assert constants["umas_alcohol"] == "40"
    assert _total(html) > before
    data["value-4"] = "cuarenta"
    data["name-3"] = "uma"  # the same name with and without a year
    result = _post(web, page, data)
    assert result.status_code == 422
    html = result.get_data(as_text=True)
    assert "«cuarenta» no es una cantidad" in html
    assert "La constante «uma» está repetida" in html
