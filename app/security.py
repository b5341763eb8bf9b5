"""Security headers on every response (pages, API, errors, static files), in one place."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session

# Scripts, styles, images, fetches and frames from this site only; nothing may frame a page
# of Tramita; forms post here, or (the online payment's 303) to the payment gateway; images
# may also come from the map's tile server when one is configured.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'{gateway}"
)
HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "strict-origin-when-cross-origin"


def _origin(url: str | None) -> str:
    """` scheme://host[:port]` of a configured URL, or nothing."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f" {parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8)
def content_security_policy(gateway_url: str | None, tile_url: str | None = None) -> str:
    """The policy; a configured gateway's origin may receive the checkout redirect, a
    configured map tile server's origin may serve images."""
    return _POLICY.format(gateway=_origin(gateway_url), tiles=_origin(tile_url))


def _gateway_url() -> str | None:
    from app.citizen.payments import current_gateway

    gateway = current_gateway()
    return gateway.config.url if gateway is not None else None


def _personal() -> bool:
    """Whether the response is for a logged-in person or an API key (never cache it)."""
    if request.endpoint == "static":
        return False
    if "api_account" in g or request.headers.get("X-API-Key"):
        return True
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return True
    return "_user_id" in session


def add_headers(response: Response) -> Response:
    """A view may set a stricter header of its own (files, e-mailed-link pages): kept."""
    headers = response.headers
    if response.mimetype == "application/pdf":
        # Browsers' PDF viewers run as plugins that a page policy could stop: only framing
        # is restricted for a PDF.
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    else:
        tiles = current_app.extensions["tramita"].settings.map_tile_url
        headers.setdefault(
            "Content-Security-Policy", content_security_policy(_gateway_url(), tiles)
        )
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if not current_app.extensions["tramita"].settings.demo_mode:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _personal() and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
