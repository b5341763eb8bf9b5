"""Static files served small and cached: each URL carries a version (a hash of the file), so
browsers keep a file for a year and a new release changes its URL; text files (CSS,
JavaScript, SVG) are sent gzip-compressed to clients that accept it (compressed once per
file and process)."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import time
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, send_from_directory
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
_COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}


@lru_cache(maxsize=256)
def _version(path: str, mtime: float, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=128)
def _gzipped(path: str, mtime: float, size: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def _file(filename: str) -> Path | None:
    folder = current_app.static_folder
    joined = safe_join(folder, filename) if folder else None
    path = Path(joined) if joined else None
    return path if path is not None and path.is_file() else None


# A file's version is looked at again (stat) at most this often: every page asks for six
# static URLs, and two stats and a path join each were ≈ 4 % of a page's rendering.
RECHECK_SECONDS = 2.0
_recent: dict[tuple[str, str], tuple[float, str | None]] = {}


def version(filename: str) -> str | None:
    """The version a static file's URL carries (None when there is no such file); a file
    changed on disk gets its new version within RECHECK_SECONDS."""
    folder = str(current_app.static_folder)
    now = time.monotonic()
    found = _recent.get((folder, filename))
    if found is not None and now - found[0] < RECHECK_SECONDS:
        return found[1]
    path = _file(filename)
    if path is None:
        current = None
    else:
        stat = path.stat()
        current = _version(str(path), stat.st_mtime, stat.st_size)
    _recent[(folder, filename)] = (now, current)
    return current


def serve(filename: str) -> Response:
    """The `static` endpoint: gzip when accepted and worth it, a year's cache for a
    versioned URL, ETags and 304s either way."""
    path = _file(filename)
    if path is None:
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    stat = path.stat()
    if mimetype in _COMPRESSIBLE and request.accept_encodings["gzip"]:
        response = Response(_gzipped(str(path), stat.st_mtime, stat.st_size), mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(_version(str(path), stat.st_mtime, stat.st_size) + "-gz")
        response.make_conditional(request)
    else:
        response = send_from_directory(str(path.parent), path.name)
    if mimetype in _COMPRESSIBLE:
        response.vary.add("Accept-Encoding")
    if request.args.get("v"):
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    app.view_functions["static"] = serve
