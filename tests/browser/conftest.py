"""Browser fixtures: a live server over real HTTP, an SMTP sink, Chromium driven by Playwright.

Debian's Chromium (/usr/bin/chromium) and the npm package axe-core (node_modules/) are needed;
without them the tests skip loudly, or fail with REQUIRE_SERVICES=1 (CI installs both).
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings, service_missing
from tests.helpers import serving
from tests.helpers.mail import MailSink, SmtpServer
from workflow_engine.persistence.types import utcnow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
DEMO_PASSWORD = "demo12345"
CITIZEN = "ciudadano@demo.gob.mx"
CITIZEN_B = "vecino.b@demo.gob.mx"


# -- e-mail ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    with SmtpServer() as smtp:
        yield smtp.sink


# -- live server ----------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Any
    database_url: str
    mail: MailSink

    def accounts(self) -> Any:
        from workflow_engine.persistence.platform.accounts import Accounts

        return Accounts(self.app.extensions["tramita"].engine, demo_mode=True)

    def ensure_citizen(self, email: str, name: str) -> None:
        """A verified citizen account, made directly in the database."""
        accounts = self.accounts()
        if accounts.by_email(email) is None:
            accounts.create(email, DEMO_PASSWORD, role="citizen", name=name)
        _mark_verified(self.app.extensions["tramita"].engine, email)


def _mark_verified(engine: Any, email: str) -> None:
    """Mark the account's e-mail as verified, as opening the e-mailed link would."""
    from sqlalchemy import update

    from workflow_engine.persistence.models import User, table

    users = table(User)
    with engine.begin() as conn:
        done = conn.execute(
            update(users).where(users.c.email == email.lower()).values(email_verified_at=utcnow())
        )
    assert done.rowcount == 1, email


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrations + the demo municipality, built once per session and copied per module."""
    from app.cli import run_migrations
    from workflow_engine.persistence.db import make_engine
    from workflow_engine.persistence.platform.demo import seed_demo

    path = tmp_path_factory.mktemp("browser-seed") / "tramita.db"
    url = f"sqlite:///{path}"
    run_migrations(url)
    engine = make_engine(url)
    try:
        seed_demo(engine, demo_mode=True)
        _mark_verified(engine, CITIZEN)  # the demo citizen applies without the e-mail round trip
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="module")
def live_server(
    seeded_db: Path, mail_sink: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The whole app on 127.0.0.1:<free port> in a thread, over its own copy of the demo data."""
    from werkzeug.serving import make_server

    from app import create_app

    tmp = tmp_path_factory.mktemp("live")
    db_path = tmp / "tramita.db"
    shutil.copyfile(seeded_db, db_path)
    database_url = f"sqlite:///{db_path}"
    holder: dict[str, Any] = {}

    def wsgi(environ: Any, start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = make_settings(
        database_url,
        tmp,
        base_url=base_url,
        smtp_host="127.0.0.1",
        smtp_port=mail_sink.port,
        demo_mode=True,
    )
    app = create_app(settings)
    holder["app"] = app
    try:
        with serving.running(server, "live-server"):
            yield LiveServer(base_url, app, database_url, mail_sink)
    finally:
        app.extensions["tramita"].engine.dispose()


# -- browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("the Python package playwright is not installed (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:
        playwright.stop()
        service_missing(f"Chromium at {CHROMIUM} did not start: {exc}")
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Make browser contexts (closed after the test): new_context(mobile=False, js=True).

    Every page of every context is watched: a Content-Security-Policy violation reported on
    the browser console fails the test (a page the policy broke)."""
    made: list[Any] = []
    violations: list[str] = []

    def watch(page: Any) -> None:
        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)

    def make(*, mobile: bool = False, js: bool = True, **options: Any) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=MOBILE if mobile else DESKTOP,
            java_script_enabled=js,
            locale="es-MX",
            **options,
        )
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(30_000)  # uploads and PDFs on a busy 2-core CI
        context.on("page", watch)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A desktop page (1280 px) in a fresh context."""
    return new_context().new_page()


@pytest.fixture
def mobile_page(new_context: Callable[..., Any]) -> Any:
    """A phone-sized page (360 x 740) in a fresh context."""
    return new_context(mobile=True).new_page()


# -- accessibility --------------------------------------------------------------------------


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; return its violations.

    axe needs JavaScript: in a context made with js=False its promise never settles.
    """
    if not AXE_JS.exists():
        service_missing(f"axe-core is not installed ({AXE_JS}); run `npm ci` at the repo root")
    loaded = "() => typeof window.axe !== 'undefined'"
    if not page.evaluate(loaded):
        # Evaluated through the DevTools protocol: the pages' Content-Security-Policy (no
        # inline scripts) would stop a <script> tag.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                          summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )
    return list(result)


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  [{v['helpUrl']}]")
        for node in v["nodes"][:8]:
            lines.append(f"    target: {node['target']}")
            lines.append(f"      html: {node['html'][:200]}")
            summary = " ".join((node.get("summary") or "").split())
            if summary:
                lines.append(f"      why:  {summary[:300]}")
    return "\n".join(lines)


def axe(page: Any, label: str = "") -> None:
    """Assert that axe finds no WCAG 2.1 A/AA violation; print them readably when it does."""
    violations = axe_violations(page)
    if violations:
        where = label or page.url
        pytest.fail(
            f"axe: {len(violations)} accessibility violation(s) on {where}:\n"
            + format_violations(violations),
            pytrace=False,
        )


SCREENSHOTS = Path(os.environ.get("TEST_SCREENSHOTS_DIR") or ROOT / "out" / "screenshots")


def screenshot(page: Any, name: str, *, full_page: bool = True, of: str = "") -> Path:
    """Write the page (only what the screen shows with full_page=False; only the element `of`
    selects when given) as SCREENSHOTS/<name>-<width>px.png for a person to review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}px.png"
    if of:
        page.locator(of).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=full_page)
    return path


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    if width > viewport:
        wide = page.evaluate(
            """(vw) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > vw + 1)
                .slice(0, 5).map(e => e.tagName.toLowerCase()
                    + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
                    + ' right=' + Math.round(e.getBoundingClientRect().right))""",
            viewport,
        )
        pytest.fail(
            f"{page.url}: page is {width}px wide at a {viewport}px viewport; "
            f"widest elements: {wide}",
            pytrace=False,
        )


# -- helpers shared by the tests ------------------------------------------------------------


def login(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/entrar")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.form button[type=submit], main form button[type=submit]")
    assert "/entrar" not in page.url, f"login as {email} failed: {page.inner_text('main')}"


def open_menu(page: Any) -> None:
    """On a narrow screen the navigation (account, logout) is behind the menu button."""
    menu = page.locator(".usa-menu-btn")
    if menu.is_visible():
        menu.click()


def logout(page: Any) -> None:
    open_menu(page)
    with page.expect_navigation():
        page.click("form[action$='/salir'] button")


def tiny_pdf(text: str = "Tramita") -> bytes:
    """A small valid one-page PDF."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiny_png() -> bytes:
    """A valid 2x2 RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xc8\x10\x2e" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
