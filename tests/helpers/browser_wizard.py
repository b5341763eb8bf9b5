"""Drive the citizen wizard in a browser from a template's example_data (docs/web-contract.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.browser.conftest import ROOT, axe, no_horizontal_scroll, tiny_pdf, tiny_png

EXAMPLES = ROOT / "form_schemas" / "examples"
STEP_URL = re.compile(r"/expedientes/(?P<folio>[^/?#]+)/pasos/(?P<step>[^/?#]+)")
ADDRESS_PARTS = ("street", "number", "interior", "neighbourhood", "postcode", "municipality")
TEXT_LIKE = {
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "email",
    "phone",
    "curp",
    "rfc",
    "cedula_pa",
    "ruc_pa",
    "catalog_select",
}
GEO_PARTS = ("lat", "lng")


@cache
def example(key: str) -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / f"{key}.json").read_text(encoding="utf-8")))


def example_keys() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.json"))


def form_steps(key: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in example(key)["steps"] if s.get("type") == "form"}


def first_form_step(key: str) -> str:
    doc = example(key)
    start = doc.get("start") or doc["steps"][0]["id"]
    return str(start)


def step_of(url: str) -> tuple[str, str] | None:
    match = STEP_URL.search(url)
    return (match["folio"], match["step"]) if match else None


def sel(name: str) -> str:
    """A CSS selector for the form controls named `name` (names may contain [ ] and .)."""
    return f'main [name="{name}"]'


def upload_payloads(field: dict[str, Any], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Small real files standing in for the example's: PDFs stay PDFs, images become PNGs."""
    accept = field.get("accept") or ["application/pdf"]
    payloads = []
    for i, meta in enumerate(files):
        stem = Path(str(meta.get("name") or f"archivo-{i}")).stem
        wants_pdf = str(meta.get("content_type", "")).endswith("pdf")
        if (wants_pdf and "application/pdf" in accept) or "image/png" not in accept:
            payloads.append(
                {"name": f"{stem}.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf(stem)}
            )
        else:
            payloads.append({"name": f"{stem}.png", "mimeType": "image/png", "buffer": tiny_png()})
    return payloads


def _visible(page: Any, selector: str, what: str) -> Any:
    locator = page.locator(selector)
    if locator.count() == 0:
        raise AssertionError(f"{what}: no control {selector!r} on {page.url}")
    first = locator.first
    first.wait_for(state="visible", timeout=5_000)
    return locator


def fill_value(page: Any, field: dict[str, Any], name: str, value: Any) -> None:
    """Put one example value into the control(s) the contract names."""
    kind = field["type"]
    what = f"field {name} ({kind})"
    if kind in TEXT_LIKE:
        _visible(page, sel(name), what).first.fill(str(value))
    elif kind == "select":
        _visible(page, sel(name), what).first.select_option(str(value))
    elif kind == "radio":
        _visible(page, sel(name), what)
        page.locator(f'{sel(name)}[value="{value}"]').check()
    elif kind == "yesno":
        _visible(page, sel(name), what)
        page.locator(f'{sel(name)}[value="{"si" if value else "no"}"]').check()
    elif kind == "checkbox":
        box = _visible(page, sel(name), what).first
        box.check() if value else box.uncheck()
    elif kind == "checkboxes":
        _visible(page, sel(name), what)
        for option in value:
            page.locator(f'{sel(name)}[value="{option}"]').check()
    elif kind == "datetime":
        # a datetime-local input takes YYYY-MM-DDTHH:MM whatever the browser's locale
        _visible(page, sel(name), what).first.fill(str(value))
    elif kind == "geo_point":
        for part in GEO_PARTS:
            _visible(page, sel(f"{name}.{part}"), what).first.fill(str(value[part]))
    elif kind == "address":
        for part in ADDRESS_PARTS:
            if value.get(part):
                _visible(page, sel(f"{name}.{part}"), what).first.fill(str(value[part]))
    elif kind == "file":
        _visible(page, f'main input[type=file][name="{name}"]', what).first.set_input_files(
            upload_payloads(field, list(value))
        )
    else:
        raise AssertionError(f"the browser tests do not know how to fill {what}")


def add_group_rows(page: Any, group: dict[str, Any], rows: int) -> None:
    """Press "add another" until the group has `rows` rows (with or without JavaScript)."""
    gid = group["id"]
    probe = group["fields"][0]["id"]
    for _ in range(rows + 1):
        have = page.locator(f'main [name^="{gid}["][name$="].{probe}"]').count()
        if have >= rows:
            return
        page.locator(f'main button[name=accion][value="agregar:{gid}"]').click()
        page.locator(sel(f"{gid}[{have}].{probe}")).first.wait_for(state="attached", timeout=10_000)
    raise AssertionError(f"group {gid}: could not get {rows} rows on {page.url}")


def _shown(page: Any, field: dict[str, Any]) -> bool:
    """Whether the field's wrapper (or its first control) is visible on the page now."""
    name = field["id"]
    control = page.locator(
        f'main [name="{name}"], main [name^="{name}."], main [name^="{name}["]'
    ).first
    return bool(control.count()) and bool(control.is_visible())


def fill_step(
    page: Any, key: str, step_id: str, *, files: bool = True, only_shown: bool = False
) -> None:
    """Fill every control of this form step for which the example has a value.

    Files already uploaded (hidden `<id>.keep` inputs) are not sent again. With `only_shown`,
    fields the page hides (show_if) are left alone, as a person without JavaScript would.
    """
    step = form_steps(key)[step_id]
    data = example(key).get("example_data", {}).get(step_id, {})
    fields = [f for f in step.get("fields", []) if f["id"] in data and not f.get("readonly")]
    if only_shown:
        fields = [f for f in fields if _shown(page, f)]
    for field in fields:
        if field["type"] not in ("group", "file"):
            fill_value(page, field, field["id"], data[field["id"]])
    for field in fields:
        if field["type"] == "group":
            rows = list(data[field["id"]])
            add_group_rows(page, field, len(rows))
            for i, row in enumerate(rows):
                for sub in field["fields"]:
                    if sub["id"] in row:
                        fill_value(page, sub, f"{field['id']}[{i}].{sub['id']}", row[sub["id"]])
    if files:
        for field in fields:
            if field["type"] == "file":
                kept = page.locator(f'main input[name="{field["id"]}.keep"]').count()
                if kept < len(data[field["id"]]):
                    fill_value(page, field, field["id"], data[field["id"]])


def press(page: Any, action: str) -> None:
    """Click the form button accion=<action> and wait for the next page."""
    with page.expect_navigation():
        page.locator(f'main button[name=accion][value="{action}"]').click()


def error_summary_text(page: Any) -> str:
    summary = page.locator("main [role=alert]")
    return summary.first.inner_text() if summary.count() else ""


def continue_step(page: Any) -> None:
    before = page.url
    press(page, "continuar")
    problem = error_summary_text(page)
    if problem and page.url.split("#")[0] == before.split("#")[0]:
        raise AssertionError(f"the step {before} refused the example data:\n{problem}")


def check_error_summary(page: Any) -> None:
    """GOV.UK-style summary: role=alert, "Hay un problema", links to each invalid field."""
    summary = page.locator("main [role=alert]")
    assert summary.count() >= 1, f"no error summary on {page.url}"
    text = summary.first.inner_text()
    assert "Hay un problema" in text, text
    links = summary.first.locator("a[href^='#']")
    assert links.count() >= 1, f"the error summary links to no field:\n{text}"
    for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        target = page.locator(f"[id='{href[1:]}']")
        assert target.count() == 1, f"error summary link {href} points at nothing"
        described = target.get_attribute("aria-describedby") or ""
        ok = any(page.locator(f"[id='{i}']").count() for i in described.split())
        group_ok = page.evaluate(
            "(id) => { const el = document.getElementById(id);"
            " const fs = el && el.closest('fieldset');"
            " return !!(fs && fs.getAttribute('aria-describedby')); }",
            href[1:],
        )
        assert ok or group_ok, f"{href}: the invalid field has no aria-describedby message"
    first = links.first
    target_id = first.get_attribute("href")[1:]
    first.click()
    focused = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == target_id, f"clicking the summary link focused {focused!r}, not {target_id}"


@dataclass
class Applied:
    folio: str
    first_step: str
    steps_seen: list[str]


def start_case(page: Any, key: str) -> tuple[str, str]:
    page.goto(f"/tramites/{key}/informacion")
    button = page.locator(f'main form[action$="/tramites/{key}"] button')
    assert button.count() >= 1, (
        f"/tramites/{key}/informacion has no start form (POST /tramites/{key}, button"
        " 'Iniciar trámite'): include wizard/_start.html in procedure.html"
    )
    with page.expect_navigation():
        button.first.click()
    found = step_of(page.url)
    assert found, f"starting {key} led to {page.url}, not to a step"
    return found


def walk_to_review(page: Any, key: str, *, check_pages: bool = True) -> list[str]:
    """From a step page, fill and continue until "Revise sus respuestas"; return steps seen."""
    seen: list[str] = []
    steps = form_steps(key)
    for _ in range(20):
        if "/revisar" in page.url:
            return seen
        found = step_of(page.url)
        assert found, f"expected a step or the check-answers page, got {page.url}"
        step_id = found[1]
        assert step_id in steps, f"{page.url}: {step_id} is not a form step of {key}"
        seen.append(step_id)
        if check_pages:
            axe(page, f"{key}: step {step_id}")
            no_horizontal_scroll(page)
        fill_step(page, key, step_id)
        continue_step(page)
    raise AssertionError(f"{key}: never reached the check-answers page ({seen})")


def submit_case(page: Any, folio: str) -> None:
    assert page.url.split("?")[0].endswith(f"/expedientes/{folio}/revisar"), page.url
    page.locator("main input[name=declaracion]").check()
    with page.expect_navigation():
        page.locator('main form[action$="/enviar"] button[type=submit]').click()
    assert page.url.split("?")[0].endswith(f"/expedientes/{folio}/confirmacion"), page.url
