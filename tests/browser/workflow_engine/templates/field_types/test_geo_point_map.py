"""The «Ubicación geográfica» field's map in a real browser: shown only with MAP_TILE_URL,
its tiles from that server, a click fills the latitude and longitude inputs (which stay the
answer), typing moves the marker; no CSP violation, no axe violation, no sideways scroll."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, LiveServer, axe, login, no_horizontal_scroll, tiny_png
from tests.helpers import serving
from tests.helpers.browser_wizard import start_case
from tests.helpers.field_types import template_with

pytestmark = [pytest.mark.browser]

KEY = "campo-mapa"
GDL = {"south": 20.5, "west": -103.5, "north": 20.8, "east": -103.2}
POINT = {
    "id": "ubicacion",
    "type": "geo_point",
    "label": {"es": "Ubicación del puesto", "en": "Stall location"},
    "bounds": GDL,
}


class TileServer:
    """A stub tile server: a tiny PNG for any /{z}/{x}/{y}.png; remembers what it served."""

    def __init__(self) -> None:
        self.served: list[str] = []
        served = self.served
        png = tiny_png()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.append(self.path)
                ok = self.path.endswith(".png")
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png) if ok else 0))
                self.end_headers()
                if ok:
                    self.wfile.write(png)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{z}}/{{x}}/{{y}}.png"
        self.thread = serving.start(self.server, "map-tiles")

    def close(self) -> None:
        serving.stop(self.server, self.thread)


@pytest.fixture
def tiles(live_server: LiveServer) -> Iterator[TileServer]:
    catalog = live_server.app.extensions["tramita"].catalog
    catalog.save_draft(template_with(POINT, KEY))
    catalog.publish(KEY)
    server = TileServer()
    settings = live_server.app.extensions["tramita"].settings
    yield server
    settings.map_tile_url = None
    settings.map_tile_attribution = ""
    server.close()


def _requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_no_map_and_no_leaflet_without_a_tile_server(new_context: Any, tiles: TileServer) -> None:
    page = new_context(mobile=True).new_page()
    seen = _requests(page)
    login(page, CITIZEN)
    start_case(page, KEY)
    page.wait_for_load_state("networkidle")
    assert page.locator('main [name="ubicacion.lat"]').is_visible()
    assert page.locator(".geo-map, .leaflet-container").count() == 0
    assert not [u for u in seen if "leaflet" in u or "geo_point.js" in u], seen
    assert tiles.served == []


def test_clicking_the_map_fills_the_inputs_and_typing_moves_the_marker(
    new_context: Any, live_server: LiveServer, tiles: TileServer
) -> None:
    settings = live_server.app.extensions["tramita"].settings
    settings.map_tile_url = tiles.url
    settings.map_tile_attribution = "© Mapas de prueba"
    page = new_context(mobile=True).new_page()
    login(page, CITIZEN)
    start_case(page, KEY)
    map_box = page.locator("main .geo-map.leaflet-container")
    map_box.wait_for(state="visible")
    page.locator(".geo-map .leaflet-tile-loaded").first.wait_for(state="attached")
    assert tiles.served and all(p.endswith(".png") for p in tiles.served)
    assert "Mapas de prueba" in page.inner_text(".leaflet-control-attribution")

    lat, lng = (
        page.locator('main [name="ubicacion.lat"]'),
        page.locator('main [name="ubicacion.lng"]'),
    )
    assert lat.input_value() == lng.input_value() == ""
    map_box.click()  # its centre: inside the template's area (the map opens on it)
    marker = page.locator(".geo-map .leaflet-marker-icon")
    marker.wait_for(state="visible")
    south, north = GDL["south"], GDL["north"]
    assert south < float(lat.input_value()) < north, lat.input_value()
    assert GDL["west"] < float(lng.input_value()) < GDL["east"], lng.input_value()
    assert len(lat.input_value().split(".")[1]) <= 6  # the field keeps six decimals

    # Typing in an input moves the marker (the inputs are the answer; the map follows).
    before = marker.bounding_box()
    lat.fill("20.75")
    page.wait_for_function(
        "b => { const r = document.querySelector('.geo-map .leaflet-marker-icon')"
        ".getBoundingClientRect(); return Math.abs(r.y - b) > 1; }",
        arg=before["y"] if before else 0,
    )
    assert lat.input_value() == "20.75"
    axe(page, "geo_point step with its map")
    no_horizontal_scroll(page)


def test_without_javascript_the_inputs_alone_work(
    new_context: Any, live_server: LiveServer, tiles: TileServer
) -> None:
    live_server.app.extensions["tramita"].settings.map_tile_url = tiles.url
    page = new_context(mobile=True, js=False).new_page()
    login(page, CITIZEN)
    start_case(page, KEY)
    assert page.locator('main [name="ubicacion.lat"]').is_visible()
    assert not page.locator("main [data-geo-map]").is_visible()  # hidden until the script runs
