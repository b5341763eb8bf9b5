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
