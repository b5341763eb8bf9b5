"""MAP_TILE_URL: an operator's typo stops the process with one line, instead of a map whose
tiles the CSP blocks or a server that is asked for no tile at all."""

from __future__ import annotations

import pytest

from app.config import ConfigError, Settings


@pytest.fixture(autouse=True)
def _demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.delenv("MAP_TILE_ATTRIBUTION", raising=False)


def test_unset_means_no_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    assert Settings.from_env().map_tile_url is None
    monkeypatch.setenv("MAP_TILE_URL", " ")
    assert Settings.from_env().map_tile_url is None


def test_a_tile_url_and_its_attribution_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAP_TILE_URL", "https://tiles.example:8443/{z}/{x}/{y}.png")
    monkeypatch.setenv("MAP_TILE_ATTRIBUTION", "© OpenStreetMap")
    settings = Settings.from_env()
    assert settings.map_tile_url == "https://tiles.example:8443/{z}/{x}/{y}.png"
    assert settings.map_tile_attribution == "© OpenStreetMap"


@pytest.mark.parametrize(
    "url",
    [
        "tiles.example/{z}/{x}/{y}.png",  # no scheme: no origin for the CSP
        "ftp://tiles.example/{z}/{x}/{y}.png",
        "https:///{z}/{x}/{y}.png",
        "https://tiles.example/tile.png",  # asks every tile by the same name
        "https://tiles.example/{z}/{x}.png",
    ],
)
def test_a_bad_tile_url_stops_the_process_with_one_line(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("MAP_TILE_URL", url)
    with pytest.raises(ConfigError, match="MAP_TILE_URL"):
        Settings.from_env()
