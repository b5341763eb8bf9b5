"""Template translations looked up once per request instead of once per string.

Flask-Babel's Jinja callables resolve the domain, the locale and the translations catalogue
through several context-local look-ups for every `_()` in a template (≈ 16 per page, ≈ 10 % of
a wizard page's CPU; see docs/performance.md). The locale is fixed for the whole request (the
app never calls `flask_babel.refresh()` or `force_locale()` inside one), so the catalogue is
kept on `g` the first time a template asks for it. Outside a request (e-mails rendered by
background effects) it falls back to Flask-Babel's own look-up.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import get_translations

_KEY = "_tramita_translations"


def translations() -> Any:
    if not has_app_context():
        return get_translations()
    found = g.get(_KEY)
    if found is None:
        found = get_translations()
        setattr(g, _KEY, found)
    return found


def install(app: Flask) -> None:
    """Replace Flask-Babel's template callables (call after `Babel(app)`)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
