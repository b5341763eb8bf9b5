"""Reusable catalogs in tests: the SCIAN sample and loading a CSV through the CLI."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

SCIAN = (
    "clave,nombre\n311811,Panificación tradicional\n"
    "461110,Comercio al por menor en tiendas de abarrotes\n"
    "722514,Cafeterías y fuentes de sodas\n"
)


def load(app: Flask, tmp_path: Path, name: str, text: str) -> tuple[int, str]:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalogs", "import", name, str(path)])
    return result.exit_code, result.output
