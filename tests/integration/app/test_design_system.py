"""The design system's delivery: the municipality's colour and logo from settings, static
files compressed and cached for a year under versioned URLs (issue 15)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest

from app.config import ConfigError, _color


def test_the_colour_must_be_hex_and_dark_enough_for_white_text() -> None:
    assert _color(" #0B4778 ") == "#0b4778"
    for bad in ("red", "#fff", "#ffbf47", "#12345"):
        with pytest.raises(ConfigError):
            _color(bad)


def test_theme_stylesheet_and_logo_come_from_settings(
    sqlite_url: str, app_factory: Any, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    app = app_factory(sqlite_url, municipality_color="#0b4778", municipality_logo=str(logo))
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    theme_url = re.search(r'href="(/tema\.css\?v=\w+)"', page)
    assert theme_url, page[:2000]
    css = client.get(theme_url.group(1))
    assert "--tramita-primary:#0b4778" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]
    assert 'src="/tema/logo?v=' in page
    served = client.get("/tema/logo")
    assert served.data.startswith(b"\x89PNG")
    served.close()


def test_static_files_are_gzipped_and_versioned(sqlite_url: str, app_factory: Any) -> None:
    client = app_factory(sqlite_url).test_client()
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/uswds/css/uswds\.css\?v=\w+)"', page)
    assert url, page[:2000]
    zipped = client.get(url.group(1), headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in zipped.headers["Cache-Control"]
    assert b".usa-header" in gzip.decompress(zipped.data)
    again = client.get(
        url.group(1), headers={"If-None-Match": zipped.headers["ETag"], "Accept-Encoding": "gzip"}
    )
    assert again.status_code == 304
    plain = client.get("/static/tramita.css")
    assert "Content-Encoding" not in plain.headers and b"--tramita-primary" in plain.data
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    plain.close()
