"""A PDF's text as a reader sees it (pdftotext, UTF-8, whitespace collapsed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import service_missing


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        service_missing("`pdftotext` is not installed (apt-get install poppler-utils)")
    target = tmp_path / "read.pdf"
    target.write_bytes(pdf)
    run = subprocess.run(
        [str(tool), "-enc", "UTF-8", str(target), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return " ".join(run.stdout.replace("\u00a0", " ").split())


def pdf_fonts(pdf: bytes, tmp_path: Path) -> dict[str, bool]:
    """The fonts a PDF uses (pdffonts, subset prefix dropped) and whether each is embedded."""
    tool = shutil.which("pdffonts")
    if tool is None:
        service_missing("`pdffonts` is not installed (apt-get install poppler-utils)")
    target = tmp_path / "fonts.pdf"
    target.write_bytes(pdf)
    run = subprocess.run(
        [str(tool), str(target)], capture_output=True, text=True, timeout=60, check=True
    )
    fonts: dict[str, bool] = {}
    for line in run.stdout.splitlines()[2:]:
        name, *_kind, embedded, _sub, _uni, _obj, _gen = line.split()
        name = name.split("+", 1)[-1]
        fonts[name] = fonts.get(name, False) or embedded == "yes"
    return fonts
