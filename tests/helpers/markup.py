"""Document markup checks: a tiny PNG and the assertion that liaison text stays inert."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from pypdf import PdfReader

VERIFY_PREFIX = "https://tramites.example/verificar/"


def png(path: Path) -> Path:
    """A real 2x2 PNG on the server's disk (what `<img src>` used to embed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def assert_inert(pdf: bytes) -> None:
    """No embedded image and no link but the verification URL."""
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert list(page.images) == []
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        for ref in (xobjects or {}).values():
            assert ref.get_object().get("/Subtype") != "/Image"
        for ref in page.get("/Annots") or ():
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            assert action is not None and action.get("/S") == "/URI", annot
            assert str(action.get("/URI")).startswith(VERIFY_PREFIX), action
