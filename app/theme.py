"""The municipality's look, from settings (MUNICIPALITY_COLOR, MUNICIPALITY_LOGO), not code.

The design system (USWDS, app/static/uswds/) is compiled once; the municipality's colour
reaches it as CSS custom properties in a small stylesheet, /tema.css (a served file, since the
Content-Security-Policy allows no inline styles), which app/static/tramita.css reads."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    request,
    send_file,
)

from app.assets import YEAR

blueprint = Blueprint("theme", __name__)


def _shade(color: str, factor: float) -> str:
    """`color` (#rrggbb) darkened towards black by `factor` (0..1)."""
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c * (1 - factor)):02x}" for c in channels)


def stylesheet(color: str) -> str:
    return (
        f":root{{--tramita-primary:{color};--tramita-primary-dark:{_shade(color, 0.25)};"
        f"--tramita-primary-darker:{_shade(color, 0.45)}}}\n"
    )


def theme_version() -> str:
    """A digest of the colour and the logo (its modification time too): the `v=` of
    /tema.css and /tema/logo, so a new colour or logo reaches every browser at once. Worked
    out once per request (every page asks for it for the stylesheet and the logo)."""
    found = g.get(_VERSION_KEY) if has_request_context() else None
    if found is None:
        found = _theme_version()
        if has_request_context():
            setattr(g, _VERSION_KEY, found)
    return str(found)


_VERSION_KEY = "_tramita_theme_version"


def _theme_version() -> str:
    settings = current_app.extensions["tramita"].settings
    logo = settings.municipality_logo or ""
    stamp = f"{settings.municipality_color}|{logo}"
    if logo and Path(logo).is_file():
        stamp += f"|{Path(logo).stat().st_mtime}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:12]


def _cached(response: Response) -> Response:
    if request.args.get("v"):
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


@blueprint.get("/tema.css")
def theme_css() -> Response:
    settings = current_app.extensions["tramita"].settings
    response = Response(stylesheet(settings.municipality_color), mimetype="text/css")
    response.set_etag(theme_version())
    response.make_conditional(request)
    return _cached(response)


@blueprint.get("/tema/logo")
def logo() -> Response:
    path = current_app.extensions["tramita"].settings.municipality_logo
    if not path or not Path(path).is_file():
        abort(404)
    return _cached(send_file(path, conditional=True))


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
