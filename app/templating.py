"""Template translations looked up once per request instead of once per string.

Flask-Babel's Jinja callables resolve the domain, the locale and the translations catalogue
through several context-local look-ups for every `_()` in a template (≈ 16 per page, ≈ 10 % of
a wizard page's CPU; see docs/performance.md). The locale is fixed for the whole request (the
app never calls `flask_babel.refresh()` or `force_locale()` inside one), so the catalogue is
kept on `g` the first time a template asks for it (and so is the locale's name, which the
`t` filter needs for every label). Outside a request (e-mails rendered by background
effects) it falls back to Flask-Babel's own look-up. The URLs pages build are remembered too
(`cached_url_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any
from weakref import WeakKeyDictionary

from babel.support import NullTranslations, Translations
from flask import Flask, g, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_wtf.csrf import generate_csrf
from jinja2 import BaseLoader, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app import assets
from workflow_engine.money import money_format
from workflow_engine.templates.field_types import field_type

_KEY = "_tramita_translations"
_LOCALE_KEY = "_tramita_locale"


def translations() -> Translations | NullTranslations:
    try:
        found: Translations | NullTranslations | None = g.get(_KEY)
    except RuntimeError:  # outside an application context
        return get_translations()
    if found is None:
        found = get_translations()
        setattr(g, _KEY, found)
    return found


def locale_name() -> str:
    """`str(get_locale())` ("es", "en"), looked up once per request: the `t` filter asks
    for it for every label on a page."""
    try:
        found = g.get(_LOCALE_KEY)
    except RuntimeError:
        return str(get_locale() or "es")
    if found is None:
        found = str(get_locale() or "es")
        setattr(g, _LOCALE_KEY, found)
    return str(found)


def loader(app: Flask, audiences: Iterable[ModuleType]) -> BaseLoader:
    """The shared templates (app/templates: base.html, error pages), then each audience
    package's own templates/ folder; template names are unique across them."""
    folders = [Path(app.root_path) / "templates"]
    folders += [Path(str(package.__file__)).parent / "templates" for package in audiences]
    return FileSystemLoader([str(f) for f in folders if f.is_dir()])


def install(app: Flask) -> None:
    """Replace Flask-Babel's template callables (call after `Babel(app)`) and `url_for`;
    add the formatting filters."""
    from app import formatting  # it reads `locale_name` from here

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    # `_()` straight to the catalogue: Jinja's alias resolves and calls `gettext` through
    # the context twice per string; this does what that `gettext` does, in one call.
    app.jinja_env.globals["_"] = _gettext
    app.jinja_env.globals["ngettext"] = _ngettext
    app.jinja_env.globals["url_for"] = cached_url_for(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["locale_name"] = locale_name
    app.jinja_env.globals["field_widget"] = lambda f: field_type(f).widget()
    app.jinja_env.globals["answer_lines"] = formatting.answer_lines
    app.jinja_env.globals["date_text"] = formatting.date_input_text
    app.jinja_env.globals["date_bounds"] = formatting.date_bounds
    app.jinja_env.filters["t"] = formatting.localized  # {"es", "en"} in the reader's language
    app.jinja_env.filters["moment"] = formatting.format_moment  # local time, reader's words
    app.jinja_env.globals["money_sign"] = lambda: money_format().symbol(money_format().currency)


# Per catalogue, the finished text of each `_("…")` without variables in an autoescaped
# template: a page has ≈ 30 of them, the same on every request.
_PLAIN: WeakKeyDictionary[Any, dict[str, Markup]] = WeakKeyDictionary()


@pass_context
def _gettext(context: Context, string: str, /, **variables: Any) -> str:
    """Jinja's new-style `gettext` (i18n extension, `newstyle=True`): the translation,
    marked safe when autoescaping, always formatted with `%` (so `%%` means `%`)."""
    catalogue = translations()
    if not variables and context.eval_ctx.autoescape:
        table = _PLAIN.get(catalogue)
        if table is None:
            table = _PLAIN.setdefault(catalogue, {})
        done = table.get(string)
        if done is None:
            done = table[string] = Markup(catalogue.ugettext(string)) % variables
        return done
    found: str = catalogue.ugettext(string)
    if context.eval_ctx.autoescape:
        found = Markup(found)
    return found % variables


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    """Jinja's new-style `ngettext`, straight to the catalogue like `_gettext`: `num` is
    available to the string as `%(num)s`."""
    variables.setdefault("num", num)
    found: str = translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        found = Markup(found)
    return found % variables


def csrf_token() -> str:
    """Flask-WTF's `csrf_token()` for templates, without its configuration look-ups after
    the first call of a request: a page asks for it two to four times (the `<meta>`, the
    logout form, the page's own forms). Flask-WTF keeps the request's signed token on `g`
    under the field name (`csrf_token`, the app does not change `WTF_CSRF_FIELD_NAME`); the
    first call, which signs it, is Flask-WTF's own."""
    found = g.get("csrf_token")
    return str(found) if found is not None else str(generate_csrf())


# URLs with values (a procedure's key, a folio, a step) kept per process; at most this many,
# then the cache starts again (a folio's URLs are asked for only while its citizen works).
URL_CACHE_SIZE = 4096


def cached_url_for(app: Flask) -> Callable[..., str]:
    """`url_for` for templates, remembering the URLs it built: the same endpoint with the
    same plain values (strings, numbers) always gives the same path under the same script
    root (the navigation on every page, each card of the catalog, a case's step links).
    `static` URLs also carry the file's content version. Anything else (`_external`,
    `_anchor`, a relative ".endpoint", other values, or URL defaults registered by the app)
    goes to Flask's `url_for` each time."""
    build = app.url_for
    cache: dict[tuple[Any, ...], str] = {}

    def url_for(endpoint: str, /, **values: Any) -> str:
        if app.url_default_functions or endpoint.startswith(".") or not has_request_context():
            return build(endpoint, **values)
        if endpoint == "static" and len(values) == 1 and isinstance(values.get("filename"), str):
            name, stamp = values["filename"], assets.version(values["filename"])
            key: tuple[Any, ...] = (request.script_root, endpoint, name, stamp)
            values = {**values, "v": stamp}
        elif all(type(v) in (str, int) and k[0] != "_" for k, v in values.items()):
            key = (request.script_root, endpoint, *sorted(values.items()))
        else:
            return build(endpoint, **values)
        found = cache.get(key)
        if found is None:
            if len(cache) >= URL_CACHE_SIZE:
                cache.clear()
            found = cache[key] = build(endpoint, **values)
        return found

    return url_for
