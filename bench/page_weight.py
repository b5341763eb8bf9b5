"""Page weight: bytes transferred (compressed, as on the wire) for the main page of each role,
on a first visit (empty cache) and on a repeat visit (the browser's cache kept).

Starts the demo municipality (DEMO_MODE=1, SQLite in a scratch INSTANCE_DIR, `demo seed`)
under gunicorn on a free port, loads each page in Chromium (Playwright, /usr/bin/chromium or
CHROMIUM_PATH) after logging in as the role's demo account, and sums the encoded sizes of
every response the page needed (document, CSS, JavaScript, images, fonts) from Chromium's
own network log. Goal (issue 15): every citizen page ≤ 150 KB first, ≤ 30 KB repeat.

    .venv/bin/python bench/page_weight.py --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "demo12345"
FIRST_GOAL_KB, REPEAT_GOAL_KB = 150, 30

# (name, audience, demo account or None, path)
PAGES = [
    ("catalog", "citizen", None, "/"),
    ("procedure", "citizen", None, "/tramites/constancia-residencia/informacion"),
    ("login", "citizen", None, "/entrar"),
    ("my_cases", "citizen", "ciudadano@demo.gob.mx", "/mis-tramites"),
    ("wizard_step", "citizen", "ciudadano@demo.gob.mx", "start:constancia-residencia"),
    ("inbox", "official", "funcionario@demo.gob.mx", "/bandeja"),
    ("treasury", "treasury", "tesoreria@demo.gob.mx", "/tesoreria/contribuyentes"),
    ("admin", "admin", "admin@demo.gob.mx", "/admin/usuarios"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="page-weight-") as instance:
        env = {**os.environ, "DEMO_MODE": "1", "INSTANCE_DIR": instance, "INLINE_EFFECTS": "sync"}
        env.pop("DATABASE_URL", None)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for command in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(url + "/healthz", timeout=1).close()
                    break
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(10)


def _login(page: Any, base: str, email: str) -> None:
    page.goto(base + "/entrar")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def _visit(page: Any, cdp: Any, url: str | None, start: str | None, base: str) -> int:
    """Bytes on the wire for one navigation (and everything it loads)."""
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    if start is not None:  # a wizard step: start the procedure from its page
        page.goto(f"{base}/tramites/{start}/informacion")
        page.wait_for_load_state("networkidle")
        cdp.send("Network.clearBrowserCache")  # the step's first visit: nothing cached
        sizes.clear()
        with page.expect_navigation():
            page.click("form.start-form button[type=submit]")
    else:
        page.goto(url)
    page.wait_for_load_state("networkidle")
    return sum(sizes.values())


def measure(base: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    pages: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        for name, audience, account, path in PAGES:
            context = browser.new_context(viewport={"width": 360, "height": 800})
            page = context.new_page()
            if account:
                _login(page, base, account)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.clearBrowserCache")
            start = path.removeprefix("start:") if path.startswith("start:") else None
            first = _visit(page, cdp, base + path if start is None else None, start, base)
            # The repeat visit: the same page again, the browser's cache kept (for a wizard
            # step: the step's own URL).
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            repeat = _visit(page, cdp, page.url, None, base)
            pages[name] = {
                "audience": audience,
                "path": path if start is None else "/expedientes/<folio>/pasos/<step>",
                "first_kb": round(first / 1024, 1),
                "repeat_kb": round(repeat / 1024, 1),
            }
            context.close()
        browser.close()
    citizen = [p for p in pages.values() if p["audience"] == "citizen"]
    return {
        "max_first_kb": max(p["first_kb"] for p in citizen),
        "max_repeat_kb": max(p["repeat_kb"] for p in citizen),
        "max_first_kb_all_roles": max(p["first_kb"] for p in pages.values()),
        "max_repeat_kb_all_roles": max(p["repeat_kb"] for p in pages.values()),
        "goal": {"first_kb": FIRST_GOAL_KB, "repeat_kb": REPEAT_GOAL_KB},
        "pages": pages,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--url", help="measure a running demo instead of starting one")
    args = parser.parse_args()
    if args.url:
        result = measure(args.url.rstrip("/"))
    else:
        with demo_server() as base:
            result = measure(base)
    met = result["max_first_kb"] <= FIRST_GOAL_KB and result["max_repeat_kb"] <= REPEAT_GOAL_KB
    result["goal_met"] = met
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, p in result["pages"].items():
            first, repeat = p["first_kb"], p["repeat_kb"]
            print(f"{name:12} {p['audience']:9} first {first:7.1f} KB  repeat {repeat:6.1f} KB")
        top = result["max_first_kb"], result["max_repeat_kb"]
        print(f"citizen pages: max first {top[0]} KB, max repeat {top[1]} KB")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
