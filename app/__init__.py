"""Flask application factory: the web layer only translates HTTP to engine commands."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

from app import db as request_db
from app import observability, templating, widgets
from app.config import Settings
from app.i18n import TRANSLATIONS, compile_catalogs
from app.json_provider import StrictJSONProvider
from app.services import build_services
from app.tasks import start_inline_sweeper
from workflow_engine.persistence.platform.accounts import SESSION_LIFETIME

csrf = CSRFProtect()
LANGUAGES = ("es", "en")


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "es"


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or Settings.from_env()
    for key, value in overrides.items():
        setattr(settings, key, value)
    app = Flask(__name__, instance_path=settings.instance_dir)
    app.json = StrictJSONProvider(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="es",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        WTF_CSRF_TIME_LIMIT=None,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        JSON_SORT_KEYS=False,
    )
    if settings.proxy_count:
        # Behind N reverse proxies: trust their X-Forwarded-For/Proto so rate limits see the
        # citizen's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap its WSGI callable in middleware.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count
        )
    compile_catalogs()
    services = build_services(settings)
    app.extensions["tramita"] = services
    observability.init_app(app)
    csrf.init_app(app)
    Babel(app, locale_selector=select_locale)
    templating.install(app)
    app.jinja_env.globals.update(widgets.GLOBALS)  # the form fields' small pieces

    from app import (
        accounts,
        admin,
        api,
        assets,
        citizen,
        cli,
        configurator,
        dashboards,
        errors,
        security,
        sessions,
        staff,
        theme,
        treasury,
        verify,
    )

    audiences = (citizen, staff, treasury, admin, configurator, dashboards, accounts, api, verify)
    sessions.init_app(app)
    request_db.init_app(app)
    for package in audiences:
        for blueprint in package.blueprints:
            app.register_blueprint(blueprint)
    app.jinja_loader = templating.loader(app, audiences)
    citizen.payments.init_app(app)
    csrf.exempt(api.blueprint)
    errors.init_app(app)
    assets.init_app(app)
    theme.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    app.jinja_env.filters["digitalization"] = citizen.catalog.digitalization

    @app.after_request
    def remember_language(response: Response) -> Response:
        """?lang=en switches the interface and is remembered for the next pages."""
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get("lang") != chosen:
            response.set_cookie(
                "lang", chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        return response

    @app.context_processor
    def municipality() -> dict[str, Any]:
        return {
            "config_municipality": settings.municipality_name,
            "config_logo": bool(settings.municipality_logo),
            "theme_version": theme.theme_version,
            "get_locale": get_locale,
            "map_tiles": settings.map_tile_url,
            "map_attribution": settings.map_tile_attribution,
        }

    if settings.inline_sweeper and settings.broker_url is None:
        start_inline_sweeper(services)
    return app
